package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/apikey"
	"github.com/orgraph/orgraph/ent/user"
	"github.com/orgraph/orgraph/mailaddr"
	"github.com/orgraph/orgraph/orgs"
)

// Key prefixes. The prefix is the mode: a key cannot claim another mode.
const (
	LivePrefix = orgs.LiveKeyPrefix
	TestPrefix = orgs.TestKeyPrefix
)

// BootstrapEmail owns the key a fresh database prints on first start.
const BootstrapEmail = "admin@localhost"

// NewKey describes a key to create.
type NewKey struct {
	Email string
	Name  string
	Mode  string // live or test
	Scope string // write, read or operator
	// Version pins the key to an Orgraph-Version (one of Versions); empty
	// follows the latest.
	Version string
}

// Versions are the date-stamped API versions the server speaks, oldest
// first; the last is the default.
var Versions = []string{"2026-11-01"}

// LatestVersion is the version of requests that name none.
func LatestVersion() string { return Versions[len(Versions)-1] }

// SupportedVersion says whether v is one of Versions.
func SupportedVersion(v string) bool {
	for _, s := range Versions {
		if s == v {
			return true
		}
	}
	return false
}

// ErrInvalidKey is returned for a malformed, unknown or revoked key.
var ErrInvalidKey = errors.New("invalid API key")

// Hash is how keys are stored (orgs.HashSecret).
func Hash(secret string) string { return orgs.HashSecret(secret) }

// CreateKey creates the user on first use and a key for them, and returns the
// secret, which is never stored. The email is taken in mailaddr's one
// spelling (an address that breaks its rule is an error wrapping
// mailaddr.ErrInvalid), so that every spelling of an address is one user.
func (db *DB) CreateKey(ctx context.Context, k NewKey) (string, error) {
	email, err := mailaddr.Normalize(k.Email)
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	if k.Mode == "" {
		k.Mode = "live"
	}
	if k.Scope == "" {
		k.Scope = "write"
	}
	if k.Scope != "write" && k.Scope != "read" && k.Scope != "operator" {
		return "", fmt.Errorf("create key: scope %q is not write, read or operator", k.Scope)
	}
	if k.Version != "" && !SupportedVersion(k.Version) {
		return "", fmt.Errorf("create key: version %q is not one of %s", k.Version, strings.Join(Versions, ", "))
	}
	secret, err := orgs.MintSecret(k.Mode)
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	err = db.Tx(ctx, func(tx *ent.Tx) error {
		u, err := tx.User.Query().Where(user.Email(email)).Only(ctx)
		if ent.IsNotFound(err) {
			u, err = tx.User.Create().SetEmail(email).SetName(k.Name).Save(ctx)
			if err == nil {
				err = db.recordEvent(ctx, tx, orgs.UserCreated, k.Mode, uuid.Nil, u)
			}
		}
		if err != nil {
			return fmt.Errorf("find or create user: %w", err)
		}
		// A user's first key in a mode brings their personal organization
		// in that mode (test and live data never mix).
		first, err := tx.APIKey.Query().Where(apikey.UserID(u.ID), apikey.ModeEQ(apikey.Mode(k.Mode))).Exist(ctx)
		if err != nil {
			return fmt.Errorf("find keys: %w", err)
		}
		if !first {
			personal, err := orgs.CreatePersonal(ctx, tx, u.ID, k.Mode)
			if err != nil {
				return err
			}
			if err := db.recordEvent(ctx, tx, orgs.OrganizationCreated, k.Mode, personal.Organization.ID, personal); err != nil {
				return err
			}
			// The user appears in the mode: a verified domain of theirs
			// enrolls them.
			if err := db.enroll(ctx, tx, u, k.Mode); err != nil {
				return err
			}
		}
		key, err := tx.APIKey.Create().
			SetHash(secret.Hash).
			SetDisplayPrefix(secret.DisplayPrefix).
			SetName(k.Name).
			SetMode(apikey.Mode(k.Mode)).
			SetScope(apikey.Scope(k.Scope)).
			SetVersion(k.Version).
			SetUserID(u.ID).
			Save(ctx)
		if err != nil {
			return err
		}
		return db.recordEvent(ctx, tx, orgs.APIKeyCreated, k.Mode, uuid.Nil, key)
	})
	if err != nil {
		return "", fmt.Errorf("create key: %w", err)
	}
	return secret.Plain, nil
}

