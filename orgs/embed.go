package orgs

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"

	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/member"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
	"github.com/orgraph/orgraph/ent/user"
)

// An organization's document shows its member count and some of its
// members with their users. Read apart, that is two or three statements
// after the organization's own (the count, the members, the users), each a
// round trip on PostgreSQL. embedView adds both to the organization's own
// statement as two correlated subqueries — the count, and the embedded
// memberships as one JSON array of objects named as ent names the
// entities' fields, users nested as ent's edges — so that a cold item read
// is one statement. Pages of organizations keep View's batched reads:
// there, decoding the JSON of every member of thirty organizations costs
// more than the two statements it would save (docs/benchmarks.md).

// The columns embedView adds.
const (
	memberCountColumn     = "view_member_count"
	embeddedMembersColumn = "view_members"
)

// embedView selects, beside an organization, its member count and the
// memberships its document embeds (viewOf reads them): the first
// EmbedLimit to join, the first EmbedLimit owners, and the reader's own
// (me; uuid.Nil for none). Each set is an index range of at most
// EmbedLimit rows, so the read costs the same for an organization of ten
// members or of ten thousand (the count is an index count).
func embedView(me uuid.UUID) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		text := embedSQLOf(s.Dialect(), s.C(organization.FieldID))
		s.AppendSelectExprAs(entsql.Raw(text.count), memberCountColumn)
		s.AppendSelectExprAs(entsql.ExprFunc(func(b *entsql.Builder) {
			b.WriteString(text.members).Arg(me).WriteString(")")
		}), embeddedMembersColumn)
	}
}

// embedSQL is embedView's SQL for a dialect and the organization's id
// column: the member count (in parentheses), and the embedded memberships
// up to the reader's id, which is bound (AppendSelectExprAs adds the
// parentheses).
type embedSQL struct{ count, members string }

// embedSQLs are the statements made so far (they depend on the dialect
// and the column's spelling alone): made once, not on every read.
var embedSQLs sync.Map

func embedSQLOf(d, org string) embedSQL {
	if text, ok := embedSQLs.Load(d + " " + org); ok {
		return text.(embedSQL)
	}
	// The first of a set in joining order, at most EmbedLimit.
	first := func(alias, where string) string {
		return fmt.Sprintf("SELECT %[1]s FROM (SELECT %[1]s FROM %[2]s WHERE %[3]s = %[4]s%[5]s ORDER BY %[6]s, %[1]s LIMIT %[7]d) AS %[8]s",
			quote(member.FieldID), quote(member.Table), quote(member.FieldOrganizationID), org, where, quote(member.FieldJoinedAt), EmbedLimit, quote(alias))
	}
	agg := "json_group_array"
	if d == dialect.Postgres {
		agg = "json_agg"
	}
	text := embedSQL{
		count: fmt.Sprintf("(SELECT count(*) FROM %s WHERE %s = %s)", quote(member.Table), quote(member.FieldOrganizationID), org),
		// The memberships of the three sets (an IN list: UNION ALL,
		// as the IN ignores repeats, which UNION would sort to remove),
		// with their users, as one array in joining order.
		members: fmt.Sprintf("SELECT %s(%s ORDER BY %s, %s) FROM %s AS %s JOIN %s AS %s ON %s = %s WHERE %s IN (%s UNION ALL %s UNION ALL SELECT %s FROM %s WHERE %s = %s AND %s = ",
			agg, memberJSON.expr(d), quote("embedded_member", member.FieldJoinedAt), quote("embedded_member", member.FieldID),
			quote(member.Table), quote("embedded_member"), quote(user.Table), quote("embedded_user"),
			quote("embedded_user", user.FieldID), quote("embedded_member", member.FieldUserID), quote("embedded_member", member.FieldID),
			first("first_members", ""),
			// The role is a constant of the schema, written in the
			// statement like the status in activeMembership.
			first("first_owners", fmt.Sprintf(" AND %s = '%s'", quote(member.FieldRole), schema.RoleOwner)),
			quote(member.FieldID), quote(member.Table), quote(member.FieldOrganizationID), org, quote(member.FieldUserID)),
	}
	embedSQLs.Store(d+" "+org, text)
	return text
}

