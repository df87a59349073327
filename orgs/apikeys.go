package orgs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/apikey"
	"github.com/orgraph/orgraph/ent/predicate"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// API keys are how a user acts: each is of one mode (a test key never sees
// live data) and one scope. A user manages their own keys; no key ever
// makes a key with more power than itself.

// Key prefixes. The prefix is the mode: a key cannot claim another mode.
const (
	LiveKeyPrefix = "og_live_"
	TestKeyPrefix = "og_test_"
)

// KeyPrefix is the secret's prefix of a mode ("" for no mode).
func KeyPrefix(mode string) string {
	return map[string]string{"live": LiveKeyPrefix, "test": TestKeyPrefix}[mode]
}

// Secret is a new key's secret, shown once, with what is stored of it.
type Secret struct {
	Plain         string // og_live_ and 48 hex digits: 192 random bits
	Hash          string // HashSecret(Plain): all the database keeps
	DisplayPrefix string // og_live_1a2b: what identifies the key on screen
}

// MintSecret makes a key's secret for a mode.
func MintSecret(mode string) (Secret, error) {
	prefix := KeyPrefix(mode)
	if prefix == "" {
		return Secret{}, fmt.Errorf("mint a key: mode %q is not live or test", mode)
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return Secret{}, fmt.Errorf("mint a key: %w", err)
	}
	plain := prefix + hex.EncodeToString(raw)
	return Secret{Plain: plain, Hash: HashSecret(plain), DisplayPrefix: plain[:len(prefix)+6]}, nil
}

// HashSecret is how secrets are stored: SHA-256, hex. Keys carry 192
// random bits, so a fast hash is enough (no password stretching needed).
func HashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// Rotation's grace period: how long the old key keeps working beside the
// new one, as the caller chooses within these bounds (Stripe and Stytch
// let the old secret live on for a while, so that deployments can roll).
const (
	DefaultRotationGrace = 24 * time.Hour
	MaxRotationGrace     = 7 * 24 * time.Hour
)

// scopePower orders scopes by what they allow.
var scopePower = map[string]int{"read": 1, "write": 2, "operator": 3}

// Rules of API keys.
const (
	RuleKeyPower    Rule = "key-power"    // a key never makes a key with more power than itself
	RuleKeyInactive Rule = "key-inactive" // a revoked or expired key is not rotated
	RuleOutOfRange  Rule = "out-of-range" // a time or duration outside its bounds
	RuleUnknownUser Rule = "unknown-user" // a key for a user who does not exist
)

// APIKeyFilter narrows the keys listed; a zero field does not.
type APIKeyFilter struct {
	User uuid.UUID
}

// APIKeys lists the keys of the caller's mode the caller sees: their own,
// and an operator every user's.
func (s *Service) APIKeys(c Caller, f APIKeyFilter, order []Order) List[*ent.APIKey] {
	q := s.client.APIKey.Query().Where(visibleKeys(c))
	if f.User != uuid.Nil {
		q.Where(apikey.UserID(f.User))
	}
	return listOf(q, (*ent.APIKeyQuery).Order, order)
}

// visibleKeys are the keys of the caller's mode that are theirs, or, for
// an operator, anyone's: an operator makes keys for users, and manages
// them (lists, revokes, rotates) as it manages their organizations.
func visibleKeys(c Caller) predicate.APIKey {
	mode := apikey.ModeEQ(apikey.Mode(c.Mode))
	if c.Operator() {
		return mode
	}
	return apikey.And(mode, apikey.UserID(c.User.ID))
}

// APIKey reads a key the caller sees (visibleKeys).
func (s *Service) APIKey(ctx context.Context, c Caller, id uuid.UUID) (*ent.APIKey, error) {
	return findAPIKey(ctx, s.client, c, id)
}

func findAPIKey(ctx context.Context, client *ent.Client, c Caller, id uuid.UUID) (*ent.APIKey, error) {
	return found(client.APIKey.Query().Where(apikey.ID(id), visibleKeys(c)).Only(ctx))
}

