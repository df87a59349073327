package orgs

import (
	"context"
	"fmt"
	"maps"

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
	if err != nil {
		return fmt.Errorf("find the external id: %w", err)
	}
	if taken {
		return errExternalIDTaken()
	}
	return nil
}

// externalIDTaken is the violation when a write failed on the unique index
// of external ids (a concurrent write took the id after externalIDFree
// found it free), else err.
func externalIDTaken(saveErr, err error) error {
	if ent.IsConstraintError(saveErr) {
		return errExternalIDTaken()
	}
	return err
}

func errExternalIDTaken() error {
	return violation("external_id", "Another organization of this mode has this external id.", RuleNotUnique)
}

func ptrValue(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
