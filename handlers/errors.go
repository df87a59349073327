package handlers

import (
	"errors"

	"github.com/orgraph/orgraph/orgs"
	"github.com/orgraph/orgraph/problems"
)

// ruleCodes gives each rule of the domain its constraint code in the
// problem catalogue (docs/errors.md), so that a client can tell the rules
// apart without reading messages.
var ruleCodes = map[orgs.Rule]string{
	orgs.RuleLastOwner:        problems.CodeLastOwner,
	orgs.RuleNotPending:       problems.CodeNotPending,
	orgs.RuleAlreadyMember:    problems.CodeAlreadyMember,
	orgs.RuleNotUnique:        problems.CodeNotUnique,
	orgs.RuleInviterLostPower: problems.CodeInviterLostPower,
	orgs.RuleInvalidEmail:     problems.CodeInvalidMail,
	orgs.RuleKeyPower:         problems.CodeKeyPower,
	orgs.RuleKeyInactive:      problems.CodeKeyInactive,
	orgs.RuleOutOfRange:       problems.CodeNotInRange,
	orgs.RuleUnknownUser:      problems.CodeUnknownUser,
	orgs.RuleInvalidToken:     problems.CodeInvalidToken,
	orgs.RuleNoSuchChoice:     problems.CodeNoSuchChoice,
	orgs.RuleEndpointDisabled: problems.CodeEndpointDisabled,
	orgs.RuleUnsafeURL:        problems.CodeUnsafeURL,
	orgs.RuleNotTransferable:  problems.CodeNotTransferable,
	orgs.RuleTooMany:          problems.CodeTooMany,
	orgs.RuleRoleInUse:        problems.CodeRoleInUse,
	orgs.RuleInvalidDomain:    problems.CodeInvalidDomain,
}

// problemOf is the problem document an error is answered with, or nil for
// an error that is the server's own (a 500 that reveals nothing). It is
// the one table from the domain's errors to HTTP: what the caller cannot
// see is a 404, what they may not do a 403, a broken rule a 422 listing
// each violation.
func problemOf(err error) *problems.Problem {
	var (
		p          *problems.Problem
		forbidden  *orgs.Forbidden
		violations orgs.Violations
	)
	switch {
	case errors.As(err, &p):
		return p
	case errors.Is(err, orgs.ErrNotFound):
		return problems.NotFound()
	case errors.As(err, &forbidden):
		return problems.Forbidden(forbidden.Reason)
	case errors.As(err, &violations):
		list := make([]problems.Violation, len(violations))
		for i, v := range violations {
			list[i] = problems.Violation{PropertyPath: v.Path, Message: v.Message, Code: ruleCodes[v.Rule]}
		}
		return problems.Validation(list)
	}
	return nil
}
