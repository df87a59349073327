package webhooks

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

const testBody = `{"type":"organization.updated","data":{"id":"o1"}}`

// receiver starts an HTTP server on loopback that counts its requests.
func receiver(t *testing.T, handler http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func status(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) }
}

func TestNewSecret(t *testing.T) {
	a, b := NewSecret(), NewSecret()
	if a == b {
		t.Fatal("two secrets are the same")
	}
	encoded, ok := strings.CutPrefix(a, "whsec_")
	if !ok {
		t.Fatalf("secret %q lacks the whsec_ prefix", a)
	}
	key, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(key) != 32 {
		t.Fatalf("secret %q: %d bytes, %v; want 32 bytes of standard base64", a, len(key), err)
	}
	if !ValidSecret(a) {
		t.Errorf("ValidSecret(NewSecret()) is false")
	}
	// The specification's own library takes it.
	if _, err := standardwebhooks.NewWebhook(a); err != nil {
		t.Errorf("the Standard Webhooks library refuses the secret: %v", err)
	}
}

func TestValidSecret(t *testing.T) {
	b64 := func(n int) string { return base64.StdEncoding.EncodeToString(make([]byte, n)) }
	for s, want := range map[string]bool{
		"whsec_" + b64(24): true,
		"whsec_" + b64(32): true,
		"whsec_" + b64(64): true,
		"whsec_" + b64(23): false, // too short to be safe
		"whsec_" + b64(65): false,
		b64(32):            false, // no prefix
		"whsec_" + strings.TrimRight(b64(32), "="):                                       false, // the libraries want padding
		"whsec_" + base64.URLEncoding.EncodeToString([]byte(strings.Repeat("\xff", 32))): false,
		"whsec_": false,
		"":       false,
	} {
		if got := ValidSecret(s); got != want {
			t.Errorf("ValidSecret(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSignMatchesTheSpecificationLibrary(t *testing.T) {
	secret := NewSecret()
	ts := time.Unix(1700000000, 999)
	got, err := Sign(secret, "msg_1", ts, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wh.Sign("msg_1", ts, []byte(testBody))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Sign = %q, the library signs %q", got, want)
	}
	if _, err := Sign("not a secret", "msg_1", ts, nil); err == nil {
		t.Error("Sign with an invalid secret did not fail")
	}
}

// verifyingReceiver answers 204 to a message the specification's library
// verifies with secret, 401 otherwise, and checks the other headers.
func verifyingReceiver(t *testing.T, secret, userAgent string) (*httptest.Server, *atomic.Int32) {
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return receiver(t, func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading the message: %v", err)
		}
		if string(body) != testBody {
			t.Errorf("body %q, want %q", body, testBody)
		}
		if r.Method != http.MethodPost {
			t.Errorf("method %s, want POST", r.Method)
		}
		for name, want := range map[string]string{
			"Content-Type": "application/json",
			"User-Agent":   userAgent,
			"webhook-id":   "msg_2Yk",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("header %s: %q, want %q", name, got, want)
			}
		}
		sent, err := strconv.ParseInt(r.Header.Get("webhook-timestamp"), 10, 64)
		if err != nil || time.Since(time.Unix(sent, 0)).Abs() > time.Minute {
			t.Errorf("webhook-timestamp %q is not now", r.Header.Get("webhook-timestamp"))
		}
		// Verify checks the timestamp's tolerance as well as the
		// signature, as a real receiver would.
		if err := wh.Verify(body, r.Header); err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func TestSendIsVerifiedByTheSpecificationLibrary(t *testing.T) {
	secret := NewSecret()
	srv, hits := verifyingReceiver(t, secret, DefaultUserAgent)
	s := NewSender(Options{AllowPrivate: true})
	res := s.Send(t.Context(), srv.URL+"/hook", secret, "msg_2Yk", []byte(testBody))
	if res.Err != nil || res.Status != http.StatusNoContent || !res.Success {
		t.Fatalf("Send = %+v, want a 204 success", res)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration %v", res.Duration)
	}
	if hits.Load() != 1 {
		t.Errorf("the receiver got %d requests, want 1", hits.Load())
	}

	// The same receiver refuses a message signed with another secret, so
	// the verification above is not vacuous.
	res = s.Send(t.Context(), srv.URL+"/hook", NewSecret(), "msg_2Yk", []byte(testBody))
	if res.Status != http.StatusUnauthorized || res.Success {
		t.Errorf("with another secret: Send = %+v, want a 401 failure", res)
	}
}

func TestSendUserAgent(t *testing.T) {
	secret := NewSecret()
	srv, _ := verifyingReceiver(t, secret, "Test/2")
	res := NewSender(Options{AllowPrivate: true, UserAgent: "Test/2"}).Send(t.Context(), srv.URL, secret, "msg_2Yk", []byte(testBody))
	if !res.Success {
		t.Fatalf("Send = %+v", res)
	}
}

func TestSendInvalidSecret(t *testing.T) {
	srv, hits := receiver(t, status(http.StatusNoContent))
	res := NewSender(Options{AllowPrivate: true}).Send(t.Context(), srv.URL, "whsec_short", "m", nil)
	if res.Err == nil || res.Success || hits.Load() != 0 {
		t.Fatalf("Send with an invalid secret = %+v, %d requests; want an error and none", res, hits.Load())
	}
}

func TestSendStatuses(t *testing.T) {
	s := NewSender(Options{AllowPrivate: true})
	for code, success := range map[int]bool{
		http.StatusOK:                  true,
		http.StatusAccepted:            true,
		http.StatusNoContent:           true,
		http.StatusNotModified:         false,
		http.StatusBadRequest:          false,
		http.StatusGone:                false,
		http.StatusInternalServerError: false,
		http.StatusServiceUnavailable:  false,
	} {
		srv, _ := receiver(t, status(code))
		res := s.Send(t.Context(), srv.URL, NewSecret(), "m", []byte(testBody))
		if res.Status != code || res.Success != success || res.Err != nil {
			t.Errorf("answer %d: Send = %+v, want Status %d, Success %v, no error", code, res, code, success)
		}
	}
}

func TestSendDoesNotFollowRedirects(t *testing.T) {
	target, targetHits := receiver(t, status(http.StatusNoContent))
	s := NewSender(Options{AllowPrivate: true})
	for _, code := range []int{301, 302, 303, 307, 308} {
		srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", code)
		})
		res := s.Send(t.Context(), srv.URL, NewSecret(), "m", []byte(testBody))
		if res.Status != code || res.Success || res.Err != nil {
			t.Errorf("redirect %d: Send = %+v, want Status %d, no success, no error", code, res, code)
		}
	}
	if n := targetHits.Load(); n != 0 {
		t.Errorf("the redirect target got %d requests, want none", n)
	}
}

func TestSendTimeout(t *testing.T) {
	srv, _ := receiver(t, func(w http.ResponseWriter, r *http.Request) {
		// Once the body is read the server watches the connection, so the
		// request's context ends when the sender gives up.
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		w.WriteHeader(http.StatusNoContent)
	})
	const timeout = 300 * time.Millisecond
	res := NewSender(Options{AllowPrivate: true, Timeout: timeout}).Send(t.Context(), srv.URL, NewSecret(), "m", []byte(testBody))
	if res.Success || res.Status != 0 || res.Err == nil {
		t.Fatalf("Send to a slow receiver = %+v, want an error", res)
	}
	if want := "The endpoint did not answer within the 300ms timeout."; res.Err.Error() != want {
		t.Errorf("Err = %q, want %q", res.Err, want)
	}
	if !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Errorf("Err %v does not wrap context.DeadlineExceeded", res.Err)
	}
	if res.Duration < timeout || res.Duration > 5*time.Second {
		t.Errorf("Duration %v for a %v timeout", res.Duration, timeout)
	}
}

