// Package orgs is Orgraph's domain: organizations and the people in them.
//
// It knows who may see and change what (the caller, the organization
// scope every write enters, the visibility rule as SQL), the rules an
// organization keeps (at least one owner, unique workspace names, the
// invitation lifecycle, the roles every organization is provisioned with,
// each user's personal organization) and how its rows are stored and
// deleted, through ent. It knows nothing of HTTP or of the wire format:
// it imports neither net/http nor hydra nor problems (a test in this
// package holds that), and its errors carry no HTTP status. Package
// handlers translates requests into calls of this package and its results
// and errors into documents.
//
// Every write of an organization's rows takes a Scope, which only Enter
// makes: the organization locked for the transaction, the caller's
// membership read under that lock. So "lock the organization before
// writing its rows", which the document cache and the change log rely on
// (store/changes.go), is a parameter type rather than a convention.
package orgs
