package handlers_test

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// metricsRequestLine is one orgraph_http_requests_total series of a scrape
// (the text format writes labels in name order).
var metricsRequestLine = regexp.MustCompile(`^orgraph_http_requests_total\{method="([^"]*)",route="([^"]*)",status="([^"]*)"\} ([0-9.e+]+)$`)

// metricsMethodLabels are the method label values /metrics may hold: the
// methods net/http defines, and OTHER for any other token.
var metricsMethodLabels = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true, http.MethodPatch: true,
	http.MethodDelete: true, http.MethodConnect: true, http.MethodOptions: true, http.MethodTrace: true, "OTHER": true,
}

// Any token is a valid HTTP method, and no key is needed to send one: a
// client must not be able to add series to /metrics (or bytes to each
// scrape) by inventing methods. Invented methods are counted under OTHER.
func TestMetricsMethodLabelsAreBounded(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.key("ada@example.com", "live", "write")
		scrape := func() string {
			t.Helper()
			r := e.do(req{Path: "/metrics"})
			if r.Status != http.StatusOK {
				t.Fatalf("GET /metrics: %d", r.Status)
			}
			return string(r.Body)
		}
		before := scrape()

		// Unmetered and public (/healthz), behind a key (/api/organizations)
		// and on no route at all: 405, 405 and 404.
		targets := []struct{ path, key, route string }{
			{"/healthz", "", "/healthz"}, {"/api/organizations", key, "/api/organizations"}, {"/nowhere", "", "unmatched"},
		}
		invented := map[string]int{} // OTHER answers expected per route
		send := func(method string, i int) {
			t.Helper()
			target := targets[i%len(targets)]
			if r := e.do(req{Method: method, Path: target.path, Key: target.key}); r.Status != http.StatusMethodNotAllowed && r.Status != http.StatusNotFound {
				t.Fatalf("%.40s %s: %d", method, target.path, r.Status)
			}
			invented[target.route]++
		}
		for i := range 200 {
			method := fmt.Sprintf("INVENTED-%03d", i)
			if i%20 == 0 {
				method = strings.Repeat("X", 30<<10) + strconv.Itoa(i)
			}
			send(method, i)
		}
		send("get", 0) // methods are case-sensitive: not GET
		// Methods net/http knows keep their own label value.
		for _, m := range []string{http.MethodPut, http.MethodTrace} {
			if r := e.do(req{Method: m, Path: "/healthz"}); r.Status != http.StatusMethodNotAllowed {
				t.Fatalf("%s /healthz: %d", m, r.Status)
			}
		}
		after := scrape()

		if grown := len(after) - len(before); grown > 32<<10 {
			t.Errorf("a scrape grew by %d bytes after %d requests with invented methods", grown, 201)
		}
		other := map[string]int{}
		unknown := map[string]bool{}
		series := 0
		for _, line := range strings.Split(after, "\n") {
			if !strings.HasPrefix(line, "orgraph_http_") {
				continue
			}
			series++
			for _, m := range regexp.MustCompile(`method="([^"]*)"`).FindAllStringSubmatch(line, -1) {
				if !metricsMethodLabels[m[1]] {
					unknown[m[1]] = true
				}
			}
			if m := metricsRequestLine.FindStringSubmatch(line); m != nil && m[1] == "OTHER" {
				n, _ := strconv.ParseFloat(m[4], 64)
				other[m[2]+" "+m[3]] += int(n)
			}
		}
		if len(unknown) > 0 {
			t.Errorf("/metrics has %d method label values beyond the known methods and OTHER", len(unknown))
		}
		want := map[string]int{
			"/healthz 405":           invented["/healthz"],
			"/api/organizations 405": invented["/api/organizations"],
			"unmatched 404":          invented["unmatched"],
		}
		if fmt.Sprint(other) != fmt.Sprint(want) {
			t.Errorf("OTHER requests by route and status: %v, want %v", other, want)
		}
		// One method on one route with one status is 16 lines: a request
		// counter and a histogram (12 buckets, +Inf, sum, count). New since
		// the first scrape: OTHER on three routes, PUT, TRACE, and the GET
		// of /metrics itself.
		if grown := series - strings.Count(before, "\norgraph_http_"); grown > (3+1+1+1)*16 {
			t.Errorf("%d new orgraph_http_ lines after invented methods", grown)
		}
		for _, line := range []string{
			`orgraph_http_requests_total{method="PUT",route="/healthz",status="405"} 1`,
			`orgraph_http_requests_total{method="TRACE",route="/healthz",status="405"} 1`,
		} {
			if !strings.Contains(after, line+"\n") {
				t.Errorf("/metrics lacks %s", line)
			}
		}
	})
}
