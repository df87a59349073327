package handlers

// PurgeBatch is purgeBatch, for handlers_test.
const PurgeBatch = purgeBatch

// ParseIdempotencyKey and Fingerprint are parseIdempotencyKey and
// fingerprint, for the fuzz tests.
var (
	ParseIdempotencyKey = parseIdempotencyKey
	Fingerprint         = fingerprint
)
