package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

func (s *Server) listOrganizations(w http.ResponseWriter, r *http.Request) error {
	q, err := listQuery(r, hydra.Organization)
	if err != nil {
		return err
	}
	c := callerOf(r)
	list := s.orgs.Organizations(c, orgs.OrganizationFilter{Name: q.Filters["name"], ExternalID: q.Filters["external_id"], Metadata: q.Metadata}, order(q))
	return writePage(s, w, r, hydra.Organization, q, list, func(page []*ent.Organization) ([]*hydra.Node, error) {
		return s.organizationNodes(r.Context(), c, page)
	})
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) error {
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	v, err := s.orgs.OrganizationView(r.Context(), callerOf(r), id)
	if err != nil {
		return err
	}
	cacheScope(w, v.ID)
	n, err := s.organizationItem(r, v)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

func (s *Server) createOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx, c := r.Context(), callerOf(r)
	in, err := s.decodeCreate(w, r, hydra.Organization)
	if err != nil {
		return err
	}
	var sent []orgs.Invitation
	for _, item := range in.Objects("invitations") {
		sent = append(sent, invitationOf(item))
	}
	invitations, err := orgs.PrepareInvitations(sent, c.User.Email)
	if err != nil {
		return err
	}
	name, _ := in.String("name")
	create := orgs.NewOrganization{Name: name, Invitations: invitations}
	if phone, ok := in.String("phone_number"); ok {
		create.PhoneNumber = &phone
	}
	if st := in.Object("status"); st != nil {
		create.Status, _ = st.String("current_status")
	}
	if create.Contact, _, err = nested[schema.Contact](nil, in, "contact"); err != nil {
		return err
	}
	if create.Address, _, err = nested[schema.Address](nil, in, "address"); err != nil {
		return err
	}
	create.Platform = platformOf(in)
	var org *ent.Organization
	var owner *ent.Member
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		org, owner, err = s.orgs.CreateOrganization(ctx, tx, c, create)
		return err
	})
	if err != nil {
		return err
	}
	// The document from what was written: its one member is the caller.
	// (TestCreateAnswersWhatGetReads checks it is the GET's document.)
	view := orgs.OrganizationView{Organization: org, Members: []*ent.Member{owner}, MemberCount: 1}
	n, err := s.organizationItem(r, view)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusCreated, n)
}

func (s *Server) patchOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
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
	var updated orgs.OrganizationView
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterToChange(ctx, tx, r, id, (*orgs.Scope).MayUpdate)
		if err != nil {
			return err
		}
		in, err := s.decode(r, hydra.Organization, body, false)
		if err != nil {
			return err
		}
		var change orgs.OrganizationChange
		if name, ok := in.String("name"); ok {
			change.Name = &name
		}
		if in.Has("phone_number") {
			phone, _ := in.String("phone_number")
			change.PhoneNumber = &phone
		}
		if change.Contact, change.SetContact, err = nested(sc.Org.Contact, in, "contact"); err != nil {
			return err
		}
		if change.Address, change.SetAddress, err = nested(sc.Org.Address, in, "address"); err != nil {
			return err
		}
		if st := in.Object("status"); st != nil {
			if cur, ok := st.String("current_status"); ok {
				change.Status = &cur
			}
		}
		change.Platform = platformOf(in)
		updated, err = sc.UpdateOrganization(ctx, change)
		return err
	})
	if err != nil {
		return err
	}
	// The view read in the transaction: what the change left.
	n, err := s.organizationItem(r, updated)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

// transferOrganization serves POST /api/organizations/{id}/transfer: the
// ownership handed to another member in one transaction, If-Match compared
// with the organization's document as the caller read it before.
func (s *Server) transferOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	if err := negotiateEarly(r); err != nil {
		return err
	}
	// Read before the transaction, validated after the rule: a 403 comes
	// before a 422, as for PATCH.
	body, err := readBody(w, r, createTypes)
	if err != nil {
		return err
	}
	var updated orgs.OrganizationView
	err = s.answeringTx(r, func(tx *ent.Tx) error {
		sc, err := s.enterToChange(ctx, tx, r, id, (*orgs.Scope).MayTransfer)
		if err != nil {
			return err
		}
		in, err := s.decode(r, hydra.OwnershipTransfer, body, true)
		if err != nil {
			return err
		}
		newOwner, _ := in.String("new_owner")
		callerRole, _ := in.String("caller_role")
		if err := sc.TransferOwnership(ctx, orgs.Transfer{NewOwner: uuid.MustParse(newOwner), CallerRole: callerRole}); err != nil {
			return err
		}
		updated, err = sc.View(ctx)
		return err
	})
	if err != nil {
		return err
	}
	n, err := s.organizationItem(r, updated)
	if err != nil {
		return err
	}
	return s.writeItem(w, r, http.StatusOK, n)
}

