package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// A replica killed with SIGKILL in the middle of a webhook delivery loses
// nothing (issue 20 item 3): it recorded nothing, its lease on the endpoint
// runs out, and the restarted server sends the same delivery again (the
// same webhook-id), which then succeeds.
func TestWebhookDeliverySurvivesSIGKILL(t *testing.T) {
	for name, db := range map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "o.db") },
		"postgres": postgresDSN,
	} {
		t.Run(name, func(t *testing.T) { webhookSurvivesSIGKILL(t, db(t)) })
	}
}

func webhookSurvivesSIGKILL(t *testing.T, db string) {
	type hit struct {
		id       string
		verified bool
	}
	var (
		mu     sync.Mutex
		secret string
		hits   []hit
	)
	first := make(chan struct{})
	release := make(chan struct{})
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		wh, _ := standardwebhooks.NewWebhook(secret)
		h := hit{id: r.Header.Get("webhook-id"), verified: wh != nil && wh.Verify(body, r.Header) == nil}
		hits = append(hits, h)
		n := len(hits)
		mu.Unlock()
		if n == 1 {
			close(first)
			<-release // the first delivery hangs until its server is killed
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	// Cleanups run last first: the hanging handler is released before
	// the receiver waits for it to return.
	t.Cleanup(receiver.Close)
	t.Cleanup(func() { close(release) })

	flags := []string{"--secrets-key", strings.Repeat("ab", 32), "--webhooks-allow-private", "--webhook-lease", "11s"}
	s := startServerWith(t, db, flags)
	key := s.waitForKey(t)
	post := func(base, path, body string) map[string]any {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/ld+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var doc map[string]any
		if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || res.StatusCode != http.StatusCreated {
			t.Fatalf("POST %s: %d %v", path, res.StatusCode, doc)
		}
		return doc
	}
	ep := post(s.url, "/api/webhook_endpoints", `{"url": "`+receiver.URL+`/hook", "enabled_events": ["organization.created"]}`)
	mu.Lock()
	secret, _ = ep["secret"].(string)
	mu.Unlock()
	post(s.url, "/api/organizations", `{"name": "Acme"}`)
	select {
	case <-first:
	case <-time.After(20 * time.Second):
		t.Fatal("no delivery within 20 s")
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-s.done

	again := startServerWith(t, db, flags)
	deadline := time.Now().Add(40 * time.Second)
	for {
		mu.Lock()
		got := append([]hit(nil), hits...)
		mu.Unlock()
		if len(got) >= 2 {
			if got[1].id != got[0].id || !got[1].verified || !got[0].verified {
				t.Fatalf("after the restart: %+v, want the same delivery again, signed", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery cut by SIGKILL was not sent again within 40 s of the restart (%d requests)", len(got))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The delivery shows one attempt, the one that succeeded: the killed
	// server recorded nothing.
	id, _ := ep["@id"].(string)
	req, _ := http.NewRequest(http.MethodGet, again.url+"/api/webhook_deliveries?endpoint="+id[strings.LastIndexByte(id, '/')+1:], nil)
	req.Header.Set("Authorization", "Bearer "+key)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var page struct {
			Member []struct {
				Status   string
				Attempts []map[string]any
			}
		}
		_ = json.NewDecoder(res.Body).Decode(&page)
		res.Body.Close()
		if len(page.Member) == 1 && page.Member[0].Status == "succeeded" {
			if n := len(page.Member[0].Attempts); n != 1 {
				t.Errorf("%d attempts recorded, want the one that succeeded", n)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("deliveries: %+v", page.Member)
		}
	}
}
