// Package english holds the small rules of English that messages and
// documentation written by the server follow.
package english

import "strings"

// WithArticle puts "a" or "an" before a word of the API's own: a class
// ("an Organization", "a User"), a role ("an admin"), a JSON type ("an
// object"). A, e, i and o take "an"; u does not, as in "User".
func WithArticle(word string) string {
	if word != "" && strings.ContainsRune("aeioAEIO", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}
