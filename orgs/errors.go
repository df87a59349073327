package orgs

import (
	"errors"
	"strings"
)

// ErrNotFound is the answer for anything the caller cannot see: absent,
// of another organization the caller does not belong to, or of the other
// mode. Another tenant's data is indistinguishable from no data.
var ErrNotFound = errors.New("not found")

// Forbidden is a refusal of something the caller can see but may not do;
// Reason says why in a sentence the caller can act on (which permission
// their role lacks and who holds it, or the organization's state).
type Forbidden struct{ Reason string }

func (f *Forbidden) Error() string { return f.Reason }

// Rule names a rule of this package that a request broke, so that an
// adapter can give each its own code (package handlers maps them to
// constraint codes of the problem catalogue).
type Rule string

// The rules a request can break, beyond the input's own shape.
const (
	RuleLastOwner        Rule = "last-owner"         // an organization keeps at least one owner
	RuleNotPending       Rule = "not-pending"        // only a pending invitation may be accepted or revoked
	RuleAlreadyMember    Rule = "already-member"     // members are not invited, and do not join twice
	RuleNotUnique        Rule = "not-unique"         // a name or a pending invitation is taken
	RuleInviterLostPower Rule = "inviter-lost-power" // the inviter may no longer send the invitation
	RuleInvalidEmail     Rule = "invalid-email"      // not an address by mailaddr's rule
	RuleNoSuchChoice     Rule = "no-such-choice"     // not one of the values allowed
	RuleEndpointDisabled Rule = "endpoint-disabled"  // a delivery of a disabled endpoint waits
	RuleUnsafeURL        Rule = "unsafe-url"         // webhooks go to public http(s) URLs only
	RuleNotTransferable  Rule = "not-transferable"   // ownership goes to another active member who is no owner yet
	RuleTooMany          Rule = "too-many"           // more elements than allowed (metadata keys)
	RuleRoleInUse        Rule = "role-in-use"        // a role members or invitations hold is deleted only with a replacement
	RuleInvalidDomain    Rule = "invalid-domain"     // not a domain name, or a public email provider's
)

// Violation is one broken rule, at a property of the request (Path, as a
// constraint violation's propertyPath: "role", "invitations[2].email").
type Violation struct {
	Path    string
	Message string
	Rule    Rule
}

// Violations are the rules one request broke; a request that breaks any
// changes nothing.
type Violations []Violation

func (v Violations) Error() string {
	parts := make([]string, len(v))
	for i, x := range v {
		parts[i] = x.Path + ": " + x.Message
	}
	return strings.Join(parts, "; ")
}

// violation is Violations with one violation.
func violation(path, message string, rule Rule) Violations {
	return Violations{{Path: path, Message: message, Rule: rule}}
}
