package handlers

import (
	"encoding/json"

	"github.com/orgraph/orgraph/hydra"
	"github.com/orgraph/orgraph/orgs"
)

// platformOf reads what a platform keeps on a resource (external_id,
// metadata, private_metadata) from a decoded body: what was sent, as the
// domain applies it (orgs.Platform).
func platformOf(in hydra.Input) orgs.Platform {
	var p orgs.Platform
	if in.Has("external_id") {
		id, _ := in.String("external_id") // null clears it, as ""
		p.ExternalID = &id
	}
	var sent bool
	p.Metadata, sent = in.KeyValues("metadata")
	p.ClearMetadata = sent && p.Metadata == nil
	p.PrivateMetadata, sent = in.KeyValues("private_metadata")
	p.ClearPrivateMetadata = sent && p.PrivateMetadata == nil
	return p
}

// setPlatform sets a resource's external id and metadata, as everyone who
// reads it reads them (absent when none).
func setPlatform(n *hydra.Node, externalID *string, metadata map[string]string) {
	if externalID != nil {
		n.Set("external_id", *externalID)
	}
	setKeyValues(n, "metadata", metadata)
}

// setPrivateMetadata sets private_metadata, which only operators read: the
// caller of a node that gets it is one.
func setPrivateMetadata(n *hydra.Node, private map[string]string) {
	setKeyValues(n, "private_metadata", private)
}

func setKeyValues(n *hydra.Node, name string, kv map[string]string) {
	if len(kv) == 0 {
		return
	}
	raw, err := json.Marshal(kv) // a map of strings always encodes; keys sorted
	if err != nil {
		panic(err)
	}
	n.Set(name, json.RawMessage(raw))
}
