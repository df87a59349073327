package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Other replicas' writes. On PostgreSQL every replica writes, and a
// process's change log (changes.go) sees only its own commits. Every change
// of a row a kept document shows is recorded as an event in its own
// transaction (the outbox, orgs/events.go), so the events table is the
// channel that tells each replica what the others changed: the follower
// reads the events committed since its last read, every ReplicaPeriod, and
// counts them in the change log as commits of their organizations (an
// event of no organization — a user, an API key — as a change of
// everything). No write pays for it: NOTIFY would take a database-wide lock
// at every commit (handlers/eventstream.go says the same of the streams).
//
// Events are numbered when inserted and committed in any order, so "after
// the last id read" would miss a transaction that commits late with a lower
// number. The follower reads in the feed's order (the recording
// transaction's xid, then the id) from the last position that was final
// (below every running transaction's xid: no event can still appear
// before it), including the committed events above it, which it remembers
// so as to count each once.

// ReplicaPeriod is how often the follower reads the other replicas'
// events.
const ReplicaPeriod = 100 * time.Millisecond

// ReplicaLag bounds how old the follower's last complete read may be for
// kept documents to be served: a document kept on one replica is not
// served after a write on another has been acknowledged for longer than
// this. When the database cannot be read (the follower is behind), nothing
// is served from what is kept.
const ReplicaLag = time.Second

// replicaRowsPerRead bounds one read of the events.
const replicaRowsPerRead = 1000

// follower keeps the change log current with the other replicas' writes.
type follower struct {
	db  *DB
	log func(msg string, err error)
	// current is the UnixNano time at the start of the last read that
	// reached the end of the events.
	current  atomic.Int64
	once     sync.Once
	stopping sync.Once
	stop     chan struct{}
	done     chan struct{}
	// after is each mode's last final position; pending, the ids of the
	// committed events read above it, already counted.
	after   map[string]feedPosition
	pending map[int64]bool
	// own are the events this process recorded, by when: their
	// transactions were counted when they committed here (a transaction
	// that rolled back leaves its ids unread until they age out).
	ownMu sync.Mutex
	own   map[int64]time.Time
}

// ownEventsKept bounds how long an id of this process's is remembered.
const ownEventsKept = time.Minute

// recorded notes an event this process recorded, while it follows the
// others: the follower does not count it again.
func (f *follower) recorded(id int64) {
	f.ownMu.Lock()
	defer f.ownMu.Unlock()
	if f.own != nil { // following
		f.own[id] = time.Now()
	}
}

// mine says whether this process recorded an event, and forgets it.
func (f *follower) mine(id int64) bool {
	f.ownMu.Lock()
	defer f.ownMu.Unlock()
	_, ok := f.own[id]
	delete(f.own, id)
	return ok
}

// forgetOld drops the ids of events that will not be read (their
// transactions rolled back).
func (f *follower) forgetOld() {
	f.ownMu.Lock()
	defer f.ownMu.Unlock()
	for id, at := range f.own {
		if time.Since(at) > ownEventsKept {
			delete(f.own, id)
		}
	}
}

type feedPosition struct{ xid, id int64 }

// FollowReplicas starts following the other replicas' writes (PostgreSQL;
// nothing on SQLite, whose one process sees every write), until Close. log
// hears of failed reads. Callers that keep documents call it once they
// rely on the change log; calling again does nothing.
func (db *DB) FollowReplicas(log func(msg string, err error)) {
	if db.SingleProcess() {
		return
	}
	db.follow.once.Do(func() {
		f := &db.follow
		f.db, f.log = db, log
		f.stop, f.done = make(chan struct{}), make(chan struct{})
		f.pending = map[int64]bool{}
		f.ownMu.Lock()
		f.own = map[int64]time.Time{}
		f.ownMu.Unlock()
		f.readOnce() // kept documents are served from the first moment
		go f.run()
	})
}

// ReplicasCurrent says whether this process knows of every write another
// replica acknowledged more than ReplicaLag ago: always on SQLite; on
// PostgreSQL while the follower's reads succeed.
func (db *DB) ReplicasCurrent() bool {
	if db.SingleProcess() {
		return true
	}
	last := db.follow.current.Load()
	return last != 0 && time.Since(time.Unix(0, last)) < ReplicaLag
}

