package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/ent/predicate"
)

// Idempotency-Key records: the answer to a key's first request, kept per key
// owner (a user, in one mode) so that a retry gets it again. Which answers
// are kept, and why, is the HTTP layer's decision (handlers/idempotency.go);
// this file claims keys, keeps and releases answers, and bounds the table.
//
// Per mode, an owner keeps the answers to its last IdempotencyLimits.Keys
// new keys at most, so that the table stays bounded whatever a client
// sends. A new key past that evicts the owner's oldest answer, but never
// one younger than IdempotencyMinRetention (or the TTL, when shorter): a
// retry within that time always finds its answer, and a retry of an
// evicted key runs again. When the oldest answer is that young, the new key
// is refused with an *IdempotencyCapError that says when it may go; that
// request must not run. Expired answers are purged in bounded batches.

// IdempotencyMinRetention is the least time an answer is kept whatever the
// cap: longer than the retries of HTTP clients and SDKs, which give up
// within minutes.
const IdempotencyMinRetention = 10 * time.Minute

// maxEvictions bounds the records one new key evicts; past the cap by more
// (after the cap was lowered), each new key removes that many until the
// owner is under it again.
const maxEvictions = 100

// idempotencyLockClass names the PostgreSQL advisory locks that serialize
// one owner's new keys (the second key of pg_advisory_xact_lock(int, int)
// is the owner's hash).
const idempotencyLockClass = 0x69646d70 // "idmp"

// abandonedAfter: a record still "running" this long after it began
// belongs to a request that died with its server (the HTTP write timeout is
// 60 s).
const abandonedAfter = 2 * time.Minute

// IdempotencyKey names one record: a key is its owner's own, so that two
// users (or one user's live and test keys) never see each other's answers.
type IdempotencyKey struct {
	UserID uuid.UUID
	Mode   string // "live" or "test"
	Key    string // the Idempotency-Key header's token
}

// IdempotencyLimits bound what is kept; the server's configuration sets them.
type IdempotencyLimits struct {
	// TTL is how long an answer is kept for retries.
	TTL time.Duration
	// Keys is how many answers an owner keeps per mode at most.
	Keys int
}

// Retention is the least time an answer is kept, whatever the cap.
func (l IdempotencyLimits) Retention() time.Duration {
	return min(IdempotencyMinRetention, l.TTL)
}

// IdempotencyAnswer is a kept answer, replayed byte for byte. Header is an
// http.Header's map, so that the store need not know HTTP.
type IdempotencyAnswer struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// ErrIdempotencyKeyRunning refuses a key whose first request has not
// finished yet: its answer is not known, and running the request a second
// time is what the key is there to prevent.
var ErrIdempotencyKeyRunning = errors.New("a request with this idempotency key is still running")

// ErrIdempotencyKeyReused refuses a key that was claimed for another
// request (another fingerprint): replaying that request's answer would
// answer a request that was not sent.
var ErrIdempotencyKeyReused = errors.New("this idempotency key was used for another request")

// IdempotencyCapError refuses a new key: its owner keeps Keys answers
// already and none of those in the way may go yet. Nothing was claimed, so
// the request must not run; it may be sent again, with the same key, after
// RetryAfter.
type IdempotencyCapError struct {
	Keys       int           // the cap, IdempotencyLimits.Keys
	Retention  time.Duration // the least time an answer is kept
	RetryAfter time.Duration // until the youngest answer in the way may go
}

func (e *IdempotencyCapError) Error() string {
	return fmt.Sprintf("too many new idempotency keys: the owner's %d kept answers are younger than %s; retry in %s", e.Keys, e.Retention, e.RetryAfter)
}

