package schema

import "context"

// A writer usually needs the database's answer to each statement before it
// goes on: a constraint it maps to a precise error (a taken external id, a
// duplicate domain) fails that statement. Some inserts cannot fail so —
// rows with new ids that belong to an organization made in the same
// transaction — and their writer needs no answer at all. It says so with
// WithDeferredInserts: the store may then hold those inserts back and send
// them with the transaction's next statement or its commit, all in one
// round trip (PostgreSQL; store/pipeline.go). An error of theirs, which
// only a broken invariant could cause, then surfaces there.

type deferredInsertsKey struct{}

// WithDeferredInserts says that the inserts made with the returned context
// need no answer before the transaction's next statement.
func WithDeferredInserts(ctx context.Context) context.Context {
	return context.WithValue(ctx, deferredInsertsKey{}, true)
}

// InsertsDeferred says whether ctx allows its inserts to be held back.
func InsertsDeferred(ctx context.Context) bool {
	deferred, _ := ctx.Value(deferredInsertsKey{}).(bool)
	return deferred
}
