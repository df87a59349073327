package handlers

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/http"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/role"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/ent/workspace"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
	"github.com/orgraph/orgraph/store"
)

// visibleOrganizations are the organizations of the caller's mode that the
// caller belongs to; anything else is a 404, never a 403.
func visibleOrganizations(p *principal) predicate.Organization {
	return organization.And(
		organization.ModeEQ(organization.Mode(p.Mode)),
		func(s *entsql.Selector) { s.Where(callerMembership(p, s, s.C(organization.FieldID), false)) },
	)
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	q, err := listQuery(r, hydra.Organization)
	if err != nil {
		return err
	}
	name := q.Filters["name"]
	if desc, byID := orderedByID(q); name == "" && byID {
		return s.listOrganizationsByID(w, r, p, q, desc)
	}
	query := s.db.Organization.Query().Where(visibleOrganizations(p))
	if name != "" {
		query.Where(organization.NameContainsFold(name))
	}
	return s.writePage(w, r, hydra.Organization, q,
		func() (int, error) { return query.Clone().Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			orgs, err := query.Clone().Order(orderBy[organization.OrderOption](q)...).Offset(offset).Limit(limit).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			nodes, err := s.organizationNodes(ctx, p, orgs)
			return nodes, len(orgs), err
		})
}

// orderedByID says whether a page is in id order only (the default).
func orderedByID(q hydra.Query) (desc, ok bool) {
	switch {
	case len(q.Order) == 0:
		return false, true
	case len(q.Order) == 1 && q.Order[0].Property == "id":
		return q.Order[0].Desc, true
	}
	return false, false
}

