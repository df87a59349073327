package handlers_test

import (
	"strings"
	"testing"

	"github.com/orgraph/orgraph/handlers"
)

// The Idempotency-Key parser never panics, and what it accepts is 1–255
// visible ASCII characters; quoting does not change the key.
func FuzzParseIdempotencyKey(f *testing.F) {
	for _, seed := range []string{"k-1", `"k-1"`, "", `""`, `"`, " spaced ", strings.Repeat("x", 256), "caf\u00e9", "a\x00b", `"a"b"`} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		k, err := handlers.ParseIdempotencyKey(header)
		if err != nil {
			return
		}
		if len(k) == 0 || len(k) > 255 {
			t.Fatalf("accepted %q as %q", header, k)
		}
		for i := 0; i < len(k); i++ {
			if k[i] < 0x21 || k[i] > 0x7e || k[i] == '"' {
				t.Fatalf("accepted %q with byte %#x", k, k[i])
			}
		}
		if again, err := handlers.ParseIdempotencyKey(`"` + k + `"`); err != nil || again != k {
			t.Fatalf("quoted %q reads as %q, %v", k, again, err)
		}
	})
}

// Fingerprints differ when the method, path or body differ, and the length
// prefix keeps path/body boundaries apart.
func FuzzFingerprint(f *testing.F) {
	f.Add("POST", "/api/organizations", []byte(`{"name":"a"}`))
	f.Add("PATCH", "/api/organizations/x", []byte(""))
	f.Fuzz(func(t *testing.T, method, path string, body []byte) {
		fp := handlers.Fingerprint(method, path, body)
		if fp != handlers.Fingerprint(method, path, body) {
			t.Fatal("fingerprint is not stable")
		}
		if fp == handlers.Fingerprint(method, path, append(append([]byte{}, body...), 'x')) {
			t.Fatal("a longer body has the same fingerprint")
		}
	})
}
