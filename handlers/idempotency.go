package handlers

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

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
// new keys at most: a new key past that evicts the oldest answer or, while
// that answer is younger than IdempotencyMinRetention, is refused with a
// 429 whose Retry-After says when it may go (the request did not run). The
// records, that cap and the purge of expired ones are the store's
// (store/idempotency.go explains them); this file is the HTTP side: the
// header, the buffered body and answer, and the problem documents.

// DefaultIdempotencyKeys is Config.IdempotencyKeys's default: at the default
// rate limit one API key cannot send more keyed writes within
// IdempotencyMinRetention, so it never meets the 429
// (TestIdempotencyDefaultCapFitsTheRateLimit).
const DefaultIdempotencyKeys = 10_000

// IdempotencyMinRetention is store.IdempotencyMinRetention, the least time
// an answer is kept whatever Config.IdempotencyKeys; the command line's help
// quotes it.
const IdempotencyMinRetention = store.IdempotencyMinRetention

// purgeBatch bounds the expired records one request deletes; after a full
// batch the next keyed request purges again rather than a minute later, so
// a backlog goes in bounded steps.
const purgeBatch = 1000

// parseIdempotencyKey reads the header: a bare or quoted token of 1 to 255
// visible ASCII characters.
func parseIdempotencyKey(header string) (string, error) {
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

// fingerprint identifies a request for Idempotency-Key purposes: the same
// key on a request with another fingerprint is a 422.
func fingerprint(method, path string, body []byte) string {
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
	if shown, ok := r.Context().Value(shownOnceKey).(secretShown); ok && shown.shows(p) {
		return shown.refusal
	}
	key, err := parseIdempotencyKey(header)
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
	fp := fingerprint(r.Method, r.URL.Path, body)
	ctx := r.Context()
	s.purgeIdempotency(ctx)

	k := store.IdempotencyKey{UserID: p.User.ID, Mode: p.Mode, Key: key}
	kept, err := s.db.ClaimIdempotencyKey(ctx, k, fp, s.now(), store.IdempotencyLimits{TTL: s.idempotencyTTL, Keys: s.idempotencyKeys})
	if err != nil {
		return idempotencyRefusal(err, p.Mode)
	}
	if kept != nil { // a replay
		for name, values := range kept.Header {
			w.Header()[name] = values
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(kept.Status)
		_, _ = w.Write(kept.Body)
		return nil
	}

	// First time: answer into a buffer, keep the answer, then send it.
	release := func() {
		if err := s.db.ReleaseIdempotencyKey(context.WithoutCancel(ctx), k); err != nil {
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
	if (buf.status < 200 || buf.status > 299) && !committed.Load() {
		release() // nothing changed: a retry runs again
	} else { // a success, or a failure after a commit: a retry must not write again
		stored := w.Header().Clone()
		// The request id and the rate-limit state belong to each answer.
		for _, h := range []string{"X-Request-Id", "Ratelimit", "Ratelimit-Policy"} {
			stored.Del(h)
		}
		// Kept even if the client has gone: a retry must find it.
		answer := store.IdempotencyAnswer{Status: buf.status, Header: stored, Body: buf.body}
		if err := s.db.KeepIdempotencyAnswer(context.WithoutCancel(ctx), k, answer); err != nil {
			s.log.ErrorContext(ctx, "idempotency: keep answer", "request_id", requestID(ctx), "error", err.Error())
		}
	}
	w.WriteHeader(buf.status)
	_, _ = w.Write(buf.body)
	return nil
}

// idempotencyRefusal maps the store's refusals of a key (of an owner in
// mode) to their problem documents; any other error is a failure, left to
// s.fail.
func idempotencyRefusal(err error, mode string) error {
	var full *store.IdempotencyCapError
	switch {
	case errors.Is(err, store.ErrIdempotencyKeyReused):
		return problems.New(http.StatusUnprocessableEntity, "This Idempotency-Key was used for another request: the method, path or body differ.")
	case errors.Is(err, store.ErrIdempotencyKeyRunning):
		return problems.New(http.StatusConflict, "A request with this Idempotency-Key is still running: retry once it has finished.").With("Retry-After", "1")
	case errors.As(err, &full):
		retry := max(int64(math.Ceil(full.RetryAfter.Seconds())), 1)
		return problems.Newf(http.StatusTooManyRequests,
			"Too many new Idempotency-Keys: the answers to at most %d keys are kept per user and mode, and those of this user in %s mode are all younger than %s, the least time an answer is kept. This request did not run: send it again, with the same key, in %d s.",
			full.Keys, mode, minutes(full.Retention), retry).With("Retry-After", strconv.FormatInt(retry, 10))
	}
	return err
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

// purgeIdempotency deletes expired records, at most purgeBatch of them and
// at most once a minute per server unless the last batch was full.
func (s *Server) purgeIdempotency(ctx context.Context) {
	now := s.now()
	last := s.lastPurge.Load()
	if now.UnixNano()-last < int64(time.Minute) || !s.lastPurge.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	n, more, err := s.db.PurgeExpiredIdempotencyKeys(ctx, now, purgeBatch)
	if err != nil {
		s.log.WarnContext(ctx, "idempotency: purge", "error", err.Error())
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "idempotency: purged expired keys", "count", n)
	}
	if more {
		s.lastPurge.CompareAndSwap(now.UnixNano(), 0) // more may be waiting
	}
}
