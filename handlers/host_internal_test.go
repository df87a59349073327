package handlers

import (
	"regexp"
	"testing"
)

// hostReference is validHost's rule as a regular expression, the form it
// was first written in (and measured too slow for every request).
var hostReference = regexp.MustCompile(`^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_])?\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$`)

// validHost accepts exactly what the reference expression accepts.
func FuzzValidHost(f *testing.F) {
	for _, seed := range []string{"", "a", "api.example.com", "api.example.com.", "a.b:8080", "[::1]", "[::1]:80", "[::1", "::1",
		"-a.test", "a-.test", ".a", "a..b", "a_b:1", "a:", "a:123456", "a:12x", "evil.test;x", "x.test,y", "[fe80::1%25eth0]", "A.B-C_D.", "1.2.3.4:65535"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if got, want := validHost(host), hostReference.MatchString(host); got != want {
			t.Fatalf("validHost(%q) = %v, the reference says %v", host, got, want)
		}
	})
}
