package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/ratelimit"
)

var policy = ratelimit.Policy{Name: "default", Quota: 3, Window: 3 * time.Second} // 1 token a second

func TestPolicyHeader(t *testing.T) {
	if got, want := policy.Header(), `"default";q=3;w=3`; got != want {
		t.Errorf("RateLimit-Policy = %s, want %s", got, want)
	}
	p := ratelimit.Policy{Name: "default", Quota: 600, Window: 1500 * time.Millisecond}
	if got, want := p.Header(), `"default";q=600;w=2`; got != want {
		t.Errorf("RateLimit-Policy = %s, want %s (whole seconds, rounded up)", got, want)
	}
	if (ratelimit.Policy{Name: "x"}).Enabled() || !policy.Enabled() {
		t.Error("a zero quota must disable the policy, a positive one enable it")
	}
}

// bucketSteps is the token bucket's behaviour, step by step, for any store.
func bucketSteps(t *testing.T, l ratelimit.Limiter, c *testenv.Clock, key string) {
	t.Helper()
	ctx := context.Background()
	type step struct {
		advance    time.Duration
		allowed    bool
		header     string
		retryAfter int64
	}
	steps := []step{
		{0, true, `"default";r=2;t=1`, 0},
		{0, true, `"default";r=1;t=2`, 0},
		{0, true, `"default";r=0;t=3`, 0},
		{0, false, `"default";r=0;t=3`, 1},
		{500 * time.Millisecond, false, `"default";r=0;t=3`, 1}, // half a token: still refused, retry in 0.5 s → 1
		{500 * time.Millisecond, true, `"default";r=0;t=3`, 0},  // one whole token again
		{time.Hour, true, `"default";r=2;t=1`, 0},               // never more than the quota
	}
	for i, s := range steps {
		c.Advance(s.advance)
		d, err := l.Take(ctx, key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if d.Allowed != s.allowed || d.Header(l.Policy()) != s.header {
			t.Errorf("step %d: allowed %v, RateLimit %s; want %v, %s", i, d.Allowed, d.Header(l.Policy()), s.allowed, s.header)
		}
		if !s.allowed && d.RetryAfterSeconds() != s.retryAfter {
			t.Errorf("step %d: Retry-After %d, want %d", i, d.RetryAfterSeconds(), s.retryAfter)
		}
	}
	// Another bucket is untouched.
	if d, _ := l.Take(ctx, key+"-other"); !d.Allowed || d.Remaining != 2 {
		t.Errorf("another bucket: %+v, want a full one", d)
	}
}

func TestMemoryBucket(t *testing.T) {
	c := testenv.NewClock()
	bucketSteps(t, ratelimit.NewMemory(policy, c.Now), c, "key:a")
}

func TestMemoryForgetsIdleBuckets(t *testing.T) {
	c := testenv.NewClock()
	m := ratelimit.NewMemory(policy, c.Now)
	for _, k := range []string{"a", "b", "c"} {
		m.Take(context.Background(), k)
	}
	if m.Len() != 3 {
		t.Fatalf("%d buckets, want 3", m.Len())
	}
	c.Advance(policy.Window)
	m.Take(context.Background(), "d")
	if m.Len() != 1 {
		t.Errorf("%d buckets after a window of silence, want 1 (idle ones are full and forgotten)", m.Len())
	}
}

// A clock that goes back (another replica's, in Redis) refills nothing.
func TestMemoryClockBackwards(t *testing.T) {
	c := testenv.NewClock()
	m := ratelimit.NewMemory(policy, c.Now)
	for range 3 {
		m.Take(context.Background(), "k")
	}
	c.Advance(-time.Hour)
	if d, _ := m.Take(context.Background(), "k"); d.Allowed {
		t.Errorf("a clock going back refilled the bucket: %+v", d)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m := ratelimit.NewMemory(ratelimit.Policy{Name: "default", Quota: 50, Window: time.Hour}, nil)
	if n := concurrentTakes(t, 200, m); n != 50 {
		t.Errorf("%d of 200 concurrent requests allowed, want 50", n)
	}
}

func concurrentTakes(t *testing.T, n int, limiters ...ratelimit.Limiter) int64 {
	t.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := limiters[i%len(limiters)].Take(context.Background(), "shared")
			if err != nil {
				t.Error(err)
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	return allowed.Load()
}

// prefix keeps each test's keys apart in a shared Redis.
func prefix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "orgraph-test:" + hex.EncodeToString(b) + ":"
}

func TestRedisBucket(t *testing.T) {
	client, err := ratelimit.OpenRedis(context.Background(), redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c := testenv.NewClock()
	bucketSteps(t, ratelimit.NewRedis(policy, client, prefix(), c.Now), c, "key:a")
}

// Two replicas, one Redis: the quota is shared, never doubled.
func TestRedisSharedBetweenReplicas(t *testing.T) {
	url := redisURL(t)
	p := ratelimit.Policy{Name: "default", Quota: 50, Window: time.Hour}
	pre := prefix()
	var limiters []ratelimit.Limiter
	for range 2 {
		client, err := ratelimit.OpenRedis(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		limiters = append(limiters, ratelimit.NewRedis(p, client, pre, nil))
	}
	if n := concurrentTakes(t, 200, limiters...); n != 50 {
		t.Errorf("%d of 200 concurrent requests over two replicas allowed, want 50", n)
	}
}

func TestRedisKeysExpire(t *testing.T) {
	client, err := ratelimit.OpenRedis(context.Background(), redisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	pre := prefix()
	l := ratelimit.NewRedis(policy, client, pre, nil)
	if _, err := l.Take(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
	ttl, err := client.PTTL(context.Background(), pre+"k").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ttl <= 0 || ttl > policy.Window {
		t.Errorf("bucket key TTL %v, want within (0, %v]: an idle bucket must not stay in Redis", ttl, policy.Window)
	}
}

func TestOpenRedisRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:1"} {
		if c, err := ratelimit.OpenRedis(context.Background(), u); err == nil {
			c.Close()
			t.Errorf("OpenRedis(%q) succeeded", u)
		}
	}
}

func redisURL(t *testing.T) string { return testenv.RedisURL(t) }