// ClaimIdempotencyKey records that a request with key k and this
// fingerprint runs from now on and returns nil, nil; the caller then keeps
// its answer (KeepIdempotencyAnswer) or releases the key
// (ReleaseIdempotencyKey). When k holds a kept answer to the same request,
// it returns that answer to replay instead. k claimed for another request is
// ErrIdempotencyKeyReused; while its first request runs,
// ErrIdempotencyKeyRunning; a new key past the owner's cap may be an
// *IdempotencyCapError (makeRoom). The unique index decides between
// concurrent first requests, across replicas too. An expired record, or one
// abandoned by a request that died with its server, is cleared and the key
// claimed afresh.
func (db *DB) ClaimIdempotencyKey(ctx context.Context, k IdempotencyKey, fingerprint string, now time.Time, limits IdempotencyLimits) (*IdempotencyAnswer, error) {
	now = now.UTC()
	for range 3 {
		err := db.Tx(ctx, func(tx *ent.Tx) error { return db.reserveIdempotencyKey(ctx, tx.Client(), k, fingerprint, now, limits) })
		if err == nil {
			return nil, nil
		}
		var full *IdempotencyCapError
		if errors.As(err, &full) {
			return nil, full
		}
		if !ent.IsConstraintError(err) {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		rec, err := db.IdempotencyRecord.Query().Where(idempotencyRecord(k)).Only(ctx)
		if ent.IsNotFound(err) {
			continue // released by a failed first request meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		switch {
		case !now.Before(rec.ExpiresAt) || (rec.Status == 0 && now.Sub(rec.CreatedAt) > abandonedAfter):
			if err := db.Tx(ctx, func(tx *ent.Tx) error {
				_, err := tx.IdempotencyRecord.Delete().Where(idempotencyrecord.ID(rec.ID), idempotencyrecord.Status(rec.Status)).Exec(ctx)
				return err
			}); err != nil {
				return nil, fmt.Errorf("expire idempotency key: %w", err)
			}
		case rec.Fingerprint != fingerprint:
			return nil, ErrIdempotencyKeyReused
		case rec.Status == 0:
			return nil, ErrIdempotencyKeyRunning
		default:
			return &IdempotencyAnswer{Status: rec.Status, Header: rec.Header, Body: rec.Body}, nil
		}
	}
	return nil, ErrIdempotencyKeyRunning
}

// KeepIdempotencyAnswer stores the answer to k's request, claimed by
// ClaimIdempotencyKey, for its retries.
func (db *DB) KeepIdempotencyAnswer(ctx context.Context, k IdempotencyKey, a IdempotencyAnswer) error {
	return db.Tx(ctx, func(tx *ent.Tx) error {
		return tx.IdempotencyRecord.Update().Where(idempotencyRecord(k)).
			SetStatus(a.Status).SetHeader(a.Header).SetBody(a.Body).Exec(ctx)
	})
}

// ReleaseIdempotencyKey forgets k, claimed by ClaimIdempotencyKey, so that
// a retry runs again: its request changed nothing.
func (db *DB) ReleaseIdempotencyKey(ctx context.Context, k IdempotencyKey) error {
	return db.Tx(ctx, func(tx *ent.Tx) error {
		_, err := tx.IdempotencyRecord.Delete().Where(idempotencyRecord(k)).Exec(ctx)
		return err
	})
}

// PurgeExpiredIdempotencyKeys deletes the records expired at now, at most
// limit of them, the longest expired first, so that one call's work stays
// bounded however large the backlog; more says the batch was full, and so
// that more may be waiting.
func (db *DB) PurgeExpiredIdempotencyKeys(ctx context.Context, now time.Time, limit int) (purged int, more bool, err error) {
	expired := idempotencyrecord.ExpiresAtLT(now.UTC())
	// Found on a reader: most purges find nothing, and need no write.
	ids, err := db.IdempotencyRecord.Query().Where(expired).Order(idempotencyrecord.ByExpiresAt()).Limit(limit).IDs(ctx)
	if err != nil {
		return 0, false, fmt.Errorf("find expired idempotency keys: %w", err)
	}
	if len(ids) == 0 {
		return 0, false, nil
	}
	if err := db.Tx(ctx, func(tx *ent.Tx) (err error) {
		purged, err = tx.IdempotencyRecord.Delete().Where(idempotencyrecord.IDIn(ids...), expired).Exec(ctx)
		return err
	}); err != nil {
		return 0, false, fmt.Errorf("purge expired idempotency keys: %w", err)
	}
	return purged, len(ids) == limit, nil
}

func idempotencyRecord(k IdempotencyKey) predicate.IdempotencyRecord {
	return idempotencyrecord.And(idempotencyOwner(k), idempotencyrecord.Key(k.Key))
}

// idempotencyOwner selects the records of k's user and mode.
func idempotencyOwner(k IdempotencyKey) predicate.IdempotencyRecord {
	return idempotencyrecord.And(idempotencyrecord.UserID(k.UserID), idempotencyrecord.ModeEQ(idempotencyrecord.Mode(k.Mode)))
}

// reserveIdempotencyKey records a new key as running, numbered one past
// the owner's newest, then makes room for it under the cap. The record
// goes in first so that a key that has one already fails on the unique
// index before any cap is looked at: a retry must find its answer even when
// its owner is at the cap. A refusal by makeRoom undoes the insert.
func (db *DB) reserveIdempotencyKey(ctx context.Context, c *ent.Client, k IdempotencyKey, fingerprint string, now time.Time, limits IdempotencyLimits) error {
	if err := db.lockIdempotencyOwner(ctx, c, k); err != nil {
		return err
	}
	newest, err := c.IdempotencyRecord.Query().Where(idempotencyOwner(k)).
		Order(idempotencyrecord.BySeq(sql.OrderDesc())).Limit(1).Select(idempotencyrecord.FieldSeq).Ints(ctx)
	if err != nil {
		return fmt.Errorf("number the idempotency key: %w", err)
	}
	seq := 1
	if len(newest) > 0 {
		seq = newest[0] + 1
	}
	if err := c.IdempotencyRecord.Create().
		SetUserID(k.UserID).SetMode(idempotencyrecord.Mode(k.Mode)).SetKey(k.Key).SetFingerprint(fingerprint).SetSeq(seq).
		SetCreatedAt(now).SetExpiresAt(now.Add(limits.TTL)).
		Exec(ctx); err != nil {
		return fmt.Errorf("record idempotency key: %w", err) // a constraint error when the key has a record
	}
	return makeRoom(ctx, c, k, seq, now, limits)
}

// lockIdempotencyOwner serializes the new keys of one owner and mode until
// the transaction ends, so that two cannot take the same number. SQLite
// needs no lock: its writers run one at a time.
func (db *DB) lockIdempotencyOwner(ctx context.Context, c *ent.Client, k IdempotencyKey) error {
	if db.Dialect != dialect.Postgres {
		return nil
	}
	h := fnv.New32a()
	h.Write(k.UserID[:])
	h.Write([]byte(k.Mode))
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, $2)", idempotencyLockClass, int32(h.Sum32())); err != nil {
		return fmt.Errorf("lock idempotency keys: %w", err)
	}
	return nil
}

