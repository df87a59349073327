package handlers

import (
	"net"
	"net/http"
	"strconv"

	"github.com/orgraph/orgraph/problems"
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
	policy := s.limiter.Policy()
	bucket, who := "address:"+clientAddress(r), "client address without an API key"
	if p, _ := r.Context().Value(principalKey).(*principal); p != nil {
		bucket, who = p.grant(), "API key"
		if p.Key == nil {
			who = "user of the OpenID Connect issuer's tokens"
		}
	}
	d, err := s.limiter.Take(r.Context(), bucket)
	h := w.Header()
	h.Set("RateLimit-Policy", policy.Header())
	if err != nil {
		s.log.WarnContext(r.Context(), "rate limit unavailable: request let through", "request_id", requestID(r.Context()), "error", err.Error())
		return nil
	}
	h.Set("RateLimit", d.Header(policy))
	if d.Allowed {
		return nil
	}
	retry := d.RetryAfterSeconds()
	return problems.Newf(http.StatusTooManyRequests,
		"Too many requests: the limit is %d requests per %d s for each %s. Retry in %d s.",
		policy.Quota, policy.WindowSeconds(), who, retry).With("Retry-After", strconv.FormatInt(retry, 10))
}

// limitAccepts charges an attempt to accept an invitation by token to the
// client address's bucket of the stricter accept limiter. Its headers
// replace the general limiter's: they describe the limit the client is
// nearest to.
func (s *Server) limitAccepts(w http.ResponseWriter, r *http.Request) error {
	policy := s.acceptLimiter.Policy()
	if !policy.Enabled() {
		return nil
	}
	d, err := s.acceptLimiter.Take(r.Context(), "accept:"+clientAddress(r))
	if err != nil {
		s.log.WarnContext(r.Context(), "accept rate limit unavailable: request let through", "request_id", requestID(r.Context()), "error", err.Error())
		return nil
	}
	h := w.Header()
	h.Set("RateLimit-Policy", policy.Header())
	h.Set("RateLimit", d.Header(policy))
	if d.Allowed {
		return nil
	}
	retry := d.RetryAfterSeconds()
	return problems.Newf(http.StatusTooManyRequests,
		"Too many attempts to accept an invitation by token: the limit is %d attempts per %d s for each client address. Retry in %d s.",
		policy.Quota, policy.WindowSeconds(), retry).With("Retry-After", strconv.FormatInt(retry, 10))
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
