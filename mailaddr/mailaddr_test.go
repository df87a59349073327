package mailaddr_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/orgraph/orgraph/mailaddr"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"kate@example.com", "kate@example.com"},
		{"Kate@Example.COM", "kate@example.com"},
		{"  New@Example.COM \t\n", "new@example.com"},
		{"admin@localhost", "admin@localhost"}, // the bootstrap user: a domain without a dot
		{"o'hara+tag@sub.example.co.uk", "o'hara+tag@sub.example.co.uk"},
		{"x@xn--mnchen-3ya.de", "x@xn--mnchen-3ya.de"}, // münchen.de, in its ASCII form
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61), ""},
	} {
		want := c.want
		if want == "" {
			want = c.in // the longest address: unchanged
		}
		got, err := mailaddr.Normalize(c.in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", c.in, got, err, want)
		}
	}
}

func TestNormalizeRefuses(t *testing.T) {
	longest := strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	if len(longest) != mailaddr.MaxLength {
		t.Fatalf("the longest address has %d characters, want %d", len(longest), mailaddr.MaxLength)
	}
	for _, in := range []string{
		"",
		"   ",
		"kate",
		"kate@",
		"@example.com",
		"kate@@example.com",
		"ka te@example.com",
		"kate@-example.com",
		"kate@example-.com",
		"kate@example..com",
		"kate@example.com.",
		"kate@" + strings.Repeat("b", 64) + ".com", // a label of 64
		longest + "d",
		"\u212Aate@example.com",    // the Kelvin sign, which strings.ToLower maps to k
		"kate@exa\u212Aple.com",    // in the domain too
		"\u0130lker@example.com",   // İ, which Unicode lower-cases to i and a combining dot
		"ka\u017Fe@example.com",    // ſ (long s), which Unicode folds to s
		"kate@m\u00FCnchen.de",     // an internationalised domain not in its xn-- form
		"j\u00F6rg@example.com",    // an internationalised local part
		"kate@example.com\u0000",   // U+0000
		"kate@exam\u200Bple.com",   // a zero-width space
		"kate\uFF20example.com",    // a full-width @
		"\xffkate@example.com",     // not UTF-8
		"kate@example.com\nx@y.te", // a second line
	} {
		got, err := mailaddr.Normalize(in)
		if err == nil || !errors.Is(err, mailaddr.ErrInvalid) || got != "" {
			t.Errorf("Normalize(%q) = %q, %v; want an ErrInvalid", in, got, err)
			continue
		}
		if !strings.Contains(err.Error(), mailaddr.Rule) {
			t.Errorf("Normalize(%q): the error %q does not state the rule", in, err)
		}
		if mailaddr.Valid(strings.TrimSpace(in)) {
			t.Errorf("Valid(%q) = true", in)
		}
	}
}

func TestEqual(t *testing.T) {
	if !mailaddr.Equal("Kate@Example.com", " kate@example.COM") {
		t.Error("two spellings of one address are not Equal")
	}
	for _, pair := range [][2]string{
		{"kate@example.com", "\u212Aate@example.com"},
		{"kate@example.com", "kate@example.org"},
		{"not an address", "not an address"}, // invalid is equal to nothing, itself included
	} {
		if mailaddr.Equal(pair[0], pair[1]) {
			t.Errorf("Equal(%q, %q) = true", pair[0], pair[1])
		}
	}
}

// FuzzNormalize: whatever comes in, what comes out is valid, ASCII, lower
// case, a fixed point, and the same address as the input ignoring ASCII case
// and surrounding space.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Kate@Example.com", "\u212Aate@example.com", " a@b ", "a@b.c.", "x@xn--mnchen-3ya.de"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := mailaddr.Normalize(s)
		if err != nil {
			return
		}
		if !mailaddr.Valid(n) || !utf8.ValidString(n) || strings.ToLower(n) != n {
			t.Fatalf("Normalize(%q) = %q: not a valid lower-case address", s, n)
		}
		for i := 0; i < len(n); i++ {
			if n[i] >= utf8.RuneSelf {
				t.Fatalf("Normalize(%q) = %q: not ASCII", s, n)
			}
		}
		if again, err := mailaddr.Normalize(n); err != nil || again != n {
			t.Fatalf("Normalize(%q) = %q, %v: not a fixed point", n, again, err)
		}
		if !strings.EqualFold(n, strings.TrimSpace(s)) || len(n) != len(strings.TrimSpace(s)) {
			t.Fatalf("Normalize(%q) = %q: not the input's address", s, n)
		}
	})
}
