package hydra

import (
	"net/http"
	"strings"
)

// What an operation reads and answers, beyond its body: the request headers
// it takes, the headers of its answers and the statuses it can give. One
// description serves the OpenAPI document (parameters, responses) and the
// Hydra documentation (expectsHeader, returnsHeader, possibleStatus), so
// the two never disagree.

// traits are what an operation's parameters, headers and error answers
// depend on.
type traits struct {
	method     string
	public     bool // no API key: the documentation, the error pages, the probes
	unmetered  bool // not rate limited: the probes
	negotiated bool // the answer's format comes from Accept (406)
	body       bool // reads a request body (415, 422)
	params     bool // has path parameters: an unknown one is a 404
	etag       bool // a GET tagged with an ETag (If-None-Match, 304)
	// explorer: a browser gets the HTML explorer instead of the answer
	// (every GET but the probes' and the error pages').
	explorer bool
	// cacheable answers carry Cache-Control (the documentation, the error
	// pages).
	cacheable bool
	// page: the operation serves an HTML page of its own (the error pages).
	page bool
	// stream: the 200 is a stream of Server-Sent Events (the Mercure hub).
	stream bool
	// unavailable: a public endpoint that still answers 503 without its database.
	unavailable bool
	// forbidding: a public operation that a rule of the domain may still
	// refuse with 403 (accepting by token into a suspended organization).
	forbidding bool
	// unrepeatable: the answer holds a secret shown once (Property.Once),
	// which is never stored, so no Idempotency-Key replays it.
	unrepeatable bool
}

// idempotent writes take an Idempotency-Key (409 while the first runs, 422
// when it was used for another request); the handlers keep answers per key
// owner, so only authenticated ones.
func (t traits) idempotent() bool {
	return !t.public && t.method != http.MethodGet && !t.unrepeatable
}

// conditional writes take If-Match (412, 428).
func (t traits) conditional() bool {
	return t.method == http.MethodPatch || t.method == http.MethodDelete
}

// problemsOf lists the error answers an operation can give.
func problemsOf(t traits, rateLimited bool) []int {
	// Any request can carry a malformed Orgraph-Version (400) or announce
	// a body over the limit (413), and any can fail (500).
	out := []int{http.StatusBadRequest}
	switch {
	case !t.public:
		out = append(out, http.StatusUnauthorized, http.StatusForbidden)
	case t.forbidding:
		out = append(out, http.StatusForbidden)
	}
	if t.params {
		out = append(out, http.StatusNotFound)
	}
	if t.negotiated {
		out = append(out, http.StatusNotAcceptable)
	}
	if t.idempotent() {
		out = append(out, http.StatusConflict)
	}
	if t.conditional() {
		out = append(out, http.StatusPreconditionFailed, http.StatusPreconditionRequired)
	}
	out = append(out, http.StatusRequestEntityTooLarge)
	if t.body {
		out = append(out, http.StatusUnsupportedMediaType)
	}
	if t.body || t.idempotent() {
		out = append(out, http.StatusUnprocessableEntity)
	}
	// A 429 is the rate limit's, or the Idempotency-Key cap's (a new key
	// while its owner's oldest kept answer is too young to drop), which
	// holds whether requests are metered or not.
	if !t.unmetered && rateLimited || t.idempotent() {
		out = append(out, http.StatusTooManyRequests)
	}
	out = append(out, http.StatusInternalServerError)
	if !t.public || t.unavailable {
		out = append(out, http.StatusServiceUnavailable)
	}
	return out
}

// answer is one success answer of an operation, as its headers depend on it.
type answer struct {
	status     int
	what       string
	content    map[string]any
	class      *Class // the resource an item answer holds (Accept-Patch), nil otherwise
	collection bool   // a page of class's collection (Accept-Post, X-Total-Count)
}

