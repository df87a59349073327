package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/orgraph/orgraph/ent/schema"
)

// PostgreSQL transactions are pipelined. On a machine whose cores the
// database shares, a write costs round trips more than work: creating an
// organization was six (BEGIN, the organization, its roles, its owner, its
// event, COMMIT), each a wake-up of the server's backend and of ours, and
// pgbench measured the same four inserts at 1,800 transactions/s that way
// against 3,000/s in one round trip. So a transaction here
//
//   - takes its connection and sends BEGIN only with its first statement
//     that needs an answer (a read, an update that counts its rows); a
//     transaction that sent nothing commits without a round trip;
//   - holds back the inserts its writer said need no answer
//     (schema.WithDeferredInserts) and its event (AppendEvent, whose id is
//     read when it is sent), and sends them, in order, with the next
//     statement that needs an answer or with COMMIT: one pgx batch, one
//     round trip. A transaction whose statements were all held back is sent
//     as one batch without BEGIN or COMMIT: PostgreSQL runs a batch in one
//     implicit transaction.
//
// Statements are sent in the order they were made, so a read sees every
// write before it. What changes is only when a held-back insert's error is
// known: at the statement that sends it, or the commit.
type pipelineDriver struct {
	dialect.Driver // the pool's ent driver: statements outside transactions
	db             *sql.DB
}

func (d pipelineDriver) Tx(ctx context.Context) (dialect.Tx, error) { return d.BeginTx(ctx, nil) }

// BeginTx begins a transaction with options, without a round trip.
func (d pipelineDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	begin, err := beginStatement(opts)
	if err != nil {
		return nil, err
	}
	return &pipelinedTx{db: d.db, ctx: ctx, begin: begin}, nil
}

// ExecContext and QueryContext are the statements written by hand (ent's
// sql/execquery).
func (d pipelineDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d pipelineDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

// beginStatement is the BEGIN that opens a transaction with opts.
func beginStatement(opts *sql.TxOptions) (string, error) {
	if opts == nil {
		return "BEGIN", nil
	}
	begin := "BEGIN"
	switch opts.Isolation {
	case sql.LevelDefault:
	case sql.LevelReadCommitted:
		begin += " ISOLATION LEVEL READ COMMITTED"
	case sql.LevelRepeatableRead, sql.LevelSnapshot:
		begin += " ISOLATION LEVEL REPEATABLE READ"
	case sql.LevelSerializable:
		begin += " ISOLATION LEVEL SERIALIZABLE"
	default:
		return "", fmt.Errorf("begin: isolation level %s is not supported", opts.Isolation)
	}
	if opts.ReadOnly {
		begin += " READ ONLY"
	}
	return begin, nil
}

// pipelinedTx is one transaction. It is used by one goroutine, as ent's
// transactions are.
type pipelinedTx struct {
	db    *sql.DB
	ctx   context.Context // BeginTx's: the commit's (database/sql's transactions keep it too)
	begin string

	conn  *sql.Conn // taken with the first statement sent
	begun bool      // BEGIN was sent
	held  []heldStatement
	ended bool
}

// heldStatement is a statement held back; returned, when set, receives
// the id the insert returns (an event's) once it is sent.
type heldStatement struct {
	query    string
	args     []any
	returned func(id int64)
}

type returnedIDKey struct{}

// returnedID is what AppendEvent learns of its insert: whether it was held
// back, in which case its id is handed to set when it is sent.
type returnedID struct {
	held bool
	set  func(id int64)
}

// withReturnedID allows the insert made with the returned context, which
// returns its row's id, to be held back: its id then goes to r.set.
func withReturnedID(ctx context.Context, r *returnedID) context.Context {
	return context.WithValue(ctx, returnedIDKey{}, r)
}

func isInsert(query string) bool { return strings.HasPrefix(query, "INSERT ") }

func (t *pipelinedTx) Exec(ctx context.Context, query string, args, v any) error {
	if v == nil && isInsert(query) && schema.InsertsDeferred(ctx) {
		return t.hold(query, args, nil)
	}
	if err := t.send(ctx); err != nil {
		return err
	}
	return entsql.Conn{ExecQuerier: t.conn}.Exec(ctx, query, args, v)
}

func (t *pipelinedTx) Query(ctx context.Context, query string, args, v any) error {
	if isInsert(query) && schema.InsertsDeferred(ctx) {
		rows, ok := v.(*entsql.Rows)
		if !ok {
			return fmt.Errorf("store: a held-back insert's rows are %T, not *sql.Rows", v)
		}
		// ent reads a new row's id off the insert's answer. Its bulk
		// inserts return the ids the rows were given (every id but an
		// event's is made here, schema.NewID, and events are inserted by
		// ExecContext): no rows leaves them as given. An id the database
		// would make is missed loudly: ent's single insert then reads no
		// row and fails.
		if err := t.hold(query, args, nil); err != nil {
			return err
		}
		*rows = entsql.Rows{ColumnScanner: heldRows{}}
		return nil
	}
	if err := t.send(ctx); err != nil {
		return err
	}
	return entsql.Conn{ExecQuerier: t.conn}.Query(ctx, query, args, v)
}

// ExecContext sends a statement written by hand, or holds it back when it
// is an insert that returns its id under withReturnedID (AppendEvent's):
// its result is then a stand-in, and the id goes to the returnedID.
func (t *pipelinedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if r, ok := ctx.Value(returnedIDKey{}).(*returnedID); ok && isInsert(query) {
		if err := t.hold(query, args, r.set); err != nil {
			return nil, err
		}
		r.held = true
		return driver.RowsAffected(1), nil
	}
	if err := t.send(ctx); err != nil {
		return nil, err
	}
	return t.conn.ExecContext(ctx, query, args...)
}

func (t *pipelinedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := t.send(ctx); err != nil {
		return nil, err
	}
	return t.conn.QueryContext(ctx, query, args...)
}

func (t *pipelinedTx) hold(query string, args any, returned func(int64)) error {
	if t.ended {
		return sql.ErrTxDone
	}
	argv, ok := args.([]any)
	if !ok {
		return fmt.Errorf("store: a statement's arguments are %T, not []any", args)
	}
	t.held = append(t.held, heldStatement{query: query, args: argv, returned: returned})
	return nil
}

// send brings the database up to date: the transaction begun, every held
// statement sent.
func (t *pipelinedTx) send(ctx context.Context) error {
	if t.ended {
		return sql.ErrTxDone
	}
	if t.begun && len(t.held) == 0 {
		return nil
	}
	first := ""
	if !t.begun {
		first = t.begin
	}
	t.begun = true // even if the batch fails: Rollback then ends what it began
	return t.sendBatch(ctx, first, "")
}

// sendBatch sends first (when not empty), the held statements, then last
// (when not empty), in one round trip.
func (t *pipelinedTx) sendBatch(ctx context.Context, first, last string) error {
	held := t.held
	t.held = nil
	b := &pgx.Batch{}
	if first != "" {
		b.Queue(first)
	}
	for _, s := range held {
		b.Queue(s.query, s.args...)
	}
	if last != "" {
		b.Queue(last)
	}
	if t.conn == nil {
		conn, err := t.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("store: take a connection: %w", err)
		}
		t.conn = conn
	}
	return t.conn.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: a pipelined transaction needs pgx, not %T", driverConn)
		}
		results := c.Conn().SendBatch(ctx, b)
		return errors.Join(readBatch(results, first, held, last), results.Close())
	})
}