// countingBody counts what is read of a response body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

type countingTransport struct {
	base http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	if resp != nil {
		resp.Body = countingBody{resp.Body, c.n}
	}
	return resp, err
}

func TestSendReadsAtMostMaxResponseBytes(t *testing.T) {
	// The receiver sends without end: only a bounded read lets Send
	// return before its timeout.
	srv, _ := receiver(t, func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		chunk := []byte(strings.Repeat("x", 32<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	const limit = 1000
	const timeout = 5 * time.Second
	s := NewSender(Options{AllowPrivate: true, MaxResponseBytes: limit, Timeout: timeout})
	var read atomic.Int64
	s.client.Transport = countingTransport{s.client.Transport, &read}
	res := s.Send(t.Context(), srv.URL, NewSecret(), "m", []byte(testBody))
	if !res.Success || res.Err != nil {
		t.Fatalf("Send = %+v, want a success", res)
	}
	if res.Duration > timeout/2 {
		t.Errorf("Send took %v: it read on until the timeout", res.Duration)
	}
	if n := read.Load(); n > limit {
		t.Errorf("%d bytes of the answer were read, want at most %d", n, limit)
	}
}

func TestDefaults(t *testing.T) {
	s := NewSender(Options{})
	if s.timeout != DefaultTimeout || s.maxResponse != DefaultMaxResponseBytes || s.userAgent != DefaultUserAgent || s.resolver != net.DefaultResolver {
		t.Errorf("NewSender(Options{}) = %+v", s)
	}
}

// publicDNS resolves names of the .test domain for the tests below:
// public.test to documentation addresses (which Forbidden allows),
// mixed.test to a public and a private address, receiver.test to
// loopback, and nothing else.
func publicDNS(t *testing.T) *fakeDNS {
	return newFakeDNS(t, func(name string, _ uint16) []netip.Addr {
		switch name {
		case "public.test":
			return []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("2001:db8::7")}
		case "mixed.test":
			return []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.0.0.1")}
		case "receiver.test":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		return nil
	})
}

func TestCheckURLRefuses(t *testing.T) {
	s := NewSender(Options{Resolver: publicDNS(t).resolver()})
	const public = ": webhooks are sent to public addresses only."
	for raw, want := range map[string]string{
		"http://127.0.0.1:8080/hook":                       "The URL's host 127.0.0.1 is a loopback address" + public,
		"http://[::1]/":                                    "The URL's host ::1 is a loopback address" + public,
		"http://[::ffff:127.0.0.1]/":                       "The URL's host ::ffff:127.0.0.1 is a loopback address" + public,
		"http://10.1.2.3/":                                 "The URL's host 10.1.2.3 is a private address" + public,
		"http://169.254.169.254/latest/meta-data":          "The URL's host 169.254.169.254 is a link-local address" + public,
		"http://[fe80::1%25eth0]/":                         "The URL's host fe80::1%eth0 is a link-local address" + public,
		"http://0.0.0.0:80/":                               "The URL's host 0.0.0.0 is an unspecified address" + public,
		"http://100.64.1.1/":                               "The URL's host 100.64.1.1 is a shared (carrier-grade NAT) address (100.64.0.0/10)" + public,
		"https://mixed.test/hook":                          "The URL's host resolves to 10.0.0.1, a private address" + public,
		"https://nope.invalid/":                            `The URL's host "nope.invalid" does not resolve.`,
		"ftp://x/":                                         `The URL must use http or https, "ftp" given.`,
		"mailto:someone@example.com":                       `The URL must use http or https, "mailto" given.`,
		"http://user:pw@example.com/":                      "The URL must not contain a user name or password.",
		"http://user@example.com/":                         "The URL must not contain a user name or password.",
		"https://example.com/hook#part":                    "The URL must not have a fragment (a part after #): it is never sent.",
		"https://example.com/hook#":                        "The URL must not have a fragment (a part after #): it is never sent.",
		"/relative/hook":                                   "The URL must be absolute, starting with https:// or http://.",
		"example.com/hook":                                 "The URL must be absolute, starting with https:// or http://.",
		"http:///hook":                                     "The URL must have a host, as in https://example.com/webhook.",
		"http://:8080/hook":                                "The URL must have a host, as in https://example.com/webhook.",
		"http:example.com":                                 "The URL must have a host, as in https://example.com/webhook.",
		"https://example.com:0/":                           `The URL's port must be between 1 and 65535, "0" given.`,
		"https://example.com:65536/":                       `The URL's port must be between 1 and 65535, "65536" given.`,
		"https://exa mple.com/":                            `The URL is not valid: invalid character " " in host name.`,
		"":                                                 "The URL is empty.",
		"https://public.test/" + strings.Repeat("a", 2048): "The URL must be at most 2048 characters long, 2068 given.",
	} {
		err := s.CheckURL(t.Context(), raw)
		var bad *URLError
		if !errors.As(err, &bad) {
			t.Errorf("CheckURL(%q) = %v, want a *URLError", raw, err)
			continue
		}
		if bad.Reason != want {
			t.Errorf("CheckURL(%q):\n got %s\nwant %s", raw, bad.Reason, want)
		}
	}
}

func TestCheckURLRefusesLocalhost(t *testing.T) {
	// localhost is resolved by the system (the hosts file), to 127.0.0.1
	// or ::1 whichever comes first.
	err := NewSender(Options{}).CheckURL(t.Context(), "http://localhost/")
	var bad *URLError
	if !errors.As(err, &bad) || !strings.HasPrefix(bad.Reason, "The URL's host resolves to ") || !strings.Contains(bad.Reason, ", a loopback address: ") {
		t.Fatalf("CheckURL(http://localhost/) = %v, want a loopback refusal", err)
	}
}

func TestCheckURLAccepts(t *testing.T) {
	s := NewSender(Options{Resolver: publicDNS(t).resolver()})
	for _, raw := range []string{
		"https://public.test/hook",
		"http://public.test:8080/hook?x=1",
		"https://PUBLIC.test./hook",
		"http://8.8.8.8/",
		"https://[2606:4700:4700::1111]:8443/x",
		"https://public.test/" + strings.Repeat("a", 2048-len("https://public.test/")),
	} {
		if err := s.CheckURL(t.Context(), raw); err != nil {
			t.Errorf("CheckURL(%q) = %v", raw, err)
		}
	}
}

func TestCheckURLAllowPrivate(t *testing.T) {
	s := NewSender(Options{AllowPrivate: true, Resolver: publicDNS(t).resolver()})
	for _, raw := range []string{"http://127.0.0.1:1/", "http://[::1]/", "http://10.0.0.1/", "https://mixed.test/", "https://receiver.test/"} {
		if err := s.CheckURL(t.Context(), raw); err != nil {
			t.Errorf("CheckURL(%q) with AllowPrivate = %v", raw, err)
		}
	}
	// The other rules still hold.
	for _, raw := range []string{"ftp://x/", "http://u:p@10.0.0.1/", "https://nope.invalid/"} {
		var bad *URLError
		if err := s.CheckURL(t.Context(), raw); !errors.As(err, &bad) {
			t.Errorf("CheckURL(%q) with AllowPrivate = %v, want a *URLError", raw, err)
		}
	}
}

func TestCheckURLResolutionIsBounded(t *testing.T) {
	// A DNS server that never answers.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	s := NewSender(Options{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "udp", silent.LocalAddr().String())
		},
	}})
	s.resolveTimeout = 200 * time.Millisecond
	start := time.Now()
	err = s.CheckURL(t.Context(), "https://slow.test/")
	var bad *URLError
	if !errors.As(err, &bad) || bad.Reason != `The URL's host "slow.test" did not resolve within 200ms.` {
		t.Errorf("CheckURL = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("CheckURL took %v", d)
	}

	// A context that ends is the caller's business, not the URL's.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.CheckURL(ctx, "https://slow.test/"); !errors.Is(err, context.Canceled) || errors.As(err, &bad) {
		t.Errorf("CheckURL with a canceled context = %v, want context.Canceled and no *URLError", err)
	}
}

