package ratelimit

import (
	"context"
	"sync"
	"time"
)

// Memory keeps the buckets in this process: right for one replica.
type Memory struct {
	policy Policy
	now    func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewMemory is an in-process limiter; now is the clock (time.Now when nil).
func NewMemory(p Policy, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{policy: p, now: now, buckets: map[string]*bucket{}}
}

func (m *Memory) Policy() Policy { return m.policy }

func (m *Memory) Take(_ context.Context, key string) (Decision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)
	b, ok := m.buckets[key]
	if !ok {
		b = &bucket{tokens: float64(m.policy.Quota), at: now}
		m.buckets[key] = b
	}
	tokens, d := decide(m.policy, b.tokens, now.Sub(b.at))
	b.tokens = tokens
	if now.After(b.at) {
		b.at = now
	}
	return d, nil
}

// sweep forgets buckets idle for a whole window (they would be full again,
// as a new bucket is), at most once a window, so memory stays bounded by
// the callers of the last window.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < m.policy.Window {
		return
	}
	m.lastSweep = now
	for k, b := range m.buckets {
		if now.Sub(b.at) >= m.policy.Window {
			delete(m.buckets, k)
		}
	}
}

// Len is the number of buckets held (for tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}
