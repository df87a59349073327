// Package webhooks sends webhook messages as the Standard Webhooks
// specification (https://www.standardwebhooks.com/) describes them, so
// that receivers can verify them with any of its libraries, and sends them
// safely: a webhook URL is chosen by an API client, so without care it
// would let that client make the server call its own internal network.
package webhooks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// secretPrefix marks a Standard Webhooks symmetric signing secret.
const secretPrefix = "whsec_"

// The specification asks for secrets of 24 to 64 random bytes: fewer would
// be guessable, more add nothing to HMAC-SHA256.
const (
	minSecretBytes = 24
	maxSecretBytes = 64
	newSecretBytes = 32
)

// errBadSecret says what a secret must be, for Sign's callers.
var errBadSecret = errors.New("the signing secret must be whsec_ followed by 24 to 64 bytes in standard base64")

// NewSecret returns a new signing secret: whsec_ and 32 random bytes in
// standard base64, the form the specification's libraries take.
func NewSecret() string {
	b := make([]byte, newSecretBytes)
	// crypto/rand.Read never fails (it crashes the program if the system
	// cannot give randomness), so there is no error to return.
	_, _ = rand.Read(b)
	return secretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ValidSecret says whether s is a signing secret Sign can use.
func ValidSecret(s string) bool {
	_, err := secretKey(s)
	return err == nil
}

// secretKey returns the HMAC key a secret stands for.
func secretKey(secret string) ([]byte, error) {
	encoded, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, errBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadSecret, err)
	}
	if len(key) < minSecretBytes || len(key) > maxSecretBytes {
		return nil, fmt.Errorf("%w: this one has %d bytes", errBadSecret, len(key))
	}
	return key, nil
}

// Sign returns the webhook-signature header value of a message: v1, a
// comma, and the base64 HMAC-SHA256, under the secret's key, of the
// message id, the timestamp in Unix seconds and the body, joined by dots.
// The id and the timestamp are signed with the body so that a receiver
// can refuse replays (the id) and stale messages (the timestamp) without
// trusting headers an attacker could change.
func Sign(secret, msgID string, ts time.Time, body []byte) (string, error) {
	key, err := secretKey(secret)
	if err != nil {
		return "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)), nil
}