// NewAPIKey is a key to make for the caller.
type NewAPIKey struct {
	// User is whom the key acts as: the caller (uuid.Nil), or, for an
	// operator, any user.
	User      uuid.UUID
	Name      string
	Scope     string     // "" is the scope of the caller's key or token
	ExpiresAt *time.Time // nil: as long as the caller's key or token lives
}

// CreateAPIKey makes a key for the caller, of the caller's mode, and
// returns it with its secret, which is never stored.
func (s *Service) CreateAPIKey(ctx context.Context, tx *ent.Tx, c Caller, k NewAPIKey) (*ent.APIKey, Secret, error) {
	now := schema.Now()
	var v Violations
	if k.Scope == "" {
		k.Scope = c.scope()
	}
	if scopePower[k.Scope] > scopePower[c.scope()] {
		v = append(v, Violation{Path: "scope", Rule: RuleKeyPower,
			Message: fmt.Sprintf("A %s %s cannot make a %s key: a %s never makes a key with more power than itself.", c.scope(), c.credential(), k.Scope, c.credential())})
	}
	limit := c.keyExpiry()
	switch {
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		v = append(v, Violation{Path: "expires_at", Rule: RuleOutOfRange, Message: "This value should be in the future."})
	case k.ExpiresAt != nil && limit != nil && k.ExpiresAt.After(*limit):
		v = append(v, Violation{Path: "expires_at", Rule: RuleKeyPower,
			Message: fmt.Sprintf("This %s expires at %s: a key it makes cannot outlive it.", c.credential(), limit.UTC().Format(time.RFC3339))})
	case k.ExpiresAt == nil:
		k.ExpiresAt = limit
	}
	owner := c.User.ID
	if k.User != uuid.Nil && k.User != owner {
		if !c.Operator() {
			return nil, Secret{}, forbidOperatorOnly("make keys for other users")
		}
		exists, err := tx.User.Query().Where(user.ID(k.User)).Exist(ctx)
		if err != nil {
			return nil, Secret{}, fmt.Errorf("find user: %w", err)
		}
		if !exists {
			v = append(v, Violation{Path: "user", Rule: RuleUnknownUser, Message: "No user has this IRI."})
		}
		owner = k.User
	}
	if len(v) > 0 {
		return nil, Secret{}, v
	}
	// A user's first key in a mode brings their personal organization in
	// that mode, as the command line's does.
	first, err := tx.APIKey.Query().Where(apikey.UserID(owner), apikey.ModeEQ(apikey.Mode(c.Mode))).Exist(ctx)
	if err != nil {
		return nil, Secret{}, fmt.Errorf("find keys: %w", err)
	}
	if !first {
		if err := s.createPersonal(ctx, tx, c, owner, c.Mode); err != nil {
			return nil, Secret{}, err
		}
	}
	version := ""
	if c.Key != nil {
		version = c.Key.Version
	}
	key, secret, err := s.mint(ctx, tx, owner, c.Mode, k.Name, k.Scope, version, k.ExpiresAt)
	if err != nil {
		return nil, Secret{}, err
	}
	return key, secret, s.record(ctx, tx, c, change{typ: APIKeyCreated, mode: c.Mode, subject: key})
}

func (s *Service) mint(ctx context.Context, tx *ent.Tx, userID uuid.UUID, mode, name, scope, version string, expires *time.Time) (*ent.APIKey, Secret, error) {
	secret, err := MintSecret(mode)
	if err != nil {
		return nil, Secret{}, err
	}
	key, err := tx.APIKey.Create().
		SetHash(secret.Hash).
		SetDisplayPrefix(secret.DisplayPrefix).
		SetName(name).
		SetMode(apikey.Mode(mode)).
		SetScope(apikey.Scope(scope)).
		SetVersion(version).
		SetUserID(userID).
		SetNillableExpiresAt(expires).
		Save(ctx)
	if err != nil {
		return nil, Secret{}, fmt.Errorf("create key: %w", err)
	}
	return key, secret, nil
}

