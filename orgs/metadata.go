package orgs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/google/uuid"
	"github.com/orgraph/orgraph/ent"
	"github.com/orgraph/orgraph/ent/organization"
	"github.com/orgraph/orgraph/ent/schema"
)

// Platform is what a platform keeps on a resource of its own
// (schema.MetadataMixin), as a create or a change sends it: a nil field is
// not sent. ExternalID "" clears the id. Metadata and PrivateMetadata are
// merge patches: a key with a nil value is deleted; Clear… says the whole
// object was sent as null (deleted, before the patch applies).
type Platform struct {
	ExternalID           *string
	Metadata             map[string]*string
	ClearMetadata        bool
	PrivateMetadata      map[string]*string
	ClearPrivateMetadata bool
}

// Sent says whether the change sends anything.
func (p Platform) Sent() bool {
	return p.ExternalID != nil || p.Metadata != nil || p.ClearMetadata || p.PrivateMetadata != nil || p.ClearPrivateMetadata
}

// operatorsOnly is Forbidden unless the caller is an operator key or sends
// none of what only operators write: an external id names the resource in
// the platform's own records, unique in the mode (a user's key claiming
// one could take it from the platform), and private metadata is the
// platform's alone.
func (p Platform) operatorsOnly(c Caller) error {
	if c.Operator() {
		return nil
	}
	switch {
	case p.ExternalID != nil:
		return &Forbidden{Reason: "Only an operator key writes external_id: it is the platform's own id of the resource."}
	case p.PrivateMetadata != nil || p.ClearPrivateMetadata:
		return &Forbidden{Reason: "Only an operator key reads and writes private_metadata."}
	}
	return nil
}

// merge applies a metadata patch to what is stored, refusing a result of
// more keys than schema.MetadataMaxKeys (the patch alone was bounded by
// the decoder).
func merge(path string, stored map[string]string, clear bool, patch map[string]*string) (map[string]string, error) {
	out := map[string]string{}
	if !clear {
		maps.Copy(out, stored)
	}
	for k, v := range patch {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = *v
		}
	}
	if len(out) > schema.MetadataMaxKeys {
		return nil, violation(path, fmt.Sprintf("This object would hold %d keys; it may hold %d at most: delete some (null) first.", len(out), schema.MetadataMaxKeys), RuleTooMany)
	}
	return out, nil
}

// externalIDFree is a violation when another organization of the mode
// has the external id (except: the one being changed).
func externalIDFree(ctx context.Context, tx *ent.Tx, mode, id string, except uuid.UUID) error {
	taken, err := tx.Organization.Query().
		Where(organization.ModeEQ(organization.Mode(mode)), organization.ExternalID(id), organization.IDNEQ(except)).Exist(ctx)
	return externalIDCheck(taken, err, "organization")
}

// externalIDCheck is the violation when another resource of the class
// has the external id (taken), or err.
func externalIDCheck(taken bool, err error, class string) error {
	return takenCheck(taken, err, errExternalIDTaken(class))
}

// takenCheck reads a uniqueness probe: its error, else violated when
// the value is taken.
func takenCheck(taken bool, err, violated error) error {
	if err != nil {
		return fmt.Errorf("check uniqueness: %w", err)
	}
	if taken {
		return violated
	}
	return nil
}

// externalIDTaken is the violation when a write failed on the unique index
// of external ids (a concurrent write took the id after externalIDFree
// found it free), else err.
func externalIDTaken(saveErr, err error) error {
	return externalIDTakenBy(saveErr, err, "organization")
}

func externalIDTakenBy(saveErr, err error, class string) error {
	if ent.IsConstraintError(saveErr) {
		return errExternalIDTaken(class)
	}
	return err
}

func errExternalIDTaken(class string) error {
	scope := " of this mode"
	if class == "user" {
		scope = "" // users span both modes
	}
	return violation("external_id", fmt.Sprintf("Another %s%s has this external id.", class, scope), RuleNotUnique)
}

// platformApplied is a Platform change applied to what a resource holds:
// what to write, and the previous values an event carries (private
// metadata never: events carry nothing private).
type platformApplied struct {
	setExternalID, clearExternalID bool
	externalID                     string
	setMetadata, setPrivate        bool
	metadata, private              map[string]string
	previous                       map[string]any
}

// platformSetter is an ent update builder of a class with the
// platform's fields.
type platformSetter[U any] interface {
	SetExternalID(string) U
	ClearExternalID() U
	SetMetadata(map[string]string) U
	SetPrivateMetadata(map[string]string) U
}

// set writes what apply decided into an update.
func set[U platformSetter[U]](update U, a platformApplied) {
	switch {
	case a.clearExternalID:
		update.ClearExternalID()
	case a.setExternalID:
		update.SetExternalID(a.externalID)
	}
	if a.setMetadata {
		update.SetMetadata(a.metadata)
	}
	if a.setPrivate {
		update.SetPrivateMetadata(a.private)
	}
}

// apply merges the change into what is stored; free checks that an
// external id is no other resource's.
func (p Platform) apply(externalID *string, metadata, private map[string]string, free func(string) error) (platformApplied, error) {
	out := platformApplied{previous: map[string]any{}}
	if p.ExternalID != nil && *p.ExternalID != ptrValue(externalID) {
		out.previous["external_id"] = externalID
		if *p.ExternalID == "" {
			out.clearExternalID = true
		} else {
			if err := free(*p.ExternalID); err != nil {
				return out, err
			}
			out.setExternalID, out.externalID = true, *p.ExternalID
		}
	}
	if p.Metadata != nil || p.ClearMetadata {
		md, err := merge("metadata", metadata, p.ClearMetadata, p.Metadata)
		if err != nil {
			return out, err
		}
		if !maps.Equal(md, metadata) {
			out.previous["metadata"] = metadata
		}
		out.setMetadata, out.metadata = true, md
	}
	if p.PrivateMetadata != nil || p.ClearPrivateMetadata {
		md, err := merge("private_metadata", private, p.ClearPrivateMetadata, p.PrivateMetadata)
		if err != nil {
			return out, err
		}
		out.setPrivate, out.private = true, md
	}
	return out, nil
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// metadataHolds selects the rows whose metadata holds each key of want
// with exactly its value. Keys and values are bound arguments, never SQL
// text: on PostgreSQL one containment (metadata @> '{"k":"v",…}'), on
// SQLite one json_each probe per key.
func metadataHolds(want map[string]string) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		column := s.C("metadata") // MetadataFields' column, on every class that has it
		if s.Dialect() == dialect.Postgres {
			doc, err := json.Marshal(want) // a map of strings always encodes
			if err != nil {
				panic(err)
			}
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString(column).WriteString(" @> ").Arg(string(doc)).WriteString("::jsonb")
			}))
			return
		}
		keys := slices.Sorted(maps.Keys(want))
		for _, k := range keys {
			s.Where(entsql.P(func(b *entsql.Builder) {
				b.WriteString("EXISTS (SELECT 1 FROM json_each(").WriteString(column).WriteString(") AS md WHERE md.key = ").
					Arg(k).WriteString(" AND md.type = 'text' AND md.value = ").Arg(want[k]).WriteString(")")
			}))
		}
	}
}
