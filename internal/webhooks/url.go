package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxURLLength is the longest webhook URL accepted.
const MaxURLLength = 2048

// resolveTimeout bounds CheckURL's resolution of a host, so that a slow
// DNS server does not hold an API request for long.
const resolveTimeout = 5 * time.Second

// publicOnly ends the reasons an address is refused.
const publicOnly = "webhooks are sent to public addresses only"

// URLError is why CheckURL refuses a URL. Reason is a sentence for the API
// client that gave the URL.
type URLError struct {
	Reason string
}

func (e *URLError) Error() string { return e.Reason }

func refusef(format string, args ...any) error {
	return &URLError{Reason: fmt.Sprintf(format, args...)}
}

// CheckURL says whether webhooks may be sent to raw, returning a *URLError
// if not: the URL must be absolute http or https, at most MaxURLLength
// characters, with a host, without user info (a credential would be
// stored and shown in the clear) and without a fragment (never sent, so
// surely a mistake). Its host must resolve, and unless AllowPrivate to
// public addresses only. Other errors (the context ending) are not the
// URL's fault and are returned as they are.
//
// The check is made when a URL is given, to answer the client at once;
// Send checks addresses again when it connects, since a name can resolve
// elsewhere later.
func (s *Sender) CheckURL(ctx context.Context, raw string) error {
	if raw == "" {
		return refusef("The URL is empty.")
	}
	if len(raw) > MaxURLLength {
		return refusef("The URL must be at most %d characters long, %d given.", MaxURLLength, len(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return refusef("The URL is not valid: %s.", err)
	}
	switch {
	case u.Scheme == "":
		return refusef("The URL must be absolute, starting with https:// or http://.")
	case u.Scheme != "http" && u.Scheme != "https":
		return refusef("The URL must use http or https, %q given.", u.Scheme)
	case u.Opaque != "" || u.Hostname() == "":
		return refusef("The URL must have a host, as in https://example.com/webhook.")
	case u.User != nil:
		return refusef("The URL must not contain a user name or password.")
	case strings.Contains(raw, "#"):
		return refusef("The URL must not have a fragment (a part after #): it is never sent.")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return refusef("The URL's port must be between 1 and 65535, %q given.", port)
		}
	}

	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if reason, forbidden := Forbidden(ip); forbidden && !s.allowPrivate {
			return refusef("The URL's host %s is %s: %s.", ip, reason, publicOnly)
		}
		return nil
	}
	addrs, err := s.resolve(ctx, host)
	if err != nil {
		return err
	}
	if s.allowPrivate {
		return nil
	}
	for _, ip := range addrs {
		if reason, forbidden := Forbidden(ip); forbidden {
			return refusef("The URL's host resolves to %s, %s: %s.", ip.Unmap(), reason, publicOnly)
		}
	}
	return nil
}

// resolve returns the addresses of host, or a *URLError saying why there
// are none.
func (s *Sender) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	lookupCtx, cancel := context.WithTimeout(ctx, s.resolveTimeout)
	defer cancel()
	addrs, err := s.resolver.LookupNetIP(lookupCtx, "ip", host)
	if ctx.Err() != nil {
		return nil, fmt.Errorf("resolving the webhook URL's host: %w", ctx.Err())
	}
	var dnsErr *net.DNSError
	switch {
	case err == nil && len(addrs) > 0:
		return addrs, nil
	case err == nil, errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return nil, refusef("The URL's host %q does not resolve.", host)
	case lookupCtx.Err() != nil, errors.As(err, &dnsErr) && dnsErr.IsTimeout:
		return nil, refusef("The URL's host %q did not resolve within %s.", host, s.resolveTimeout)
	case dnsErr != nil:
		return nil, refusef("The URL's host %q cannot be resolved: %s.", host, dnsErr.Err)
	}
	return nil, refusef("The URL's host %q cannot be resolved: %s.", host, err)
}
