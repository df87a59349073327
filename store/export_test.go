package store

// QueuedWrites is how many writers wait for the group committer (tests
// line writers up behind one that holds the transaction).
func (db *DB) QueuedWrites() int { return len(db.commits.queue) }

// AbandonedAfter is abandonedAfter: when a running Idempotency-Key record
// counts as its request's leftover.
const AbandonedAfter = abandonedAfter

// Changes says whether a migration has statements (one with none only
// marks a version an older orgraph must refuse).
func (m Migration) Changes() bool { return len(m.stmts) > 0 }
