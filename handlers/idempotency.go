package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/store"
)

// Idempotency-Key (POST, PATCH, DELETE): the answer to a key's first
// request is kept in the database for Config.IdempotencyTTL (24 h), per key
// owner and mode, when that request succeeded (2xx); a retry gets it again,
// byte for byte, with Idempotent-Replayed: true. The same key on another
// request is a 422; while the first still runs, a 409.
//
// Only successes are kept, because only a success changed anything: each
// write runs in one transaction and every refusal (4xx) is decided before
// that transaction commits (after it, only a 5xx can follow), so a refused
// request left the data as it was. Its retry is then a first attempt: it
// runs again and may now succeed (Stripe keeps nothing for requests refused
// before they run, for the same reason), and the key stays free for a
// corrected request. A 5xx is not kept either, so that a retry runs again
// — unless a transaction of the request committed before it failed (a
// rendering that failed after the write): then the answer is kept, as
// Stripe keeps a 500 once the request has started executing, so that a
// retry does not write twice.
//
// Per mode, an owner keeps the answers to its last Config.IdempotencyKeys
// new keys at most, so that the table stays bounded whatever a client
// sends. A new key past that evicts the owner's oldest answer, but never
// one younger than IdempotencyMinRetention (or the TTL, when shorter): a
// retry within that time always finds its answer, and a retry of an
// evicted key runs again. When the oldest answer is that young, the new key
// is refused with a 429 whose Retry-After is when it may go; that request
// did not run. Expired answers are purged in bounded batches.

// DefaultIdempotencyKeys is Config.IdempotencyKeys's default: at the default
// rate limit one API key cannot send more keyed writes within
// IdempotencyMinRetention, so it never meets the 429
// (TestIdempotencyDefaultCapFitsTheRateLimit).
const DefaultIdempotencyKeys = 10_000

// IdempotencyMinRetention is the least time an answer is kept whatever the
// cap: longer than the retries of HTTP clients and SDKs, which give up
// within minutes.
const IdempotencyMinRetention = 10 * time.Minute

// maxEvictions bounds the records one request evicts; past the cap by more
// (after the cap was lowered), each new key removes that many until the
// owner is under it again.
const maxEvictions = 100

// purgeBatch bounds the expired records one request deletes; after a full
// batch the next keyed request purges again rather than a minute later, so
// a backlog goes in bounded steps.
const purgeBatch = 1000

// idempotencyLockClass names the PostgreSQL advisory locks that serialize
// one owner's new keys (the second key of pg_advisory_xact_lock(int, int)
// is the owner's hash).
const idempotencyLockClass = 0x69646d70 // "idmp"

// abandonedAfter: a record still "running" this long after it began
// belongs to a request that died with its server (the write timeout is 60 s).
const abandonedAfter = 2 * time.Minute

// ParseIdempotencyKey reads the header: a bare or quoted token of 1 to 255
// visible ASCII characters.
func ParseIdempotencyKey(header string) (string, error) {
	k := strings.TrimSpace(header)
	if len(k) >= 2 && k[0] == '"' && k[len(k)-1] == '"' {
		k = k[1 : len(k)-1]
	}
	if k == "" || len(k) > 255 {
		return "", problems.BadRequest("The Idempotency-Key header must hold 1 to 255 characters.")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e || k[i] == '"' {
			return "", problems.BadRequest("The Idempotency-Key header must hold visible ASCII characters only, without quotes inside.")
		}
	}
	return k, nil
}

// Fingerprint identifies a request for Idempotency-Key purposes.
func Fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%d\n", method, path, len(body))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent runs h under the request's Idempotency-Key, if any.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, p *principal, h handlerFunc) error {
	header := r.Header.Get("Idempotency-Key")
	if header == "" || (r.Method != http.MethodPost && r.Method != http.MethodPatch && r.Method != http.MethodDelete) {
		return h(w, r)
	}
	key, err := ParseIdempotencyKey(header)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tooLarge()
	}
	if err != nil {
		return problems.BadRequest("The request body could not be read.")
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	fp := Fingerprint(r.Method, r.URL.Path, body)
	ctx := r.Context()
	s.purgeIdempotency(ctx)

	rec, err := s.claimIdempotencyKey(ctx, p, key, fp)
	if err != nil {
		return err
	}
	if rec != nil { // a replay
		for k, v := range rec.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(rec.Status)
		_, _ = w.Write(rec.Body)
		return nil
	}

	// First time: answer into a buffer, keep the answer, then send it.
	release := func() {
		keep := context.WithoutCancel(ctx)
		if err := s.write(keep, func(c *ent.Client) error {
			_, err := c.IdempotencyRecord.Delete().Where(s.idempotencyRecord(p, key)).Exec(keep)
			return err
		}); err != nil {
			s.log.ErrorContext(ctx, "idempotency: release key", "request_id", requestID(ctx), "error", err.Error())
		}
	}
	defer func() {
		if v := recover(); v != nil {
			release() // a panic is a 500: not kept
			panic(v)
		}
	}()
	buf := &capture{header: w.Header()} // headers go straight to w (nothing is sent before w.WriteHeader)
	var committed atomic.Bool
	if err := h(buf, r.WithContext(store.NoteCommits(ctx, &committed))); err != nil {
		s.fail(buf, r, err)
	}
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	// Keep the answer even if the client has gone: a retry must find it.
	keep := context.WithoutCancel(ctx)
	if (buf.status < 200 || buf.status > 299) && !committed.Load() {
		release() // nothing changed: a retry runs again
	} else { // a success, or a failure after a commit: a retry must not write again
		stored := w.Header().Clone()
		// The request id and the rate-limit state belong to each answer.
		for _, h := range []string{"X-Request-Id", "Ratelimit", "Ratelimit-Policy"} {
			stored.Del(h)
		}
		if err := s.write(keep, func(c *ent.Client) error {
			return c.IdempotencyRecord.Update().Where(s.idempotencyRecord(p, key)).
				SetStatus(buf.status).SetHeader(stored).SetBody(buf.body).Exec(keep)
		}); err != nil {
			s.log.ErrorContext(ctx, "idempotency: keep answer", "request_id", requestID(ctx), "error", err.Error())
		}
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body)
	return nil
}

