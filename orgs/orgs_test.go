package orgs_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/ent/webhookdelivery"
	"github.com/orgraph/orgraph/internal/testenv"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// backends runs a test on a fresh SQLite file and, when configured, on a
// fresh PostgreSQL schema, each opened as the server opens them and with
// the change log's lock check on.
func backends(t *testing.T, test func(t *testing.T, db *store.DB)) {
	backendsWith(t, store.Options{}, test)
}

// backendsWith is backends with more options (CheckChanges is always on).
func backendsWith(t *testing.T, opt store.Options, test func(t *testing.T, db *store.DB)) {
	dsns := map[string]func(t *testing.T) string{
		"sqlite":   func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "orgs.db") },
		"postgres": func(t *testing.T) string { return testenv.PostgresDSN(t, "orgraph_orgs") },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			opt.CheckChanges = true
			db, err := store.OpenWith(ctx, dsns[name](t), opt)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if err := db.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			test(t, db)
		})
	}
}

// person creates a user (with their personal organizations, as a key does)
// and returns them as a live-mode caller.
func person(t *testing.T, db *store.DB, email string) orgs.Caller {
	t.Helper()
	ctx := context.Background()
	if _, err := db.CreateKey(ctx, store.NewKey{Email: email}); err != nil {
		t.Fatal(err)
	}
	u := db.User.Query().Where(user.Email(email)).OnlyX(ctx)
	return orgs.Caller{User: u, Mode: "live"}
}

// tx runs fn in a transaction and returns its error.
func tx(db *store.DB, fn func(ctx context.Context, tx *ent.Tx) error) error {
	ctx := context.Background()
	return db.Tx(ctx, func(tx *ent.Tx) error { return fn(ctx, tx) })
}

