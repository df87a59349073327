package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"entgo.io/ent/dialect"
)

// On PostgreSQL, transactions and plain statements share one pool. A
// request that holds a transaction's connection and sends a statement
// outside it waits for a second connection; when every connection is held
// by such requests, none is ever freed (until their deadlines). The
// check below (Options.CheckConnections, on in the tests) refuses such a
// statement at once, so that every test of a write route proves the route
// never needs two connections.

// heldTxs are the goroutines that hold a transaction, by goroutine id.
type heldTxs struct {
	mu sync.Mutex
	by map[uint64]int
}

func (h *heldTxs) add(id uint64, n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.by[id] += n
	if h.by[id] <= 0 {
		delete(h.by, id)
	}
}

func (h *heldTxs) holds(id uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.by[id] > 0
}

// goroutineID reads the running goroutine's id off its stack's first line
// ("goroutine 123 [running]:"): a test-only check may pay for it.
func goroutineID() uint64 {
	var buf [64]byte
	line := buf[:runtime.Stack(buf[:], false)]
	line = bytes.TrimPrefix(line, []byte("goroutine "))
	line, _, _ = bytes.Cut(line, []byte(" "))
	id, _ := strconv.ParseUint(string(line), 10, 64)
	return id
}

// connCheckDriver refuses a statement outside a transaction from a
// goroutine that holds one.
type connCheckDriver struct {
	dialect.Driver
	held *heldTxs
}

func (d connCheckDriver) check(query string) error {
	if !d.held.holds(goroutineID()) {
		return nil
	}
	err := fmt.Errorf("store: a statement outside the transaction its goroutine holds would wait for a second connection: %s", query)
	// The stack says which code sent it; the error alone would be a 500.
	fmt.Fprintf(os.Stderr, "%v\n%s\n", err, stack())
	return err
}

func stack() []byte {
	buf := make([]byte, 16<<10)
	return buf[:runtime.Stack(buf, false)]
}

func (d connCheckDriver) Exec(ctx context.Context, query string, args, v any) error {
	if err := d.check(query); err != nil {
		return err
	}
	return d.Driver.Exec(ctx, query, args, v)
}

func (d connCheckDriver) Query(ctx context.Context, query string, args, v any) error {
	if err := d.check(query); err != nil {
		return err
	}
	return d.Driver.Query(ctx, query, args, v)
}

func (d connCheckDriver) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := d.check(query); err != nil {
		return nil, err
	}
	return d.Driver.(execQuerier).ExecContext(ctx, query, args...)
}

func (d connCheckDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := d.check(query); err != nil {
		return nil, err
	}
	return d.Driver.(execQuerier).QueryContext(ctx, query, args...)
}

func (d connCheckDriver) Tx(ctx context.Context) (dialect.Tx, error) {
	if err := d.check("BEGIN"); err != nil {
		return nil, err
	}
	return d.hold(d.Driver.Tx(ctx))
}

// hold marks a transaction just begun as its goroutine's until it ends.
func (d connCheckDriver) hold(tx dialect.Tx, err error) (dialect.Tx, error) {
	if err != nil {
		return nil, err
	}
	id := goroutineID()
	d.held.add(id, 1)
	return &connCheckTx{Tx: tx, held: d.held, id: id}, nil
}

// connCheckTx is a transaction its goroutine holds until it ends.
type connCheckTx struct {
	dialect.Tx
	held *heldTxs
	id   uint64
	once sync.Once
}

func (t *connCheckTx) end() { t.once.Do(func() { t.held.add(t.id, -1) }) }

func (t *connCheckTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *connCheckTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

// ExecContext and QueryContext: ent's Tx.ExecContext needs them.
func (t *connCheckTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.(execQuerier).ExecContext(ctx, query, args...)
}

func (t *connCheckTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.(execQuerier).QueryContext(ctx, query, args...)
}

// BeginTx is Tx with options, when the driver has it.
func (d connCheckDriver) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	if err := d.check("BEGIN"); err != nil {
		return nil, err
	}
	return d.hold(d.Driver.(txBeginner).BeginTx(ctx, opts))
}