// listOrganizationsByID serves the unfiltered collection in id order from
// the caller's memberships alone: the (user_id, mode, organization_id)
// index holds, in order, exactly the organization ids the caller sees, so
// totalItems is an index count and a page (even page 300) an index range,
// and only the page's organizations are read.
func (s *Server) listOrganizationsByID(w http.ResponseWriter, r *http.Request, p *principal, q hydra.Query, desc bool) error {
	ctx := r.Context()
	mine := s.db.Member.Query().Where(member.UserID(p.User.ID), member.ModeEQ(member.Mode(p.Mode)))
	order := member.ByOrganizationID()
	if desc {
		order = member.ByOrganizationID(entsql.OrderDesc())
	}
	return s.writePage(w, r, hydra.Organization, q,
		// Counting a column of the index keeps the count on the index
		// (COUNT(id) would read every membership row).
		func() (int, error) { return mine.Clone().Unique(false).Select(member.FieldOrganizationID).Count(ctx) },
		func(offset, limit int) ([]*hydra.Node, int, error) {
			var page []struct {
				OrganizationID uuid.UUID `json:"organization_id"`
			}
			if err := mine.Clone().Order(order).Offset(offset).Limit(limit).Select(member.FieldOrganizationID).Scan(ctx, &page); err != nil {
				return nil, 0, err
			}
			ids := make([]uuid.UUID, len(page))
			for i, m := range page {
				ids[i] = m.OrganizationID
			}
			orgs, err := s.db.Organization.Query().Where(organization.IDIn(ids...)).All(ctx)
			if err != nil {
				return nil, 0, err
			}
			byID := make(map[uuid.UUID]*ent.Organization, len(orgs))
			for _, o := range orgs {
				// The mode again, here rather than in SQL (where SQLite
				// would walk the mode index instead of the 30 ids):
				// memberships an older replica wrote during an upgrade may
				// carry the wrong one until `orgraph migrate` repairs them.
				if string(o.Mode) == p.Mode {
					byID[o.ID] = o
				}
			}
			ordered := make([]*ent.Organization, 0, len(orgs))
			for _, id := range ids {
				if o, ok := byID[id]; ok { // deleted since the index read
					ordered = append(ordered, o)
				}
			}
			// The rows the page read, not the organizations kept: a
			// page short of one it dropped is not the last one.
			nodes, err := s.organizationNodes(ctx, p, ordered)
			return nodes, len(page), err
		})
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	org, err := s.findOrganization(ctx, s.db.Client, r, p)
	if err != nil {
		return err
	}
	cacheScope(w, org.ID)
	return s.writeOrganization(w, r, http.StatusOK, p, org)
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	in, err := s.decodeCreate(w, r, hydra.Organization)
	if err != nil {
		return err
	}
	invitations, err := organizationInvitations(in.Objects("invitations"), p.User.Email)
	if err != nil {
		return err
	}
	var org *ent.Organization
	var owner *ent.Member
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		now := schema.Now()
		name, _ := in.String("name")
		status := organization.StatusACTIVE
		if st := in.Object("status"); st != nil {
			if cur, ok := st.String("current_status"); ok {
				status = organization.Status(cur)
			}
		}
		create := tx.Organization.Create().
			SetName(name).
			SetMode(organization.Mode(p.Mode)).
			SetStatus(status).
			SetStatusHistory([]schema.StatusChange{{Status: string(status), ChangedAt: now}}).
			SetCreatedAt(now).SetUpdatedAt(now)
		if phone, ok := in.String("phone_number"); ok {
			create.SetPhoneNumber(phone)
		}
		contact, _, err := nested[schema.Contact](nil, in, "contact")
		if err != nil {
			return err
		}
		address, _, err := nested[schema.Address](nil, in, "address")
		if err != nil {
			return err
		}
		create.SetContact(contact).SetAddress(address)
		if org, err = create.Save(ctx); err != nil {
			return fmt.Errorf("create organization: %w", err)
		}
		if owner, err = store.Provision(ctx, tx, org, p.User.ID, now); err != nil {
			return err
		}
		for _, inv := range invitations {
			inv.organizationID, inv.inviterID = org.ID, p.User.ID
			if _, err := inv.create(ctx, tx, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The document from what was written: its one member is the caller.
	// (TestCreateAnswersWhatGetReads checks it is the GET's document.)
	owner.Edges.User = p.User
	return s.writeItem(w, r, http.StatusCreated, organizationNode(org, []*ent.Member{owner}, 1, p.User.ID))
}

// organizationInvitations checks the invitations sent with a new
// organization: distinct emails, and not the creator's own.
func organizationInvitations(list []hydra.Input, creatorEmail string) ([]*newInvitation, error) {
	var out []*newInvitation
	var violations []problems.Violation
	seen := map[string]bool{}
	for i, item := range list {
		path := fmt.Sprintf("invitations[%d].email", i)
		inv, bad := invitationFrom(item, path)
		if bad != nil {
			violations = append(violations, *bad)
			continue
		}
		email := inv.email
		switch {
		case email == creatorEmail:
			violations = append(violations, problems.Violation{PropertyPath: path, Message: "You are the organization's owner: you cannot invite yourself.", Code: problems.CodeAlreadyMember})
		case seen[email]:
			violations = append(violations, problems.Violation{PropertyPath: path, Message: "This email address is invited twice.", Code: problems.CodeNotUnique})
		}
		seen[email] = true
		out = append(out, inv)
	}
	if len(violations) > 0 {
		return nil, problems.Validation(violations)
	}
	return out, nil
}

func (s *Server) patchOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if err := negotiateEarly(r); err != nil {
		return err
	}
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	// Read before the transaction (a slow client must not hold the write
	// lock) but validate after the role check: a 403 comes before a 422.
	body, err := readBody(w, r, patchTypes)
	if err != nil {
		return err
	}
	var org *ent.Organization
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enter(ctx, tx, p, id)
		if err != nil {
			return err
		}
		org = sc.org
		if err := sc.can(schema.UpdateOrganization); err != nil {
			return err
		}
		if err := s.organizationPrecondition(r, p, org); err != nil {
			return err
		}
		in, err := s.decode(r, hydra.Organization, body, false)
		if err != nil {
			return err
		}
		update := tx.Organization.UpdateOne(org)
		if name, ok := in.String("name"); ok {
			update.SetName(name)
		}
		if in.Has("phone_number") {
			phone, _ := in.String("phone_number")
			update.SetPhoneNumber(phone)
		}
		contact, set, err := nested(org.Contact, in, "contact")
		if err != nil {
			return err
		}
		if set {
			update.SetContact(contact)
		}
		address, set, err := nested(org.Address, in, "address")
		if err != nil {
			return err
		}
		if set {
			update.SetAddress(address)
		}
		if st := in.Object("status"); st != nil {
			if cur, ok := st.String("current_status"); ok && cur != string(org.Status) {
				if err := sc.can(schema.ChangeStatus); err != nil {
					return err
				}
				history := append(append([]schema.StatusChange{}, org.StatusHistory...), schema.StatusChange{Status: cur, ChangedAt: schema.Now()})
				update.SetStatus(organization.Status(cur)).SetStatusHistory(history)
			}
		}
		if org, err = update.Save(ctx); err != nil {
			return fmt.Errorf("update organization: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writeOrganization(w, r, http.StatusOK, p, org)
}

func (s *Server) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		sc, err := s.enter(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := sc.can(schema.DeleteOrganization); err != nil {
			return err
		}
		if err := s.organizationPrecondition(r, p, sc.org); err != nil {
			return err
		}
		// Explicit deletes rather than relying on ON DELETE CASCADE: the
		// same on every backend, whatever the database's FK settings.
		if _, err := tx.Invitation.Delete().Where(invitation.OrganizationID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete invitations: %w", err)
		}
		if _, err := tx.Workspace.Delete().Where(workspace.OrganizationID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete workspaces: %w", err)
		}
		if _, err := tx.Member.Delete().Where(member.OrganizationID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete members: %w", err)
		}
		if _, err := tx.Role.Delete().Where(role.OrganizationID(id)).Exec(ctx); err != nil {
			return fmt.Errorf("delete roles: %w", err)
		}
		if err := tx.Organization.DeleteOneID(id).Exec(ctx); err != nil {
			return fmt.Errorf("delete organization: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// findOrganization loads the organization named by the route, or 404.
func (s *Server) findOrganization(ctx context.Context, c *ent.Client, r *http.Request, p *principal) (*ent.Organization, error) {
	id, ok := routeID(r)
	if !ok {
		return nil, problems.NotFound()
	}
	return found(c.Organization.Query().Where(organization.ID(id), visibleOrganizations(p)).Only(ctx))
}

func (s *Server) writeOrganization(w http.ResponseWriter, r *http.Request, status int, p *principal, org *ent.Organization) error {
	nodes, err := s.organizationNodes(r.Context(), p, []*ent.Organization{org})
	if err != nil {
		return err
	}
	return s.writeItem(w, r, status, nodes[0])
}

// organizationPrecondition checks If-Match against the organization's
// document as the caller reads it.
func (s *Server) organizationPrecondition(r *http.Request, p *principal, org *ent.Organization) error {
	if r.Header.Get("If-Match") == "" && !s.requireIfMatch {
		return nil // no need to build the document
	}
	nodes, err := s.organizationNodes(r.Context(), p, []*ent.Organization{org})
	if err != nil {
		return err
	}
	return s.precondition(r, nodes[0])
}

// organizationNodes builds the documents of a page of organizations in a
// constant number of queries, whatever the page size or the organizations'
// sizes: a GROUP BY for member_count, one for the embedded members (with
// their users, a second statement): every member of an organization with at
// most EmbedLimit of them, and for a larger one the first EmbedLimit to
// join, the first EmbedLimit owners and the caller's own membership, ranked
// by a window function. The window runs only over the large organizations:
// it costs more than the rest of the request.
func (s *Server) organizationNodes(ctx context.Context, p *principal, orgs []*ent.Organization) ([]*hydra.Node, error) {
	if len(orgs) == 0 {
		return []*hydra.Node{}, nil
	}
	if len(orgs) == 1 {
		// An item: most organizations have at most EmbedLimit members, and
		// then one query is both the embedded members and member_count.
		ms, err := s.db.Member.Query().Where(member.OrganizationID(orgs[0].ID)).
			Order(member.ByJoinedAt(), member.ByID()).Limit(hydra.EmbedLimit + 1).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load members: %w", err)
		}
		if len(ms) <= hydra.EmbedLimit {
			if err := s.loadUsers(ctx, ms); err != nil {
				return nil, err
			}
			return []*hydra.Node{organizationNode(orgs[0], ms, len(ms), p.User.ID)}, nil
		}
	}
	orgIDs := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		orgIDs[i] = o.ID
	}
	var counts []struct {
		OrganizationID uuid.UUID `json:"organization_id"`
		Count          int       `json:"count"`
	}
	if err := s.db.Member.Query().Where(member.OrganizationIDIn(orgIDs...)).
		GroupBy(member.FieldOrganizationID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("count members: %w", err)
	}
	memberCount := make(map[uuid.UUID]int, len(counts))
	for _, c := range counts {
		memberCount[c.OrganizationID] = c.Count
	}
	var small, large []driver.Value
	for _, o := range orgs {
		if memberCount[o.ID] <= hydra.EmbedLimit {
			small = append(small, o.ID)
		} else {
			large = append(large, o.ID)
		}
	}
	ms, err := s.db.Member.Query().
		Where(func(sel *entsql.Selector) {
			var embedded []*entsql.Predicate
			if len(small) > 0 {
				embedded = append(embedded, entsql.InValues(sel.C(member.FieldOrganizationID), small...))
			}
			if len(large) > 0 {
				t := entsql.Table(member.Table)
				ranked := entsql.Select(t.C(member.FieldID), t.C(member.FieldRole), t.C(member.FieldUserID)).
					AppendSelectExprAs(entsql.RowNumber().PartitionBy(t.C(member.FieldOrganizationID)).
						OrderBy(t.C(member.FieldJoinedAt), t.C(member.FieldID)), "rank_all").
					AppendSelectExprAs(entsql.RowNumber().PartitionBy(t.C(member.FieldOrganizationID), t.C(member.FieldRole)).
						OrderBy(t.C(member.FieldJoinedAt), t.C(member.FieldID)), "rank_role").
					From(t).
					Where(entsql.InValues(t.C(member.FieldOrganizationID), large...)).
					As("ranked")
				first := entsql.Select(ranked.C(member.FieldID)).From(ranked).Where(entsql.Or(
					entsql.LTE(ranked.C("rank_all"), hydra.EmbedLimit),
					entsql.And(entsql.EQ(ranked.C(member.FieldRole), member.RoleOwner.String()), entsql.LTE(ranked.C("rank_role"), hydra.EmbedLimit)),
					entsql.EQ(ranked.C(member.FieldUserID), p.User.ID),
				))
				embedded = append(embedded, entsql.In(sel.C(member.FieldID), first))
			}
			sel.Where(entsql.Or(embedded...))
		}).
		WithUser().
		Order(member.ByJoinedAt(), member.ByID()).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("load members: %w", err)
	}
	byOrg := map[uuid.UUID][]*ent.Member{}
	for _, m := range ms {
		byOrg[m.OrganizationID] = append(byOrg[m.OrganizationID], m)
	}
	nodes := make([]*hydra.Node, len(orgs))
	for i, o := range orgs {
		nodes[i] = organizationNode(o, byOrg[o.ID], memberCount[o.ID], p.User.ID)
	}
	return nodes, nil
}

// loadUsers sets each membership's user, in one query (ent's WithUser, for
// rows already read).
func (s *Server) loadUsers(ctx context.Context, ms []*ent.Member) error {
	ids := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	users, err := s.db.User.Query().Where(user.IDIn(ids...)).All(ctx)
	if err != nil {
		return fmt.Errorf("load users: %w", err)
	}
	byID := make(map[uuid.UUID]*ent.User, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	for _, m := range ms {
		m.Edges.User = byID[m.UserID]
	}
	return nil
}

func organizationNode(o *ent.Organization, members []*ent.Member, memberCount int, callerID uuid.UUID) *hydra.Node {
	n := hydra.NewNode(hydra.Organization, hydra.Organization.IRI(o.ID.String())).
		Set("id", o.ID.String()).
		Set("name", o.Name).
		Set("phone_number", o.PhoneNumber).
		Set("member_count", memberCount).
		Set("mode", string(o.Mode)).
		Set("created_at", o.CreatedAt).
		Set("updated_at", o.UpdatedAt)
	if c := o.Contact; c != nil && *c != (schema.Contact{}) {
		n.Set("contact", hydra.NewNode(hydra.Contact, "").
			Set("email", c.Email).Set("first_name", c.FirstName).Set("last_name", c.LastName))
	}
	if a := o.Address; a != nil && *a != (schema.Address{}) {
		n.Set("address", hydra.NewNode(hydra.Address, "").
			Set("street_address", a.StreetAddress).Set("city", a.City).Set("state", a.State).
			Set("zip_code", a.ZipCode).Set("country", a.Country))
	}
	history := make([]*hydra.Node, len(o.StatusHistory))
	for i, h := range o.StatusHistory {
		history[i] = hydra.NewNode(hydra.StatusChange, "").Set("status", h.Status).Set("changed_at", h.ChangedAt)
	}
	n.Set("status", hydra.NewNode(hydra.OrganizationStatus, "").
		Set("current_status", string(o.Status)).Set("status_history", history))

	// members holds the first EmbedLimit to join and the first EmbedLimit
	// owners (the caller's own membership rides along for current_user_role).
	owners, all := []*hydra.Node{}, []*hydra.Node{}
	for _, m := range members {
		if m.UserID == callerID {
			n.Set("current_user_role", string(m.Role))
		}
		if m.Role == member.RoleOwner && len(owners) < hydra.EmbedLimit {
			owners = append(owners, memberNode(m))
		}
		if len(all) < hydra.EmbedLimit {
			all = append(all, memberNode(m))
		}
	}
	return n.Set("owners", owners).Set("members", all)
}

// nested applies the body's nested object called name to a stored value:
// set is false when the body does not mention it; a null clears it; an
// object is merged into what is stored (RFC 7386).
func nested[T any](stored *T, in hydra.Input, name string) (v *T, set bool, err error) {
	if !in.Has(name) {
		return stored, false, nil
	}
	v = new(T)
	obj := in.Object(name)
	if stored != nil && obj != nil {
		*v = *stored
	}
	if err := merge(v, obj); err != nil {
		return nil, false, err
	}
	return v, true, nil
}

// merge applies a validated nested object to a stored one: the Input keys
// are the declared property names, which are the JSON names of the schema
// types, so encoding/json does the field matching. A null clears a field.
func merge(dst any, in hydra.Input) error {
	if in == nil {
		return nil
	}
	values := make(map[string]any, len(in))
	for k, v := range in {
		if v == nil {
			v = ""
		}
		values[k] = v
	}
	b, err := json.Marshal(values)
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	return nil
}
