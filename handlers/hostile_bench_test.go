package handlers_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The cost of hostile request bodies, as the security review measured it:
// 16 requests at once, each a 1 MiB body of half a million small numbers,
// with and without its own @context (the JSON-LD path and the plain path).
// The target: under 150 MB of extra RSS for the 16, and under 100 ms of CPU
// each. The bench reports both figures per case, beside valid creates in
// the same run: a small one (the baseline) and the largest kind the API
// takes (100 invitations), plain and in another JSON-LD spelling.
//
//	go test -run XXX -bench HostileBodies -benchtime 5x ./handlers/
func BenchmarkHostileBodies(b *testing.B) {
	junk := `"x":[` + strings.TrimSuffix(strings.Repeat(`[`+strings.TrimSuffix(strings.Repeat("1,", 1000), ",")+`],`, 520), ",") + `]`
	invitations := func(spelling string) string {
		list := make([]string, 100)
		for i := range list {
			list[i] = fmt.Sprintf(`{%q:"u%d@example.com","role":"viewer"}`, spelling, i)
		}
		return `"invitations":[` + strings.Join(list, ",") + `]`
	}
	// Under the value bound but 1 MiB all the same: a large context of long
	// IRIs, and a long unknown key (which the reader and the
	// extra-attributes detail must not make expensive).
	terms := make([]string, 2000)
	for i := range terms {
		terms[i] = fmt.Sprintf(`"t%d":"http://e.test/%s%d"`, i, strings.Repeat("x", 200), i)
	}
	longKey := strings.Repeat("k", 500_000)
	for _, c := range []struct{ name, body string }{
		{"baseline-valid-create", `{"name":"n","contact":{"email":"a@b.test"}}`},
		{"valid-100-invitations", `{"name":"n",` + invitations("email") + `}`},
		{"valid-100-invitations-linked-data", `{"@context":{"og":"VOCAB"},"og:Organization/name":"n",` + invitations("og:OrganizationInvitation/email") + `}`},
		{"hostile-plain", `{"name":"n",` + junk + `}`},
		{"hostile-linked-data", `{"@context":{"x":"http://e/x"},"name":"n",` + junk + `}`},
		{"hostile-long-key-plain", `{"name":"n","` + longKey + `":1,"` + longKey[:400_000] + `x":2}`},
		{"hostile-large-context", `{"@context":{` + strings.Join(terms, ",") + `},"name":"n","` + longKey[:500_000] + `":1}`},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnv(b, "sqlite:"+filepath.Join(b.TempDir(), "orgraph.db"))
			key := e.key("ada@example.com", "live", "write")
			body := strings.ReplaceAll(c.body, "VOCAB", e.srv.URL+"/api/docs.jsonld#")
			const concurrent = 16
			var peak atomic.Int64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			before := rss()
			go func() { // RSS sampled every millisecond while the requests run
				defer close(sampled)
				for {
					if r := rss(); r > peak.Load() {
						peak.Store(r)
					}
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}()
			cpu := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var wg sync.WaitGroup
				for j := 0; j < concurrent; j++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						hr, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/organizations", bytes.NewReader([]byte(body)))
						hr.Header.Set("Authorization", "Bearer "+key)
						hr.Header.Set("Content-Type", "application/ld+json")
						res, err := http.DefaultClient.Do(hr)
						if err != nil {
							b.Error(err)
							return
						}
						res.Body.Close()
						valid := strings.HasPrefix(c.name, "valid") || strings.HasPrefix(c.name, "baseline")
						if res.StatusCode >= 500 || valid && res.StatusCode != http.StatusCreated {
							b.Errorf("status %d", res.StatusCode)
						}
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			used := cpuTime() - cpu
			close(stop)
			<-sampled
			b.ReportMetric(float64(used.Microseconds())/1000/float64(b.N*concurrent), "cpu-ms/req")
			b.ReportMetric(float64(max(peak.Load()-before, 0))/(1<<20), "MB-peak-extra-rss")
		})
	}
}

// rss is the process's resident set size in bytes (Linux).
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
