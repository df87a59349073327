package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
)

// changeLog counts this process's commits and remembers, for each
// organization, the count at the last commit that changed its rows: the
// document cache keeps an organization's documents across writes to other
// organizations. What a commit changed is read off its ent mutations:
//
//   - rows of an organization (the organization itself and the rows of the
//     organization-owned types, ownedTables): that organization — the one a create
//     names, or for an update or delete, the ones the writer locked
//     (LockOrganization: a write changes rows of the organizations it locks
//     and of those it creates, nothing else; the locks exist to serialize
//     exactly those writes);
//   - anything else (users, API keys, an organization-owned row changed by a
//     writer that locked none, a bulk change of organizations, an update
//     that adds or removes edges): everything;
//   - idempotency records: nothing (no document shows them).
//
// A commit with no mutation counts as a change of everything: whatever it
// did, it did behind ent's back. A writer that failed (rolled back to its
// savepoint) changed nothing.
//
// Reading a writer's mutations needs writers to run one at a time (ent does
// not tell which transaction a mutation runs in): SQLite's do, on its one
// writer connection (group commit runs a batch's writers one after
// another). With concurrent writers (PostgreSQL) a transaction's reach is
// read off the events it records instead (beginTx), and the other
// replicas' commits off theirs (replicas.go).
type changeLog struct {
	count atomic.Uint64
	// wide is the count at the last commit that may have changed anything.
	wide atomic.Uint64

	serial bool // writers run one at a time
	check  bool // Options.CheckChanges

	// txs: the changes of each running transaction of concurrent
	// writers (*ent.Tx → *writeChanges; beginTx).
	txs sync.Map

	mu   sync.RWMutex
	orgs map[uuid.UUID]uint64
	// writing: the changes of the writer running now, if any.
	writing *writeChanges
}

// maxTrackedOrganizations bounds the map: past it, the next commit counts as
// a change of everything and the map starts again.
const maxTrackedOrganizations = 100_000

func newChangeLog(serial, check bool) *changeLog {
	return &changeLog{serial: serial, check: check, orgs: map[uuid.UUID]uint64{}}
}

// writeChanges is what one writer's function changed.
type writeChanges struct {
	mutated bool
	wide    bool
	locked  []uuid.UUID
	orgs    []uuid.UUID
	// events counts the events a transaction of concurrent writers
	// recorded; shown says it changed a row a document shows (beginTx).
	events int
	shown  atomic.Bool
}

// begin starts recording a writer's changes.
func (l *changeLog) begin() *writeChanges {
	w := &writeChanges{wide: !l.serial}
	if l.serial {
		l.mu.Lock()
		l.writing = w
		l.mu.Unlock()
	}
	return w
}

// end stops recording the writer's changes.
func (l *changeLog) end(w *writeChanges) {
	l.mu.Lock()
	if l.writing == w {
		l.writing = nil
	}
	l.mu.Unlock()
}

// committed moves the count after a commit of the writers' changes (even a
// failed commit: it may have landed), before any of them is answered. The
// count moves last, under the lock the readers of the map take: a reader
// that sees the new count sees what the commit changed, and two commits
// recorded at once (a transaction of the readers' pool beside a batch)
// never undo each other's marks.
func (l *changeLog) committed(writes ...*writeChanges) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.count.Load() + 1
	wide := len(l.orgs) >= maxTrackedOrganizations
	for _, w := range writes {
		wide = wide || w.wide || !w.mutated
	}
	if wide {
		l.wide.Store(n)
		clear(l.orgs)
	} else {
		for _, w := range writes {
			for _, id := range w.orgs {
				l.orgs[id] = n
			}
		}
	}
	l.count.Store(n)
}

// locked records that the writer running now locked an organization.
func (l *changeLog) locked(id uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.writing != nil {
		l.writing.locked = append(l.writing.locked, id)
	}
}

// changedSince says whether a commit after count since may have changed a
// row of the organization.
func (l *changeLog) changedSince(org uuid.UUID, since uint64) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.wide.Load() > since || l.orgs[org] > since
}

// hook records every mutation of a client: in a transaction of the writer
// client, in the running writer's changes; any other (outside a
// transaction, it commits on its own), as a commit.
func (l *changeLog) hook(writer bool) ent.Hook {
	return func(next ent.Mutator) ent.Mutator { return l.mutator(next, writer) }
}

func (l *changeLog) mutator(next ent.Mutator, writer bool) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if l.check && writer {
			if err := l.verify(ctx, m); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		l.mu.Lock()
		w := l.writing
		// The writer client's mutations all run in DB.Tx's transactions
		// (it is not exposed), so a running writer's are its own.
		mine := writer && w != nil
		if mine {
			w.mutated = true
			w.record(m)
		}
		l.mu.Unlock()
		if mine || unshown[m.Type()] {
			return v, err
		}
		var tx *ent.Tx
		if t, ok := m.(interface{ Tx() (*ent.Tx, error) }); ok {
			tx, _ = t.Tx() // a handle on the mutation's transaction, if any
		}
		switch {
		case tx == nil: // committed on its own
			l.committed(&writeChanges{mutated: true, wide: true})
		default:
			// A transaction of DB.Tx with concurrent writers (PostgreSQL;
			// every ent transaction is one): its events say what it
			// changed (event), counted when DB.Tx has committed it; this
			// marks it as one that changed a shown row, so that one
			// without an event counts as a change of everything. Commit
			// hooks run on the handle DB.Tx commits, whichever adds them.
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					if w, ok := l.txs.Load(tx); ok {
						w.(*writeChanges).shown.Store(true)
					}
					return next.Commit(ctx, tx)
				})
			})
		}
		return v, err
	})
}