// makeRoom evicts the owner's records that the new key numbered seq pushes
// out of its last limits.Keys numbers, so that the owner never has more
// records than that; when one of them is younger than the minimum retention
// (or still running), it refuses the new key with an *IdempotencyCapError
// instead. Numbering keys rather than counting records keeps the work small
// whatever the owner holds: an index lookup, and at most maxEvictions
// records. A refused or failed request's record is released, so unless
// newer keys came meanwhile its number is taken again, and the owner's
// numbers stay about as many as its records.
func makeRoom(ctx context.Context, c *ent.Client, k IdempotencyKey, seq int, now time.Time, limits IdempotencyLimits) error {
	first := seq - limits.Keys // the newest number pushed out
	if first < 0 {
		return nil // numbers start at 1 (0 for records older than numbering)
	}
	// Usually none (under the cap) or one.
	out, err := c.IdempotencyRecord.Query().Where(idempotencyOwner(k), idempotencyrecord.SeqLTE(first)).
		Order(idempotencyrecord.BySeq()).Limit(maxEvictions).All(ctx)
	if err != nil {
		return fmt.Errorf("find idempotency keys to evict: %w", err)
	}
	retention := limits.Retention()
	var victims []uuid.UUID
	var wait time.Time // when the youngest record in the way may go
	for _, rec := range out {
		keep := retention
		if rec.Status == 0 {
			keep = max(retention, abandonedAfter)
		}
		if until := rec.CreatedAt.Add(keep); now.Before(until) {
			if until.After(wait) {
				wait = until
			}
		} else {
			victims = append(victims, rec.ID)
		}
	}
	if !wait.IsZero() {
		return &IdempotencyCapError{Keys: limits.Keys, Retention: retention, RetryAfter: wait.Sub(now)}
	}
	if len(victims) > 0 {
		if _, err := c.IdempotencyRecord.Delete().Where(idempotencyrecord.IDIn(victims...)).Exec(ctx); err != nil {
			return fmt.Errorf("evict idempotency keys: %w", err)
		}
	}
	return nil
}
