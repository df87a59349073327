package handlers

import (
	"net/http"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/orgraph/orgraph/hydra"
)

// The document cache keeps the answers to resource GETs, as sent, until the
// server commits any write: reading an organization again costs a map
// lookup instead of three queries and an encoding. It is API Platform's
// HTTP cache (Varnish/Souin, purged by the writes) inside the process.
//
// Freshness rests on store.DB.Changes, which moves after every commit of
// this process: an entry is served only while the count is the one read
// before its document was built, so no answer is older than the last write
// acknowledged to anyone. That holds when this process is the only writer
// (SQLite); with several replicas (PostgreSQL) the cache must stay off.
// Entries also expire after cacheTTL, which bounds what a write by another
// process (the command line on the same SQLite file) can leave behind.
//
// The key holds everything a document depends on: the API key (its user,
// mode and pinned version), the base URL, the request URI (path and query)
// and format suffix, Accept and Orgraph-Version. Only 200 answers are kept; anything
// else (404s included) is built every time.

// cacheTTL bounds an entry's life whatever the writes.
const cacheTTL = time.Minute

type cachedAnswer struct {
	changes uint64 // store.DB.Changes before the document was built
	header  http.Header
	body    []byte
	etag    string
}

func newDocumentCache(maxBytes int64) *otter.Cache[string, *cachedAnswer] {
	if maxBytes <= 0 {
		return nil
	}
	return otter.Must(&otter.Options[string, *cachedAnswer]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, a *cachedAnswer) uint32 {
			return uint32(len(key) + len(a.body) + 256) // 256: the entry and its few headers
		},
		ExpiryCalculator: otter.ExpiryWriting[string, *cachedAnswer](cacheTTL),
	})
}

// cached serves a resource GET from the document cache, or builds it with h
// and keeps it. HEAD is answered from the cache but does not fill it (its
// handler writes no body).
func (s *Server) cached(h handlerFunc) handlerFunc {
	if s.cache == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		key := s.cacheKey(r)
		changes := s.db.Changes()
		for seen := s.cacheChanges.Load(); seen < changes; seen = s.cacheChanges.Load() {
			if s.cacheChanges.CompareAndSwap(seen, changes) {
				// Every entry is stale: free them now rather than as they age out.
				s.cache.InvalidateAll()
				break
			}
		}
		if a, ok := s.cache.GetIfPresent(key); ok && a.changes == changes {
			a.write(w, r)
			return nil
		}
		if r.Method != http.MethodGet {
			return h(w, r)
		}
		// The handler builds the whole 200; this function answers
		// If-None-Match, from the entry it keeps.
		inm := r.Header.Get("If-None-Match")
		r.Header.Del("If-None-Match")
		rec := &capture{header: http.Header{}}
		err := h(rec, r)
		if inm != "" {
			r.Header.Set("If-None-Match", inm)
		}
		if err != nil {
			return err
		}
		if rec.status == 0 { // nothing written: net/http would send an empty 200
			rec.status = http.StatusOK
		}
		a := &cachedAnswer{changes: changes, header: rec.header, body: rec.body, etag: rec.header.Get("ETag")}
		if rec.status == http.StatusOK && a.etag != "" {
			s.cache.Set(key, a)
		}
		if rec.status != http.StatusOK || a.etag == "" {
			copyHeader(w.Header(), rec.header)
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body)
			return nil
		}
		a.write(w, r)
		return nil
	}
}

// cacheKey: see the package comment above.
func (s *Server) cacheKey(r *http.Request) string {
	p := caller(r.Context())
	suffix := ""
	if f, ok := r.Context().Value(formatKey).(hydra.Format); ok { // common took ".jsonld" off the path
		suffix = f.MediaType()
	}
	var b strings.Builder
	for _, part := range []string{p.Key.ID.String(), s.base(r), r.URL.RequestURI(), suffix, r.Header.Get("Accept"), r.Header.Get("Orgraph-Version")} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	return b.String()
}

// write sends a kept answer, or 304 when If-None-Match names it.
func (a *cachedAnswer) write(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	copyHeader(h, a.header)
	if noneMatch(r.Header.Get("If-None-Match"), a.etag) {
		h.Del("Content-Type") // as notModified answers
		h.Del("Content-Length")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(a.body)
	}
}

// copyHeader shares src's values, capped so that an Add on dst copies
// instead of writing into the kept entry.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v[:len(v):len(v)]
	}
}
