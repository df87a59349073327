package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orgraph/orgraph/problems"
)

// Operations endpoints: public (no key), outside the API's documentation,
// for load balancers, orchestrators and Prometheus.

// healthz says the process is up; it touches nothing else.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeBody(w, r, http.StatusOK, "application/json", []byte(`{"status":"ok"}`))
	return nil
}

// readyz says whether the database answers, within a second.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.db.Readers().PingContext(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "request_id", requestID(r.Context()), "error", err.Error())
		return databaseUnavailable()
	}
	writeBody(w, r, http.StatusOK, "application/json", []byte(`{"status":"ready"}`))
	return nil
}

// databaseUnavailable is the 503 of any request that needs the database
// while it is out of reach; the pool reconnects by itself once it is back.
func databaseUnavailable() *problems.Problem {
	return problems.New(http.StatusServiceUnavailable, "The database is not reachable.").With("Retry-After", "1")
}

// metrics holds the server's Prometheus collectors, one registry per
// server so that several servers in one process (tests) do not collide.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "orgraph_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "orgraph_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by method and route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	m.registry.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// observe records one answer. Every label value comes from a set the
// server fixes, because each new value is a series kept until the process
// ends and sent on every scrape: the route is the matched pattern
// (/api/organizations/{id}), never the raw path, so that ids do not blow up
// the label set; the method is one net/http defines or OTHER, because any
// token is a valid method and no key is needed to send one; the status is
// one the server wrote.
func (m *metrics) observe(r *http.Request, route string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	method := methodLabel(r.Method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// methodLabel is the method as a label value: the methods of RFC 9110 and
// RFC 5789 that net/http names (case-sensitive, as methods are), anything
// else OTHER.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}

// routePattern is a mux middleware that tells the outer middleware which
// route matched.
func routePattern(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			if route := mux.CurrentRoute(r); route != nil {
				rec.route, _ = route.GetPathTemplate()
			}
		}
		next.ServeHTTP(w, r)
	})
}
