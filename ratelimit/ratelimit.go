// Package ratelimit holds Orgraph's rate limiter: one token bucket per
// caller, kept in process or in Redis (shared by every replica), and the
// RateLimit-Policy / RateLimit header values of the IETF httpapi draft
// (draft-ietf-httpapi-ratelimit-headers-10).
package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"
)

// Policy is a token bucket: Quota requests at once, refilled continuously at
// Quota per Window. A zero Quota turns limiting off.
type Policy struct {
	// Name identifies the policy in the headers ("key", "address").
	Name   string
	Quota  int
	Window time.Duration
}

// Defaults: 600 requests a minute per API key, in bursts of up to 600
// (10 a second sustained).
const (
	DefaultName   = "default"
	DefaultQuota  = 600
	DefaultWindow = time.Minute
)

// Accepting an invitation by its token is limited apart, per client
// address and far more strictly: each attempt is a guess at a token. 20
// attempts at once, then 2 a minute.
const (
	AcceptName   = "accept"
	AcceptQuota  = 20
	AcceptWindow = 10 * time.Minute
)

// Enabled tells whether the policy limits anything.
func (p Policy) Enabled() bool { return p.Quota > 0 && p.Window > 0 }

// rate is tokens per second.
func (p Policy) rate() float64 { return float64(p.Quota) / p.Window.Seconds() }

// Header is the RateLimit-Policy value: "key";q=600;w=60.
func (p Policy) Header() string {
	return fmt.Sprintf("%s;q=%d;w=%d", p.quoted(), p.Quota, p.WindowSeconds())
}

// WindowSeconds is the window in whole seconds, as the headers state it.
func (p Policy) WindowSeconds() int64 { return seconds(p.Window) }

// Decision is the outcome of taking one token.
type Decision struct {
	Allowed bool
	// Remaining is the whole tokens left after this request.
	Remaining int
	// Reset is how long until the bucket is full again.
	Reset time.Duration
	// RetryAfter is how long until the next token, when refused.
	RetryAfter time.Duration
}

// Header is the RateLimit value: "key";r=599;t=1.
func (d Decision) Header(p Policy) string {
	return p.quoted() + ";r=" + strconv.Itoa(d.Remaining) + ";t=" + strconv.FormatInt(seconds(d.Reset), 10)
}

func (p Policy) quoted() string { return strconv.Quote(p.Name) }

// RetryAfterSeconds is the Retry-After value: whole seconds, at least 1.
func (d Decision) RetryAfterSeconds() int64 { return max(1, seconds(d.RetryAfter)) }

func seconds(d time.Duration) int64 { return int64(math.Ceil(d.Seconds())) }

// Limiter takes one token from a caller's bucket.
type Limiter interface {
	// Take charges one request to bucket. On an error the decision allows
	// the request: a limiter outage must not take the API down with it.
	Take(ctx context.Context, bucket string) (Decision, error)
	Policy() Policy
}

// decide is the bucket arithmetic both stores share: tokens after elapsed
// time, then one taken if there is one.
func decide(p Policy, tokens float64, elapsed time.Duration) (float64, Decision) {
	rate := p.rate()
	if elapsed > 0 {
		tokens = math.Min(float64(p.Quota), tokens+elapsed.Seconds()*rate)
	}
	var d Decision
	if tokens >= 1 {
		tokens--
		d.Allowed = true
	} else {
		d.RetryAfter = secondsDuration((1 - tokens) / rate)
	}
	d.Remaining = int(math.Floor(tokens))
	d.Reset = secondsDuration((float64(p.Quota) - tokens) / rate)
	return tokens, d
}

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
