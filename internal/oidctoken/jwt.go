package oidctoken

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// LooksLikeJWT says whether a bearer credential has a JSON Web Token's
// form (RFC 7519, compact serialization): three base64url parts joined by
// dots, the last empty for an unsigned token. API keys (og_live_…) have no
// dot, so the form alone tells the two apart.
func LooksLikeJWT(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			if !isBase64URL(p[i]) {
				return false
			}
		}
	}
	return true
}

func isBase64URL(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// joseHeader is what Verify reads of a token's header before verifying it.
type joseHeader struct {
	Alg string `json:"alg"`
}

// unverifiedClaims are the claims Verify checks before the signature.
type unverifiedClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	Expiry    *float64 `json:"exp"`
	NotBefore *float64 `json:"nbf"`
}

// audience is the aud claim: one string or an array of them (RFC 7519,
// 4.1.3).
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*a = many
	return nil
}

func (a audience) contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

// malformed is the refusal of a token that cannot be read.
var malformed = &InvalidError{Reason: "The bearer token is not a well-formed JSON Web Token: three base64url parts (a JSON header, JSON claims, a signature) joined by dots."}

// peek reads a token's header and claims without verifying anything, and
// refuses the algorithms no issuer key may sign with.
func peek(raw string) (*joseHeader, *unverifiedClaims, error) {
	if len(raw) > MaxTokenBytes {
		return nil, nil, invalid("The bearer token is longer than %d bytes.", MaxTokenBytes)
	}
	if !LooksLikeJWT(raw) {
		return nil, nil, malformed
	}
	parts := strings.Split(raw, ".")
	var h joseHeader
	if err := decodePart(parts[0], &h); err != nil || h.Alg == "" {
		return nil, nil, malformed
	}
	switch {
	case strings.EqualFold(h.Alg, "none"):
		return nil, nil, invalid(`The bearer token is not signed (alg "none"): only tokens the issuer signs are accepted.`)
	case strings.HasPrefix(strings.ToUpper(h.Alg), "HS"):
		return nil, nil, invalid("The bearer token is signed with a shared secret (HMAC): only the issuer's public-key signatures (%s) are accepted.", strings.Join(acceptedAlgorithms, ", "))
	case !accepted(h.Alg):
		return nil, nil, invalid("The bearer token's algorithm (alg) is not one of %s.", strings.Join(acceptedAlgorithms, ", "))
	}
	if parts[2] == "" {
		return nil, nil, malformed
	}
	var c unverifiedClaims
	if err := decodePart(parts[1], &c); err != nil {
		return nil, nil, malformed
	}
	return &h, &c, nil
}

func accepted(alg string) bool {
	for _, a := range acceptedAlgorithms {
		if a == alg {
			return true
		}
	}
	return false
}

func decodePart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
