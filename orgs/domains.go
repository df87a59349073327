package orgs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/domain"
	"github.com/orgraph/orgraph/ent/invitation"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/internal/english"
)

// Verified domains (issue 21, item 4). An organization claims an email
// domain; it is verified when the DNS TXT record _orgraph-challenge.<domain>
// holds the claim's token, checked on demand (the verify action) and
// again periodically (RecheckDomains). A domain is verified in at most one
// organization per mode (a partial unique index decides races). A verified
// domain enrolls the users whose address is at it as they appear (a new
// user, or a user's first key in a mode): an invitation from whoever
// claimed it, or a membership, with the domain's role.

// ChallengePrefix is the label before the domain that holds the token.
const ChallengePrefix = "_orgraph-challenge."

// TXTResolver looks up DNS TXT records; *net.Resolver is one.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// SetResolver sets the resolver domains are verified through (the
// system's when never set).
func (s *Service) SetResolver(r TXTResolver) { s.resolver = r }

// DNSTimeout bounds one verification's lookup.
const DNSTimeout = 5 * time.Second

// publicEmailDomains are the mailbox providers' domains: anyone may have
// an address there, so none can be an organization's.
var publicEmailDomains = map[string]bool{}

func init() {
	for _, d := range strings.Fields(`gmail.com googlemail.com yahoo.com yahoo.co.uk yahoo.fr ymail.com
		outlook.com hotmail.com hotmail.co.uk hotmail.fr live.com msn.com icloud.com me.com mac.com aol.com
		proton.me protonmail.com pm.me gmx.com gmx.de gmx.net web.de mail.com zoho.com yandex.com yandex.ru
		mail.ru qq.com 163.com 126.com naver.com hey.com fastmail.com tutanota.com orange.fr free.fr laposte.net`) {
		publicEmailDomains[d] = true
	}
}

// NormalizeDomain is a domain name in its one spelling (lower case, no
// final dot), or a violation at "domain": ASCII letters, digits and
// hyphens in labels of 1 to 63 characters, two labels at least, 253
// characters at most. (An internationalized domain is sent in its
// ASCII, xn-- form.)
func NormalizeDomain(s string) (string, error) {
	d := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	bad := func(why string) error {
		return violation("domain", "This value is not a valid domain name: "+why, RuleInvalidDomain)
	}
	if len(d) > 253 {
		return "", bad("it is longer than 253 characters.")
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", bad("it needs at least two labels, as in example.com.")
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return "", bad("each label holds 1 to 63 characters and neither starts nor ends with a hyphen.")
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return "", bad("only letters, digits and hyphens (send an internationalized name in its xn-- form).")
			}
		}
	}
	if publicEmailDomains[d] {
		return "", violation("domain", "This is a public email provider's domain: anyone can have an address there, so no organization can claim it.", RuleInvalidDomain)
	}
	return d, nil
}

// DomainFilter narrows the domains listed; a zero field does not.
type DomainFilter struct {
	Organization uuid.UUID
	Status       string
}

// Domains lists the domains of the organizations the caller sees.
func (s *Service) Domains(c Caller, f DomainFilter, order []Order) List[*ent.Domain] {
	q := s.client.Domain.Query().Where(visibleThrough(c))
	if f.Organization != uuid.Nil {
		q.Where(domain.OrganizationID(f.Organization))
	}
	if f.Status != "" {
		q.Where(domain.StatusEQ(domain.Status(f.Status)))
	}
	return listOf(q, (*ent.DomainQuery).Order, order)
}

// Domain reads a domain the caller sees.
func (s *Service) Domain(ctx context.Context, c Caller, id uuid.UUID) (*ent.Domain, error) {
	return findDomain(ctx, s.client, c, id)
}

func findDomain(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.Domain, error) {
	return found(client.Domain.Query().Where(domain.ID(id), visibleThrough(c)).Only(ctx))
}

// MayManageDomains is Forbidden unless the caller holds domains:manage in
// an active organization: the rule of every write of a domain.
func (st Standing) MayManageDomains() error {
	if err := st.grant.can(schema.ManageDomains); err != nil {
		return err
	}
	return st.active()
}

func (sc *Scope) mayManageDomains() error { return sc.Standing().MayManageDomains() }

// EnterDomain finds a domain the caller sees, enters its organization,
// checks that the caller manages its domains, and reads the domain again
// under the lock.
func (s *Service) EnterDomain(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*Scope, *ent.Domain, error) {
	find := func() (*ent.Domain, error) { return findDomain(ctx, tx.Client(), c, id) }
	return enterOwner(ctx, s, tx, c, find, func(d *ent.Domain) uuid.UUID { return d.OrganizationID }, (*Scope).mayManageDomains)
}

