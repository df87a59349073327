// Package schema is Orgraph's data model: every rule about stored data lives here.
package schema

import (
	"time"

	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
	"github.com/google/uuid"
)

// NewID mints a UUIDv7: ids sort by creation time, which keeps indexes
// append-mostly and gives a stable default order.
func NewID() uuid.UUID { return uuid.Must(uuid.NewV7()) }

// Now is the clock for stored timestamps: UTC and whole seconds, because the
// wire format (RFC 3339 without fraction) cannot carry more and a value must
// read back exactly as it was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Second) }

// IDMixin gives an entity a UUIDv7 primary key.
type IDMixin struct{ mixin.Schema }

func (IDMixin) Fields() []ent.Field {
	return []ent.Field{
		field.UUID("id", uuid.UUID{}).Default(NewID).Immutable(),
	}
}

// TimeMixin adds created_at and updated_at.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Default(Now).Immutable(),
		field.Time("updated_at").Default(Now).UpdateDefault(Now),
	}
}