// The domain's rules, as its callers meet them: what a caller cannot see is
// ErrNotFound (another tenant's organization, the other mode's), what
// their role may not do is Forbidden with a reason that names the
// permission, a broken rule is a Violation that names it; each leaves the
// data as it was.
func TestDomainRulesAndErrors(t *testing.T) {
	backends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := orgs.NewService(db.Client, db, db.Dialect)
		ada, bob := person(t, db, "ada@example.com"), person(t, db, "bob@example.com")

		var org *ent.Organization
		if err := tx(db, func(ctx context.Context, tx *ent.Tx) (err error) {
			org, _, err = svc.CreateOrganization(ctx, tx, ada, orgs.NewOrganization{Name: "Acme"})
			return err
		}); err != nil {
			t.Fatal(err)
		}

		// Another tenant, and the other mode, see nothing.
		err := tx(db, func(ctx context.Context, tx *ent.Tx) error { _, err := svc.Enter(ctx, tx, bob, org.ID); return err })
		if !errors.Is(err, orgs.ErrNotFound) {
			t.Errorf("bob entering ada's organization: %v, want ErrNotFound", err)
		}
		adaTest := orgs.Caller{User: ada.User, Mode: "test"}
		if _, err := svc.Organization(ctx, adaTest, org.ID); !errors.Is(err, orgs.ErrNotFound) {
			t.Errorf("ada in test mode reading her live organization: %v, want ErrNotFound", err)
		}
		if _, err := svc.Organization(ctx, ada, uuid.New()); !errors.Is(err, orgs.ErrNotFound) {
			t.Errorf("an unknown organization: %v, want ErrNotFound", err)
		}

		// Bob joins as a viewer through an invitation.
		inv, err := orgs.PrepareInvitation(" Bob@Example.com ", "viewer", 0, "email")
		if err != nil {
			t.Fatal(err)
		}
		var sent orgs.SentInvitation
		if err := tx(db, func(ctx context.Context, tx *ent.Tx) error {
			sc, err := svc.Enter(ctx, tx, ada, org.ID)
			if err != nil {
				return err
			}
			sent, err = sc.Invite(ctx, inv)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := tx(db, func(ctx context.Context, tx *ent.Tx) error {
			_, err := svc.AcceptInvitation(ctx, tx, bob, sent.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}

		// A viewer may not rename the organization: Forbidden, naming the
		// permission and who holds it.
		err = tx(db, func(ctx context.Context, tx *ent.Tx) error {
			sc, err := svc.Enter(ctx, tx, bob, org.ID)
			if err != nil {
				return err
			}
			return sc.MayUpdate()
		})
		var forbidden *orgs.Forbidden
		if !errors.As(err, &forbidden) || !strings.Contains(forbidden.Reason, "(viewer)") || !strings.Contains(forbidden.Reason, "owner and admin roles") {
			t.Errorf("a viewer updating: %v, want Forbidden naming the role and who holds the permission", err)
		}

		// The last owner stays: demoting or removing her is a violation of
		// RuleLastOwner, at "role", and nothing changes.
		for what, change := range map[string]func(ctx context.Context, sc *orgs.Scope) error{
			"demote": func(ctx context.Context, sc *orgs.Scope) error {
				_, err := sc.ChangeRole(ctx, sc.Me, "admin")
				return err
			},
			"remove": func(ctx context.Context, sc *orgs.Scope) error { return sc.RemoveMember(ctx, sc.Me) },
		} {
			err := tx(db, func(ctx context.Context, tx *ent.Tx) error {
				sc, err := svc.Enter(ctx, tx, ada, org.ID)
				if err != nil {
					return err
				}
				return change(ctx, sc)
			})
			var v orgs.Violations
			if !errors.As(err, &v) || len(v) != 1 || v[0].Rule != orgs.RuleLastOwner || v[0].Path != "role" {
				t.Errorf("%s the last owner: %v, want one RuleLastOwner violation at role", what, err)
			}
		}
		owner, err := svc.Organization(ctx, ada, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		views, err := svc.View(ctx, ada, []*ent.Organization{owner})
		if err != nil {
			t.Fatal(err)
		}
		if got := views[0].MemberCount; got != 2 {
			t.Errorf("member count after the refused changes: %d, want 2", got)
		}
		for _, m := range views[0].Members {
			if m.UserID == ada.User.ID && !orgs.IsOwner(m) {
				t.Errorf("ada is %s after the refused demotion", m.Role)
			}
		}

		// Invitations: the creator's own address and a repeated one are
		// violations of their own rules, reported together with paths.
		_, err = orgs.PrepareInvitations([]orgs.Invitation{{Email: "ADA@example.com"}, {Email: "cy@example.com"}, {Email: "cy@example.com"}, {Email: "no"}}, ada.User.Email)
		var v orgs.Violations
		if !errors.As(err, &v) {
			t.Fatalf("invitations with a new organization: %v, want violations", err)
		}
		want := []struct {
			path string
			rule orgs.Rule
		}{{"invitations[0].email", orgs.RuleAlreadyMember}, {"invitations[2].email", orgs.RuleNotUnique}, {"invitations[3].email", orgs.RuleInvalidEmail}}
		if len(v) != len(want) {
			t.Fatalf("violations %+v, want %+v", v, want)
		}
		for i, w := range want {
			if v[i].Path != w.path || v[i].Rule != w.rule {
				t.Errorf("violation %d: %s %s, want %s %s", i, v[i].Path, v[i].Rule, w.path, w.rule)
			}
		}
	})
}

// ownedRows counts an organization's rows in every organization-owned
// table, by table.
func ownedRows(t *testing.T, db *store.DB, org uuid.UUID) map[string]int {
	t.Helper()
	ctx := context.Background()
	counts := map[string]int{}
	for _, table := range ent.OrganizationOwnedTables() {
		query, args := entsql.Dialect(db.Dialect).Select(entsql.Count("*")).From(entsql.Table(table)).
			Where(entsql.EQ(schema.OwnerField, org)).Query()
		rows, err := db.QueryContext(ctx, query, args...)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for rows.Next() {
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		rows.Close()
		counts[table] = n
	}
	return counts
}

// Deleting an organization deletes its rows in every organization-owned
// table (the types whose schema uses OrganizationOwnedMixin), and nothing
// of another organization. The schema's foreign keys cascade as well, so
// the test also reads the statements sent: the domain deletes each owned
// table's rows itself, whatever a database's foreign key settings.
func TestDeleteOrganizationLeavesNoOwnedRow(t *testing.T) {
	var mu sync.Mutex
	var statements []string
	tracing := false
	trace := func(_ context.Context, statement string) {
		mu.Lock()
		defer mu.Unlock()
		if tracing {
			statements = append(statements, statement)
		}
	}
	backendsWith(t, store.Options{Trace: trace}, func(t *testing.T, db *store.DB) {
		svc := orgs.NewService(db.Client, db, db.Dialect)
		ada := person(t, db, "ada@example.com")
		person(t, db, "bob@example.com")
		create := func(name string) *ent.Organization {
			var org *ent.Organization
			invitations, err := orgs.PrepareInvitations([]orgs.Invitation{{Email: "cy@example.com"}}, ada.User.Email)
			if err != nil {
				t.Fatal(err)
			}
			if err := tx(db, func(ctx context.Context, tx *ent.Tx) (err error) {
				org, _, err = svc.CreateOrganization(ctx, tx, ada, orgs.NewOrganization{Name: name, Invitations: invitations})
				if err != nil {
					return err
				}
				sc, err := svc.Enter(ctx, tx, ada, org.ID)
				if err != nil {
					return err
				}
				if _, err := sc.CreateWorkspace(ctx, "Design"); err != nil {
					return err
				}
				url := "http://127.0.0.1:9/hook"
				ep, err := svc.CreateWebhookEndpoint(ctx, tx, ada, sc, uuid.Must(uuid.NewV7()), orgs.WebhookInput{URL: &url, EnabledEvents: []string{"*"}}, []byte("sealed"))
				if err != nil {
					return err
				}
				if _, err := tx.WebhookDelivery.Create().SetEndpointID(ep.ID).SetOrganizationID(org.ID).SetMode(webhookdelivery.Mode(ada.Mode)).
					SetEventID(1).SetEventType("workspace.created").Save(ctx); err != nil {
					return err
				}
				if _, err := sc.ClaimDomain(ctx, orgs.DomainClaim{Domain: strings.ToLower(name) + ".test"}); err != nil {
					return err
				}
				_, err = sc.Invite(ctx, orgs.Invitation{Email: "bob@example.com", Role: "admin", Days: 7})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return org
		}
		doomed, kept := create("Doomed"), create("Kept")
		before := ownedRows(t, db, doomed.ID)
		if len(before) == 0 {
			t.Fatal("no organization-owned tables: ent.OrganizationOwnedTables is empty")
		}
		for table, n := range before {
			if n == 0 {
				t.Fatalf("the organization has no row in %s before the delete: the test would prove nothing for it", table)
			}
		}
		keptBefore := ownedRows(t, db, kept.ID)

		mu.Lock()
		statements, tracing = nil, true
		mu.Unlock()
		if err := tx(db, func(ctx context.Context, tx *ent.Tx) error {
			sc, err := svc.Enter(ctx, tx, ada, doomed.ID)
			if err != nil {
				return err
			}
			return sc.DeleteOrganization(ctx)
		}); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		sent := strings.Join(statements, "\n")
		tracing = false
		mu.Unlock()
		for _, table := range ent.OrganizationOwnedTables() {
			if !strings.Contains(sent, "DELETE FROM `"+table+"`") && !strings.Contains(sent, `DELETE FROM "`+table+`"`) {
				t.Errorf("no DELETE FROM %s among the statements of the delete:\n%s", table, sent)
			}
		}
		for table, n := range ownedRows(t, db, doomed.ID) {
			if n != 0 {
				t.Errorf("%d rows of the deleted organization left in %s", n, table)
			}
		}
		if after := ownedRows(t, db, kept.ID); !reflect.DeepEqual(after, keptBefore) {
			t.Errorf("the other organization's rows went from %v to %v", keptBefore, after)
		}
		if _, err := svc.Organization(context.Background(), ada, doomed.ID); !errors.Is(err, orgs.ErrNotFound) {
			t.Errorf("reading the deleted organization: %v, want ErrNotFound", err)
		}
	})
}