// close stops the follower, if it runs; the DB may be closed twice.
func (f *follower) close() {
	f.once.Do(func() {}) // no follower starts after Close
	f.stopping.Do(func() {
		if f.stop != nil {
			close(f.stop)
			<-f.done
		}
	})
}

func (f *follower) run() {
	defer close(f.done)
	t := time.NewTicker(ReplicaPeriod)
	defer t.Stop()
	for {
		select {
		case <-f.stop:
			return
		case <-t.C:
		}
		f.readOnce()
	}
}

// readOnce reads what the other replicas changed since the last read, and
// if it could, marks the change log current as of the read's start.
func (f *follower) readOnce() {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), ReplicaLag)
	defer cancel()
	if err := f.read(ctx); err != nil {
		f.log("reading the other replicas' changes failed; kept documents are not served until a read succeeds", err)
		return
	}
	f.current.Store(start.UnixNano())
}

// read counts every event committed since the last read, of both modes.
// The first read only finds where each mode's final events end: no
// document this process keeps can predate it.
func (f *follower) read(ctx context.Context) error {
	if f.after == nil {
		after := map[string]feedPosition{}
		for _, mode := range []string{"live", "test"} {
			var p feedPosition
			err := f.db.SQL.QueryRowContext(ctx, `SELECT xid, id FROM events
				WHERE mode = $1 AND xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
				ORDER BY xid DESC, id DESC LIMIT 1`, mode).Scan(&p.xid, &p.id)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read where the events of mode %s end: %w", mode, err)
			}
			after[mode] = p
		}
		f.after = after
		return nil
	}
	var orgs []uuid.UUID
	wide := false
	for _, mode := range []string{"live", "test"} {
		// A page may hold only events above the final ones: the walk goes
		// on from the last row read, the next read from the last final one.
		from := f.after[mode]
		for {
			last, n, err := f.readMode(ctx, mode, from, &orgs, &wide)
			if err != nil {
				return err
			}
			if n < replicaRowsPerRead {
				break
			}
			from = last
		}
	}
	if wide || len(orgs) > 0 {
		f.db.changes.committed(&writeChanges{mutated: true, wide: wide, orgs: orgs})
	}
	f.forgetOld()
	return nil
}

// readMode reads one page of a mode's events after from, counts those not
// counted yet, and says where the page ended and how many rows it read.
func (f *follower) readMode(ctx context.Context, mode string, from feedPosition, orgs *[]uuid.UUID, wide *bool) (feedPosition, int, error) {
	rows, err := f.db.SQL.QueryContext(ctx, `SELECT id, xid, organization, pg_snapshot_xmin(pg_current_snapshot())::text::bigint
		FROM events WHERE mode = $1 AND (xid, id) > ($2, $3) ORDER BY xid, id LIMIT $4`,
		mode, from.xid, from.id, replicaRowsPerRead)
	if err != nil {
		return from, 0, fmt.Errorf("read the events of mode %s: %w", mode, err)
	}
	defer rows.Close()
	n, last := 0, from
	for rows.Next() {
		var id, xid, horizon int64
		var org uuid.NullUUID
		if err := rows.Scan(&id, &xid, &org, &horizon); err != nil {
			return from, 0, fmt.Errorf("read the events of mode %s: %w", mode, err)
		}
		n, last = n+1, feedPosition{xid, id}
		final := xid < horizon
		if final { // the final events come first, in xid order
			f.after[mode] = last
		}
		if f.pending[id] {
			if final {
				delete(f.pending, id)
			}
			continue
		}
		if !final {
			f.pending[id] = true
		}
		if f.mine(id) {
			continue // counted when it committed here
		}
		if org.Valid {
			*orgs = append(*orgs, org.UUID)
		} else {
			*wide = true
		}
	}
	if err := rows.Err(); err != nil {
		return from, 0, fmt.Errorf("read the events of mode %s: %w", mode, err)
	}
	return last, n, nil
}
