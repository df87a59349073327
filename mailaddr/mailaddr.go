// Package mailaddr holds Orgraph's one rule for email addresses: what is an
// address, and the one spelling it is stored, looked up and compared in.
// Keys (store.CreateKey, `orgraph keys create`), invitations and the members'
// email filter all go through Normalize, so that two spellings of one
// address are one user and two addresses are never merged.
//
// The rule: surrounding white space is trimmed; what is left must be an
// ASCII address that matches Pattern (the WHATWG HTML "valid e-mail address"
// production, the one <input type=email> checks) in at most MaxLength
// characters; it is then lower-cased, ASCII letters only. Nothing outside
// ASCII is accepted, so no Unicode case mapping can make two addresses one
// (strings.ToLower maps the Kelvin sign U+212A to "k": "\u212Aate@x.test"
// would otherwise be kate@x.test). An internationalised domain is written
// in its ASCII (xn--, IDNA) form; an internationalised local part is not
// supported.
package mailaddr

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Pattern is the WHATWG HTML "valid e-mail address" production. It accepts
// a domain without a dot (admin@localhost, the bootstrap user's address),
// as browsers do; Symfony's Email constraint calls this mode
// html5-allow-no-tld.
const Pattern = "^[a-zA-Z0-9.!#$%&'*+\\/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$"

// MaxLength is the longest address, in bytes (an address is ASCII): the
// most an SMTP path holds (RFC 5321) and what the email columns store.
const MaxLength = 254

// Rule is the rule in words, for error messages.
const Rule = "an email address is ASCII letters, digits and .!#$%&'*+/=?^_`{|}~- before the @, " +
	"and after it a domain of dot-separated labels of letters, digits and inner hyphens " +
	"(an internationalised domain in its xn-- form), at most 254 characters in all"

// ErrInvalid is the error Normalize wraps for an address that breaks the rule.
var ErrInvalid = errors.New("not a valid email address")

var pattern = regexp.MustCompile(Pattern)

// Valid says whether s, as given (not trimmed), is an address: Pattern, in
// at most MaxLength characters. Upper-case letters are valid; Normalize
// lower-cases them.
func Valid(s string) bool {
	return len(s) <= MaxLength && pattern.MatchString(s)
}

// Normalize returns the one spelling of an address: trimmed, checked by
// Valid, ASCII letters lower-cased. An address that breaks the rule is an
// error wrapping ErrInvalid that quotes it (non-ASCII characters escaped,
// so that a look-alike shows) and states the rule.
func Normalize(s string) (string, error) {
	t := strings.TrimSpace(s)
	if !Valid(t) {
		return "", fmt.Errorf("%+q is %w: %s", s, ErrInvalid, Rule)
	}
	return asciiLower(t), nil
}

// Equal says whether a and b are valid spellings of one address.
func Equal(a, b string) bool {
	na, errA := Normalize(a)
	nb, errB := Normalize(b)
	return errA == nil && errB == nil && na == nb
}

// asciiLower lower-cases A to Z and nothing else (strings.ToLower would
// apply Unicode's mappings; s is ASCII here, but the rule should not depend
// on the order of the checks).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