// beginTx starts recording the changes of a transaction of concurrent
// writers (PostgreSQL) from its events; endTx stops. Such a transaction
// changed the organizations its events name (everything for an event of
// none: a user, an API key), the outbox's rule being that every change of
// a row a document shows records an event in its transaction. One that
// changed a shown row and recorded no event counts as a change of
// everything: no event says what it did.
func (l *changeLog) beginTx(tx *ent.Tx) *writeChanges {
	w := &writeChanges{mutated: true}
	l.txs.Store(tx, w)
	return w
}

func (l *changeLog) endTx(tx *ent.Tx) {
	if v, ok := l.txs.LoadAndDelete(tx); ok {
		if w := v.(*writeChanges); w.shown.Load() && w.events == 0 {
			w.wide = true
		}
	}
}

// event records what an event appended in tx says its transaction changed.
func (l *changeLog) event(tx *ent.Tx, e *ent.EventCreate) {
	v, ok := l.txs.Load(tx)
	if !ok {
		return
	}
	w := v.(*writeChanges)
	w.events++
	if org, ok := e.Mutation().Organization(); ok {
		w.orgs = append(w.orgs, org)
	} else {
		w.wide = true
	}
}

// record reads which organizations a mutation changes.
func (w *writeChanges) record(m ent.Mutation) {
	edges := len(m.AddedEdges()) + len(m.RemovedEdges()) + len(m.ClearedEdges())
	typ := m.Type()
	_, owned := ownedTables[typ]
	switch {
	case unshown[typ]:
	case typ == ent.TypeOrganization:
		if edges > 0 {
			w.wide = true // rows of other types, maybe of other organizations
			return
		}
		id, ok := m.(interface{ ID() (uuid.UUID, bool) }).ID()
		if !ok || !m.Op().Is(ent.OpCreate|ent.OpUpdateOne|ent.OpDeleteOne) {
			w.wide = true // a bulk change
			return
		}
		w.orgs = append(w.orgs, id)
	case owned:
		if v, ok := m.Field(schema.OwnerField); ok {
			w.orgs = append(w.orgs, v.(uuid.UUID))
		}
		if m.Op().Is(ent.OpCreate) {
			if _, ok := m.Field(schema.OwnerField); !ok {
				w.wide = true
			}
			return
		}
		if len(w.locked) == 0 || edges > 0 {
			w.wide = true // no lock says whose rows; or rows of another type
			return
		}
		w.orgs = append(w.orgs, w.locked...)
	default:
		w.wide = true
	}
}

// unshown are the types whose rows no kept document shows, so that writing
// them (an Idempotency-Key's record; an API key's last use, once a minute
// per key) leaves the document cache as it is. API keys are read by
// authentication before the cache is, and their own documents are never
// kept (they expire without a write). Events are appended with every
// change, which changes what their own documents show besides; no event
// document is kept. Webhook endpoints and deliveries change as the
// deliverer works, which no organization's document shows, and no
// document of theirs is kept either.
var unshown = map[string]bool{ent.TypeIdempotencyRecord: true, ent.TypeAPIKey: true, ent.TypeEvent: true,
	ent.TypeWebhookEndpoint: true, ent.TypeWebhookDelivery: true}

// ownedTables maps each organization-owned type to its table, whose
// schema.OwnerField column names the row's organization. It is generated
// from the schemas that use schema.OrganizationOwnedMixin, so a new owned
// type is read like the others without an edit here; the map is read-only
// after init, which lets every writer read it without a lock.
var ownedTables = ent.OrganizationOwnedTables()

// verify fails an update or delete of organization-owned rows that belong
// to an organization the running writer did not lock (Options.CheckChanges:
// the tests run every write path with it, so the rule record relies on is
// checked rather than assumed). It reads the rows the mutation will touch.
func (l *changeLog) verify(ctx context.Context, m ent.Mutation) error {
	if !m.Op().Is(ent.OpUpdate | ent.OpUpdateOne | ent.OpDelete | ent.OpDeleteOne) {
		return nil
	}
	l.mu.RLock()
	var locked []uuid.UUID
	if l.writing != nil {
		locked = slices.Clone(l.writing.locked)
	}
	l.mu.RUnlock()
	if len(locked) == 0 {
		return nil // recorded as a change of everything
	}
	owners, err := owners(ctx, m)
	if err != nil {
		return fmt.Errorf("check changes: %w", err)
	}
	for _, o := range owners {
		if !slices.Contains(locked, o) {
			return fmt.Errorf("store: a write to %s changes rows of organization %s, which it did not lock", m.Type(), o)
		}
	}
	return nil
}

// owners reads the organizations of the rows an update or delete of an
// organization-owned type will touch, in the mutation's transaction.
func owners(ctx context.Context, m ent.Mutation) ([]uuid.UUID, error) {
	table, owned := ownedTables[m.Type()]
	if !owned {
		return nil, nil // an organization's own row is recorded by its id, whatever the locks
	}
	rows := m.(interface {
		IDs(context.Context) ([]uuid.UUID, error)
		Client() *ent.Client
	})
	ids, err := rows.IDs(ctx)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	values := make([]any, len(ids))
	for i, id := range ids {
		values[i] = id
	}
	query, args := entsql.Dialect(dialect.SQLite).Select(schema.OwnerField).Distinct().From(entsql.Table(table)).
		Where(entsql.In("id", values...)).Query()
	found, err := rows.Client().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer found.Close()
	var out []uuid.UUID
	for found.Next() {
		var id uuid.UUID
		if err := found.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, found.Err()
}
