package orgs

import "github.com/orgraph/orgraph/ent"

// Caller is who is asking: a user, acting in one mode. Organizations of
// the other mode do not exist for them, as a test-mode API key sees only
// test-mode data.
type Caller struct {
	User *ent.User
	Mode string // "live" or "test"
	// Key is the API key the caller presented (its scope and expiry bound
	// the keys it makes); nil when the caller is the command line.
	Key *ent.APIKey
}
