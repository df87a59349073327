package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"entgo.io/ent/dialect"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/event"
	"github.com/orgraph/orgraph/ent/schema"
)

// Group commit (SQLite). SQLite runs one write transaction at a time, and
// committing one costs more than the statements of a typical write: the
// pages it changed go to the WAL (an organization's creation changes about
// fifteen, mostly the same leaf pages as the previous creation's) and every
// thousand pages a checkpoint syncs the files. So the writers waiting for
// the connection are run in one transaction, each in its own savepoint, and
// committed together: a writer whose function fails is rolled back to its
// savepoint alone; the others commit. Every writer learns its outcome only
// after the commit, so nothing is acknowledged before it is durable, and a
// commit that fails fails every writer of the batch (none was answered).
//
// Each writer's function still runs on its own goroutine (its panics and
// its context stay its own), one at a time: the committer hands the open
// transaction to the next writer and waits for it to hand it back.
//
// Statements on the writer connection ignore cancellation (detachedDriver):
// SQLite answers an interrupted INSERT, UPDATE or DELETE inside a
// transaction by rolling back the whole transaction, which would undo the
// batch's other writers. A writer that gives up while waiting for its turn
// is dropped; once its function runs, it runs to the end.

// maxBatch bounds how many writers share a commit (and so how long the
// first of them waits for the others).
const maxBatch = 64

// errClosed answers writers after DB.Close.
var errClosed = errors.New("database closed")

type groupCommitter struct {
	writer  *ent.Client
	changes *changeLog
	queue   chan *pendingWrite
	stop    chan struct{}
	closing sync.Once
	done    sync.WaitGroup

	// Events are appended once per batch (appendEvent): the writer whose
	// turn it is adds its own to its pendingWrite (writing); once its
	// function has returned it renders their documents in its own
	// goroutine, in parallel with the next writers' turns, and says so on
	// rendered. The committer keeps the events of the writers that
	// succeeded (drops those of the ones that failed), waits for their
	// documents, and inserts them all before the commit. The turn's and
	// rendered's channels order every access to a writer's events.
	current *ent.Tx
	writing *pendingWrite
	events  []*ent.EventCreate
}

// pendingEvent is an event waiting for its batch's insert, and the
// renderer of its data.
type pendingEvent struct {
	create *ent.EventCreate
	render func() []byte
}

// renderEvents sets the data of a writer's events, packed (eventdata.go:
// the group commit is SQLite's). A renderer that panics
// fails the batch rather than the process: the writer was already told its
// function succeeded.
func renderEvents(events []pendingEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("render an event's document: panic: %v", v)
		}
	}()
	for _, e := range events {
		e.create.SetData(string(packDocument(e.render())))
	}
	return nil
}

// eventsPerInsert bounds the rows of one INSERT (SQLite's statements take
// at most 32,766 variables; an event has 10 columns).
const eventsPerInsert = 1000

// appendEvent keeps an event for the batch's insert, if tx is the batch's
// transaction (the caller holds the turn); false otherwise.
func (g *groupCommitter) appendEvent(tx *ent.Tx, e *ent.EventCreate, render func() []byte) bool {
	if tx != g.current || g.writing == nil {
		return false
	}
	g.writing.events = append(g.writing.events, pendingEvent{create: e, render: render})
	return true
}

// insertEvents inserts the batch's events, in the writers' order (SQLite
// numbers them in that order: the id is the rowid).
//
// It writes the INSERT itself from the builders' values rather than through
// ent's bulk create, which reads every new id back (RETURNING) to set it on
// nodes nobody reads: that read was half of an event's insert, on the
// single writer's path every write waits for. The values are bound as ent
// binds them (a JSON field as its encoding), so ent reads the rows back
// unchanged; no hook is skipped that matters: events are a type no kept
// document shows (changes.go).
func (g *groupCommitter) insertEvents(tx *ent.Tx) error {
	for len(g.events) > 0 {
		n := min(len(g.events), eventsPerInsert)
		query, args, err := eventsInsert(g.events[:n])
		if err == nil {
			_, err = tx.ExecContext(context.Background(), query, args...)
		}
		if err != nil {
			return fmt.Errorf("append the events: %w", err)
		}
		g.events = g.events[n:]
	}
	g.events = nil
	return nil
}

// eventColumns are the columns an appended event sets: every one but the
// id and xid, which are the database's.
const eventColumns = `INSERT INTO "events" ("type", "mode", "organization", "actor_type", "actor_id", "request_id", "data", "previous", "sealed", "created_at") VALUES `

// postgresEventInsert inserts one event on PostgreSQL, returning the id
// the database gave it.
const postgresEventInsert = eventColumns + `($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING "id"`

