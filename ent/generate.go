// Package ent holds the data model's generated code. Schemas live in ./schema;
// run `go generate ./ent` after changing them and commit the result. Our own
// templates in ./template are generated with ent's (see
// organization_owned.tmpl: the organization-owned types, read off the schemas).
package ent

//go:generate go run -mod=mod entgo.io/ent/cmd/ent generate --feature sql/upsert,sql/lock,sql/execquery,sql/versioned-migration,sql/modifier --template ./template ./schema
