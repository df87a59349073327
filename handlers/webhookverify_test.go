package handlers_test

import (
	"fmt"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// whVerify checks a delivery's signature with the Standard Webhooks
// specification's own Go library: an implementation independent of the
// server's.
func whVerify(secret string, headers http.Header, body []byte) error {
	if secret == "" {
		return fmt.Errorf("no secret to verify with")
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	return wh.Verify(body, headers)
}
