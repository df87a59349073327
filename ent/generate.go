// Package ent holds the data model's generated code. Schemas live in ./schema;
// run `go generate ./ent` after changing them and commit the result.
package ent

//go:generate go run -mod=mod entgo.io/ent/cmd/ent generate --feature sql/upsert,sql/lock,sql/execquery,sql/versioned-migration ./schema