func (s *Server) deleteOrganization(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, ok := routeID(r)
	if !ok {
		return problems.NotFound()
	}
	err := s.db.Tx(ctx, func(tx *ent.Tx) error {
		sc, err := s.enterToChange(ctx, tx, r, id, (*orgs.Scope).MayDelete)
		if err != nil {
			return err
		}
		return sc.DeleteOrganization(ctx)
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// enterToChange enters the route's organization for a write: locked, the
// write's rule checked (a 403 before a 412), then If-Match compared with
// the organization's document as the caller reads it.
func (s *Server) enterToChange(ctx context.Context, tx *ent.Tx, r *http.Request, id uuid.UUID, may func(*orgs.Scope) error) (*orgs.Scope, error) {
	sc, err := s.orgs.Enter(ctx, tx, callerOf(r), id)
	if err != nil {
		return nil, err
	}
	if err := may(sc); err != nil {
		return nil, err
	}
	if err := s.organizationPrecondition(ctx, r, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// organizationPrecondition checks If-Match against the organization's
// document as the caller reads it, read in the write's transaction: read
// through the pool, it would wait for a second connection while the write
// holds one, and writers holding every connection would wait for ever.
func (s *Server) organizationPrecondition(ctx context.Context, r *http.Request, sc *orgs.Scope) error {
	if r.Header.Get("If-Match") == "" && !s.requireIfMatch {
		return nil // no need to build the document
	}
	v, err := sc.View(ctx)
	if err != nil {
		return err
	}
	n, err := s.organizationItemWith(r, v, sc.GrantOf)
	if err != nil {
		return err
	}
	return s.precondition(r, n)
}

// organizationItem is organizationNode with the operations the caller may
// invoke on the organization (a custom role's permissions are read for
// them; a default role's are known).
func (s *Server) organizationItem(r *http.Request, v orgs.OrganizationView) (*hydra.Node, error) {
	return s.organizationItemWith(r, v, func(ctx context.Context, slug string) (orgs.Grant, error) {
		return s.orgs.GrantIn(ctx, v.ID, slug)
	})
}

// organizationItemWith is organizationItem reading the caller's role's
// grant with grantOf.
func (s *Server) organizationItemWith(r *http.Request, v orgs.OrganizationView, grantOf func(context.Context, string) (orgs.Grant, error)) (*hydra.Node, error) {
	p := caller(r.Context())
	n := organizationNode(v, p.User.ID)
	if p.Operator() {
		setPrivateMetadata(n, v.Organization.PrivateMetadata)
	}
	role := ""
	for _, m := range v.Members {
		if m.UserID == p.User.ID {
			role = m.Role
		}
	}
	if p.readOnly() {
		return n, nil // offered nothing: no need to know the role's permissions
	}
	role = p.ActingRole(role)
	grant, err := grantOf(r.Context(), role)
	if err != nil {
		return nil, err
	}
	n.Operations = organizationOperations(p, grant, v.Organization)
	n.Creatable = organizationAdditions(grant, v.Organization)
	return n, nil
}

// additions are the organization's collections a member may add to, with
// the domain's kind of each (orgs.MayAdd).
var additions = []struct {
	class *hydra.Class
	kind  orgs.Addition
}{
	{hydra.Invitation, orgs.AddInvitation},
	{hydra.Workspace, orgs.AddWorkspace},
	{hydra.Role, orgs.AddRole},
	{hydra.Domain, orgs.AddDomain},
	{hydra.WebhookEndpoint, orgs.AddWebhookEndpoint},
}

// organizationAdditions are the collection links of the organization whose
// POST a member of the grant may invoke (a read-only key gets here with
// none: organizationItem returns before).
func organizationAdditions(g orgs.Grant, org *ent.Organization) hydra.Links {
	var links hydra.Links
	for _, a := range additions {
		if orgs.MayAdd(g, org, a.kind) == nil {
			links |= hydra.Organization.Resource.CreateIn(a.class)
		}
	}
	return links
}

// organizationOperations are the operations a member of the role may
// invoke on the organization, by the rules the writes check
// (orgs.MayUpdateOrganization, orgs.MayDeleteOrganization), and none with a
// read-only key, which authenticated refuses any write.
func organizationOperations(p *principal, g orgs.Grant, org *ent.Organization) hydra.Ops {
	if p.readOnly() {
		return 0
	}
	return allowed(orgs.MayUpdateOrganization(g), organizationPatch) | allowed(orgs.MayDeleteOrganization(g), organizationDelete) |
		allowed(orgs.MayTransferOrganization(p.Caller, g.Role, org), organizationTransfer)
}

// organizationNodes builds the documents of a page of organizations from
// what the domain reads for them (a constant number of queries).
func (s *Server) organizationNodes(ctx context.Context, c orgs.Caller, list []*ent.Organization) ([]*hydra.Node, error) {
	views, err := s.orgs.View(ctx, c, list)
	if err != nil {
		return nil, err
	}
	nodes := make([]*hydra.Node, len(views))
	for i, v := range views {
		nodes[i] = organizationNode(v, c.User.ID)
		if c.Operator() {
			setPrivateMetadata(nodes[i], v.Organization.PrivateMetadata)
		}
	}
	return nodes, nil
}

func organizationNode(v orgs.OrganizationView, callerID uuid.UUID) *hydra.Node {
	o := v.Organization
	n := hydra.NewNode(hydra.Organization, hydra.Organization.IRI(o.ID.String())).
		Set("id", o.ID.String()).
		Set("name", o.Name).
		Set("phone_number", o.PhoneNumber).
		Set("member_count", v.MemberCount).
		Set("mode", string(o.Mode)).
		Set("created_at", o.CreatedAt).
		Set("updated_at", o.UpdatedAt)
	setPlatform(n, o.ExternalID, o.Metadata)
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

	// Members holds the first EmbedLimit to join and the first EmbedLimit
	// owners (the caller's own membership rides along for current_user_role).
	// An owner among the members is one node in both lists (written
	// twice, built once).
	owners, all := []*hydra.Node{}, []*hydra.Node{}
	for _, m := range v.Members {
		if m.UserID == callerID {
			n.Set("current_user_role", string(m.Role))
		}
		var node *hydra.Node
		if len(all) < hydra.EmbedLimit {
			node = memberNode(m)
			all = append(all, node)
		}
		if orgs.IsOwner(m) && len(owners) < hydra.EmbedLimit {
			if node == nil {
				node = memberNode(m)
			}
			owners = append(owners, node)
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
