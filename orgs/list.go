package orgs

import (
	"context"
	"errors"
	"slices"

	entsql "entgo.io/ent/dialect/sql"
)

// Order is one sort key of a collection: a property's column, ascending
// unless Desc. The adapter accepts only the properties a collection
// declares as orderable.
type Order struct {
	Field string
	Desc  bool
}

// List is a collection as the caller sees it, with its filters and order
// applied: it counts its items, reads a numbered page of them, or reads
// the page after (or before) an item's place in its order (Seek).
type List[T any] struct {
	count func(ctx context.Context) (int, error)
	page  func(ctx context.Context, offset, limit int) ([]T, int, error)
	// seek reads limit+1 items after from (before it when backward), in
	// the order of the direction read, and says how many rows it read (as
	// page does); keys says where an item stands.
	seek func(ctx context.Context, from Key, backward bool, limit int) ([]T, int, error)
	keys keyset
}

// Count is the number of items in the whole collection.
func (l List[T]) Count(ctx context.Context) (int, error) { return l.count(ctx) }

// Page reads limit items from offset. rows is the number of rows the
// page's query read, which can exceed len(items) when a row read turned
// out to be gone or of the other mode: a page short of rows is the last
// one, a page short of items need not be.
func (l List[T]) Page(ctx context.Context, offset, limit int) (items []T, rows int, err error) {
	return l.page(ctx, offset, limit)
}

// Key is an item's place in a list's order: the values of its sort keys,
// the id last, as strings (the list reads them back as its columns' types).
type Key []string

// Seek reads up to limit items from a place in the list's order: those
// after from when forward, else those just before it (the page that
// precedes, in the list's order). from nil starts at the beginning
// (forward) or the end. more says whether the read went on past the page
// in the direction read. However deep the place, the read is an index
// range from it: a page costs what the first costs, and an item inserted
// or deleted meanwhile neither repeats nor hides another.
func (l List[T]) Seek(ctx context.Context, from Key, forward bool, limit int) (items []T, more bool, err error) {
	if from != nil && len(from) != len(l.keys.fields) {
		return nil, false, ErrBadKey
	}
	items, rows, err := l.seek(ctx, from, !forward, limit)
	if err != nil {
		return nil, false, err
	}
	more = rows > limit
	if len(items) > limit {
		items = items[:limit]
	}
	if !forward {
		slices.Reverse(items)
	}
	return items, more, nil
}

// KeyOf is an item's place in the list's order.
func (l List[T]) KeyOf(item T) Key { return l.keys.of(item) }

// Ordered names the list's sort keys, the id last, each with "-" before it
// when descending: what a Key holds, so that a Key is read back only under
// the order it was made in.
func (l List[T]) Ordered() string { return l.keys.String() }

// ErrBadKey: a Key that is not a place in the list's order.
var ErrBadKey = errors.New("not a place in this list's order")

// query is what every ent query builder offers that List needs.
type query[Q any, T any] interface {
	Clone() Q
	Count(context.Context) (int, error)
	Offset(int) Q
	Limit(int) Q
	All(context.Context) ([]T, error)
}

// listOf makes the List of an ent query: paged applies the sort keys (and
// whatever else only a page needs, such as loading edges) to a fresh clone
// for each page.
func listOf[Q query[Q, T], T any, O ~func(*entsql.Selector)](q Q, paged func(Q, ...O) Q, keys []Order) List[T] {
	sorts := orderBy[O](keys)
	ks := keysetOf[T](keys)
	return List[T]{
		count: func(ctx context.Context) (int, error) { return q.Clone().Count(ctx) },
		page: func(ctx context.Context, offset, limit int) ([]T, int, error) {
			items, err := paged(q.Clone(), sorts...).Offset(offset).Limit(limit).All(ctx)
			return items, len(items), err
		},
		seek: func(ctx context.Context, from Key, backward bool, limit int) ([]T, int, error) {
			values, err := ks.values(from)
			if err != nil {
				return nil, 0, err
			}
			// An ent order option is a change of the query's selector,
			// applied after its predicates: the range from the key rides
			// in the first one, so that every entity's query takes it
			// without a method of its own.
			opts := append([]O{O(ks.after(values, backward))}, orderBy[O](ks.reversed(backward))...)
			items, err := paged(q.Clone(), opts...).Limit(limit + 1).All(ctx)
			return items, len(items), err
		},
		keys: ks,
	}
}

// orderBy turns sort keys into ent order terms, with the id last so that
// pages are stable.
func orderBy[O ~func(*entsql.Selector)](keys []Order) []O {
	var out []O
	for _, o := range keys {
		dir := entsql.OrderAsc()
		if o.Desc {
			dir = entsql.OrderDesc()
		}
		out = append(out, O(entsql.OrderByField(o.Field, dir).ToFunc()))
	}
	return append(out, O(entsql.OrderByField("id").ToFunc()))
}
