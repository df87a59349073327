package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// A request that fails after one of its transactions committed keeps its
// answer under its Idempotency-Key: the retry replays the failure instead
// of writing a second time. One that fails without a commit is released.
func TestIdempotencyKeepsFailuresAfterACommit(t *testing.T) {
	ctx := context.Background()
	db := migratedDB(t)
	secret, err := db.CreateKey(ctx, store.NewKey{Email: "ada@example.com", Name: "Ada", Mode: "live", Scope: "write"})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{DB: db, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	key, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	p := &principal{Caller: orgs.Caller{User: key.Edges.User, Mode: "live", Key: key}}
	runs := 0
	// The handler renames the user (a commit), then fails as a rendering
	// would after the write.
	failAfterCommit := func(w http.ResponseWriter, r *http.Request) error {
		runs++
		if err := s.db.Tx(r.Context(), func(tx *ent.Tx) error {
			return tx.User.UpdateOne(p.User).SetName("Renamed").Exec(r.Context())
		}); err != nil {
			return err
		}
		return errors.New("render: broken")
	}
	failBeforeCommit := func(w http.ResponseWriter, r *http.Request) error {
		runs++
		return errors.New("read: broken")
	}
	send := func(h handlerFunc, idemKey string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/api/organizations", strings.NewReader(`{}`))
		r.Header.Set("Idempotency-Key", idemKey)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, "req_test"))
		w := httptest.NewRecorder()
		if err := s.idempotent(w, r, p, h); err != nil {
			s.fail(w, r, err)
		}
		return w
	}
	first, retry := send(failAfterCommit, "after-commit"), send(failAfterCommit, "after-commit")
	if first.Code != http.StatusInternalServerError || retry.Code != http.StatusInternalServerError ||
		retry.Header().Get("Idempotent-Replayed") != "true" || runs != 1 {
		t.Errorf("after a commit: %d, then %d replayed %q; the handler ran %d times, want once",
			first.Code, retry.Code, retry.Header().Get("Idempotent-Replayed"), runs)
	}
	runs = 0
	first, retry = send(failBeforeCommit, "before-commit"), send(failBeforeCommit, "before-commit")
	if retry.Header().Get("Idempotent-Replayed") != "" || runs != 2 {
		t.Errorf("without a commit: %d, then %d replayed %q; the handler ran %d times, want twice",
			first.Code, retry.Code, retry.Header().Get("Idempotent-Replayed"), runs)
	}
}