func TestSendRefusesForbiddenAddressWhenDialing(t *testing.T) {
	// No CheckURL first: the refusal is the dialer's.
	srv, hits := receiver(t, status(http.StatusNoContent))
	res := NewSender(Options{}).Send(t.Context(), srv.URL, NewSecret(), "m", []byte(testBody))
	var forbidden *ForbiddenAddressError
	if !errors.As(res.Err, &forbidden) || res.Success || res.Status != 0 {
		t.Fatalf("Send to %s = %+v, want a *ForbiddenAddressError", srv.URL, res)
	}
	if want := "The endpoint's address 127.0.0.1 is forbidden: it is a loopback address, and webhooks are sent to public addresses only."; res.Err.Error() != want {
		t.Errorf("Err = %q, want %q", res.Err, want)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver got %d requests, want none", hits.Load())
	}
}

func TestSendRefusesRebinding(t *testing.T) {
	// rebind.test resolves to a public address the first time, when the
	// URL is checked, and to loopback afterwards, when the message is
	// sent.
	var asked atomic.Int32
	dns := newFakeDNS(t, func(name string, qtype uint16) []netip.Addr {
		if name != "rebind.test" {
			return nil
		}
		if qtype != typeA {
			return []netip.Addr{}
		}
		if asked.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("203.0.113.7")}
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	})
	srv, hits := receiver(t, status(http.StatusNoContent))
	u := "http://rebind.test:" + srv.Listener.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):] + "/"
	s := NewSender(Options{Resolver: dns.resolver()})
	if err := s.CheckURL(t.Context(), u); err != nil {
		t.Fatalf("CheckURL(%q) = %v, want it accepted while the name is public", u, err)
	}
	res := s.Send(t.Context(), u, NewSecret(), "m", []byte(testBody))
	var forbidden *ForbiddenAddressError
	if !errors.As(res.Err, &forbidden) || forbidden.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("Send after rebinding = %+v, want a *ForbiddenAddressError for 127.0.0.1", res)
	}
	if hits.Load() != 0 {
		t.Errorf("the receiver got %d requests, want none", hits.Load())
	}
}