// quote writes a (qualified) identifier in double quotes, which both
// dialects read.
func quote(ids ...string) string {
	return `"` + strings.Join(ids, `"."`) + `"`
}

// viewOf reads what embedView selected beside an organization.
func viewOf(o *ent.Organization) (OrganizationView, error) {
	count, err := o.Value(memberCountColumn)
	if err != nil {
		return OrganizationView{}, fmt.Errorf("member count of %s: %w", o.ID, err)
	}
	raw, err := o.Value(embeddedMembersColumn)
	if err != nil {
		return OrganizationView{}, fmt.Errorf("members of %s: %w", o.ID, err)
	}
	v := OrganizationView{Organization: o}
	n, ok := count.(int64)
	if !ok {
		return OrganizationView{}, fmt.Errorf("member count of %s: a %T", o.ID, count)
	}
	v.MemberCount = int(n)
	var text []byte
	switch r := raw.(type) {
	case nil: // PostgreSQL's json_agg of no rows
	case string:
		text = []byte(r)
	case []byte:
		text = r
	default:
		return OrganizationView{}, fmt.Errorf("members of %s: a %T", o.ID, raw)
	}
	if len(text) > 0 {
		if err := json.Unmarshal(text, &v.Members); err != nil {
			return OrganizationView{}, fmt.Errorf("members of %s: %w", o.ID, err)
		}
	}
	return v, nil
}

// memberJSON is a membership with its user as a JSON object in SQL.
var memberJSON = jsonOf[ent.Member]("embedded_member", member.Columns,
	jsonOf[ent.User]("embedded_user", user.Columns, nil))

// rowJSON writes a row of a table as the JSON object encoding/json reads
// back into its ent entity: each column under the entity's JSON name for
// it (ent names fields as their columns), with the column's kind of value
// carried across as JSON needs it.
type rowJSON struct {
	alias   string
	columns []jsonColumn
	user    *rowJSON // nested as edges.user
}

type jsonColumn struct {
	name string
	kind columnKind
}

type columnKind int

const (
	plainColumn    columnKind = iota
	timeColumn                // stored as text by SQLite
	jsonColumnKind            // a JSON document stored as text by SQLite
)

// jsonOf reads T's columns' kinds off its struct: the field that holds
// each column, by JSON name (as keysetOf does).
func jsonOf[T any](alias string, columns []string, user *rowJSON) *rowJSON {
	t := reflect.TypeFor[T]()
	r := &rowJSON{alias: alias, user: user}
	for _, c := range columns {
		f, ok := columnField(t, c)
		if !ok {
			panic(fmt.Sprintf("orgs: %s has no field for the column %q", t, c))
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		kind := plainColumn
		switch {
		case ft == timeType:
			kind = timeColumn
		case ft == uuidType:
		case ft.Kind() == reflect.Map, ft.Kind() == reflect.Slice, ft.Kind() == reflect.Struct:
			kind = jsonColumnKind
		}
		r.columns = append(r.columns, jsonColumn{name: c, kind: kind})
	}
	return r
}

// expr is the object's SQL in dialect d. PostgreSQL's json_build_object
// writes times in RFC 3339 and embeds jsonb as JSON; SQLite keeps both as
// text: a time as go-sqlite3 writes it ("2006-01-02 15:04:05.999999999-07:00",
// RFC 3339 but for the space), a JSON document as a string to parse.
func (r *rowJSON) expr(d string) string {
	var sb strings.Builder
	if d == dialect.Postgres {
		sb.WriteString("json_build_object(")
	} else {
		sb.WriteString("json_object(")
	}
	for i, c := range r.columns {
		if i > 0 {
			sb.WriteString(", ")
		}
		col := quote(r.alias, c.name)
		switch {
		case d == dialect.Postgres:
		case c.kind == timeColumn:
			col = "replace(" + col + ", ' ', 'T')"
		case c.kind == jsonColumnKind:
			col = "json(" + col + ")"
		}
		fmt.Fprintf(&sb, "'%s', %s", c.name, col)
	}
	if r.user != nil {
		sb.WriteString(", 'edges', ")
		if d == dialect.Postgres {
			sb.WriteString("json_build_object(")
		} else {
			sb.WriteString("json_object(")
		}
		sb.WriteString("'user', " + r.user.expr(d) + ")")
	}
	sb.WriteString(")")
	return sb.String()
}
