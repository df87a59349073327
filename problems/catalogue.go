package problems

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/orgraph/orgraph/mailaddr"
)

// The error catalogue: every kind of problem the server answers with, and
// every constraint code a violation carries. Problem documents take their
// titles from it, the error pages (GET /errors/{status},
// /validation_errors/{id}) and docs/errors.md describe it, and the OpenAPI
// document lists it. A kind is an HTTP status (type /errors/{status}); a
// list of constraint violations is the one kind of its own (type
// /validation_errors/{codes}, API Platform's), so that one type always has
// one title, as RFC 9457 asks.

// Paths of the problem types (relative to the server, as API Platform
// writes type) and of the problem documents' @id (under /api).
const (
	ErrorsPath              = "/errors/"
	ValidationErrorsPath    = "/validation_errors/"
	APIErrorsPath           = "/api" + ErrorsPath
	APIValidationErrorsPath = "/api" + ValidationErrorsPath
)

// Kind is one kind of problem: the documents of one HTTP status.
type Kind struct {
	Status int
	// Title says what went wrong, in a few words; every document of the
	// kind carries it.
	Title string
	// Description says what the problem means and what to do about it.
	Description string
}

// Type is the kind's problem type URI.
func (k Kind) Type() string { return ErrorsPath + strconv.Itoa(k.Status) }

// Kinds lists every status the server answers with a problem document, in
// ascending order.
var Kinds = []Kind{
	{http.StatusBadRequest, "Invalid request",
		"The request is malformed: its body is not a JSON object, is too large to read (more than 16 levels, 1,000 " +
			"elements in an array or 10,000 values), holds a property the resource does not have (the detail names it, " +
			"and the nearest property when one is close), a value of the wrong JSON type, a JSON-LD @context or keyword " +
			"the server does not read, or an IRI that does not exist for the caller; a query parameter has a value the " +
			"collection does not take (a filter holds at most 256 characters); or a header (Host, Orgraph-Version, " +
			"Idempotency-Key) is not well-formed. The detail names the part at fault. " +
			"Correct the request before sending it again: the same request gets the same answer."},
	{http.StatusUnauthorized, "Authentication required",
		"The request carries no API key, or one that is not valid (unknown, revoked or expired), or an Authorization " +
			"header of another scheme than Bearer. Send an API key as \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\". " +
			"A server started with an OpenID Connect issuer also takes that issuer's tokens as \"Authorization: Bearer <token>\", " +
			"and refuses one that is expired, of another issuer or audience, unsigned (alg \"none\"), not verified by the " +
			"issuer's keys, or of an account no user has yet that carries no verified email address; the detail says which. " +
			"A refused key or token is answered with error=\"invalid_token\" in WWW-Authenticate: get a new one rather than retry."},
	{http.StatusForbidden, "Permission denied",
		"The API key is valid but may not do this: a read-only key (or a token of an issuer the server gives the read " +
			"scope) asked for a change; the caller's role in the " +
			"organization lacks the permission the operation needs (the detail names the role and the permission); the " +
			"organization is suspended; or an invitation is addressed to someone else. The same request will fail again: " +
			"use a key or a member that holds the permission."},
	{http.StatusNotFound, "Resource not found",
		"Nothing answers at this URL for the caller: the id names no resource, or one of an organization the caller " +
			"does not belong to, or of the other mode (a test key sees only test data, a live key only live data); or " +
			"the path or its format suffix is not one the API serves (a path that is not in its clean form, such as one " +
			"with an empty segment or an encoded slash, names nothing). Resources of other tenants are never revealed: " +
			"check the IRI and the API key."},
	{http.StatusMethodNotAllowed, "Method not allowed",
		"The resource does not support this HTTP method (none supports PUT: change a resource with PATCH). " +
			"The Allow header lists the methods it supports."},
	{http.StatusNotAcceptable, "Format not available",
		"None of the media types the Accept header (or the URL's format suffix) asks for is one this resource can be " +
			"written in. The detail lists the supported media types; ask for one of them, or send no Accept header to " +
			"get JSON-LD. A client that accepts application/problem+json only gets this answer for requests that would " +
			"succeed (a write refused this way changed nothing); a failing request gets its own problem."},
	{http.StatusConflict, "Request still in progress",
		"A request with the same Idempotency-Key is still being processed. Wait the number of seconds Retry-After " +
			"gives, then send the request again: once the first one has finished, the retry gets its answer."},
	{http.StatusPreconditionFailed, "Resource has changed",
		"The resource has changed since the version If-Match names, so nothing was changed. Read the resource again, " +
			"apply the change to the current version and send it with the new ETag in If-Match."},
	{http.StatusRequestEntityTooLarge, "Request body too large",
		"The request body is larger than the server reads; the detail gives the limit in bytes. Send a smaller body."},
	{http.StatusUnsupportedMediaType, "Unsupported content type",
		"The request body's Content-Type is missing or is not one this operation reads. The detail lists the accepted " +
			"media types: application/ld+json or application/json to create, application/merge-patch+json (or " +
			"application/ld+json) to update; a PATCH answer lists them in Accept-Patch too."},
	{http.StatusUnprocessableEntity, "Request cannot be processed",
		"The request is well-formed but cannot be carried out as it stands: its Idempotency-Key was already used for " +
			"another request (another method, path or body). Send a new request with a new key. A body that breaks the " +
			"resource's constraints is the other kind of 422: a constraint violation list (" + ValidationErrorsPath + "{codes})."},
	{http.StatusPreconditionRequired, "If-Match required",
		"This server requires If-Match on PATCH and DELETE, so that no change overwrites one its client has not seen. " +
			"Read the resource, then send its ETag in If-Match."},
	{http.StatusTooManyRequests, "Rate limit exceeded",
		"The caller has used up its requests for now: the API key's allowance, or the client address's for requests " +
			"without a valid key. Wait the number of seconds Retry-After gives; RateLimit and RateLimit-Policy describe " +
			"the allowance and what is left of it. A write with a new Idempotency-Key is refused this way too when its " +
			"owner already keeps the most answers it may and the oldest is less than 10 minutes old (or the answers' " +
			"time to live, when shorter): it did not run; " +
			"send it again with the same key after Retry-After."},
	{http.StatusInternalServerError, "Internal server error",
		"The server failed to answer: the fault is the server's, not the request's, and the answer says nothing about " +
			"its cause. Retrying may succeed; if the problem persists, report the problem document's request_id."},
	{http.StatusServiceUnavailable, "Service unavailable",
		"The database is out of reach for the moment, or the OpenID Connect issuer whose token the request presents could " +
			"not be reached to check it (API keys do not need it). Retry after the number of seconds Retry-After gives; the " +
			"server reconnects by itself."},
}

