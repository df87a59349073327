package handlers

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// An entry gives back the exact bytes and headers it was made from, whether
// its body was worth compressing or not, and shares the header map of every
// entry of the same shape without one entry's answer writing into another's.
func TestCacheEntryRoundTrip(t *testing.T) {
	s := &Server{}
	for _, body := range [][]byte{
		[]byte(`{"a":1}`), // too small to compress
		[]byte(`{"@id":"/api/organizations/1","name":"` + strings.Repeat("Acme ", 200) + `"}`),
		bytes.Repeat([]byte{0xff, 0x00, 0x7f}, 100), // does not shrink much: kept either way
	} {
		rec := &capture{header: http.Header{}, status: http.StatusOK, body: append(make([]byte, 0, 4*len(body)), body...)}
		rec.header.Set("Content-Type", "application/ld+json; charset=utf-8")
		rec.header.Set("Content-Length", strconv.Itoa(len(body)))
		rec.header.Set("ETag", `"abc"`)
		rec.header.Set("Allow", "GET")
		a := s.keep(7, rec)
		if a.compressed && len(a.body) >= len(body) || cap(a.body) > len(a.body)+len(a.body)/4+16 { // not the capture's spare room
			t.Errorf("%d bytes kept as %d (cap %d), compressed %v", len(body), len(a.body), cap(a.body), a.compressed)
		}
		for range 2 {
			w := httptest.NewRecorder()
			a.write(w, httptest.NewRequest(http.MethodGet, "/x", nil))
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), body) {
				t.Fatalf("%d bytes: answered %d with %d bytes", len(body), w.Code, w.Body.Len())
			}
			want := http.Header{"Content-Type": {"application/ld+json; charset=utf-8"}, "Content-Length": {strconv.Itoa(len(body))}, "Etag": {`"abc"`}, "Allow": {"GET"}}
			for k, v := range want {
				if got := w.Header()[k]; len(got) != 1 || got[0] != v[0] {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			w.Header().Add("Allow", "POST") // the answer's map is its own
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/x", nil)
		r.Header.Set("If-None-Match", `W/"abc"`)
		a.write(w, r)
		if w.Code != http.StatusNotModified || w.Body.Len() != 0 || w.Header().Get("Content-Type") != "" || w.Header().Get("ETag") != `"abc"` {
			t.Errorf("If-None-Match: %d, %d bytes, headers %v", w.Code, w.Body.Len(), w.Header())
		}
	}
	if n := len(s.cacheShapes.shapes); n != 1 {
		t.Errorf("%d header shapes kept for three entries of one shape", n)
	}
}
