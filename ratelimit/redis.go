package ratelimit

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis keeps the buckets in Redis, so that every replica draws on the same
// ones. Each Take is one atomic script: read, refill, take, write.
type Redis struct {
	policy Policy
	client redis.UniversalClient
	prefix string
	now    func() time.Time
}

// NewRedis is a limiter on a Redis server; now is the clock (time.Now when
// nil). Replicas use their own clocks, so keep them in sync (NTP): a clock
// behind the others refills nothing until it catches up, never more.
func NewRedis(p Policy, client redis.UniversalClient, prefix string, now func() time.Time) *Redis {
	if now == nil {
		now = time.Now
	}
	return &Redis{policy: p, client: client, prefix: prefix, now: now}
}

// OpenRedis connects to a redis:// or rediss:// URL and checks it answers.
func OpenRedis(ctx context.Context, url string) (*redis.Client, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis url: %w", err)
	}
	// A limiter that waits is worse than none: fail fast, then fail open.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
	opts.MaxRetries = 1
	c := redis.NewClient(opts)
	if err := c.Ping(ctx).Err(); err != nil {
		c.Close()
		return nil, fmt.Errorf("redis %s: %w", opts.Addr, err)
	}
	return c, nil
}

func (r *Redis) Policy() Policy { return r.policy }

// take runs in Redis. Time is in microseconds from the caller's clock; the
// stored time never goes back, so a replica whose clock lags refills
// nothing. Tokens travel as strings: Lua numbers returned to Redis are
// truncated to integers. The key expires once the bucket would be full.
var take = redis.NewScript(`
local quota = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1])
local at = tonumber(stored[2])
if tokens == nil or at == nil then
  tokens = quota
  at = now
end
if now > at then
  tokens = math.min(quota, tokens + (now - at) * quota / window)
  at = now
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
return {allowed, tostring(tokens)}
`)

func (r *Redis) Take(ctx context.Context, key string) (Decision, error) {
	now := r.now().UnixMicro()
	res, err := take.Run(ctx, r.client, []string{r.prefix + key}, r.policy.Quota, r.policy.Window.Microseconds(), now).Slice()
	if err != nil {
		return Decision{Allowed: true}, fmt.Errorf("rate limit: %w", err)
	}
	if len(res) != 2 {
		return Decision{Allowed: true}, fmt.Errorf("rate limit: unexpected answer %v", res)
	}
	s, _ := res[1].(string)
	tokens, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Decision{Allowed: true}, fmt.Errorf("rate limit: tokens %q: %w", s, err)
	}
	allowed, _ := res[0].(int64)
	// The script has taken the token already; rebuild the decision from what
	// is left (decide with no elapsed time and one token given back).
	if allowed == 1 {
		tokens++
	}
	_, d := decide(r.policy, tokens, 0)
	return d, nil
}
