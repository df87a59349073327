package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"entgo.io/ent/dialect"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/store"
)

// seeded is what the scenarios need from the fresh database.
type seeded struct {
	key  string      // a live write key of the owner of every organization
	orgs []uuid.UUID // the seeded organizations, oldest first
}

// seedBatch organizations are written per statement batch and transaction:
// small enough for SQLite's bound-parameter limit with 5 members each.
const seedBatch = 500

// seed creates cfg.Orgs organizations owned by one user (the bench key's),
// each with its four roles and cfg.Members members in all (the owner and
// people drawn from a pool), the way the API would have made them: with
// the events the API records (organization.created, member.added), by
// record (nil records none). A database that has served writes holds
// their events, and the outbox is measured against such a table: its
// indexes the size they would be, and the planner's statistics of a table
// with rows. Against an empty one, analyzed so, the feed's background
// readers got plans for an empty table (a sequential scan) that they kept
// as it grew: about 20 µs of PostgreSQL's time per write.
func seed(ctx context.Context, db *store.DB, cfg Config, record store.Recorder) (*seeded, error) {
	key, err := db.CreateKey(ctx, store.NewKey{Email: "bench@orgraph.test", Name: "bench", Mode: "live", Scope: "write"})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	k, err := db.Authenticate(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	ownerID := k.Edges.User.ID

	// A pool of people; each organization draws its other members here.
	pool := make([]uuid.UUID, max(cfg.Members*20, 100))
	users := make([]*ent.UserCreate, len(pool))
	for i := range pool {
		pool[i] = schema.NewID()
		users[i] = db.User.Create().SetID(pool[i]).SetEmail(fmt.Sprintf("person%05d@orgraph.test", i)).SetName(fmt.Sprintf("Person %d", i))
	}
	// The users by id, for the members' events' documents.
	people := map[uuid.UUID]*ent.User{ownerID: k.Edges.User}
	for start := 0; start < len(users); start += seedBatch {
		made, err := db.User.CreateBulk(users[start:min(start+seedBatch, len(users))]...).Save(ctx)
		if err != nil {
			return nil, fmt.Errorf("seed users: %w", err)
		}
		for _, u := range made {
			people[u.ID] = u
		}
	}

	rng := rand.New(rand.NewPCG(1, 2)) // the same data on every run
	otherRoles := []string{schema.RoleAdmin, schema.RoleDeveloper, schema.RoleViewer}
	out := &seeded{key: key, orgs: make([]uuid.UUID, 0, cfg.Orgs)}
	// Creation times one second apart, oldest first, as if made over time.
	base := schema.Now().Add(-time.Duration(cfg.Orgs) * time.Second)
	for start := 0; start < cfg.Orgs; start += seedBatch {
		n := min(seedBatch, cfg.Orgs-start)
		var batch []uuid.UUID // kept once committed (Tx may run the function again)
		err := db.Tx(ctx, func(tx *ent.Tx) error {
			batch = batch[:0]
			creates := make([]*ent.OrganizationCreate, n)
			var roles []*ent.RoleCreate
			var members []*ent.MemberCreate
			for i := range n {
				id, at := schema.NewID(), base.Add(time.Duration(start+i)*time.Second)
				batch = append(batch, id)
				creates[i] = tx.Organization.Create().SetID(id).SetName(fmt.Sprintf("Organization %05d", start+i)).
					SetMode(organization.ModeLive).SetStatusHistory([]schema.StatusChange{{Status: "ACTIVE", ChangedAt: at}}).
					SetContact(&schema.Contact{Email: fmt.Sprintf("ops%05d@orgraph.test", start+i)}).
					SetAddress(&schema.Address{City: "Lyon", Country: "FR"}).
					SetCreatedAt(at).SetUpdatedAt(at)
				roles = append(roles, orgs.NewRoles(tx.Role, id, at)...)
				members = append(members, tx.Member.Create().SetOrganizationID(id).SetUserID(ownerID).SetRole(schema.RoleOwner).SetJoinedAt(at))
				for j, p := range rng.Perm(len(pool))[:cfg.Members-1] {
					members = append(members, tx.Member.Create().SetOrganizationID(id).SetUserID(pool[p]).
						SetRole(otherRoles[j%len(otherRoles)]).SetJoinedAt(at.Add(time.Duration(j+1)*time.Second)))
				}
			}
			made, err := tx.Organization.CreateBulk(creates...).Save(ctx)
			if err != nil {
				return fmt.Errorf("organizations: %w", err)
			}
			for i := 0; i < len(roles); i += seedBatch {
				if err := tx.Role.CreateBulk(roles[i:min(i+seedBatch, len(roles))]...).Exec(ctx); err != nil {
					return fmt.Errorf("roles: %w", err)
				}
			}
			var joined []*ent.Member // in the order made: each organization's owner, then its others
			for i := 0; i < len(members); i += seedBatch {
				ms, err := tx.Member.CreateBulk(members[i:min(i+seedBatch, len(members))]...).Save(ctx)
				if err != nil {
					return fmt.Errorf("members: %w", err)
				}
				joined = append(joined, ms...)
			}
			if record == nil {
				return nil
			}
			for i, org := range made {
				ms := joined[i*cfg.Members : (i+1)*cfg.Members]
				for _, m := range ms {
					m.Edges.User = people[m.UserID]
				}
				created := orgs.OrganizationView{Organization: org, Members: ms[:1], MemberCount: 1}
				if err := record(ctx, tx, "organization.created", string(org.Mode), org.ID, created); err != nil {
					return err
				}
				for _, m := range ms[1:] {
					if err := record(ctx, tx, "member.added", string(org.Mode), org.ID, m); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		out.orgs = append(out.orgs, batch...)
	}
	if db.Dialect == dialect.Postgres {
		// The state autovacuum keeps a live database in: without it the
		// planner knows nothing of the fresh tables, and index-only scans
		// (the counts) read the heap for want of a visibility map.
		if _, err := db.SQL.ExecContext(ctx, "VACUUM (ANALYZE)"); err != nil {
			return nil, fmt.Errorf("seed: vacuum: %w", err)
		}
	}
	return out, nil
}