// KindOf finds the kind of a status.
func KindOf(status int) (Kind, bool) {
	for _, k := range Kinds {
		if k.Status == status {
			return k, true
		}
	}
	return Kind{}, false
}

// TitleOf is the title of a status's problem documents. A status missing
// from the catalogue (a bug TestEveryStatusIsCatalogued looks for) falls
// back on its reason phrase.
func TitleOf(status int) string {
	if k, ok := KindOf(status); ok {
		return k.Title
	}
	if text := http.StatusText(status); text != "" {
		return text
	}
	return "Error " + strconv.Itoa(status)
}

// The kind of a list of constraint violations (422, type
// /validation_errors/{codes}).
const (
	ValidationTitle       = "Validation failed"
	ValidationDescription = "The request body is well-formed but breaks constraints of the resource. Every violation is " +
		"listed at once in violations: the property at fault (propertyPath), a message and the constraint's code. " +
		"The type names the codes in the order of the violations. Correct each property and send the request again."
)

// Constraint is one constraint code a violation can carry.
type Constraint struct {
	Code string
	// Name is the Symfony constraint the code comes from (API Platform
	// clients match on these), or the name of Orgraph's rule.
	Name string
	// Symfony says whether the code is Symfony's; the others are Orgraph's
	// business rules.
	Symfony     bool
	Description string
}

