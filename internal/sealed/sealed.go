// Package sealed encrypts, at rest, the secrets the server must read back
// (webhook signing secrets): unlike passwords or API keys, which are only
// compared and so can be hashed, these are needed in the clear to sign
// each message, so they are kept encrypted under a key the database does
// not hold.
package sealed

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of a key in bytes: AES-256.
const KeySize = 32

// version is the first byte of every sealed value, so that a later format
// (another cipher, a key identifier for rotation) can be told apart from
// this one.
const version byte = 1

const (
	nonceSize = 12 // the standard GCM nonce, the only size every implementation takes
	tagSize   = 16
	overhead  = 1 + nonceSize + tagSize
)

// ErrCannotOpen is the error Open wraps when a sealed value does not open:
// a wrong key, a wrong context, or a value that was changed. GCM does not
// say which, on purpose, so neither does this.
var ErrCannotOpen = errors.New("the sealed value cannot be opened (wrong key, wrong context, or corrupted data)")

// keyFormat is what ParseKey expects, said in full so that an operator who
// gets it wrong learns how to make a right one.
const keyFormat = "the secrets key must be 32 bytes, as base64 (openssl rand -base64 32) or 64 hex digits"

// Key is a secrets key. Its zero value is no key: IsZero says so, Seal
// panics and Open fails. A Key is safe for concurrent use.
type Key struct {
	aead cipher.AEAD
}

// ParseKey reads a key given as standard or URL-safe base64, with or
// without padding, or as 64 hex digits. Surrounding white space is
// ignored, because keys are often pasted or read from files ending with a
// newline.
func ParseKey(s string) (Key, error) {
	s = strings.TrimSpace(s)
	raw, err := decodeKey(s)
	if err != nil {
		return Key{}, err
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		// Unreachable with 32 bytes, but a key that cannot be used must
		// not be returned as if it could.
		return Key{}, fmt.Errorf("%s: %w", keyFormat, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %w", keyFormat, err)
	}
	return Key{aead: aead}, nil
}

// decodeKey returns the key's 32 bytes, or an error that says what is
// expected and, when the text decoded, how long it was (never the bytes
// themselves, which could be most of a real key).
func decodeKey(s string) ([]byte, error) {
	// 64 hex digits decode as base64 too (to 48 bytes), so hex is tried
	// first; no 32-byte base64 text is 64 characters long, so the order
	// cannot take a base64 key for a hex one.
	if len(s) == 2*KeySize {
		if raw, err := hex.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	decodedLen := -1
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		raw, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(raw) == KeySize {
			return raw, nil
		}
		decodedLen = len(raw)
	}
	// Hex is named first: hex digits are base64 characters as well, and
	// someone who typed hex digits meant hex.
	if _, err := hex.DecodeString(s); err == nil && s != "" {
		return nil, fmt.Errorf("%s; this one is %d hex digits", keyFormat, len(s))
	}
	if decodedLen > 0 {
		return nil, fmt.Errorf("%s; this one decodes to %d bytes", keyFormat, decodedLen)
	}
	return nil, errors.New(keyFormat)
}

// IsZero says whether k is the zero Key, that is no key at all.
func (k Key) IsZero() bool { return k.aead == nil }

// Seal encrypts plaintext with AES-256-GCM under a fresh random nonce. The
// context (for instance "webhook-endpoint:<id>") is authenticated but not
// stored: Open needs the same context, so a sealed value copied to another
// row or used for another purpose does not open. The result is the
// version byte, the nonce, then the ciphertext with its tag.
//
// Seal panics on the zero Key: sealing without a key is a programming
// error, and callers check IsZero to answer it properly first.
func (k Key) Seal(plaintext []byte, context string) []byte {
	if k.aead == nil {
		panic("sealed: Seal with the zero Key")
	}
	out := make([]byte, 1+nonceSize, overhead+len(plaintext))
	out[0] = version
	// crypto/rand.Read never fails (it crashes the program if the system
	// cannot give randomness), so there is no error to return.
	_, _ = rand.Read(out[1:])
	return k.aead.Seal(out, out[1:], plaintext, []byte(context))
}

// Open decrypts a value made by Seal with the same key and context. Any
// mismatch (another key, another context, a changed byte, a truncated
// value, an unknown version) is an error wrapping ErrCannotOpen.
func (k Key) Open(sealed []byte, context string) ([]byte, error) {
	if k.aead == nil {
		return nil, fmt.Errorf("%w: there is no key", ErrCannotOpen)
	}
	if len(sealed) < overhead {
		return nil, fmt.Errorf("%w: %d bytes is too short to be a sealed value", ErrCannotOpen, len(sealed))
	}
	if sealed[0] != version {
		return nil, fmt.Errorf("%w: unknown format version %d", ErrCannotOpen, sealed[0])
	}
	nonce, ciphertext := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	plaintext, err := k.aead.Open(nil, nonce, ciphertext, []byte(context))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCannotOpen, err)
	}
	return plaintext, nil
}
