package handlers

import (
	"bytes"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golang/snappy"
	"github.com/google/uuid"
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
// acknowledged to anyone. An organization's own documents (its item, its
// members) are kept across commits that changed other organizations only
// (store.DB.OrganizationChangedSince; see cacheScope). Other replicas'
// writes (PostgreSQL) reach the count through their events within
// store.ReplicaLag, and while they may not have, nothing kept is served
// (store.DB.ReplicasCurrent).
// Entries also expire after cacheTTL, which bounds what a write by another
// process (the command line on the same SQLite file) can leave behind.
//
// The key holds everything a document depends on: the API key (its user,
// mode and pinned version) or the token's user (its mode and scope are
// the server's), the base URL, the request URI (path and query)
// and format suffix, Accept and Orgraph-Version. Only 200 answers are kept; anything
// else (404s included) is built every time.

// cacheTTL bounds an entry's life whatever the writes.
const cacheTTL = time.Minute

// An entry is small, so that the working set fits: its body compressed (a
// 2.7 KB organization keeps 870 bytes), and its headers but ETag and
// Content-Length shared with every other entry of the same shape.
type cachedAnswer struct {
	changes    uint64      // store.DB.Changes before the document was built
	org        uuid.UUID   // the organization whose rows alone it shows (see cacheScope), or Nil
	header     http.Header // shared: never written to
	etag       []string    // the ETag header's value (one tag)
	length     []string    // the Content-Length header's value, ready for each answer
	size       int         // of the body as sent
	body       []byte      // compressed when compressed is true, else as sent
	compressed bool
}

func newDocumentCache(maxBytes int64) *otter.Cache[string, *cachedAnswer] {
	if maxBytes <= 0 {
		return nil
	}
	return otter.Must(&otter.Options[string, *cachedAnswer]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, a *cachedAnswer) uint32 {
			return uint32(len(key) + len(a.body) + len(a.etag[0]) + cacheEntryOverhead)
		},
		ExpiryCalculator: otter.ExpiryWriting[string, *cachedAnswer](cacheTTL),
	})
}

// cacheEntryOverhead is what an entry costs besides its key, body and tag:
// the struct, its two header values and the cache's own node.
const cacheEntryOverhead = 200

// cached serves a resource GET from the document cache, or builds it with h
// and keeps it. HEAD is answered from the cache but does not fill it (its
// handler writes no body).
func (s *Server) cached(h handlerFunc) handlerFunc {
	if s.cache == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		key := s.cacheKey(r)
		changes, everything := s.db.Changes(), s.db.EverythingChanged()
		for seen := s.cacheEmptied.Load(); seen < everything; seen = s.cacheEmptied.Load() {
			if s.cacheEmptied.CompareAndSwap(seen, everything) {
				// Every entry is stale: free them now rather than as they age out.
				s.cache.InvalidateAll()
				break
			}
		}
		if a, ok := s.cache.GetIfPresent(key); ok && s.fresh(a, changes) && s.db.ReplicasCurrent() {
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
		if rec.status != http.StatusOK || rec.header.Get("ETag") == "" {
			copyHeader(w.Header(), rec.header)
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body)
			return nil
		}
		a := s.keep(changes, rec)
		s.cache.Set(key, a)
		a.respond(w, r, rec.body)
		return nil
	}
}

// fresh says whether an entry still shows current data: no commit since it
// was built, or for an organization's document, none that changed that
// organization (changes is the count now).
func (s *Server) fresh(a *cachedAnswer, changes uint64) bool {
	if a.org == uuid.Nil {
		return a.changes == changes
	}
	return !s.db.OrganizationChangedSince(a.org, a.changes)
}

// cacheScope says that the answer being built shows rows of one
// organization only (its row, members, roles, workspaces, invitations) and
// its members' users: its entry then outlives writes to other
// organizations. A handler says it once it has found the organization; a
// document that shows anything else must not.
func cacheScope(w http.ResponseWriter, org uuid.UUID) {
	if rec, ok := w.(*capture); ok {
		rec.scope = org
	}
}