// eventsInsert is the one INSERT of a batch's events.
func eventsInsert(events []*ent.EventCreate) (string, []any, error) {
	var b strings.Builder
	b.Grow(len(eventColumns) + len(events)*len("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?), "))
	b.WriteString(eventColumns)
	args := make([]any, 0, 10*len(events))
	for i, e := range events {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
		var err error
		if args, err = appendEventValues(args, e); err != nil {
			return "", nil, err
		}
	}
	return b.String(), args, nil
}

// appendEventValues appends the values of an event's row, in
// eventColumns' order, after the checks ent's create runs on them (the
// schema's validators). They are bound as ent binds them (a JSON field as
// its encoding), so ent reads the rows back unchanged.
func appendEventValues(args []any, e *ent.EventCreate) ([]any, error) {
	m := e.Mutation()
	typ, _ := m.GetType()
	mode, _ := m.Mode()
	actor, _ := m.ActorType()
	data, _ := m.Data()
	created, ok := m.CreatedAt()
	if !ok {
		created = schema.Now()
	}
	requestID, _ := m.RequestID()
	if err := errors.Join(event.TypeValidator(typ), event.ModeValidator(mode), event.ActorTypeValidator(actor), event.RequestIDValidator(requestID)); err != nil {
		return nil, fmt.Errorf("the %s event: %w", typ, err)
	}
	args = append(args, typ, string(mode), optional(m.Organization()), string(actor), optional(m.ActorID()))
	args = append(args, optional(m.RequestID()), eventDataValue(data))
	if previous, ok := m.Previous(); ok {
		buf, err := json.Marshal(previous)
		if err != nil {
			return nil, fmt.Errorf("encode the %s event's previous values: %w", typ, err)
		}
		args = append(args, json.RawMessage(buf))
	} else {
		args = append(args, nil)
	}
	return append(args, optional(m.Sealed()), created), nil
}

// optional is a mutation's value of an optional field, or NULL.
func optional[T any](v T, set bool) any {
	if !set {
		return nil
	}
	return v
}

// A pendingWrite's state: waiting in the queue, claimed by the committer,
// or abandoned by its writer (context done, or the database closed).
const (
	waiting int32 = iota
	claimed
	abandoned
)

type pendingWrite struct {
	state     atomic.Int32
	turn      chan *ent.Tx // the committer hands the transaction over
	ran       chan error   // the writer's function is done: its error
	committed chan error   // the batch's outcome, for this writer
	// events are those the writer appended in its turn; rendered carries
	// the outcome of rendering their documents, after the turn.
	events   []pendingEvent
	rendered chan error
}

func newGroupCommitter(writer *ent.Client, changes *changeLog) *groupCommitter {
	g := &groupCommitter{writer: writer, changes: changes, queue: make(chan *pendingWrite, 4*maxBatch), stop: make(chan struct{})}
	g.done.Add(1)
	go g.run()
	return g
}

func (g *groupCommitter) close() {
	g.closing.Do(func() { close(g.stop) })
	g.done.Wait()
}

// tx runs fn in the next batch and returns once the batch has committed.
func (g *groupCommitter) tx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	w := &pendingWrite{turn: make(chan *ent.Tx, 1), ran: make(chan error, 1), committed: make(chan error, 1), rendered: make(chan error, 1)}
	select {
	case g.queue <- w:
	case <-ctx.Done():
		return ctx.Err()
	case <-g.stop:
		return errClosed
	}
	var tx *ent.Tx
	select {
	case tx = <-w.turn:
	case <-ctx.Done():
		if w.state.CompareAndSwap(waiting, abandoned) {
			return ctx.Err()
		}
		tx = <-w.turn // claimed in the meantime: it is our turn
	case <-g.stop:
		if w.state.CompareAndSwap(waiting, abandoned) {
			return errClosed
		}
		tx = <-w.turn
	}
	if tx == nil { // the batch failed before this writer's turn
		return <-w.committed
	}
	err, panicked := runWrite(tx, fn)
	w.ran <- err
	if panicked != nil {
		panic(panicked) // after handing back: the committer rolled this writer back
	}
	if err == nil {
		w.rendered <- renderEvents(w.events) // while the next writers run
	}
	return <-w.committed
}

// panicInWrite stands for a panic while the committer rolls the writer back.
var panicInWrite = errors.New("panic in a write")

func runWrite(tx *ent.Tx, fn func(tx *ent.Tx) error) (err error, panicked any) {
	defer func() {
		if v := recover(); v != nil {
			err, panicked = panicInWrite, v
		}
	}()
	return fn(tx), nil
}