// readBatch reads a batch's answers, in the order sendBatch queued them.
func readBatch(results pgx.BatchResults, first string, held []heldStatement, last string) error {
	if first != "" {
		if _, err := results.Exec(); err != nil {
			return err
		}
	}
	for _, s := range held {
		if s.returned == nil {
			if _, err := results.Exec(); err != nil {
				return err
			}
			continue
		}
		var id int64
		if err := results.QueryRow().Scan(&id); err != nil {
			return err
		}
		s.returned(id)
	}
	if last == "" {
		return nil
	}
	tag, err := results.Exec()
	if err != nil {
		return err
	}
	// A COMMIT of a transaction that had failed answers ROLLBACK.
	if last == "COMMIT" && tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

func (t *pipelinedTx) Commit() error {
	if t.ended {
		return sql.ErrTxDone
	}
	defer t.end()
	switch {
	case !t.begun && len(t.held) == 0:
		return nil // nothing was sent: nothing to commit
	case !t.begun:
		// One implicit transaction: all of it or nothing.
		return t.sendBatch(t.ctx, "", "")
	}
	err := t.sendBatch(t.ctx, "", "COMMIT")
	if err != nil && !errors.Is(err, pgx.ErrTxCommitRollback) {
		// A statement before COMMIT failed, and COMMIT was not run: the
		// transaction is still open, failed.
		_, rerr := t.conn.ExecContext(context.WithoutCancel(t.ctx), "ROLLBACK")
		err = errors.Join(err, rerr)
	}
	return err
}

func (t *pipelinedTx) Rollback() error {
	if t.ended {
		return sql.ErrTxDone
	}
	defer t.end()
	t.held = nil
	if !t.begun || t.conn == nil {
		return nil
	}
	_, err := t.conn.ExecContext(context.WithoutCancel(t.ctx), "ROLLBACK")
	return err
}

// end gives the connection back to the pool; one left inside a transaction
// (a ROLLBACK that failed) is closed by pgx instead of reused.
func (t *pipelinedTx) end() {
	t.ended = true
	if t.conn != nil {
		t.conn.Close()
	}
}

// heldRows answers a held-back insert: no rows (ent keeps the ids it
// gave).
type heldRows struct{}

func (heldRows) Close() error                            { return nil }
func (heldRows) ColumnTypes() ([]*sql.ColumnType, error) { return nil, nil }
func (heldRows) Columns() ([]string, error)              { return []string{"id"}, nil }
func (heldRows) Err() error                              { return nil }
func (heldRows) NextResultSet() bool                     { return false }
func (heldRows) Next() bool                              { return false }
func (heldRows) Scan(...any) error                       { return errors.New("store: a held-back insert has no rows") }

// roundTripTracer sees each statement sent alone and each batch
// (Options.RoundTrip).
type roundTripTracer func(ctx context.Context)

func (f roundTripTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	f(ctx)
	return ctx
}

func (f roundTripTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (f roundTripTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	f(ctx)
	return ctx
}

func (f roundTripTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

func (f roundTripTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}