// keep makes the entry of a 200 answer.
func (s *Server) keep(changes uint64, rec *capture) *cachedAnswer {
	a := &cachedAnswer{changes: changes, org: rec.scope, size: len(rec.body)}
	a.etag = []string{rec.header.Get("ETag")}
	a.length = []string{strconv.Itoa(len(rec.body))}
	rec.header.Del("ETag")
	rec.header.Del("Content-Length")
	a.header = s.cacheShapes.intern(rec.header)
	a.body, a.compressed = compress(rec.body)
	return a
}

// cacheKey: see the package comment above.
func (s *Server) cacheKey(r *http.Request) string {
	p := caller(r.Context())
	suffix := ""
	if f, ok := r.Context().Value(formatKey).(hydra.Format); ok { // common took ".jsonld" off the path
		suffix = f.MediaType()
	}
	var b strings.Builder
	for _, part := range []string{p.grant(), s.base(r), r.URL.RequestURI(), suffix, r.Header.Get("Accept"), r.Header.Get("Orgraph-Version")} {
		b.WriteString(part)
		b.WriteByte(0)
	}
	return b.String()
}

// write sends a kept answer, or 304 when If-None-Match names it.
func (a *cachedAnswer) write(w http.ResponseWriter, r *http.Request) { a.respond(w, r, nil) }

// respond is write with the body as sent when the caller still holds it.
func (a *cachedAnswer) respond(w http.ResponseWriter, r *http.Request, sent []byte) {
	h := w.Header()
	copyHeader(h, a.header)
	h["Etag"] = a.etag[:1:1]
	if noneMatch(r.Header.Get("If-None-Match"), a.etag[0]) {
		h.Del("Content-Type") // as notModified answers
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Length"] = a.length[:1:1]
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	switch {
	case sent != nil:
		_, _ = w.Write(sent)
		return
	case !a.compressed:
		_, _ = w.Write(a.body)
		return
	}
	buf := buffers.Get().(*[]byte)
	defer buffers.Put(buf)
	if cap(*buf) < a.size {
		*buf = make([]byte, a.size)
	}
	body, err := snappy.Decode((*buf)[:a.size], a.body)
	if err != nil { // cannot happen: the bytes are our own encoder's
		panic(fmt.Errorf("document cache: decode: %w", err))
	}
	_, _ = w.Write(body)
}

// headerShapes shares the header maps of entries that carry the same
// headers (every organization read in one format has the same Allow, Link,
// Content-Type…). The number of shapes is bounded by the routes and
// formats; past maxHeaderShapes an entry keeps its own map.
type headerShapes struct {
	mu     sync.Mutex
	shapes map[string]http.Header
}

const maxHeaderShapes = 1024

func (hs *headerShapes) intern(h http.Header) http.Header {
	var b strings.Builder
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k)
		for _, v := range h[k] {
			b.WriteByte(0)
			b.WriteString(v)
		}
		b.WriteByte('\n')
	}
	shape := b.String()
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if kept, ok := hs.shapes[shape]; ok {
		return kept
	}
	if hs.shapes == nil {
		hs.shapes = map[string]http.Header{}
	}
	if len(hs.shapes) < maxHeaderShapes {
		hs.shapes[shape] = h
	}
	return h
}

// compress keeps a body compressed when that pays. Snappy: a third of a
// document's size, encoded in 1.5 µs and decoded in 0.5 (DEFLATE keeps a
// quarter but costs 15 and 8, a sixth of a cached answer's time).
func compress(body []byte) ([]byte, bool) {
	if len(body) >= minCompress {
		scratch := buffers.Get().(*[]byte)
		defer buffers.Put(scratch)
		if n := snappy.MaxEncodedLen(len(body)); cap(*scratch) < n {
			*scratch = make([]byte, n)
		}
		if c := snappy.Encode((*scratch)[:cap(*scratch)], body); len(c) < len(body) {
			return bytes.Clone(c), true // Encode's output has room to spare too
		}
	}
	return bytes.Clone(body), false // the exact size: a captured body has room to spare
}

// minCompress: below it, compressing saves too little to pay for itself.
const minCompress = 256

// buffers hold bodies while they are compressed or decoded.
var buffers = sync.Pool{New: func() any { return new([]byte) }}

// copyHeader shares src's values, capped so that an Add on dst copies
// instead of writing into the kept entry.
func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v[:len(v):len(v)]
	}
}