// Authenticate finds the live key for a secret, with its user. A key found
// is trusted for keyCacheTTL without reading it again (two statements of
// every request otherwise); the key and user returned are shared between
// requests and must not be modified.
func (db *DB) Authenticate(ctx context.Context, secret string) (*ent.APIKey, error) {
	if !strings.HasPrefix(secret, LivePrefix) && !strings.HasPrefix(secret, TestPrefix) {
		return nil, ErrInvalidKey
	}
	hash := Hash(secret)
	now := time.Now()
	if k := db.keys.get(hash); k != nil {
		// A kept key expires on time; only a revocation waits for the
		// entry to go.
		if k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
			return nil, ErrInvalidKey
		}
		return k, nil
	}
	k, err := db.APIKey.Query().
		Where(apikey.Hash(hash), apikey.RevokedAtIsNil(), apikey.Or(apikey.ExpiresAtIsNil(), apikey.ExpiresAtGT(now))).
		WithUser().
		Only(ctx)
	if ent.IsNotFound(err) {
		return nil, ErrInvalidKey
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	db.noteUse(k, now)
	db.keys.put(hash, k)
	return k, nil
}

// lastUsedGranularity is how precisely last_used_at is kept: a key's use
// is noted at most once a minute (and only when the key cache is refilled,
// every keyCacheTTL), so reading costs no write per request.
const lastUsedGranularity = time.Minute

// keyUseFlushDelay is how long noted uses wait to be written, all in one
// transaction of the writer: on SQLite a write outside it would wait for
// the writer's lock on the request's path.
const keyUseFlushDelay = time.Second

// keyUses are the uses noted since the last flush: key id → the minute.
type keyUses struct {
	mu      sync.Mutex
	pending map[uuid.UUID]time.Time
	timer   *time.Timer
}

// noteUse records that a key was used, to the minute, for the next flush.
// k is the key just read, not yet shared with other requests.
func (db *DB) noteUse(k *ent.APIKey, now time.Time) {
	minute := now.UTC().Truncate(lastUsedGranularity)
	if k.LastUsedAt != nil && !k.LastUsedAt.Before(minute) {
		return
	}
	k.LastUsedAt = &minute
	u := &db.uses
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pending == nil {
		u.pending = map[uuid.UUID]time.Time{}
	}
	u.pending[k.ID] = minute
	if u.timer == nil {
		u.timer = time.AfterFunc(keyUseFlushDelay, func() { db.flushKeyUses() })
	}
}