func (s *Server) idempotencyRecord(p *principal, key string) predicate.IdempotencyRecord {
	return idempotencyrecord.And(idempotencyOwner(p), idempotencyrecord.Key(key))
}

// idempotencyOwner selects the records of the caller's user and mode.
func idempotencyOwner(p *principal) predicate.IdempotencyRecord {
	return idempotencyrecord.And(idempotencyrecord.UserID(p.User.ID), idempotencyrecord.ModeEQ(idempotencyrecord.Mode(p.Mode)))
}

// claimIdempotencyKey records that a request with this key is running, or
// returns the kept answer to replay; another request with the key is a
// 422, and while the first one runs, a 409. A new key past the owner's cap
// may be a 429 (makeRoom). The unique index decides between concurrent
// first requests, across replicas too.
func (s *Server) claimIdempotencyKey(ctx context.Context, p *principal, key, fp string) (*ent.IdempotencyRecord, error) {
	for range 3 {
		now := s.now().UTC()
		err := s.write(ctx, func(c *ent.Client) error { return s.reserveIdempotencyKey(ctx, c, p, key, fp, now) })
		if err == nil {
			return nil, nil
		}
		var refused *problems.Problem
		if errors.As(err, &refused) {
			return nil, refused
		}
		if !ent.IsConstraintError(err) {
			return nil, fmt.Errorf("claim idempotency key: %w", err)
		}
		rec, err := s.db.IdempotencyRecord.Query().Where(s.idempotencyRecord(p, key)).Only(ctx)
		if ent.IsNotFound(err) {
			continue // released by a failed first request meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("read idempotency key: %w", err)
		}
		switch {
		case !now.Before(rec.ExpiresAt) || (rec.Status == 0 && now.Sub(rec.CreatedAt) > abandonedAfter):
			if err := s.write(ctx, func(c *ent.Client) error {
				_, err := c.IdempotencyRecord.Delete().Where(idempotencyrecord.ID(rec.ID), idempotencyrecord.Status(rec.Status)).Exec(ctx)
				return err
			}); err != nil {
				return nil, fmt.Errorf("expire idempotency key: %w", err)
			}
		case rec.Fingerprint != fp:
			return nil, problems.New(http.StatusUnprocessableEntity, "This Idempotency-Key was used for another request: the method, path or body differ.")
		case rec.Status == 0:
			return nil, inFlight()
		default:
			return rec, nil
		}
	}
	return nil, inFlight()
}

// reserveIdempotencyKey records a new key as running, numbered one past
// the owner's newest, then makes room for it under the cap. The record
// goes in first so that a key that has one already fails on the unique
// index before any cap is looked at: a retry must find its answer even when
// its owner is at the cap. A refusal by makeRoom undoes the insert.
func (s *Server) reserveIdempotencyKey(ctx context.Context, c *ent.Client, p *principal, key, fp string, now time.Time) error {
	if err := s.lockIdempotencyOwner(ctx, c, p); err != nil {
		return err
	}
	newest, err := c.IdempotencyRecord.Query().Where(idempotencyOwner(p)).
		Order(idempotencyrecord.BySeq(sql.OrderDesc())).Limit(1).Select(idempotencyrecord.FieldSeq).Ints(ctx)
	if err != nil {
		return fmt.Errorf("number the idempotency key: %w", err)
	}
	seq := 1
	if len(newest) > 0 {
		seq = newest[0] + 1
	}
	if err := c.IdempotencyRecord.Create().
		SetUserID(p.User.ID).SetMode(idempotencyrecord.Mode(p.Mode)).SetKey(key).SetFingerprint(fp).SetSeq(seq).
		SetCreatedAt(now).SetExpiresAt(now.Add(s.idempotencyTTL)).
		Exec(ctx); err != nil {
		return fmt.Errorf("record idempotency key: %w", err) // a constraint error when the key has a record
	}
	return s.makeRoom(ctx, c, p, seq, now)
}