// answerHeaders are the headers the server puts on a 2xx or 304 answer.
// A GET's 200 may be the explorer's page, which carries neither the
// answer's validators nor the route's headers: those are optional there.
func answerHeaders(t traits, a answer, rateLimited bool) []header {
	explorer := t.explorer && a.status == http.StatusOK
	var hs []header
	hs = append(hs, everyAnswer...)
	if !t.unmetered && rateLimited {
		hs = append(hs, header{"RateLimit-Policy", !explorer}, header{"RateLimit", false})
	}
	hs = append(hs, header{"Allow", !explorer})
	if t.etag && (a.status == http.StatusOK || a.status == http.StatusNotModified) || t.method == http.MethodPatch && a.status == http.StatusOK {
		hs = append(hs, header{"ETag", !explorer})
	}
	if a.status == http.StatusCreated {
		hs = append(hs, header{"Location", true})
	}
	if a.class != nil && t.method != http.MethodGet {
		// Not for the JSON-LD processor's renderings.
		hs = append(hs, header{"Content-Location", false})
	}
	if a.class != nil && !a.collection && a.class.Resource.Has(Patch) {
		hs = append(hs, header{"Accept-Patch", !explorer})
	}
	if a.collection {
		if a.class.Resource.Has(Post) {
			hs = append(hs, header{"Accept-Post", !explorer})
		}
		hs = append(hs, header{"X-Total-Count", false})
	}
	if t.idempotent() {
		hs = append(hs, header{"Idempotent-Replayed", false})
	}
	switch {
	case t.cacheable:
		hs = append(hs, header{"Cache-Control", true})
	case explorer:
		hs = append(hs, header{"Cache-Control", false})
	}
	if explorer || t.page {
		hs = append(hs, header{"Content-Security-Policy", false}, header{"Referrer-Policy", false})
	}
	if t.stream && a.status == http.StatusOK {
		hs = append(hs, header{"Cache-Control", true}, header{"X-Accel-Buffering", true}, header{"Last-Event-ID", true})
	}
	return hs
}

// crudOperation is what a class's operation on path is: its traits and
// its success answer (without content, which only OpenAPI describes).
func crudOperation(c *Class, k OpKind, path string) (traits, answer) {
	t := traits{method: k.Method(), negotiated: k != Delete, params: strings.Contains(path, "{"), explorer: k.Method() == http.MethodGet}
	var a answer
	switch k {
	case GetCollection:
		t.etag = true
		a = answer{status: http.StatusOK, what: "A page of " + c.Name + " resources.", class: c, collection: true}
	case Get:
		t.etag = true
		a = answer{status: http.StatusOK, what: "The " + c.Name + ".", class: c}
	case Post:
		t.body, t.unrepeatable = true, c.HasOnce()
		a = answer{status: http.StatusCreated, what: "The " + c.Name + " created.", class: c}
	case Patch:
		t.body = true
		a = answer{status: http.StatusOK, what: "The " + c.Name + " updated.", class: c}
	case Delete:
		a = answer{status: http.StatusNoContent, what: "The " + c.Name + " is deleted."}
	}
	return t, a
}

// actionOperation is a POST on an item without a body. One that returns
// another class creates a resource of it (accepting an invitation creates
// a Member: 201); one that returns its own class changes it (200).
func actionOperation(c *Class, a Action) (traits, answer) {
	ok := answer{status: http.StatusOK, what: "The " + a.Returns.Name + ".", class: a.Returns}
	if a.Returns != c || a.Creates {
		ok.status, ok.what = http.StatusCreated, "The "+a.Returns.Name+" created."
	}
	t := traits{method: http.MethodPost, negotiated: true, params: !a.OnCollection, body: a.Expects != nil,
		public: a.Public, unavailable: a.Public, forbidding: a.Public}
	t.unrepeatable = ok.status == http.StatusCreated && a.Returns.HasOnce()
	return t, ok
}

// bodyTypes are the media types of an operation's request body, the one
// clients should send first. Admin sends its merge patches as
// application/ld+json (admin#590); the server reads those as merge patches
// too.
func bodyTypes(k OpKind) []string {
	switch k {
	case Post:
		return []string{"application/ld+json", "application/json"}
	case Patch:
		return []string{"application/merge-patch+json", "application/ld+json"}
	}
	return nil
}
