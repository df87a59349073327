package hydra

import (
	"math/rand/v2"
	"testing"
	"time"
)

// appendUTC writes what AppendFormat writes with TimeLayout, for every
// year: those it writes itself (0–9999) and those it leaves to
// AppendFormat.
func TestAppendUTCIsTimeLayout(t *testing.T) {
	times := []time.Time{
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 30, 45, 0, time.UTC),
		time.Date(2024, 2, 29, 9, 5, 7, 123, time.UTC),
		time.Date(2026, 12, 5, 11, 0, 0, 0, time.UTC),
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		times = append(times, time.Unix(rng.Int64N(400*365*24*3600)-100*365*24*3600, rng.Int64N(1e9)).UTC())
	}
	for _, tm := range times {
		if got, want := string(appendUTC(nil, tm)), tm.Format(TimeLayout); got != want {
			t.Fatalf("appendUTC(%v) = %s, want %s", tm, got, want)
		}
	}
}