// DomainClaim is a domain to claim, as a request sends it.
type DomainClaim struct {
	Domain     string
	Enrollment string // "" is none
	Role       string // "" is viewer
}

// mayEnroll checks what a domain's enrollment would give, as set by the
// caller: none gives nothing; an invitation takes what sending it takes
// (mayInvite), a membership what giving the role to a member takes
// (members:manage and the role's every permission); the role is one of
// the organization's, never owner (ownership is given by an owner, to
// someone they chose).
func (sc *Scope) mayEnroll(enrollment, role string) error {
	g, err := sc.book.roleChoice(role, "role")
	if err != nil {
		return err
	}
	if role == schema.RoleOwner {
		return violation("role", "Enrollment gives no ownership: choose another role.", RuleNoSuchChoice)
	}
	switch enrollment {
	case schema.EnrollInvitation:
		return mayInvite(sc.grant, g)
	case schema.EnrollMembership:
		if err := sc.grant.can(schema.ManageMembers); err != nil {
			return err
		}
		return sc.grant.covers(g, "enroll members as "+english.WithArticle(role))
	}
	return nil
}

// ClaimDomain claims a domain for the organization, pending until its
// TXT record is found.
func (sc *Scope) ClaimDomain(ctx context.Context, claim DomainClaim) (*ent.Domain, error) {
	if err := sc.mayManageDomains(); err != nil {
		return nil, err
	}
	name, err := NormalizeDomain(claim.Domain)
	if err != nil {
		return nil, err
	}
	if claim.Role == "" {
		claim.Role = schema.RoleViewer
	}
	if claim.Enrollment == "" {
		claim.Enrollment = schema.EnrollNone
	}
	if err := sc.mayEnroll(claim.Enrollment, claim.Role); err != nil {
		return nil, err
	}
	taken, err := sc.tx.Domain.Query().Where(domain.OrganizationID(sc.Org.ID), domain.Domain(name)).Exist(ctx)
	if err != nil {
		return nil, fmt.Errorf("find domain: %w", err)
	}
	if taken {
		return nil, violation("domain", "This organization has claimed this domain already.", RuleNotUnique)
	}
	token := make([]byte, 24)
	if _, err := rand.Read(token); err != nil {
		return nil, fmt.Errorf("make a verification token: %w", err)
	}
	now := schema.Now()
	create := sc.tx.Domain.Create().SetOrganizationID(sc.Org.ID).SetDomain(name).SetMode(domain.Mode(sc.Org.Mode)).
		SetVerificationToken("orgraph-verification=" + hex.EncodeToString(token)).
		SetEnrollment(domain.Enrollment(claim.Enrollment)).SetRole(claim.Role).SetCreatedAt(now).SetUpdatedAt(now)
	// Who claims it vouches for the invitations it sends (an operator while
	// it holds an operator key: inviterVouches).
	d, err := create.SetCreatedBy(sc.caller.User.ID).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("claim domain: %w", err)
	}
	return d, sc.record(ctx, DomainCreated, d, nil)
}

// DomainChange is a change of a domain's enrollment: a nil field stays.
type DomainChange struct {
	Enrollment *string
	Role       *string
}

// UpdateDomain changes how a domain enrolls people. Whoever changes it
// becomes who vouches for the invitations it sends.
func (sc *Scope) UpdateDomain(ctx context.Context, d *ent.Domain, ch DomainChange) (*ent.Domain, error) {
	previous := map[string]any{}
	enrollment, role := string(d.Enrollment), d.Role
	if ch.Enrollment != nil && *ch.Enrollment != enrollment {
		previous["enrollment"], enrollment = enrollment, *ch.Enrollment
	}
	if ch.Role != nil && *ch.Role != role {
		previous["role"], role = role, *ch.Role
	}
	if len(previous) == 0 {
		return d, nil
	}
	// The enrollment as it will be is the caller's to give: they vouch
	// for it from now on.
	if err := sc.mayEnroll(enrollment, role); err != nil {
		return nil, err
	}
	updated, err := sc.tx.Domain.UpdateOne(d).SetEnrollment(domain.Enrollment(enrollment)).SetRole(role).
		SetCreatedBy(sc.caller.User.ID).SetUpdatedAt(schema.Now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update domain: %w", err)
	}
	return updated, sc.record(ctx, DomainUpdated, updated, previous)
}

