package main

import (
	"io"
	"sync"
	"time"
)

// logBuffer gathers log lines into few writes: a write(2) per request's
// access line was 6% of the CPU of a cached GET. A line reaches the output
// within delay, at once when the buffer holds logBufferSize, and on Close
// (serve closes it when it returns; lines written after that, by requests
// still running past the shutdown timeout, go straight out). A crash of
// the process loses at most delay's worth of lines; a handler's panic is
// recovered and logged like any other line.
type logBuffer struct {
	out   io.Writer
	delay time.Duration

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds lines
	closed bool        // lines go straight out
}

const (
	logFlushDelay = 50 * time.Millisecond
	logBufferSize = 64 << 10
)

func newLogBuffer(out io.Writer, delay time.Duration) *logBuffer {
	return &logBuffer{out: out, delay: delay}
}

// Write takes one whole line (slog writes each record in one call).
func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	switch {
	case b.closed || len(b.buf) >= logBufferSize:
		b.flushLocked()
	case b.timer == nil:
		b.timer = time.AfterFunc(b.delay, b.Flush)
	}
	return len(p), nil
}

// Close writes what the buffer holds and every later line at once.
func (b *logBuffer) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.flushLocked()
}

// Flush writes what the buffer holds.
func (b *logBuffer) Flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
}

func (b *logBuffer) flushLocked() {
	if b.timer != nil {
		b.timer.Stop()
		b.timer = nil
	}
	if len(b.buf) > 0 {
		_, _ = b.out.Write(b.buf) // nowhere to report a failing log output
		b.buf = b.buf[:0]
	}
}