func (g *groupCommitter) run() {
	defer g.done.Done()
	for {
		select {
		case w := <-g.queue:
			g.batch(w)
		case <-g.stop:
			return
		}
	}
}

// batch runs first and whoever else is waiting, up to maxBatch, in one
// transaction.
func (g *groupCommitter) batch(first *pendingWrite) {
	tx, err := g.writer.Tx(context.Background())
	if err != nil {
		if first.state.CompareAndSwap(waiting, claimed) {
			first.committed <- fmt.Errorf("begin: %w", err)
			first.turn <- nil
		}
		return
	}
	g.current = tx
	type outcome struct {
		w   *pendingWrite
		err error
	}
	var done []outcome
	var writes []*writeChanges
	var rendering []*pendingWrite // writers that succeeded, rendering their events
	var broken error              // the transaction itself failed: nothing of it can commit
	for w := first; w != nil && broken == nil; w = g.next(len(done)) {
		if !w.state.CompareAndSwap(waiting, claimed) {
			continue // gone before its turn
		}
		savepoint := fmt.Sprintf("w%d", len(done))
		if _, err := tx.ExecContext(context.Background(), "SAVEPOINT "+savepoint); err != nil {
			broken = fmt.Errorf("savepoint: %w", err)
			done = append(done, outcome{w, broken})
			w.turn <- nil // answered with the batch below
			break
		}
		changes := g.changes.begin()
		g.writing = w
		w.turn <- tx
		err := <-w.ran
		g.writing = nil
		g.changes.end(changes)
		if err == nil {
			rendering = append(rendering, w)
		}
		if err != nil { // rolled back to its savepoint: it changed nothing
			if _, rerr := tx.ExecContext(context.Background(), "ROLLBACK TO "+savepoint); rerr != nil {
				broken = fmt.Errorf("roll back a failed write: %w", rerr)
			}
		} else {
			writes = append(writes, changes)
		}
		if broken == nil {
			if _, rerr := tx.ExecContext(context.Background(), "RELEASE "+savepoint); rerr != nil {
				broken = fmt.Errorf("release: %w", rerr)
			}
		}
		done = append(done, outcome{w, err})
	}
	for _, w := range rendering {
		if broken != nil {
			break
		}
		if broken = <-w.rendered; broken == nil {
			for _, e := range w.events {
				g.events = append(g.events, e.create)
			}
		}
	}
	if broken == nil {
		broken = g.insertEvents(tx)
	}
	g.events, g.current = nil, nil
	if broken != nil {
		_ = tx.Rollback()
	} else if err := tx.Commit(); err != nil {
		broken = fmt.Errorf("commit: %w", err)
	}
	g.changes.committed(writes...) // even when the commit failed: it may have landed
	for _, o := range done {
		switch {
		case o.err != nil: // its own failure (rolled back to its savepoint)
			o.w.committed <- o.err
		case broken != nil:
			o.w.committed <- broken
		default:
			o.w.committed <- nil
		}
	}
}

// next is the next waiting writer, if any and if the batch has room.
func (g *groupCommitter) next(n int) *pendingWrite {
	if n >= maxBatch {
		return nil
	}
	select {
	case w := <-g.queue:
		return w
	default:
		return nil
	}
}

// detachedDriver runs statements without their context's cancellation (see
// the top of this file). Deadlines are not used on the writer either.
type detachedDriver struct{ dialect.Driver }

func (d detachedDriver) Exec(ctx context.Context, query string, args, v any) error {
	return d.Driver.Exec(context.WithoutCancel(ctx), query, args, v)
}

func (d detachedDriver) Query(ctx context.Context, query string, args, v any) error {
	return d.Driver.Query(context.WithoutCancel(ctx), query, args, v)
}

func (d detachedDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(context.WithoutCancel(ctx))
	if err != nil {
		return nil, err
	}
	return detachedTx{tx}, nil
}

// execQuerier is what ent's ExecContext and QueryContext need of a driver
// or a transaction (the statements written by hand, the savepoints).
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// txBeginner is a driver that begins transactions with options.
type txBeginner interface {
	BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error)
}

type detachedTx struct{ dialect.Tx }

func (t detachedTx) Exec(ctx context.Context, query string, args, v any) error {
	return t.Tx.Exec(context.WithoutCancel(ctx), query, args, v)
}

func (t detachedTx) Query(ctx context.Context, query string, args, v any) error {
	return t.Tx.Query(context.WithoutCancel(ctx), query, args, v)
}

// ExecContext and QueryContext: ent's Tx.ExecContext (the savepoints) needs them.
func (t detachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.(execQuerier).ExecContext(context.WithoutCancel(ctx), query, args...)
}

func (t detachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.(execQuerier).QueryContext(context.WithoutCancel(ctx), query, args...)
}