func TestSendIgnoresProxyEnvironment(t *testing.T) {
	// net/http reads the proxy variables once per process, at their first
	// use, so the test runs in a process of its own where nothing has read
	// them before they are set.
	if os.Getenv("WEBHOOKS_TEST_PROXY_CHILD") == "" {
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSendIgnoresProxyEnvironment$", "-test.count=1")
		cmd.Env = append(os.Environ(), "WEBHOOKS_TEST_PROXY_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the test's own process failed: %v\n%s", err, out)
		}
		return
	}
	proxy, proxyHits := receiver(t, status(http.StatusNoContent))
	for _, name := range []string{"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"} {
		t.Setenv(name, proxy.URL)
	}
	for _, name := range []string{"NO_PROXY", "no_proxy"} {
		t.Setenv(name, "")
	}
	srv, hits := receiver(t, status(http.StatusNoContent))
	// A name, not 127.0.0.1: Go never proxies requests to loopback
	// addresses, so with one the test would pass even with a proxy.
	u := "http://receiver.test:" + strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port) + "/"
	res := NewSender(Options{AllowPrivate: true, Resolver: publicDNS(t).resolver()}).Send(t.Context(), u, NewSecret(), "m", []byte(testBody))
	if !res.Success || hits.Load() != 1 || proxyHits.Load() != 0 {
		t.Fatalf("Send = %+v; receiver %d requests, proxy %d; want 1 and 0", res, hits.Load(), proxyHits.Load())
	}
}