// RevokeAPIKey revokes one of the caller's keys: every replica refuses it
// within the key cache's delay. Revoking a revoked key changes nothing.
func (s *Service) RevokeAPIKey(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID) (*ent.APIKey, error) {
	k, err := findAPIKey(ctx, tx.Client(), c, id)
	if err != nil || k.RevokedAt != nil {
		return k, err
	}
	k, err = tx.APIKey.UpdateOne(k).SetRevokedAt(schema.Now()).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("revoke key: %w", err)
	}
	return k, s.record(ctx, tx, c, change{typ: APIKeyRevoked, mode: string(k.Mode), subject: k})
}

// RotateAPIKey makes a new key like one of the caller's (name, scope,
// version, expiry) and lets the old one live for grace at most.
func (s *Service) RotateAPIKey(ctx context.Context, tx *ent.Tx, c Caller, id uuid.UUID, grace time.Duration) (*ent.APIKey, Secret, error) {
	old, err := findAPIKey(ctx, tx.Client(), c, id)
	if err != nil {
		return nil, Secret{}, err
	}
	now := schema.Now()
	if grace < 0 || grace > MaxRotationGrace {
		return nil, Secret{}, violation("grace_period", fmt.Sprintf("This value should be between 0 and %d seconds.", int(MaxRotationGrace.Seconds())), RuleOutOfRange)
	}
	if err := MayRotateAPIKey(c, old, now); err != nil {
		return nil, Secret{}, err
	}
	fresh, secret, err := s.mint(ctx, tx, old.UserID, string(old.Mode), old.Name, string(old.Scope), old.Version, old.ExpiresAt)
	if err != nil {
		return nil, Secret{}, err
	}
	end := now.Add(grace)
	if old.ExpiresAt == nil || end.Before(*old.ExpiresAt) {
		if err := tx.APIKey.UpdateOne(old).SetExpiresAt(end).Exec(ctx); err != nil {
			return nil, Secret{}, fmt.Errorf("rotate key: %w", err)
		}
	}
	return fresh, secret, s.record(ctx, tx, c, change{typ: APIKeyRotated, mode: string(fresh.Mode), subject: fresh})
}

// MayRotateAPIKey is a violation unless the caller may rotate the key
// (one of theirs, as every key they see is): it is neither revoked nor
// expired, and has no more power than the caller's key. An item's document
// offers the rotate action by the same rule.
func MayRotateAPIKey(c Caller, k *ent.APIKey, now time.Time) error {
	if k.RevokedAt != nil || k.ExpiresAt != nil && !k.ExpiresAt.After(now) {
		return violation("", "This key is revoked or expired: make a new key instead.", RuleKeyInactive)
	}
	if scopePower[string(k.Scope)] > scopePower[c.scope()] {
		return violation("", fmt.Sprintf("A %s %s cannot rotate a %s key: a %s never makes a key with more power than itself.", c.scope(), c.credential(), k.Scope, c.credential()), RuleKeyPower)
	}
	return nil
}

// MayRevokeAPIKey is nil when revoking the key changes it (it is not
// revoked yet): revoking a revoked key is allowed, and changes nothing, so
// a document does not offer it.
func MayRevokeAPIKey(k *ent.APIKey) error {
	if k.RevokedAt != nil {
		return violation("", "This key is revoked already.", RuleKeyInactive)
	}
	return nil
}

// scope is the scope of the caller's key or token; a caller without
// either (the command line) writes.
func (c Caller) scope() string {
	switch {
	case c.Key != nil:
		return string(c.Key.Scope)
	case c.Token != nil:
		return c.Token.Scope
	}
	return "write"
}

// keyExpiry is when the caller's key or token expires, nil for never.
func (c Caller) keyExpiry() *time.Time {
	switch {
	case c.Key != nil:
		return c.Key.ExpiresAt
	case c.Token != nil:
		return &c.Token.ExpiresAt
	}
	return nil
}

// credential names what the caller presented, for the messages of the
// rules of key power.
func (c Caller) credential() string {
	if c.Token != nil {
		return "token"
	}
	return "key"
}