// Constraints lists every code a violation can carry: Symfony's first,
// then Orgraph's business rules.
var Constraints = []Constraint{
	{CodeNotBlank, "NotBlank", true,
		"A required value is missing, null or blank: strings are trimmed of surrounding whitespace first, so a value of spaces only is blank."},
	{CodeTooLong, "Length (too long)", true,
		"The text is longer than the property allows. Lengths count characters (Unicode code points) once surrounding whitespace is trimmed; the message gives the maximum."},
	{CodeTooShort, "Length (too short)", true,
		"The text is shorter than the property allows, counted in characters once surrounding whitespace is trimmed; the message gives the minimum."},
	{CodeInvalidMail, "Email", true,
		"The value is not an email address once trimmed: " + mailaddr.Rule + "."},
	{CodeNoSuchChoice, "Choice", true,
		"The value is not one of the property's allowed values; the message lists them."},
	{CodeRegexFailed, "Regex", true,
		"The value does not have the form the property requires (a phone number holds digits, spaces and + ( ) . - only), or it contains the character U+0000, which no string may hold."},
	{CodeTooMany, "Count", true,
		"The list holds more elements than the property allows; the message gives the maximum."},
	{CodeNotInRange, "Range", true,
		"The number is outside the range the property allows; the message gives the bounds."},
	{CodeNotUnique, "UniqueEntity", true,
		"The value is taken where it must be unique: a workspace name in its organization (whatever its case), a pending invitation for the same email address, or an email address listed twice in one request."},
	{CodeNotDateTime, "DateTime", true,
		"The value is not a date and time in RFC 3339 form, with its offset (2026-01-15T10:30:00+00:00 or 2026-01-15T10:30:00Z)."},
	{CodeLastOwner, "LastOwner", false,
		"The change would leave the organization without an owner. Promote another member to owner first."},
	{CodeNotPending, "NotPending", false,
		"The invitation is not in a state that allows the action: only a pending invitation can be accepted or revoked, and an accepted or revoked one cannot be resent."},
	{CodeAlreadyMember, "AlreadyMember", false,
		"The email address belongs to a member of the organization already (the caller's own, when accepting an invitation or inviting oneself)."},
	{CodeInviterLostPower, "InviterLostPower", false,
		"The invitation's inviter may no longer send it: they have left the organization, or their role no longer allows inviting with this role. Ask the organization for a new invitation (an inviter revokes it and sends a new one)."},
	{CodeKeyPower, "KeyPower", false,
		"An API key never makes a key with more power than itself: a write key makes write or read keys, a read key none, and a key that expires makes keys that expire no later."},
	{CodeKeyInactive, "KeyInactive", false,
		"The API key is revoked or expired, so it cannot be rotated: make a new key instead."},
	{CodeUnknownUser, "UnknownUser", false,
		"No user has the IRI given: an operator makes the user first (POST /api/users)."},
	{CodeUnsafeURL, "UnsafeURL", false,
		"Webhooks are sent to public http or https URLs only: the URL has another scheme, user info or a fragment, does not resolve, or resolves to a loopback, private, link-local or otherwise internal address (unless the server runs with --webhooks-allow-private). The check is made again at every connection."},
	{CodeNotTransferable, "NotTransferable", false,
		"The organization's ownership goes to another active member of the organization who is not an owner yet: the member named belongs to no such membership here, is the caller, is deactivated, or is an owner already."},
	{CodeRoleInUse, "RoleInUse", false,
		"Members or pending invitations hold the role: name the role they move to (DELETE /api/roles/{id}?replacement=<slug>), one of the organization's that the caller may give."},
	{CodeInvalidDomain, "InvalidDomain", false,
		"The domain is not a domain name (ASCII labels of letters, digits and hyphens, two at least; an internationalized name in its xn-- form), or it is a public email provider's (gmail.com, outlook.com…), which no organization can claim."},
	{CodeEndpointDisabled, "EndpointDisabled", false,
		"The delivery's webhook endpoint is disabled, by hand or after three days of failures: enable it (status enabled) first; its deliveries then resume in order."},
	{CodeInvalidToken, "InvalidToken", false,
		"The invitation's accept token opens no pending invitation: it is mistyped, already used, voided by a resend, revoked or expired. Every such token gets this one answer, so that none tells which. Ask the organization for a new invitation."},
}

// ConstraintOf finds a constraint by code.
func ConstraintOf(code string) (Constraint, bool) {
	for _, c := range Constraints {
		if c.Code == code {
			return c, true
		}
	}
	return Constraint{}, false
}

// ParseViolationID reads the codes out of a constraint violation list's id
// (the inverse of violationID): one code, or API Platform's "0=a;1=b" with
// the indexes in order. ok is false for anything else.
func ParseViolationID(id string) (codes []string, ok bool) {
	if !strings.Contains(id, "=") {
		return []string{id}, id != ""
	}
	for i, part := range strings.Split(id, ";") {
		index, code, found := strings.Cut(part, "=")
		if !found || index != strconv.Itoa(i) || code == "" {
			return nil, false
		}
		codes = append(codes, code)
	}
	return codes, len(codes) > 1
}
