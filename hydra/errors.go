package hydra

// The classes of problem documents (package problems writes them). Their
// properties live directly under @vocab, not under the class: API Platform
// Admin finds field errors by reading <B>#propertyPath and <B>#message where
// <B>#violations is the expanded violations key, so all three must share one
// namespace. title and description are Hydra's, which Admin shows.
var (
	ConstraintViolationList = &Class{
		Name:        "ConstraintViolationList",
		Description: "A constraint violation List.",
		Properties: []*Property{
			{Name: "propertyPath", IRI: "propertyPath", Kind: String, Description: "The property path of the violation"},
			{Name: "message", IRI: "message", Kind: String, Description: "The message associated with the violation"},
			{Name: "code", IRI: "code", Kind: String, Description: "The constraint code (Symfony's)"},
		},
	}

	errorProperties = []*Property{
		{Name: "title", IRI: "hydra:title", Kind: String, Description: "A short, human-readable summary of the problem type."},
		{Name: "detail", IRI: "detail", Kind: String, Description: "A human-readable explanation of this occurrence of the problem."},
		{Name: "status", IRI: "hydra:statusCode", Kind: Integer, Description: "The HTTP status code."},
		{Name: "type", IRI: "type", Kind: String, Description: "A URI reference that identifies the problem type."},
		{Name: "description", IRI: "hydra:description", Kind: String, Description: "The detail, as Hydra clients read it."},
		{Name: "request_id", IRI: "request_id", Kind: String, Description: "The request id, for support."},
	}

	// Error documents are typed hydra:Error too (package problems), and
	// status is hydra:statusCode, title and description Hydra's: a generic
	// Hydra client reads them as Hydra errors.
	Error = &Class{
		Name:        "Error",
		Description: "A runtime error (RFC 9457 problem details).",
		Properties:  errorProperties,
		Specializes: []string{"hydra:Error"},
	}

	// ConstraintViolation is an Error with violations; it inherits the
	// Error's properties rather than declaring them again.
	ConstraintViolation = &Class{
		Name:        "ConstraintViolation",
		Description: "Unprocessable entity: the list of failed constraints.",
		Parent:      Error,
		Properties: []*Property{
			{Name: "violations", IRI: "violations", Kind: Object, Class: ConstraintViolationList, Many: true, Description: "The violations."},
		},
	}
)
