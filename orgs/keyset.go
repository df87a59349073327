package orgs

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
)

// keyset is a list's order as a place in it is written: its sort keys, the
// id last (it makes every place unique), and where each is held in the
// list's entity.
type keyset struct {
	fields []Order
	// index is each field's place in the entity's struct; kinds, what
	// its values are.
	index [][]int
	kinds []reflect.Type
}

var (
	timeType = reflect.TypeFor[time.Time]()
	uuidType = reflect.TypeFor[uuid.UUID]()
)

// keysets are the keysets made so far, by entity type and order: a list
// is made for every request, its keyset once per order.
var keysets sync.Map

// keysetOf reads the keys' places in T (an ent entity, its fields tagged
// with their column names, as ent generates them).
func keysetOf[T any](keys []Order) keyset {
	id := reflect.TypeFor[T]().String()
	for _, k := range keys {
		id += fmt.Sprintf(",%s %t", k.Field, k.Desc)
	}
	if ks, ok := keysets.Load(id); ok {
		return ks.(keyset)
	}
	ks := makeKeyset[T](keys)
	keysets.Store(id, ks)
	return ks
}

func makeKeyset[T any](keys []Order) keyset {
	var ks keyset
	for _, k := range keys {
		ks.fields = append(ks.fields, k)
		if k.Field == "id" {
			break // the id is unique: keys after it order nothing
		}
	}
	if len(ks.fields) == 0 || ks.fields[len(ks.fields)-1].Field != "id" {
		ks.fields = append(ks.fields, Order{Field: "id"})
	}
	t := reflect.TypeFor[T]()
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for _, f := range ks.fields {
		sf, ok := columnField(t, f.Field)
		if !ok {
			panic(fmt.Sprintf("orgs: %s has no field for the column %q", t, f.Field))
		}
		if sf.Type != timeType && sf.Type != uuidType && sf.Type.Kind() != reflect.String {
			panic(fmt.Sprintf("orgs: %s.%s: a %s cannot be a sort key", t, sf.Name, sf.Type))
		}
		ks.index, ks.kinds = append(ks.index, sf.Index), append(ks.kinds, sf.Type)
	}
	return ks
}

// columnField is the field of an ent entity that holds a column.
func columnField(t reflect.Type, column string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name == column {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// of is an item's place.
func (ks keyset) of(item any) Key {
	v := reflect.ValueOf(item)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	key := make(Key, len(ks.index))
	for i, index := range ks.index {
		switch f := v.FieldByIndex(index).Interface().(type) {
		case time.Time:
			key[i] = f.UTC().Format(time.RFC3339Nano)
		case uuid.UUID:
			key[i] = f.String()
		default:
			key[i] = v.FieldByIndex(index).String()
		}
	}
	return key
}

// values reads a place back as the columns' values (nil: none).
func (ks keyset) values(key Key) ([]any, error) {
	if key == nil {
		return nil, nil
	}
	if len(key) != len(ks.kinds) {
		return nil, ErrBadKey
	}
	out := make([]any, len(key))
	for i, s := range key {
		switch ks.kinds[i] {
		case timeType:
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, ErrBadKey
			}
			out[i] = t
		case uuidType:
			id, err := uuid.Parse(s)
			if err != nil {
				return nil, ErrBadKey
			}
			out[i] = id
		default:
			out[i] = s
		}
	}
	return out, nil
}

// after selects the items after the place (before it when backward), in
// the keys' order: (k1 > v1) or (k1 = v1 and k2 > v2) or …, each
// comparison turned for a descending key; nothing for no place.
func (ks keyset) after(values []any, backward bool) func(*entsql.Selector) {
	return func(sel *entsql.Selector) {
		if values == nil {
			return
		}
		var any []*entsql.Predicate
		for i, f := range ks.fields {
			var all []*entsql.Predicate
			for j := range i {
				all = append(all, entsql.EQ(sel.C(ks.fields[j].Field), values[j]))
			}
			if f.Desc != backward {
				all = append(all, entsql.LT(sel.C(f.Field), values[i]))
			} else {
				all = append(all, entsql.GT(sel.C(f.Field), values[i]))
			}
			any = append(any, entsql.And(all...))
		}
		sel.Where(entsql.Or(any...))
	}
}

// reversed is the keys in the order of a read: turned when backward.
func (ks keyset) reversed(backward bool) []Order {
	out := slices.Clone(ks.fields)
	if backward {
		for i := range out {
			out[i].Desc = !out[i].Desc
		}
	}
	return out
}

// String names the keys: "name,id", "-created_at,id".
func (ks keyset) String() string {
	names := make([]string, len(ks.fields))
	for i, f := range ks.fields {
		names[i] = f.Field
		if f.Desc {
			names[i] = "-" + f.Field
		}
	}
	return strings.Join(names, ",")
}
