package store

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// explainer writes the plan of each distinct statement the server sends,
// the first time it is sent, before it runs: EXPLAIN (ANALYZE, BUFFERS) on
// PostgreSQL — which runs the statement, so a write is explained in a
// savepoint (or a transaction) rolled back at once —, EXPLAIN QUERY PLAN
// on SQLite. It is a diagnostic (`serve --explain FILE`): every request
// that meets a new statement runs it twice.
type explainer struct {
	out     io.Writer
	dialect string
	mu      sync.Mutex
	seen    map[string]bool
}

// maxExplained bounds the statements explained (and remembered): an IN
// list of each length is a statement of its own.
const maxExplained = 1000

func newExplainer(out io.Writer, dia string) *explainer {
	return &explainer{out: out, dialect: dia, seen: map[string]bool{}}
}

// first says whether query is new, and remembers it.
func (x *explainer) first(query string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.seen[query] || len(x.seen) >= maxExplained {
		return false
	}
	x.seen[query] = true
	return true
}

// explain writes query's plan, read through q (a pool or the statement's
// own transaction, so that it sees what the statement will see); inTx says
// which. A failure is written in place of the plan: the statement itself
// then runs as it would have.
func (x *explainer) explain(ctx context.Context, q dialect.ExecQuerier, begin func(context.Context) (dialect.Tx, error), inTx bool, query string, args any) {
	if !explained(query) || !x.first(query) {
		return
	}
	var plan []string
	var err error
	if x.dialect != dialect.Postgres {
		plan, err = readPlan(ctx, q, "EXPLAIN QUERY PLAN "+query, args, x.dialect)
	} else {
		plan, err = x.analyze(ctx, q, begin, inTx, query, args)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	fmt.Fprintf(x.out, "-- %s\n", query)
	if err != nil {
		fmt.Fprintf(x.out, "   (not explained: %v)\n\n", err)
		return
	}
	for _, line := range plan {
		fmt.Fprintf(x.out, "   %s\n", line)
	}
	fmt.Fprintln(x.out)
}

// explained says whether a statement has a plan: not a transaction's
// control, a setting or a lock.
func explained(query string) bool {
	head, _, _ := strings.Cut(strings.TrimSpace(query), " ")
	switch strings.ToUpper(head) {
	case "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET", "LOCK", "PRAGMA", "":
		return false
	}
	return true
}

// analyze runs EXPLAIN (ANALYZE, BUFFERS) of a PostgreSQL statement; what
// it changes is rolled back (a read runs as it is).
func (x *explainer) analyze(ctx context.Context, q dialect.ExecQuerier, begin func(context.Context) (dialect.Tx, error), inTx bool, query string, args any) ([]string, error) {
	explain := "EXPLAIN (ANALYZE, BUFFERS) " + query
	head := strings.ToUpper(strings.TrimSpace(query))
	switch {
	case strings.HasPrefix(head, "SELECT") && !strings.Contains(head, " FOR UPDATE") && !strings.Contains(head, " FOR SHARE"):
		return readPlan(ctx, q, explain, args, x.dialect)
	case inTx:
		if err := q.Exec(ctx, "SAVEPOINT orgraph_explain", []any{}, nil); err != nil {
			return nil, err
		}
		plan, err := readPlan(ctx, q, explain, args, x.dialect)
		if rerr := q.Exec(ctx, "ROLLBACK TO SAVEPOINT orgraph_explain", []any{}, nil); rerr != nil && err == nil {
			err = rerr
		}
		return plan, err
	default:
		tx, err := begin(ctx)
		if err != nil {
			return nil, err
		}
		defer tx.Rollback()
		return readPlan(ctx, tx, explain, args, x.dialect)
	}
}

// readPlan reads an EXPLAIN's rows as lines: PostgreSQL's one column, or
// SQLite's query plan rows (id, parent, notused, detail) indented by depth.
func readPlan(ctx context.Context, q dialect.ExecQuerier, explain string, args any, dia string) ([]string, error) {
	var rows entsql.Rows
	if err := q.Query(ctx, explain, args, &rows); err != nil {
		return nil, err
	}
	defer rows.Close()
	var lines []string
	depth := map[int]int{}
	for rows.Next() {
		if dia == dialect.Postgres {
			var line string
			if err := rows.Scan(&line); err != nil {
				return nil, err
			}
			lines = append(lines, line)
			continue
		}
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return nil, err
		}
		depth[id] = depth[parent] + 1
		lines = append(lines, strings.Repeat("  ", depth[id]-1)+detail)
	}
	return lines, rows.Err()
}

// explainDriver explains each new statement before it runs (see explainer).
type explainDriver struct {
	dialect.Driver
	x *explainer
}

func (d explainDriver) Exec(ctx context.Context, query string, args, v any) error {
	d.x.explain(ctx, d.Driver, d.Driver.Tx, false, query, args)
	return d.Driver.Exec(ctx, query, args, v)
}

func (d explainDriver) Query(ctx context.Context, query string, args, v any) error {
	d.x.explain(ctx, d.Driver, d.Driver.Tx, false, query, args)
	return d.Driver.Query(ctx, query, args, v)
}

// ExecContext and QueryContext are the statements the domain writes itself
// (ent's sql/execquery).
func (d explainDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	d.x.explain(ctx, d.Driver, d.Driver.Tx, false, query, args)
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d explainDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	d.x.explain(ctx, d.Driver, d.Driver.Tx, false, query, args)
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (d explainDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := d.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	return explainTx{Tx: tx, x: d.x}, nil
}

// BeginTx is Tx with options, when the driver has it.
func (d explainDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	tx, err := d.Driver.(txBeginner).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return explainTx{Tx: tx, x: d.x}, nil
}

// explainTx explains a transaction's new statements in it.
type explainTx struct {
	dialect.Tx
	x *explainer
}

func noTx(context.Context) (dialect.Tx, error) { return nil, fmt.Errorf("in a transaction") }

func (t explainTx) Exec(ctx context.Context, query string, args, v any) error {
	t.x.explain(ctx, t.Tx, noTx, true, query, args)
	return t.Tx.Exec(ctx, query, args, v)
}

func (t explainTx) Query(ctx context.Context, query string, args, v any) error {
	t.x.explain(ctx, t.Tx, noTx, true, query, args)
	return t.Tx.Query(ctx, query, args, v)
}

func (t explainTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	t.x.explain(ctx, t.Tx, noTx, true, query, args)
	return t.Tx.(execQuerier).ExecContext(ctx, query, args...)
}

func (t explainTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	t.x.explain(ctx, t.Tx, noTx, true, query, args)
	return t.Tx.(execQuerier).QueryContext(ctx, query, args...)
}