// flushKeyUses writes the noted uses: one statement per minute noted, in
// one transaction. The update names the minute it writes, so that replicas
// noting the same use write it once. A failure is logged: a use is
// bookkeeping, and must not refuse anything.
func (db *DB) flushKeyUses() {
	u := &db.uses
	u.mu.Lock()
	pending := u.pending
	u.pending, u.timer = nil, nil
	u.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	byMinute := map[time.Time][]uuid.UUID{}
	for id, minute := range pending {
		byMinute[minute] = append(byMinute[minute], id)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := db.Tx(ctx, func(tx *ent.Tx) error {
		for minute, ids := range byMinute {
			err := tx.APIKey.Update().
				Where(apikey.IDIn(ids...), apikey.Or(apikey.LastUsedAtIsNil(), apikey.LastUsedAtLT(minute))).
				SetLastUsedAt(minute).
				Exec(ctx)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		slog.Warn("could not record the keys' last use", "keys", len(pending), "error", err)
	}
}

// keyCacheTTL bounds how long a key revoked in the database (revoked_at)
// still works: on every replica, at most this long after the revocation.
// Unknown keys are never kept, so a new key works at once and guessing
// fills nothing.
const (
	keyCacheTTL  = 2 * time.Second
	keyCacheSize = 10000
)

// shortCache holds what authentication found (keys by the hash of their
// secret, users by their identity) for keyCacheTTL.
type shortCache[V any] struct {
	mu      sync.Mutex
	entries map[string]cachedValue[V]
}

type cachedValue[V any] struct {
	value V
	until time.Time
}

// get is the value kept for key, or V's zero value.
func (c *shortCache[V]) get(key string) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || time.Now().After(e.until) {
		var none V
		return none
	}
	return e.value
}

func (c *shortCache[V]) put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= keyCacheSize {
		c.entries = make(map[string]cachedValue[V]) // dropping all is enough: entries live seconds
	}
	c.entries[key] = cachedValue[V]{value: v, until: time.Now().Add(keyCacheTTL)}
}

// Bootstrap creates a live key for admin@localhost when the database has no
// key at all, so that a fresh server is usable at once. It returns "" when
// keys exist.
func (db *DB) Bootstrap(ctx context.Context) (string, error) {
	n, err := db.APIKey.Query().Count(ctx)
	if err != nil {
		return "", fmt.Errorf("bootstrap: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	// The first key is the operator's: the platform's backend key, which
	// makes users and keys for them.
	secret, err := db.CreateKey(ctx, NewKey{Email: BootstrapEmail, Name: "bootstrap", Mode: "live", Scope: "operator"})
	if err != nil {
		// Replicas starting together on an empty database: one of them
		// creates the key, the others find it made and go on.
		if n, cerr := db.APIKey.Query().Count(ctx); cerr == nil && n > 0 {
			return "", nil
		}
		return "", err
	}
	return secret, nil
}

// ListKeys lists the keys of every user, or of one (email), with their
// users, oldest first: what `orgraph keys list` prints.
func (db *DB) ListKeys(ctx context.Context, email string) ([]*ent.APIKey, error) {
	q := db.APIKey.Query().WithUser().Order(apikey.ByCreatedAt(), apikey.ByID())
	if email != "" {
		normal, err := mailaddr.Normalize(email)
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		q.Where(apikey.HasUserWith(user.Email(normal)))
	}
	keys, err := q.All(ctx)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return keys, nil
}

// ErrNoSuchKey and ErrAmbiguousKey are RevokeKey's refusals.
var (
	ErrNoSuchKey    = errors.New("no key has that id or prefix")
	ErrAmbiguousKey = errors.New("several keys have that prefix")
)

// RevokeKey revokes the key with this id, or the one key whose display
// prefix (og_live_1a2b3c) this is; every replica refuses it within the key
// cache's delay. Revoking a revoked key changes nothing.
func (db *DB) RevokeKey(ctx context.Context, idOrPrefix string) (*ent.APIKey, error) {
	where := apikey.DisplayPrefix(idOrPrefix)
	if id, err := uuid.Parse(idOrPrefix); err == nil {
		where = apikey.ID(id)
	}
	var key *ent.APIKey
	err := db.Tx(ctx, func(tx *ent.Tx) error {
		found, err := tx.APIKey.Query().Where(where).WithUser().Limit(2).All(ctx)
		switch {
		case err != nil:
			return fmt.Errorf("find the key: %w", err)
		case len(found) == 0:
			return ErrNoSuchKey
		case len(found) > 1:
			return ErrAmbiguousKey
		}
		key = found[0]
		if key.RevokedAt != nil {
			return nil
		}
		now := time.Now().UTC()
		if err := tx.APIKey.UpdateOne(key).SetRevokedAt(now).Exec(ctx); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		key.RevokedAt = &now
		if err := db.recordEvent(ctx, tx, orgs.APIKeyRevoked, string(key.Mode), uuid.Nil, key); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("revoke key %s: %w", idOrPrefix, err)
	}
	return key, nil
}
