package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/mattn/go-sqlite3"
)

// ErrUnavailable marks an error as the database being out of reach.
var ErrUnavailable = errors.New("the database is not reachable")

// Unavailable says whether err means the database cannot be reached or
// cannot serve now (stopped, restarting, out of connections, network
// gone, SQLite locked past its busy timeout), as opposed to a bad query or
// a broken rule: the request may succeed if retried later (503), and the
// server needs no restart.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case strings.HasPrefix(pg.Code, "08"), // connection exception
			pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03", // shutdown, crash, starting up
			pg.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var lite sqlite3.Error
	if errors.As(err, &lite) {
		return lite.Code == sqlite3.ErrBusy || lite.Code == sqlite3.ErrLocked || lite.Code == sqlite3.ErrIoErr || lite.Code == sqlite3.ErrCantOpen
	}
	// pgx reports a connection that died under a query in words only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "unexpected EOF") ||
		strings.Contains(msg, "connection reset by peer") || strings.Contains(msg, "broken pipe")
}

// retryable says whether a transaction failed only because it met another
// one (PostgreSQL serialization failure or deadlock): running it again is
// safe and will usually succeed.
func retryable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "40001" || pg.Code == "40P01")
}

// refused says whether a transaction that failed is known not to have
// committed: the database answered with an error (a held-back insert that
// failed, pipeline.go; a serialization failure; a COMMIT that rolled
// back), where a lost connection leaves it unknown.
func refused(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) || errors.Is(err, pgx.ErrTxCommitRollback)
}

// backoff waits a little, more each attempt, with jitter so that the
// transactions that collided do not collide again; false if ctx ends.
func backoff(ctx context.Context, attempt int) bool {
	d := time.Duration(5<<attempt)*time.Millisecond + rand.N(10*time.Millisecond)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
