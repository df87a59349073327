package oidctoken

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// keySet is the issuer's key set: go-oidc's RemoteKeySet, which reads the
// set again when a token names a key it does not hold (the issuer rotated
// its keys: the new kid is fetched, and a key the issuer removed is gone
// with the old set). keySet adds two things: it replaces the RemoteKeySet
// every keySetMaxAge, so that a withdrawn key is dropped even if no token
// names a new one, and it tells the Verify that asked why a signature
// failed (go-oidc keeps only the text of the error).
type keySet struct {
	url    string
	client *http.Client // over keySetReads

	mu     sync.Mutex
	remote *oidc.RemoteKeySet
	made   time.Time
}

func (k *keySet) current() *oidc.RemoteKeySet {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.remote == nil || time.Since(k.made) > keySetMaxAge {
		k.remote = oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), k.client), k.url)
		k.made = time.Now()
	}
	return k.remote
}

// VerifySignature implements oidc.KeySet.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.current().VerifySignature(ctx, jwt)
	if err != nil {
		if failure, ok := ctx.Value(signatureFailure{}).(*error); ok {
			*failure = err
		}
		return nil, err
	}
	return payload, nil
}

// maxKeySetBytes bounds the key set read: real ones hold a few keys, a few
// KB.
const maxKeySetBytes = 1 << 20

// keySetReads carries the key set's requests. go-oidc reads the set again
// for every token whose key it does not hold, so that without a bound any
// client could make the server ask the issuer once per request, with
// tokens naming made-up keys. keySetReads asks the issuer at most once per
// keySetMinInterval and keeps the last set it read, which answers in
// between, and also while the issuer cannot be reached (the keys it
// published still verify the tokens it signed; a token naming a new key
// then waits for the issuer). A set rotated in is thus seen at most
// keySetMinInterval after the last read.
type keySetReads struct {
	base http.RoundTripper

	mu      sync.Mutex // held across a read: one at a time
	lastTry time.Time
	lastErr error
	kept    []byte // the last set read, nil before the first
}

func (t *keySetReads) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.lastTry.IsZero() && time.Since(t.lastTry) < keySetMinInterval {
		if t.kept != nil {
			return keptAnswer(req, t.kept), nil
		}
		return nil, t.lastErr
	}
	t.lastTry = time.Now()
	body, err := t.read(req)
	if err != nil {
		t.lastErr = fmt.Errorf("%w: the key set: %w", ErrIssuerUnreachable, err)
		if t.kept != nil {
			return keptAnswer(req, t.kept), nil
		}
		return nil, t.lastErr
	}
	t.kept, t.lastErr = body, nil
	return keptAnswer(req, body), nil
}

// read asks the issuer for the key set and checks that the answer is one.
func (t *keySetReads) read(req *http.Request) ([]byte, error) {
	res, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %s", req.URL.Redacted(), res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxKeySetBytes+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxKeySetBytes {
		return nil, fmt.Errorf("%s answered more than %d bytes", req.URL.Redacted(), maxKeySetBytes)
	}
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil || set.Keys == nil {
		return nil, errors.New(req.URL.Redacted() + " answered something other than a JSON Web Key Set")
	}
	return body, nil
}

func keptAnswer(req *http.Request, body []byte) *http.Response {
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
