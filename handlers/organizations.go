package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/problems"
)

// visibleOrganizations are the organizations of the caller's mode that the
// caller belongs to; anything else is a 404, never a 403.
func visibleOrganizations(p *principal) predicate.Organization {
	return organization.And(
		organization.ModeEQ(organization.Mode(p.Mode)),
		organization.HasMembersWith(member.UserID(p.User.ID)),
	)
}

var orderFields = map[string]string{
	"id":         organization.FieldID,
	"name":       organization.FieldName,
	"created_at": organization.FieldCreatedAt,
}

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	res := hydra.Organization.Resource
	q, prob := res.ParseQuery(r.URL.RawQuery)
	if prob != nil {
		return prob
	}
	if _, err := negotiate(r); err != nil {
		return err // before any query: a 406 costs nothing
	}
	query := s.db.Organization.Query().Where(visibleOrganizations(p))
	if name, ok := q.Filters["name"]; ok && name != "" {
		query.Where(organization.NameContainsFold(name))
	}
	total := 0
	if !q.Partial {
		n, err := query.Clone().Count(ctx)
		if err != nil {
			return fmt.Errorf("count organizations: %w", err)
		}
		total = n
	}
	for _, o := range q.Order {
		if o.Desc {
			query.Order(organization.OrderOption(ent.Desc(orderFields[o.Property])))
		} else {
			query.Order(organization.OrderOption(ent.Asc(orderFields[o.Property])))
		}
	}
	query.Order(organization.ByID()) // a stable order across pages
	orgs, err := query.Offset(q.Offset()).Limit(q.ItemsPerPage).All(ctx)
	if err != nil {
		return fmt.Errorf("list organizations: %w", err)
	}
	nodes, err := s.organizationNodes(ctx, p, orgs)
	if err != nil {
		return err
	}
	w.Header().Set("Accept-Post", strings.Join(createTypes, ", ")) // API Platform 4.3+
	return s.writeDocument(w, r, http.StatusOK, &hydra.Collection{Class: hydra.Organization, Query: q, Members: nodes, Total: total})
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	org, err := s.findOrganization(ctx, s.db.Client, r, p)
	if err != nil {
		return err
	}
	return s.writeOrganization(w, r, http.StatusOK, p, org)
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if _, err := negotiate(r); err != nil {
		return err
	}
	body, err := readBody(w, r, createTypes)
	if err != nil {
		return err
	}
	in, err := s.decode(r, hydra.Organization, body, true)
	if err != nil {
		return err
	}
	var org *ent.Organization
	err = s.db.Tx(ctx, func(tx *ent.Tx) error {
		name, _ := in.String("name")
		create := tx.Organization.Create().
			SetName(name).
			SetMode(organization.Mode(p.Mode)).
			SetStatusHistory([]schema.StatusChange{{Status: "ACTIVE", ChangedAt: schema.Now()}})
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
		if err := tx.Member.Create().SetOrganizationID(org.ID).SetUserID(p.User.ID).SetRole(member.RoleOwner).Exec(ctx); err != nil {
			return fmt.Errorf("add owner: %w", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", hydra.Organization.IRI(org.ID.String()))
	return s.writeOrganization(w, r, http.StatusCreated, p, org)
}

func (s *Server) patchOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, p := r.Context(), caller(r.Context())
	if _, err := negotiate(r); err != nil {
		return err
	}
	// Read before the transaction (a slow client must not hold the write
	// lock) but validate after the role check: a 403 comes before a 422.
	body, err := readBody(w, r, patchTypes)
	if err != nil {
		return err
	}
	var org *ent.Organization
	err = s.db.Tx(ctx, func(tx *ent.Tx) error {
		var err error
		if org, err = s.findOrganization(ctx, tx.Client(), r, p); err != nil {
			return err
		}
		if err := s.requireRole(ctx, tx.Client(), org, p, member.RoleOwner, member.RoleAdmin); err != nil {
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
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		org, err := s.findOrganization(ctx, tx.Client(), r, p)
		if err != nil {
			return err
		}
		if err := s.requireRole(ctx, tx.Client(), org, p, member.RoleOwner); err != nil {
			return err
		}
		if _, err := tx.Member.Delete().Where(member.OrganizationID(org.ID)).Exec(ctx); err != nil {
			return fmt.Errorf("delete members: %w", err)
		}
		if err := tx.Organization.DeleteOne(org).Exec(ctx); err != nil {
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
	org, err := c.Organization.Query().Where(organization.ID(id), visibleOrganizations(p)).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, problems.NotFound()
	}
	if err != nil {
		return nil, fmt.Errorf("find organization: %w", err)
	}
	return org, nil
}

// requireRole is a 403 unless the caller holds one of the roles.
func (s *Server) requireRole(ctx context.Context, c *ent.Client, org *ent.Organization, p *principal, roles ...member.Role) error {
	m, err := c.Member.Query().Where(member.OrganizationID(org.ID), member.UserID(p.User.ID)).Only(ctx)
	if err != nil {
		return fmt.Errorf("find membership: %w", err)
	}
	for _, role := range roles {
		if m.Role == role {
			return nil
		}
	}
	return problems.Forbidden(fmt.Sprintf("Your role (%s) does not allow this.", m.Role))
}

func (s *Server) writeOrganization(w http.ResponseWriter, r *http.Request, status int, p *principal, org *ent.Organization) error {
	nodes, err := s.organizationNodes(r.Context(), p, []*ent.Organization{org})
	if err != nil {
		return err
	}
	nodes[0].Context = hydra.ContextsPath + hydra.Organization.Name
	// API Platform advertises PATCH formats on every item answer, and says
	// where the written representation lives after a write.
	w.Header().Set("Accept-Patch", strings.Join(patchTypes, ", "))
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if f, err := negotiate(r); err == nil && !f.Processed() {
			ext := map[hydra.Format]string{hydra.JSONLD: ".jsonld", hydra.JSON: ".json"}[f]
			w.Header().Set("Content-Location", nodes[0].ID+ext)
		}
	}
	return s.writeDocument(w, r, status, nodes[0])
}

// organizationNodes builds the documents of a page of organizations with
// one more query for all their members and users, whatever the page size.
func (s *Server) organizationNodes(ctx context.Context, p *principal, orgs []*ent.Organization) ([]*hydra.Node, error) {
	ids := make([]uuid.UUID, len(orgs))
	for i, o := range orgs {
		ids[i] = o.ID
	}
	byOrg := map[uuid.UUID][]*ent.Member{}
	if len(ids) > 0 {
		ms, err := s.db.Member.Query().
			Where(member.OrganizationIDIn(ids...)).
			WithUser().
			Order(member.ByJoinedAt(), member.ByID()).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load members: %w", err)
		}
		for _, m := range ms {
			byOrg[m.OrganizationID] = append(byOrg[m.OrganizationID], m)
		}
	}
	nodes := make([]*hydra.Node, len(orgs))
	for i, o := range orgs {
		nodes[i] = organizationNode(o, byOrg[o.ID], p.User.ID)
	}
	return nodes, nil
}

func organizationNode(o *ent.Organization, members []*ent.Member, callerID uuid.UUID) *hydra.Node {
	n := hydra.NewNode(hydra.Organization, hydra.Organization.IRI(o.ID.String())).
		Set("id", o.ID.String()).
		Set("name", o.Name).
		Set("phone_number", o.PhoneNumber).
		Set("member_count", len(members)).
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

func memberNode(m *ent.Member) *hydra.Node {
	n := hydra.NewNode(hydra.Member, hydra.Member.IRI(m.ID.String())).
		Set("id", m.ID.String()).
		Set("organization", hydra.Organization.IRI(m.OrganizationID.String())).
		Set("user", hydra.User.IRI(m.UserID.String())).
		Set("role", string(m.Role)).
		Set("joined_at", m.JoinedAt)
	if u := m.Edges.User; u != nil {
		n.Set("email", u.Email).Set("name", u.Name)
	}
	return n
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
