package handlers

import (
	"net"
	"net/http"
	"strconv"

	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/ratelimit"
)

// limit charges the request to its caller's token bucket: the API key's,
// the user's for an OpenID Connect token (every token of one user is one
// bucket, or a fresh token would bring a fresh allowance), or the client
// address's when no valid key or token is presented. Every metered answer
// carries RateLimit-Policy and RateLimit; an empty bucket is a 429 with
// Retry-After. A limiter outage lets requests through (logged).
func (s *Server) limit(w http.ResponseWriter, r *http.Request) error {
	if s.limiter == nil || !s.limiter.Policy().Enabled() {
		return nil
	}
	bucket, who := "address:"+clientAddress(r), "client address without an API key"
	if p, _ := r.Context().Value(principalKey).(*principal); p != nil {
		bucket, who = p.grant(), "API key"
		if p.Key == nil {
			who = "user of the OpenID Connect issuer's tokens"
		}
	}
	return s.charge(w, r, s.limiter, bucket, "requests", "requests", who)
}

// limitAccepts charges an attempt to accept an invitation by token to the
// client address's bucket of the stricter accept limiter. Its headers
// replace the general limiter's: they describe the limit the client is
// nearest to.
func (s *Server) limitAccepts(w http.ResponseWriter, r *http.Request) error {
	if !s.acceptLimiter.Policy().Enabled() {
		return nil
	}
	return s.charge(w, r, s.acceptLimiter, "accept:"+clientAddress(r), "attempts to accept an invitation by token", "attempts", "client address")
}

// charge takes a token of bucket from l and sets the RateLimit headers; an
// empty bucket is a 429 with Retry-After that says what is limited (too
// many what, the limit in units for each who). A limiter outage lets the
// request through (logged).
func (s *Server) charge(w http.ResponseWriter, r *http.Request, l ratelimit.Limiter, bucket, what, units, who string) error {
	policy := l.Policy()
	d, err := l.Take(r.Context(), bucket)
	h := w.Header()
	h.Set("RateLimit-Policy", policy.Header())
	if err != nil {
		s.log.WarnContext(r.Context(), "rate limit unavailable: request let through", "request_id", requestID(r.Context()), "policy", policy.Name, "error", err.Error())
		return nil
	}
	h.Set("RateLimit", d.Header(policy))
	if d.Allowed {
		return nil
	}
	retry := d.RetryAfterSeconds()
	return problems.Newf(http.StatusTooManyRequests,
		"Too many %s: the limit is %d %s per %d s for each %s. Retry in %d s.",
		what, policy.Quota, units, policy.WindowSeconds(), who, retry).With("Retry-After", strconv.FormatInt(retry, 10))
}

// clientAddress is the peer's IP. Behind a load balancer every anonymous
// request shares the balancer's bucket; API keys are limited each on its own.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
