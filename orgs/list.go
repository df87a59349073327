package orgs

import (
	"context"

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
// applied: it counts its items, or reads a page of them.
type List[T any] struct {
	count func(ctx context.Context) (int, error)
	page  func(ctx context.Context, offset, limit int) ([]T, int, error)
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
	return List[T]{
		count: func(ctx context.Context) (int, error) { return q.Clone().Count(ctx) },
		page: func(ctx context.Context, offset, limit int) ([]T, int, error) {
			items, err := paged(q.Clone(), sorts...).Offset(offset).Limit(limit).All(ctx)
			return items, len(items), err
		},
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
