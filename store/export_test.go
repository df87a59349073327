package store

// QueuedWrites is how many writers wait for the group committer (tests
// line writers up behind one that holds the transaction).
func (db *DB) QueuedWrites() int { return len(db.commits.queue) }
