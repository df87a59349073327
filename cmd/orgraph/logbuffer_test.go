package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgraph/orgraph/internal/testenv"
)

func TestLogBufferHoldsLinesUntilAFlush(t *testing.T) {
	var out testenv.Buffer
	b := newLogBuffer(&out, time.Hour)
	b.Write([]byte("one\n"))
	b.Write([]byte("two\n"))
	if got := out.String(); got != "" {
		t.Fatalf("written before any flush: %q", got)
	}
	b.Flush()
	if got := out.String(); got != "one\ntwo\n" {
		t.Fatalf("after Flush: %q", got)
	}
	// A full buffer is written at once, whole lines in order.
	line := strings.Repeat("x", 1023) + "\n"
	for range logBufferSize / len(line) {
		b.Write([]byte(line))
	}
	if got := out.String(); len(got) != len("one\ntwo\n")+logBufferSize || !strings.HasSuffix(got, line) {
		t.Fatalf("a full buffer: %d bytes written, want %d", len(got), len("one\ntwo\n")+logBufferSize)
	}
	// Closed: what it holds goes out, and every later line at once.
	b.Write([]byte("held\n"))
	b.Close()
	b.Write([]byte("late\n"))
	if got := out.String(); !strings.HasSuffix(got, line+"held\nlate\n") {
		t.Fatalf("after Close: ends with %q", got[max(0, len(got)-40):])
	}
}

func TestLogBufferWritesWithinItsDelay(t *testing.T) {
	var out testenv.Buffer
	b := newLogBuffer(&out, 10*time.Millisecond)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				b.Write([]byte(strings.Repeat(string(rune('a'+i)), 20) + "\n"))
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "\n") < 800 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines written by the timer, want 800", len(lines))
	}
	for _, l := range lines { // never two writers' bytes in one line
		if len(l) != 20 || strings.Count(l, l[:1]) != 20 {
			t.Fatalf("a torn line: %q", l)
		}
	}
}