// lockIdempotencyOwner serializes the new keys of one owner and mode until
// the transaction ends, so that two cannot take the same number. SQLite
// needs no lock: its writers run one at a time.
func (s *Server) lockIdempotencyOwner(ctx context.Context, c *ent.Client, p *principal) error {
	if s.db.Dialect != dialect.Postgres {
		return nil
	}
	h := fnv.New32a()
	h.Write(p.User.ID[:])
	h.Write([]byte(p.Mode))
	if _, err := c.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1, $2)", idempotencyLockClass, int32(h.Sum32())); err != nil {
		return fmt.Errorf("lock idempotency keys: %w", err)
	}
	return nil
}

// idempotencyRetention is the least time an answer is kept.
func (s *Server) idempotencyRetention() time.Duration {
	return min(IdempotencyMinRetention, s.idempotencyTTL)
}

// makeRoom evicts the owner's records that the new key numbered seq pushes
// out of its last Config.IdempotencyKeys numbers, so that the owner never
// has more records than that; when one of them is younger than the minimum
// retention (or still running), it refuses the new key with a 429 instead.
// Numbering keys rather than counting records keeps the work small whatever
// the owner holds: an index lookup, and at most maxEvictions records. A
// refused or failed request's record is released, so unless newer keys
// came meanwhile its number is taken again, and the owner's numbers stay
// about as many as its records.
func (s *Server) makeRoom(ctx context.Context, c *ent.Client, p *principal, seq int, now time.Time) error {
	first := seq - s.idempotencyKeys // the newest number pushed out
	if first < 0 {
		return nil // numbers start at 1 (0 for records older than numbering)
	}
	// Usually none (under the cap) or one.
	out, err := c.IdempotencyRecord.Query().Where(idempotencyOwner(p), idempotencyrecord.SeqLTE(first)).
		Order(idempotencyrecord.BySeq()).Limit(maxEvictions).All(ctx)
	if err != nil {
		return fmt.Errorf("find idempotency keys to evict: %w", err)
	}
	retention := s.idempotencyRetention()
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
		retry := max(int64(math.Ceil(wait.Sub(now).Seconds())), 1)
		return problems.Newf(http.StatusTooManyRequests,
			"Too many new Idempotency-Keys: the answers to at most %d keys are kept per user and mode, and those of this user in %s mode are all younger than %s, the least time an answer is kept. This request did not run: send it again, with the same key, in %d s.",
			s.idempotencyKeys, p.Mode, minutes(retention), retry).With("Retry-After", strconv.FormatInt(retry, 10))
	}
	if len(victims) > 0 {
		if _, err := c.IdempotencyRecord.Delete().Where(idempotencyrecord.IDIn(victims...)).Exec(ctx); err != nil {
			return fmt.Errorf("evict idempotency keys: %w", err)
		}
	}
	return nil
}

// minutes writes a duration of whole minutes in words ("10 minutes"), any
// other as Go does.
func minutes(d time.Duration) string {
	switch {
	case d == time.Minute:
		return "1 minute"
	case d%time.Minute == 0:
		return fmt.Sprintf("%d minutes", d/time.Minute)
	}
	return d.String()
}

func inFlight() *problems.Problem {
	return problems.New(http.StatusConflict, "A request with this Idempotency-Key is still running: retry once it has finished.").With("Retry-After", "1")
}

// purgeIdempotency deletes expired records, at most purgeBatch of them and
// at most once a minute per server unless the last batch was full.
func (s *Server) purgeIdempotency(ctx context.Context) {
	now := s.now()
	last := s.lastPurge.Load()
	if now.UnixNano()-last < int64(time.Minute) || !s.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	expired := idempotencyrecord.ExpiresAtLT(now.UTC())
	// Found on a reader: most purges find nothing, and need no write.
	ids, err := s.db.IdempotencyRecord.Query().Where(expired).Order(idempotencyrecord.ByExpiresAt()).Limit(purgeBatch).IDs(ctx)
	if err == nil && len(ids) > 0 {
		var n int
		err = s.write(ctx, func(c *ent.Client) (err error) {
			n, err = c.IdempotencyRecord.Delete().Where(idempotencyrecord.IDIn(ids...), expired).Exec(ctx)
			return err
		})
		if err == nil {
			s.log.InfoContext(ctx, "idempotency: purged expired keys", "count", n)
		}
	}
	if err != nil {
		s.log.WarnContext(ctx, "idempotency: purge", "error", err.Error())
		return
	}
	if len(ids) == purgeBatch {
		s.lastPurge.CompareAndSwap(now.UnixNano(), 0) // more may be waiting
	}
}

// write runs statements on the database's writer (see store.DB): on SQLite
// a write outside a transaction would take a reader connection and wait in
// SQLite's busy handler for the one write lock.
func (s *Server) write(ctx context.Context, fn func(c *ent.Client) error) error {
	return s.db.Tx(ctx, func(tx *ent.Tx) error { return fn(tx.Client()) })
}
