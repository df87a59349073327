package orgs

import (
	"context"
	"database/sql/driver"
	"fmt"
	"maps"
	"slices"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// EmbedLimit is how many members (and, apart, how many owners) an
// organization's document embeds; member_count says how many there are.
const EmbedLimit = 10

// Organization reads an organization the caller sees.
func (s *Service) Organization(ctx context.Context, c Caller, id uuid.UUID) (*ent.Organization, error) {
	return found(s.client.Organization.Query().Where(organization.ID(id), visibleOrganizations(c)).Only(ctx))
}

// OrganizationView reads an organization the caller sees with what its
// document shows, in one statement (embedView).
func (s *Service) OrganizationView(ctx context.Context, c Caller, id uuid.UUID) (OrganizationView, error) {
	q := s.client.Organization.Query().Where(organization.ID(id), visibleOrganizations(c))
	q.Modify(embedView(c.userID()))
	o, err := found(q.Only(ctx))
	if err != nil {
		return OrganizationView{}, err
	}
	return viewOf(o)
}

// OrganizationFilter narrows the organizations listed: Name, when not
// empty, is a part of the name, in any case.
type OrganizationFilter struct {
	Name, ExternalID string
	Metadata         map[string]string // metadata[key]=value
}

// Organizations lists the organizations the caller sees.
func (s *Service) Organizations(c Caller, f OrganizationFilter, order []Order) List[*ent.Organization] {
	// An operator's organizations are not its memberships: the general
	// query, by mode.
	if desc, byID := orderedByID(order); f.Name == "" && f.ExternalID == "" && len(f.Metadata) == 0 && byID && !c.Operator() {
		return s.organizationsByID(c, desc)
	}
	q := s.client.Organization.Query().Where(visibleOrganizations(c))
	if f.Name != "" {
		q.Where(organization.NameContainsFold(f.Name))
	}
	if f.ExternalID != "" {
		q.Where(organization.ExternalID(f.ExternalID))
	}
	if len(f.Metadata) > 0 {
		q.Where(metadataHolds(f.Metadata))
	}
	return listOf(q, (*ent.OrganizationQuery).Order, order)
}

// orderedByID says whether a page is in id order only (the default).
func orderedByID(order []Order) (desc, ok bool) {
	switch {
	case len(order) == 0:
		return false, true
	case len(order) == 1 && order[0].Field == "id":
		return order[0].Desc, true
	}
	return false, false
}

// organizationsByID lists the unfiltered collection in id order from the
// caller's active memberships alone: the (user_id, mode, status, organization_id) index
// holds, in order, exactly the organization ids the caller sees, so the
// count is an index count and a page (even page 300) an index range, and
// only the page's organizations are read.
func (s *Service) organizationsByID(c Caller, desc bool) List[*ent.Organization] {
	mine := s.client.Member.Query().Where(member.UserID(c.User.ID), member.ModeEQ(member.Mode(c.Mode)), member.StatusEQ(member.StatusActive))
	byOrganization := func(desc bool) member.OrderOption {
		if desc {
			return member.ByOrganizationID(entsql.OrderDesc())
		}
		return member.ByOrganizationID()
	}
	// read reads the organizations of the membership rows q selects, in
	// their order.
	read := func(ctx context.Context, q *ent.MemberQuery) ([]*ent.Organization, int, error) {
		var page []struct {
			OrganizationID uuid.UUID `json:"organization_id"`
		}
		if err := q.Select(member.FieldOrganizationID).Scan(ctx, &page); err != nil {
			return nil, 0, err
		}
		ids := make([]uuid.UUID, len(page))
		for i, m := range page {
			ids[i] = m.OrganizationID
		}
		orgs, err := s.client.Organization.Query().Where(organization.IDIn(ids...)).All(ctx)
		if err != nil {
			return nil, 0, err
		}
		byID := make(map[uuid.UUID]*ent.Organization, len(orgs))
		for _, o := range orgs {
			// The mode again, here rather than in SQL (where SQLite
			// would walk the mode index instead of the page's ids):
			// memberships an older replica wrote during an upgrade may
			// carry the wrong one until `orgraph migrate` repairs them.
			if string(o.Mode) == c.Mode {
				byID[o.ID] = o
			}
		}
		ordered := make([]*ent.Organization, 0, len(orgs))
		for _, id := range ids {
			if o, ok := byID[id]; ok { // deleted since the index read
				ordered = append(ordered, o)
			}
		}
		// The rows the page read, not the organizations kept: a page
		// short of one it dropped is not the last one.
		return ordered, len(page), nil
	}
	keys := keysetOf[*ent.Organization]([]Order{{Field: "id", Desc: desc}})
	return List[*ent.Organization]{
		// Counting a column of the index keeps the count on the index
		// (COUNT(id) would read every membership row).
		count: func(ctx context.Context) (int, error) {
			return mine.Clone().Unique(false).Select(member.FieldOrganizationID).Count(ctx)
		},
		page: func(ctx context.Context, offset, limit int) ([]*ent.Organization, int, error) {
			return read(ctx, mine.Clone().Order(byOrganization(desc)).Offset(offset).Limit(limit))
		},
		// The index range from the place: as cheap at any depth.
		seek: func(ctx context.Context, from Key, backward bool, limit int) ([]*ent.Organization, int, error) {
			values, err := keys.values(from)
			if err != nil {
				return nil, 0, err
			}
			q := mine.Clone().Order(byOrganization(desc != backward)).Limit(limit + 1)
			if values != nil {
				after, before := values[0], desc != backward
				q.Where(func(sel *entsql.Selector) {
					if before {
						sel.Where(entsql.LT(sel.C(member.FieldOrganizationID), after))
					} else {
						sel.Where(entsql.GT(sel.C(member.FieldOrganizationID), after))
					}
				})
			}
			return read(ctx, q)
		},
		keys: keys,
	}
}

// OrganizationView is an organization as its document shows it: the first
// EmbedLimit members to join, the first EmbedLimit owners and the caller's
// own membership (each with its user), and how many members it has.
type OrganizationView struct {
	*ent.Organization
	Members     []*ent.Member // in the order they joined
	MemberCount int
}

// View reads what the documents of a page of organizations show, in a
// constant number of queries whatever the page size or the organizations'
// sizes: a GROUP BY for the member counts, one for the embedded members
// (with their users, a second statement): every member of an organization
// with at most EmbedLimit of them, and for a larger one those a document
// shows, ranked by a window function. The window runs only over the large
// organizations: it costs more than the rest of the request.
func (s *Service) View(ctx context.Context, c Caller, orgs []*ent.Organization) ([]OrganizationView, error) {
	return view(ctx, s.client, c.userID(), orgs)
}

// ViewIn is View in a transaction, for no reader in particular (an event's
// document).
func ViewIn(ctx context.Context, tx *ent.Tx, org *ent.Organization) (OrganizationView, error) {
	views, err := view(ctx, tx.Client(), uuid.Nil, []*ent.Organization{org})
	if err != nil {
		return OrganizationView{}, err
	}
	return views[0], nil
}

// view reads what View does through client; me is the reader's user id
// (their own membership rides along), uuid.Nil for none.
func view(ctx context.Context, client *ent.Client, me uuid.UUID, orgs []*ent.Organization) ([]OrganizationView, error) {
	if len(orgs) == 0 {
		return []OrganizationView{}, nil
	}
	if len(orgs) == 1 {
		// An item: most organizations have at most EmbedLimit members, and
		// then one query is both the embedded members and the count.
		ms, err := client.Member.Query().Where(member.OrganizationID(orgs[0].ID)).
			Order(member.ByJoinedAt(), member.ByID()).Limit(EmbedLimit + 1).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load members: %w", err)
		}
		if len(ms) <= EmbedLimit {
			if err := loadUsers(ctx, client, ms); err != nil {
				return nil, err
			}
			return []OrganizationView{{Organization: orgs[0], Members: ms, MemberCount: len(ms)}}, nil
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
	if err := client.Member.Query().Where(member.OrganizationIDIn(orgIDs...)).
		GroupBy(member.FieldOrganizationID).Aggregate(ent.Count()).Scan(ctx, &counts); err != nil {
		return nil, fmt.Errorf("count members: %w", err)
	}
	memberCount := make(map[uuid.UUID]int, len(counts))
	for _, c := range counts {
		memberCount[c.OrganizationID] = c.Count
	}
	var small, large []driver.Value
	for _, o := range orgs {
		if memberCount[o.ID] <= EmbedLimit {
			small = append(small, o.ID)
		} else {
			large = append(large, o.ID)
		}
	}
	ms, err := client.Member.Query().
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
					entsql.LTE(ranked.C("rank_all"), EmbedLimit),
					entsql.And(entsql.EQ(ranked.C(member.FieldRole), schema.RoleOwner), entsql.LTE(ranked.C("rank_role"), EmbedLimit)),
					entsql.EQ(ranked.C(member.FieldUserID), me),
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
	views := make([]OrganizationView, len(orgs))
	for i, o := range orgs {
		views[i] = OrganizationView{Organization: o, Members: byOrg[o.ID], MemberCount: memberCount[o.ID]}
	}
	return views, nil
}

// loadUsers sets each membership's user, in one query (ent's WithUser, for
// rows already read).
func loadUsers(ctx context.Context, client *ent.Client, ms []*ent.Member) error {
	ids := make([]uuid.UUID, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	users, err := client.User.Query().Where(user.IDIn(ids...)).All(ctx)
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

// NewOrganization is what creating an organization takes. A nil
// PhoneNumber leaves the default; an empty Status is ACTIVE.
type NewOrganization struct {
	Name        string
	PhoneNumber *string
	Status      string
	Contact     *schema.Contact
	Address     *schema.Address
	// Invitations are sent with the organization, by its creator (see
	// PrepareInvitations).
	Invitations []Invitation
	Platform
}

// CreateOrganization creates an organization in the caller's mode, with
// the roles every organization has, the caller as its owner, and the
// invitations sent with it. It returns the owner's membership, with its
// user.
func (s *Service) CreateOrganization(ctx context.Context, tx *ent.Tx, c Caller, in NewOrganization) (*ent.Organization, *ent.Member, error) {
	if err := in.operatorsOnly(c); err != nil {
		return nil, nil, err
	}
	now := schema.Now()
	status := organization.StatusACTIVE
	if in.Status != "" {
		status = organization.Status(in.Status)
	}
	create := tx.Organization.Create().
		SetName(in.Name).
		SetMode(organization.Mode(c.Mode)).
		SetStatus(status).
		SetStatusHistory([]schema.StatusChange{{Status: string(status), ChangedAt: now}}).
		SetContact(in.Contact).SetAddress(in.Address).
		SetCreatedAt(now).SetUpdatedAt(now)
	if in.PhoneNumber != nil {
		create.SetPhoneNumber(*in.PhoneNumber)
	}
	if in.ExternalID != nil && *in.ExternalID != "" {
		if err := externalIDFree(ctx, tx, c.Mode, *in.ExternalID, uuid.Nil); err != nil {
			return nil, nil, err
		}
		create.SetExternalID(*in.ExternalID)
	}
	if in.Metadata != nil {
		md, err := merge("metadata", nil, false, in.Metadata)
		if err != nil {
			return nil, nil, err
		}
		create.SetMetadata(md)
	}
	if in.PrivateMetadata != nil {
		md, err := merge("private_metadata", nil, false, in.PrivateMetadata)
		if err != nil {
			return nil, nil, err
		}
		create.SetPrivateMetadata(md)
	}
	// Without an external id the new row can collide with none: its
	// insert needs no answer before the rest (schema.WithDeferredInserts).
	saveCtx := ctx
	if in.ExternalID == nil || *in.ExternalID == "" {
		saveCtx = schema.WithDeferredInserts(ctx)
	}
	org, err := create.Save(saveCtx)
	if err != nil {
		return nil, nil, externalIDTaken(err, fmt.Errorf("create organization: %w", err))
	}
	owner, err := Provision(ctx, tx, org, c.User.ID, now)
	if err != nil {
		return nil, nil, err
	}
	// Their accept tokens are not shown: the organization's answer lists no
	// invitations. An operator that wants one resends the invitation (which
	// issues a new token); the events feed will carry them too.
	owner.Edges.User = c.User
	// Its view is known: the owner alone (no query in the write).
	created := OrganizationView{Organization: org, Members: []*ent.Member{owner}, MemberCount: 1}
	if err := s.record(ctx, tx, c, change{typ: OrganizationCreated, mode: c.Mode, org: org.ID, subject: created}); err != nil {
		return nil, nil, err
	}
	for _, inv := range in.Invitations {
		sent, err := createInvitation(ctx, tx, org.ID, c.User.ID, inv, now)
		if err != nil {
			return nil, nil, err
		}
		sent.Edges.Organization = org
		if err := s.record(ctx, tx, c, change{typ: InvitationCreated, mode: c.Mode, org: org.ID, subject: sent.Invitation, hidden: acceptTokenOf(sent)}); err != nil {
			return nil, nil, err
		}
	}
	return org, owner, nil
}

// MayUpdate is Forbidden unless the caller may change the organization.
func (sc *Scope) MayUpdate() error { return MayUpdateOrganization(sc.grant) }

// MayUpdateOrganization is Forbidden unless a member of the role may
// change the organization. It is the rule the write checks (MayUpdate)
// and the one a document's operations show its reader, so that the two
// cannot disagree.
func MayUpdateOrganization(g Grant) error { return g.can(schema.UpdateOrganization) }

// OrganizationChange is a change of an organization: a nil field is left
// as it is; Contact and Address, when their Set is true, replace what is
// stored (nil clears it).
type OrganizationChange struct {
	Name        *string
	PhoneNumber *string
	SetContact  bool
	Contact     *schema.Contact
	SetAddress  bool
	Address     *schema.Address
	Status      *string
	Platform
}

// UpdateOrganization changes the organization. A new status takes the
// change-status permission as well, and is recorded in the history. It
// returns the organization's view after the change, read once in the
// transaction for its event and for the answer alike.
func (sc *Scope) UpdateOrganization(ctx context.Context, ch OrganizationChange) (OrganizationView, error) {
	if err := ch.operatorsOnly(sc.caller); err != nil {
		return OrganizationView{}, err
	}
	org := sc.Org
	update := sc.tx.Organization.UpdateOne(org)
	// previous holds the changed fields' values before the change, as the
	// organization.updated event carries them (Stripe's
	// previous_attributes).
	previous := map[string]any{}
	if ch.Name != nil && *ch.Name != org.Name {
		previous["name"] = org.Name
	}
	if ch.Name != nil {
		update.SetName(*ch.Name)
	}
	if ch.PhoneNumber != nil && *ch.PhoneNumber != org.PhoneNumber {
		previous["phone_number"] = org.PhoneNumber
	}
	if ch.PhoneNumber != nil {
		update.SetPhoneNumber(*ch.PhoneNumber)
	}
	if ch.SetContact {
		if !equalPtr(ch.Contact, org.Contact) {
			previous["contact"] = org.Contact
		}
		update.SetContact(ch.Contact)
	}
	if ch.SetAddress {
		if !equalPtr(ch.Address, org.Address) {
			previous["address"] = org.Address
		}
		update.SetAddress(ch.Address)
	}
	free := func(id string) error { return externalIDFree(ctx, sc.tx, string(org.Mode), id, org.ID) }
	platform, err := ch.apply(org.ExternalID, org.Metadata, org.PrivateMetadata, free)
	if err != nil {
		return OrganizationView{}, err
	}
	set(update, platform)
	maps.Copy(previous, platform.previous) // never private metadata: events carry nothing private
	statusEvent := ""
	if ch.Status != nil && *ch.Status != string(org.Status) {
		statusEvent = OrganizationReactivated
		if *ch.Status == string(organization.StatusSUSPENDED) {
			statusEvent = OrganizationSuspended
		}
		if err := sc.Can(schema.ChangeStatus); err != nil {
			return OrganizationView{}, err
		}
		history := append(append([]schema.StatusChange{}, org.StatusHistory...), schema.StatusChange{Status: *ch.Status, ChangedAt: schema.Now()})
		update.SetStatus(organization.Status(*ch.Status)).SetStatusHistory(history)
	}
	org, err = update.Save(ctx)
	if err != nil {
		return OrganizationView{}, externalIDTaken(err, fmt.Errorf("update organization: %w", err))
	}
	sc.Org = org
	v, err := sc.View(ctx)
	if err != nil {
		return OrganizationView{}, err
	}
	// A change that changes nothing records nothing; a status change is
	// its own event, beside any other change's.
	if len(previous) > 0 {
		if err := sc.record(ctx, OrganizationUpdated, v, previous); err != nil {
			return OrganizationView{}, err
		}
	}
	if statusEvent != "" {
		if err := sc.record(ctx, statusEvent, v, nil); err != nil {
			return OrganizationView{}, err
		}
	}
	return v, nil
}

// View is the organization's view in the scope's transaction, the caller's
// membership riding along (see View).
func (sc *Scope) View(ctx context.Context) (OrganizationView, error) {
	views, err := view(ctx, sc.tx.Client(), sc.caller.User.ID, []*ent.Organization{sc.Org})
	if err != nil {
		return OrganizationView{}, err
	}
	return views[0], nil
}

// equalPtr says whether two optional values are equal (both nil, or equal
// values).
func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// MayDelete is Forbidden unless the caller may delete the organization.
func (sc *Scope) MayDelete() error { return MayDeleteOrganization(sc.grant) }

// MayDeleteOrganization is Forbidden unless a member of the role may
// delete the organization (see MayUpdateOrganization).
func MayDeleteOrganization(g Grant) error { return g.can(schema.DeleteOrganization) }

// DeleteOrganization deletes the organization and every row it owns.
func (sc *Scope) DeleteOrganization(ctx context.Context) error {
	// The event carries the organization as it was.
	v, err := sc.View(ctx)
	if err != nil {
		return err
	}
	if err := sc.record(ctx, OrganizationDeleted, v, nil); err != nil {
		return err
	}
	return sc.service.deleteOwned(ctx, sc.tx, sc.Org.ID)
}

// deleteOwned deletes an organization and its rows: explicit deletes
// rather than ON DELETE CASCADE, the same on every backend whatever the
// database's foreign key settings. The owned tables are those of the types
// whose schema uses OrganizationOwnedMixin (ent.OrganizationOwnedTables,
// generated), so a new owned type is deleted with its organization without
// an edit here; no owned table refers to another, so their order does not
// matter. The rows go without ent's hooks, which the change log does not
// need: the organization's own delete, through ent, tells it that this
// organization changed.
func (s *Service) deleteOwned(ctx context.Context, tx *ent.Tx, id uuid.UUID) error {
	tables := slices.Sorted(maps.Values(ent.OrganizationOwnedTables()))
	for _, table := range tables {
		query, args := entsql.Dialect(s.dialect).Delete(table).Where(entsql.EQ(schema.OwnerField, id)).Query()
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("delete the organization's %s: %w", table, err)
		}
	}
	if err := tx.Organization.DeleteOneID(id).Exec(ctx); err != nil {
		return fmt.Errorf("delete organization: %w", err)
	}
	return nil
}
