package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout          = 10 * time.Second
	DefaultMaxResponseBytes = 64 << 10
	DefaultUserAgent        = "Orgraph-Webhooks/1"
)

// Options configure a Sender.
type Options struct {
	// AllowPrivate lets webhooks go to Forbidden addresses: for
	// development, tests, and deployments whose receivers are internal.
	AllowPrivate bool
	// Timeout bounds a whole attempt, from dialing to reading the answer
	// (DefaultTimeout when 0), so that a slow receiver cannot hold a
	// deliverer.
	Timeout time.Duration
	// MaxResponseBytes is how much of an answer's body is read
	// (DefaultMaxResponseBytes when 0): only the status matters, and a
	// receiver must not be able to make the server read without end.
	MaxResponseBytes int64
	// Resolver resolves host names, for CheckURL and for dialing; nil is
	// net.DefaultResolver.
	Resolver *net.Resolver
	// UserAgent is the User-Agent header (DefaultUserAgent when empty).
	UserAgent string
}

// Sender sends webhook messages. It is safe for concurrent use, and meant
// to be made once and kept, so that connections to receivers are reused.
type Sender struct {
	client         *http.Client
	resolver       *net.Resolver
	allowPrivate   bool
	timeout        time.Duration
	resolveTimeout time.Duration
	maxResponse    int64
	userAgent      string
}

// NewSender returns a Sender configured by opts.
func NewSender(opts Options) *Sender {
	s := &Sender{
		resolver:       opts.Resolver,
		allowPrivate:   opts.AllowPrivate,
		timeout:        opts.Timeout,
		resolveTimeout: resolveTimeout,
		maxResponse:    opts.MaxResponseBytes,
		userAgent:      opts.UserAgent,
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.maxResponse <= 0 {
		s.maxResponse = DefaultMaxResponseBytes
	}
	if s.userAgent == "" {
		s.userAgent = DefaultUserAgent
	}
	dialer := &net.Dialer{KeepAlive: 30 * time.Second, Resolver: opts.Resolver}
	if !opts.AllowPrivate {
		// The check is made on the address about to be connected to,
		// after resolution: checking the URL's host beforehand is not
		// enough, since its name can resolve elsewhere by the time the
		// message is sent.
		dialer.Control = refuseForbidden
	}
	transport := &http.Transport{
		// No proxy, whatever the environment says: the request must go
		// straight to the address the dialer checks, and a proxy would
		// reach, on our behalf, addresses we refuse.
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Without an Accept-Encoding of ours, the body is read as sent, so
		// MaxResponseBytes counts bytes on the wire.
		DisableCompression:     true,
		MaxResponseHeaderBytes: 64 << 10,
	}
	s.client = &http.Client{
		Transport: transport,
		// A redirect is an answer, not a success: following it would send
		// the message (and its signature) to a URL nobody checked.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

// refuseForbidden is the dialer's Control: it refuses a connection to a
// Forbidden address. It fails closed on an address it cannot read.
func refuseForbidden(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("refusing to connect to %q, which is not an address and port: %w", address, err)
	}
	if reason, forbidden := Forbidden(ap.Addr()); forbidden {
		return &ForbiddenAddressError{Addr: ap.Addr(), Reason: reason}
	}
	return nil
}

// Result is the outcome of one attempt to send a message.
type Result struct {
	// Status is the answer's HTTP status, 0 when there was no answer.
	Status int
	// Duration is the time from the start of the attempt to the end of
	// the answer (or the failure).
	Duration time.Duration
	// Err is why there was no answer; nil on any HTTP answer, a 500
	// included. Its message is a sentence, to be shown to users.
	Err error
	// Success says the receiver answered 2xx within the timeout.
	Success bool
}

// sendError is a failed attempt's error: a sentence for users, with the
// underlying error kept for errors.Is and errors.As.
type sendError struct {
	msg string
	err error
}

func (e *sendError) Error() string { return e.msg }
func (e *sendError) Unwrap() error { return e.err }

// Send posts one message (body, JSON) to endpointURL, signed with secret,
// and returns the outcome. It does not check the URL (CheckURL does, when
// it is set); it refuses, when it connects, Forbidden addresses unless
// AllowPrivate. Of the answer only the status is kept: at most
// MaxResponseBytes of its body are read, then dropped.
func (s *Sender) Send(ctx context.Context, endpointURL, secret, msgID string, body []byte) Result {
	start := time.Now()
	signature, err := Sign(secret, msgID, start, body)
	if err != nil {
		return Result{Err: &sendError{"The endpoint's signing secret is not valid: " + err.Error() + ".", err}}
	}
	attemptCtx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, endpointURL, bytes.NewReader(body))
	if err != nil {
		return Result{Err: &sendError{"The endpoint's URL cannot be used: " + err.Error() + ".", err}}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set("webhook-id", msgID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(start.Unix(), 10))
	req.Header.Set("webhook-signature", signature)

	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Duration: time.Since(start), Err: s.failure(ctx, err)}
	}
	// The body is read (up to the limit) so that a short one leaves the
	// connection reusable; an error reading it changes nothing, since the
	// status has come.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, s.maxResponse))
	_ = resp.Body.Close()
	return Result{
		Status:   resp.StatusCode,
		Duration: time.Since(start),
		Success:  resp.StatusCode >= 200 && resp.StatusCode <= 299,
	}
}

// failure describes why an attempt got no answer.
func (s *Sender) failure(ctx context.Context, err error) error {
	// The URL is the endpoint's own, known to whoever reads the message,
	// so url.Error's repetition of it is dropped.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var forbidden *ForbiddenAddressError
	switch {
	case errors.As(err, &forbidden):
		return forbidden
	case ctx.Err() != nil:
		return &sendError{"The attempt was stopped: " + ctx.Err().Error() + ".", err}
	case errors.Is(err, context.DeadlineExceeded):
		return &sendError{fmt.Sprintf("The endpoint did not answer within the %s timeout.", s.timeout), err}
	}
	return &sendError{"The request failed: " + err.Error() + ".", err}
}
