package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"entgo.io/ent/dialect"

	"github.com/orgraph/orgraph/store"
)

// baselineOrganization is the row the baseline writes: the organization's
// own columns, no links, no people.
type baselineOrganization struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	PhoneNumber *string         `json:"phone_number,omitempty"`
	Contact     json.RawMessage `json:"contact,omitempty"`
	Address     json.RawMessage `json:"address,omitempty"`
	Status      string          `json:"status"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// startBaseline serves GET /organizations/{id} on loopback from a bare
// net/http handler: one prepared SELECT through database/sql (the same
// driver, file and pool of readers as the server's), encoding/json out.
func startBaseline(ctx context.Context, dsn string) (url string, stop func(), err error) {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return "", nil, err
	}
	query := "SELECT id, name, phone_number, contact, address, status, created_at, updated_at FROM organizations WHERE id = ?"
	if db.Dialect == dialect.Postgres {
		query = strings.Replace(query, "?", "$1", 1)
	}
	stmt, err := db.Readers().PrepareContext(ctx, query)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /organizations/{id}", func(w http.ResponseWriter, r *http.Request) {
		var o baselineOrganization
		var contact, address []byte
		err := stmt.QueryRowContext(r.Context(), r.PathValue("id")).Scan(&o.ID, &o.Name, &o.PhoneNumber, &contact, &address, &o.Status, &o.CreatedAt, &o.UpdatedAt)
		if errors.Is(err, sql.ErrNoRows) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		o.Contact, o.Address = contact, address
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(o)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stmt.Close()
		db.Close()
		return "", nil, err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() {
		_ = srv.Close()
		stmt.Close()
		db.Close()
	}, nil
}