// DeleteDomain gives a domain up: it enrolls no one any more.
func (sc *Scope) DeleteDomain(ctx context.Context, d *ent.Domain) error {
	if err := sc.record(ctx, DomainDeleted, d, nil); err != nil {
		return err
	}
	if err := sc.tx.Domain.DeleteOne(d).Exec(ctx); err != nil {
		return fmt.Errorf("delete domain: %w", err)
	}
	return nil
}

// DomainCheck is what a DNS lookup found for a domain.
type DomainCheck struct {
	Found   bool   // a TXT record holds the token
	Failure string // why not, for the domain's failure
	At      time.Time
}

// CheckDNS looks up a domain's challenge record (at most DNSTimeout). It
// reads no database, so that a write transaction never waits on DNS.
func (s *Service) CheckDNS(ctx context.Context, d *ent.Domain) DomainCheck {
	var r TXTResolver = net.DefaultResolver
	if s.resolver != nil {
		r = s.resolver
	}
	ctx, cancel := context.WithTimeout(ctx, DNSTimeout)
	defer cancel()
	name := ChallengePrefix + d.Domain
	records, err := r.LookupTXT(ctx, name)
	check := DomainCheck{At: schema.Now()}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		check.Failure = fmt.Sprintf("No TXT record at %s: publish one holding the verification token.", name)
	case err != nil:
		check.Failure = fmt.Sprintf("The DNS lookup of %s failed; try again later.", name)
	default:
		for _, txt := range records {
			if strings.TrimSpace(txt) == d.VerificationToken {
				check.Found = true
				return check
			}
		}
		check.Failure = fmt.Sprintf("No TXT record at %s holds the verification token.", name)
	}
	return check
}

// RecordCheck stores what a check found, under the organization's lock: a
// domain found becomes verified (unless another organization of its mode
// has it verified: a violation), one not found fails — a verified domain
// whose record is gone no longer enrolls anyone. A change of status is
// an event (domain.verified, domain.verification_failed).
func (sc *Scope) RecordCheck(ctx context.Context, d *ent.Domain, check DomainCheck) (*ent.Domain, error) {
	update := sc.tx.Domain.UpdateOne(d).SetCheckedAt(check.At)
	typ := ""
	if check.Found {
		update.ClearFailure()
		if d.Status != domain.StatusVerified {
			taken, err := sc.tx.Domain.Query().Where(domain.ModeEQ(d.Mode), domain.Domain(d.Domain),
				domain.StatusEQ(domain.StatusVerified), domain.IDNEQ(d.ID)).Exist(ctx)
			if err := takenCheck(taken, err, errDomainTaken()); err != nil {
				return nil, err
			}
			update.SetStatus(domain.StatusVerified).SetVerifiedAt(check.At).SetUpdatedAt(check.At)
			typ = DomainVerified
		}
	} else {
		update.SetFailure(check.Failure)
		if d.Status != domain.StatusFailed {
			update.SetStatus(domain.StatusFailed).ClearVerifiedAt().SetUpdatedAt(check.At)
			typ = DomainVerificationFailed
		}
	}
	updated, err := update.Save(ctx)
	if err != nil {
		if ent.IsConstraintError(err) {
			return nil, errDomainTaken()
		}
		return nil, fmt.Errorf("record the domain's check: %w", err)
	}
	if typ != "" {
		if err := sc.record(ctx, typ, updated, map[string]any{"status": string(d.Status)}); err != nil {
			return nil, err
		}
	}
	return updated, nil
}

func errDomainTaken() error {
	return violation("domain", "Another organization of this mode has verified this domain.", RuleNotUnique)
}

// DomainsToRecheck are, oldest check first, at most limit domains due a
// check: pending or failed ones not checked for pendingEvery (so that a
// record published later verifies them), verified ones not checked for
// verifiedEvery (so that a record taken down stops their enrollment).
func (s *Service) DomainsToRecheck(ctx context.Context, now time.Time, pendingEvery, verifiedEvery time.Duration, limit int) ([]*ent.Domain, error) {
	due := func(status domain.Status, every time.Duration) ([]*ent.Domain, error) {
		return s.client.Domain.Query().Where(domain.StatusEQ(status),
			domain.Or(domain.CheckedAtIsNil(), domain.CheckedAtLT(now.Add(-every)))).
			Order(domain.ByCheckedAt(), domain.ByID()).Limit(limit).All(ctx)
	}
	var out []*ent.Domain
	for _, st := range []struct {
		status domain.Status
		every  time.Duration
	}{{domain.StatusVerified, verifiedEvery}, {domain.StatusPending, pendingEvery}, {domain.StatusFailed, pendingEvery}} {
		list, err := due(st.status, st.every)
		if err != nil {
			return nil, fmt.Errorf("find the domains due a check: %w", err)
		}
		out = append(out, list...)
	}
	return out[:min(len(out), limit)], nil
}