func TestForbidden(t *testing.T) {
	const (
		loopback  = "a loopback address"
		private   = "a private address"
		linkLocal = "a link-local address"
		multicast = "a multicast address"
		shared    = "a shared (carrier-grade NAT) address (100.64.0.0/10)"
		unspec    = "an unspecified address"
		thisNet   = `a "this network" address (0.0.0.0/8)`
	)
	for addr, want := range map[string]string{
		"127.0.0.1":              loopback,
		"127.255.255.254":        loopback,
		"::1":                    loopback,
		"::ffff:127.0.0.1":       loopback,
		"64:ff9b::7f00:1":        loopback, // NAT64 for 127.0.0.1
		"10.0.0.1":               private,
		"172.16.0.1":             private,
		"172.31.255.255":         private,
		"192.168.1.1":            private,
		"fc00::1":                private,
		"fd12:3456::1":           private,
		"::ffff:10.1.2.3":        private,
		"64:ff9b::a00:1":         private, // NAT64 for 10.0.0.1
		"169.254.169.254":        linkLocal,
		"::ffff:169.254.169.254": linkLocal,
		"fe80::1":                linkLocal,
		"fe80::1%eth0":           linkLocal,
		"0.0.0.0":                unspec,
		"::":                     unspec,
		"::ffff:0.0.0.0":         unspec,
		"0.1.2.3":                thisNet,
		"224.0.0.1":              multicast,
		"239.255.255.250":        multicast,
		"ff02::1":                multicast,
		"ff05::2":                multicast,
		"255.255.255.255":        "a broadcast address",
		"100.64.1.1":             shared,
		"100.127.255.255":        shared,
		"::ffff:100.64.0.1":      shared,
		"8.8.8.8":                "",
		"1.1.1.1":                "",
		"::ffff:8.8.8.8":         "",
		"64:ff9b::808:808":       "", // NAT64 for 8.8.8.8
		"2001:4860:4860::8888":   "",
		"100.63.255.255":         "",
		"100.128.0.0":            "",
		"172.32.0.1":             "",
		"192.169.0.1":            "",
		"11.0.0.1":               "",
		"1.0.0.0":                "",
		"203.0.113.7":            "",
	} {
		reason, forbidden := Forbidden(netip.MustParseAddr(addr))
		if reason != want || forbidden != (want != "") {
			t.Errorf("Forbidden(%s) = %q, %v; want %q, %v", addr, reason, forbidden, want, want != "")
		}
	}
	if reason, forbidden := Forbidden(netip.Addr{}); !forbidden || reason != "an invalid address" {
		t.Errorf("Forbidden of the zero Addr = %q, %v", reason, forbidden)
	}
}
