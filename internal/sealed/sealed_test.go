package sealed

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
)

// testKeyBytes is a fixed key, so that the spellings of one key can be
// compared.
var testKeyBytes = []byte("0123456789abcdef0123456789ABCDEF")

func mustKey(t *testing.T, s string) Key {
	t.Helper()
	k, err := ParseKey(s)
	if err != nil {
		t.Fatalf("ParseKey(%q): %v", s, err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	k := mustKey(t, base64.StdEncoding.EncodeToString(testKeyBytes))
	for _, plaintext := range [][]byte{nil, []byte("whsec_c2VjcmV0"), bytes.Repeat([]byte{0xff}, 4096)} {
		sealed := k.Seal(plaintext, "webhook-endpoint:1")
		if want := 1 + 12 + len(plaintext) + 16; len(sealed) != want {
			t.Errorf("sealed %d bytes into %d, want %d", len(plaintext), len(sealed), want)
		}
		if sealed[0] != 1 {
			t.Errorf("version byte %d, want 1", sealed[0])
		}
		if len(plaintext) > 0 && bytes.Contains(sealed, plaintext) {
			t.Errorf("the sealed value contains the plaintext")
		}
		got, err := k.Open(sealed, "webhook-endpoint:1")
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Errorf("Open = %q, want %q", got, plaintext)
		}
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	k := mustKey(t, hex.EncodeToString(testKeyBytes))
	a, b := k.Seal([]byte("same"), "c"), k.Seal([]byte("same"), "c")
	if bytes.Equal(a[1:13], b[1:13]) {
		t.Fatal("two seals used the same nonce")
	}
}

func TestWrongContextFails(t *testing.T) {
	k := mustKey(t, hex.EncodeToString(testKeyBytes))
	sealed := k.Seal([]byte("secret"), "webhook-endpoint:1")
	for _, context := range []string{"webhook-endpoint:2", "", "webhook-endpoint:1 "} {
		if _, err := k.Open(sealed, context); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("Open with context %q: err = %v, want ErrCannotOpen", context, err)
		}
	}
}

func TestWrongKeyFails(t *testing.T) {
	k := mustKey(t, hex.EncodeToString(testKeyBytes))
	other := bytes.Clone(testKeyBytes)
	other[31] ^= 1
	sealed := k.Seal([]byte("secret"), "c")
	if _, err := mustKey(t, hex.EncodeToString(other)).Open(sealed, "c"); !errors.Is(err, ErrCannotOpen) {
		t.Fatalf("Open with another key: err = %v, want ErrCannotOpen", err)
	}
}

func TestTamperingFails(t *testing.T) {
	k := mustKey(t, hex.EncodeToString(testKeyBytes))
	sealed := k.Seal([]byte("secret"), "c")
	// Every byte is covered: the version, the nonce, the ciphertext and
	// the tag.
	for i := range sealed {
		changed := bytes.Clone(sealed)
		changed[i] ^= 0x01
		if _, err := k.Open(changed, "c"); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("byte %d changed: err = %v, want ErrCannotOpen", i, err)
		}
	}
	for _, n := range []int{0, 1, 28, len(sealed) - 1} {
		if _, err := k.Open(sealed[:n], "c"); !errors.Is(err, ErrCannotOpen) {
			t.Errorf("truncated to %d bytes: err = %v, want ErrCannotOpen", n, err)
		}
	}
}

func TestZeroKey(t *testing.T) {
	var zero Key
	if !zero.IsZero() {
		t.Error("the zero Key is not IsZero")
	}
	if mustKey(t, hex.EncodeToString(testKeyBytes)).IsZero() {
		t.Error("a parsed Key is IsZero")
	}
	if _, err := zero.Open(make([]byte, 64), "c"); !errors.Is(err, ErrCannotOpen) {
		t.Errorf("Open with the zero Key: err = %v, want ErrCannotOpen", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Seal with the zero Key did not panic")
		}
	}()
	zero.Seal([]byte("x"), "c")
}

func TestParseKeySpellings(t *testing.T) {
	// A key whose encodings use the characters in which standard and
	// URL-safe base64 differ, so that both alphabets are exercised.
	raw := bytes.Repeat([]byte{0xfb, 0xff, 0xbf}, 11)[:32]
	reference := mustKey(t, hex.EncodeToString(raw))
	sealed := reference.Seal([]byte("secret"), "c")
	spellings := map[string]string{
		"standard base64":          base64.StdEncoding.EncodeToString(raw),
		"standard base64, no pads": base64.RawStdEncoding.EncodeToString(raw),
		"URL-safe base64":          base64.URLEncoding.EncodeToString(raw),
		"URL-safe base64, no pads": base64.RawURLEncoding.EncodeToString(raw),
		"hex":                      hex.EncodeToString(raw),
		"upper-case hex":           strings.ToUpper(hex.EncodeToString(raw)),
		"with white space around":  " " + base64.StdEncoding.EncodeToString(raw) + " \n",
	}
	if spellings["standard base64"] == spellings["URL-safe base64"] {
		t.Fatal("the test key does not tell the base64 alphabets apart")
	}
	for name, s := range spellings {
		k, err := ParseKey(s)
		if err != nil {
			t.Errorf("%s %q: %v", name, s, err)
			continue
		}
		if got, err := k.Open(sealed, "c"); err != nil || string(got) != "secret" {
			t.Errorf("%s %q: parsed to another key (%v)", name, s, err)
		}
	}
}

func TestParseKeyRejects(t *testing.T) {
	const want = "the secrets key must be 32 bytes, as base64 (openssl rand -base64 32) or 64 hex digits"
	for name, s := range map[string]string{
		"16 bytes of base64": base64.StdEncoding.EncodeToString(make([]byte, 16)), // AES-128 is not what was asked
		"24 bytes of base64": base64.StdEncoding.EncodeToString(make([]byte, 24)),
		"31 bytes of base64": base64.StdEncoding.EncodeToString(make([]byte, 31)),
		"33 bytes of base64": base64.StdEncoding.EncodeToString(make([]byte, 33)),
		"31 bytes of hex":    hex.EncodeToString(make([]byte, 31)),
		"33 bytes of hex":    hex.EncodeToString(make([]byte, 33)),
		"not hex, 64 long":   strings.Repeat("g", 63) + "!",
		"garbage":            "not a key!",
		"empty":              "",
		"a passphrase":       "correct horse battery staple",
	} {
		k, err := ParseKey(s)
		if err == nil {
			t.Errorf("%s %q: accepted", name, s)
			continue
		}
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s %q: error %q does not say %q", name, s, err, want)
		}
		if !k.IsZero() {
			t.Errorf("%s %q: a Key came with the error", name, s)
		}
	}
	// The error says how long the key was, in the spelling given, so the
	// operator sees what went wrong.
	for s, says := range map[string]string{
		base64.StdEncoding.EncodeToString(make([]byte, 31)): "decodes to 31 bytes",
		hex.EncodeToString(make([]byte, 31)):                "is 62 hex digits",
	} {
		if _, err := ParseKey(s); err == nil || !strings.HasSuffix(err.Error(), says) {
			t.Errorf("ParseKey(%q) = %v, want an error ending %q", s, err, says)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	k := mustKey(t, hex.EncodeToString(testKeyBytes))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				got, err := k.Open(k.Seal([]byte("secret"), "c"), "c")
				if err != nil || string(got) != "secret" {
					t.Errorf("Open(Seal) = %q, %v", got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