// EnterDomainAsSystem enters a domain's organization for the periodic
// re-check, which no caller makes.
func (s *Service) EnterDomainAsSystem(ctx context.Context, tx *ent.Tx, id uuid.UUID) (*Scope, *ent.Domain, error) {
	d, err := tx.Domain.Get(ctx, id)
	if err != nil {
		if ent.IsNotFound(err) {
			return nil, nil, ErrNotFound
		}
		return nil, nil, fmt.Errorf("find domain: %w", err)
	}
	org, err := s.locker.LockAndReadOrganization(ctx, tx, d.OrganizationID)
	if err != nil {
		return nil, nil, fmt.Errorf("enter the domain's organization: %w", err)
	}
	book, err := readRoleBook(ctx, tx.Client(), org.ID)
	if err != nil {
		return nil, nil, err
	}
	if d, err = tx.Domain.Get(ctx, id); err != nil {
		return nil, nil, fmt.Errorf("find domain: %w", err)
	}
	system := &ent.Member{OrganizationID: org.ID, Role: schema.RoleOwner}
	return &Scope{service: s, tx: tx, caller: Caller{}, Org: org, Me: system, grant: book.grant(schema.RoleOwner), book: book}, d, nil
}

// Enroll applies the enrollment of the domain verified in a mode that a
// user's address is at, as the user appears in that mode (a new user, or
// their first key there): a pending invitation from whoever set the
// domain up, or a membership with the domain's role. A user already a
// member, or already invited, is left as they are. Recorded as the
// system's (invitation.created, member.added).
func (s *Service) Enroll(ctx context.Context, tx *ent.Tx, u *ent.User, mode string) error {
	at := strings.LastIndexByte(u.Email, '@')
	if at < 0 {
		return nil
	}
	d, err := tx.Domain.Query().Where(domain.ModeEQ(domain.Mode(mode)), domain.Domain(u.Email[at+1:]),
		domain.StatusEQ(domain.StatusVerified), domain.EnrollmentNEQ(domain.EnrollmentNone)).First(ctx)
	if ent.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("find the user's domain: %w", err)
	}
	if err := s.locker.LockOrganization(ctx, tx, d.OrganizationID); err != nil {
		return fmt.Errorf("enter the domain's organization: %w", err)
	}
	org, err := tx.Organization.Get(ctx, d.OrganizationID)
	if err != nil {
		return fmt.Errorf("find the domain's organization: %w", err)
	}
	if org.Status == organization.StatusSUSPENDED {
		return nil // a suspended organization takes no one in
	}
	isMember, err := tx.Member.Query().Where(member.OrganizationID(org.ID), member.UserID(u.ID)).Exist(ctx)
	if err != nil || isMember {
		return err
	}
	system := Caller{}
	now := schema.Now()
	if d.Enrollment == domain.EnrollmentAutomaticMembership {
		m, err := tx.Member.Create().SetOrganizationID(org.ID).SetUserID(u.ID).SetRole(d.Role).SetJoinedAt(now).Save(ctx)
		if err != nil {
			return fmt.Errorf("enroll the user: %w", err)
		}
		m.Edges.User = u
		return s.record(ctx, tx, system, change{typ: MemberAdded, mode: mode, org: org.ID, subject: m})
	}
	invited, err := tx.Invitation.Query().Where(invitation.OrganizationID(org.ID), invitation.Email(u.Email),
		invitation.StatusEQ(invitation.StatusPending)).Exist(ctx)
	if err != nil || invited {
		return err
	}
	if d.CreatedBy == nil {
		return nil // no one to send it
	}
	sent, err := createInvitation(ctx, tx, org.ID, *d.CreatedBy, Invitation{Email: u.Email, Role: d.Role, Days: schema.DefaultInvitationDays}, now)
	var broken Violations
	if errors.As(err, &broken) {
		return nil // not invitable now: enrollment never fails the user's arrival
	}
	if err != nil {
		return err
	}
	sent.Edges.Organization = org
	return s.record(ctx, tx, system, change{typ: InvitationCreated, mode: mode, org: org.ID, subject: sent.Invitation, hidden: acceptTokenOf(sent)})
}
