// Package problems is the one way Orgraph writes an error: RFC 9457 problem
// documents, in their JSON-LD form (Hydra Error, ConstraintViolation) or as
// plain problem+json, with Symfony's constraint codes so that API Platform
// clients recognise the violations.
package problems

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Constraint codes, as Symfony's validator emits them (API Platform clients
// match on these).
const (
	CodeNotBlank     = "c1051bb4-d103-4f74-8988-acbcafc7fdc3"
	CodeTooLong      = "d94b19cc-114f-4f44-9cc4-4138e80a87b9"
	CodeTooShort     = "9ff3fdc4-b214-49db-8718-39c315e33d45"
	CodeInvalidMail  = "bd79c0ab-ddba-46cc-a703-a7a4b08de310"
	CodeNoSuchChoice = "8e179f1b-97aa-4560-a02f-2a8b42e49df7"
	CodeRegexFailed  = "de1e3db3-5ed4-4941-aae4-59f3667cc3a3"
	CodeTooMany      = "756b1212-697c-468d-a9ad-50dd783bb169" // Count
	CodeNotInRange   = "04b91c99-a946-4221-afc5-e65ebac401eb" // Range
	CodeNotUnique    = "23bd9dbf-6b9b-41cd-a99e-4844bcf3077f" // UniqueEntity
	CodeNotDateTime  = "1a9da513-2640-4f84-9b6a-4d99dcddc628" // DateTime
)

// Orgraph's own business-rule codes, in the same UUID form so that clients
// keyed on Symfony's codes treat them alike.
const (
	// CodeLastOwner: the change would leave an organization without an owner.
	CodeLastOwner = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e01"
	// CodeNotPending: the invitation is accepted, revoked or expired.
	CodeNotPending = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e02"
	// CodeAlreadyMember: the email belongs to a member of the organization.
	CodeAlreadyMember = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e03"
	// 0b6a3c36-…-4e04 was EmailMismatch, never sent (an invitation to
	// another address is a 403): not to be given to another rule.
	// CodeInviterLostPower: the invitation's inviter may no longer send it.
	CodeInviterLostPower = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e05"
	// CodeKeyPower: the key would have more power than the key making it.
	CodeKeyPower = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e06"
	// CodeKeyInactive: the key is revoked or expired.
	CodeKeyInactive = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e07"
	// CodeUnknownUser: no user has the IRI given.
	CodeUnknownUser = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e08"
	// CodeInvalidToken: the accept token opens no pending invitation.
	CodeInvalidToken = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e09"
	// CodeUnsafeURL: a webhook URL that is not a public http(s) one.
	CodeUnsafeURL = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0a"
	// CodeEndpointDisabled: a delivery of a disabled endpoint.
	CodeEndpointDisabled = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0b"
	// CodeNotTransferable: the member named cannot receive ownership.
	CodeNotTransferable = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0c"
	// CodeRoleInUse: the role members or invitations hold is deleted
	// without a replacement.
	CodeRoleInUse = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0d"
	// CodeInvalidDomain: not a domain name, or a public email provider's.
	CodeInvalidDomain = "0b6a3c36-5f0e-4d8e-9d0e-6c1f2b7a4e0e"
)

// Violation is one failed constraint on one property.
type Violation struct {
	PropertyPath string `json:"propertyPath"`
	Message      string `json:"message"`
	Code         string `json:"code"`
}

// Problem is an error answer before it is rendered.
type Problem struct {
	Status     int
	Detail     string
	Violations []Violation
	// Header holds headers the answer must carry (Allow, WWW-Authenticate, Retry-After…).
	Header http.Header
}

// Error lets a Problem travel as an error.
func (p *Problem) Error() string { return strconv.Itoa(p.Status) + " " + p.Detail }

// New is a problem with a status and a detail for the client.
func New(status int, detail string) *Problem { return &Problem{Status: status, Detail: detail} }

// Newf formats the detail.
func Newf(status int, format string, args ...any) *Problem {
	return New(status, fmt.Sprintf(format, args...))
}

// With adds a header to the answer.
func (p *Problem) With(key, value string) *Problem {
	if p.Header == nil {
		p.Header = http.Header{}
	}
	p.Header.Add(key, value)
	return p
}

// Common problems. Details follow API Platform's wording where it has one.
func BadRequest(detail string) *Problem { return New(http.StatusBadRequest, detail) }
func NotFound() *Problem                { return New(http.StatusNotFound, "Not Found") }
func Forbidden(detail string) *Problem  { return New(http.StatusForbidden, detail) }
func Internal() *Problem                { return New(http.StatusInternalServerError, "Internal Server Error") }

// Unauthorized asks for a bearer token.
func Unauthorized(detail string) *Problem {
	return New(http.StatusUnauthorized, detail).With("WWW-Authenticate", `Bearer realm="orgraph"`)
}

// InvalidToken refuses the bearer credential presented (an API key that
// is unknown, revoked or expired; a token expired, forged or meant for
// another audience): RFC 6750's invalid_token error, in the challenge too,
// so that a client knows to get a new one rather than retry.
func InvalidToken(detail string) *Problem {
	return New(http.StatusUnauthorized, detail).With("WWW-Authenticate", `Bearer realm="orgraph", error="invalid_token"`)
}

// NoRoute is the 404 for a path no route serves.
func NoRoute(method, url string) *Problem {
	return Newf(http.StatusNotFound, "No route found for %q", method+" "+url)
}

// MethodNotAllowed lists the allowed methods in the detail and the Allow header.
func MethodNotAllowed(method, url string, allow []string) *Problem {
	list := strings.Join(allow, ", ")
	return Newf(http.StatusMethodNotAllowed, "No route found for %q: Method Not Allowed (Allow: %s)", method+" "+url, list).
		With("Allow", list)
}

// Validation is the 422 for a list of violations (all of them at once).
func Validation(violations []Violation) *Problem {
	lines := make([]string, len(violations))
	for i, v := range violations {
		if v.PropertyPath == "" {
			lines[i] = v.Message
		} else {
			lines[i] = v.PropertyPath + ": " + v.Message
		}
	}
	return &Problem{Status: http.StatusUnprocessableEntity, Detail: strings.Join(lines, "\n"), Violations: violations}
}
