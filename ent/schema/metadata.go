package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
)

// Limits of metadata, as Stripe sets them: at most MetadataMaxKeys keys of
// at most MetadataMaxKeyLength characters, each value a string of at most
// MetadataMaxValueLength characters. ExternalIDMaxLength bounds an
// external id.
const (
	MetadataMaxKeys        = 50
	MetadataMaxKeyLength   = 40
	MetadataMaxValueLength = 500
	ExternalIDMaxLength    = 255
)

// MetadataFields are what a platform keeps on a resource of its own (issue
// 21): an external_id, the platform's id of the same thing (unique per
// mode and class: each schema declares its index), metadata that the
// resource's readers read, and private_metadata that operator keys alone
// read and write (Clerk's split). A schema lists them last, not through a
// mixin (whose fields come first): SQLite adds columns only at the end of
// a table, and a column anywhere else makes the migration rebuild the
// table — which, for a table others reference with ON DELETE CASCADE,
// deletes their rows (PRAGMA foreign_keys = off does nothing inside the
// migration's transaction).
func MetadataFields() []ent.Field {
	return []ent.Field{
		field.String("external_id").Optional().Nillable().MaxLen(4 * ExternalIDMaxLength), // characters; MaxLen counts bytes
		field.JSON("metadata", map[string]string{}).Optional(),
		field.JSON("private_metadata", map[string]string{}).Optional(),
	}
}
