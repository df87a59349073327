package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orgraph/orgraph/internal/testenv"
)

// A request whose client went away mid-work fails with its context's
// error: that is logged as an abandoned request at info level, not as a
// server error; any other failure is still an error with its cause.
func TestFailLogsAbandonedRequestsAsInfo(t *testing.T) {
	logs := &testenv.Buffer{}
	s := New(Config{DB: migratedDB(t), Logger: slog.New(slog.NewJSONHandler(logs, nil))})

	gone, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/api/organizations", nil).WithContext(gone)
	s.fail(httptest.NewRecorder(), r, fmt.Errorf("list organizations: %w", context.Canceled))
	if line := logs.String(); !strings.Contains(line, `"level":"INFO"`) || !strings.Contains(line, "request abandoned") {
		t.Errorf("an abandoned request was logged as %s", line)
	}

	logs.Reset()
	r = httptest.NewRequest("GET", "/api/organizations", nil)
	s.fail(httptest.NewRecorder(), r, errors.New("disk on fire"))
	if line := logs.String(); !strings.Contains(line, `"level":"ERROR"`) || !strings.Contains(line, "disk on fire") {
		t.Errorf("a server error was logged as %s", line)
	}
}
