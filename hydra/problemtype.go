package hydra

import "github.com/orgraph/orgraph/problems"

// ProblemTypeDocument is an error page (GET /errors/{status},
// /validation_errors/{codes}) as a Hydra Status: its status code, title
// and description in Hydra's terms, and for a constraint violation list
// each code's meaning. id is the page's IRI (path-absolute); base makes
// the vocabulary absolute. The context is inline, so that the document is
// read without fetching anything; plain leaves the JSON-LD keys out.
func ProblemTypeDocument(status int, title, description string, constraints []problems.Constraint, id, base string, plain bool) map[string]any {
	doc := map[string]any{
		"statusCode":  status,
		"title":       title,
		"description": description,
	}
	if constraints != nil {
		list := make([]any, len(constraints))
		for i, c := range constraints {
			list[i] = map[string]any{"code": c.Code, "name": c.Name, "description": c.Description}
		}
		doc["constraints"] = list
	}
	if plain {
		return doc
	}
	doc["@context"] = map[string]any{
		"@vocab":      Vocab(base),
		"hydra":       NS,
		"Status":      "hydra:Status",
		"statusCode":  "hydra:statusCode",
		"title":       "hydra:title",
		"description": "hydra:description",
	}
	doc["@id"] = id
	doc["@type"] = "Status"
	return doc
}
