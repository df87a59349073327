package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/idempotencyrecord"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/problems"
)

// Idempotency-Key (POST, PATCH, DELETE): the first answer to a key is kept
// in the database for Config.IdempotencyTTL (24 h), per key owner and mode; a retry gets
// it again, byte for byte, with Idempotent-Replayed: true. The same key on
// another request is a 422; while the first still runs, a 409. A 5xx is
// not kept, so that a retry runs again.

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
	if err := h(buf, r); err != nil {
		s.fail(buf, r, err)
	}
	if buf.status == 0 {
		buf.status = http.StatusOK
	}
	// Keep the answer even if the client has gone: a retry must find it.
	keep := context.WithoutCancel(ctx)
	if buf.status >= 500 {
		release()
	} else {
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
	return idempotencyrecord.And(idempotencyrecord.UserID(p.User.ID),
		idempotencyrecord.ModeEQ(idempotencyrecord.Mode(p.Mode)), idempotencyrecord.Key(key))
}

// claimIdempotencyKey records that a request with this key is running, or
// returns the kept answer to replay; another request with the key is a
// 422, and while the first one runs, a 409. The unique index decides
// between concurrent first requests, across replicas too.
func (s *Server) claimIdempotencyKey(ctx context.Context, p *principal, key, fp string) (*ent.IdempotencyRecord, error) {
	for range 3 {
		now := s.now().UTC()
		err := s.write(ctx, func(c *ent.Client) error {
			return c.IdempotencyRecord.Create().
				SetUserID(p.User.ID).SetMode(idempotencyrecord.Mode(p.Mode)).SetKey(key).SetFingerprint(fp).
				SetCreatedAt(now).SetExpiresAt(now.Add(s.idempotencyTTL)).
				Exec(ctx)
		})
		if err == nil {
			return nil, nil
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

func inFlight() *problems.Problem {
	return problems.New(http.StatusConflict, "A request with this Idempotency-Key is still running: retry once it has finished.").With("Retry-After", "1")
}

// purgeIdempotency deletes expired records, at most once a minute per server.
func (s *Server) purgeIdempotency(ctx context.Context) {
	now := s.now()
	last := s.lastPurge.Load()
	if now.UnixNano()-last < int64(time.Minute) || !s.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	var n int
	err := s.write(ctx, func(c *ent.Client) (err error) {
		n, err = c.IdempotencyRecord.Delete().Where(idempotencyrecord.ExpiresAtLT(now.UTC())).Exec(ctx)
		return err
	})
	if err != nil {
		s.log.WarnContext(ctx, "idempotency: purge", "error", err.Error())
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "idempotency: purged expired keys", "count", n)
	}
}

// write runs statements on the database's writer (see store.DB): on SQLite
// a write outside a transaction would take a reader connection and wait in
// SQLite's busy handler for the one write lock.
func (s *Server) write(ctx context.Context, fn func(c *ent.Client) error) error {
	return s.db.Tx(ctx, func(tx *ent.Tx) error { return fn(tx.Client()) })
}
