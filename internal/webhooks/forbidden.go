package webhooks

import (
	"fmt"
	"net/netip"
)

var (
	// thisNetwork is 0.0.0.0/8 (RFC 1122): not routable, and on Linux a
	// connection to 0.0.0.0 reaches the local host.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	// sharedSpace is 100.64.0.0/10 (RFC 6598), carrier-grade NAT space,
	// which clouds also use for internal services.
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
	// nat64 is the well-known NAT64 prefix (RFC 6052): on an IPv6-only
	// network with a NAT64 gateway, 64:ff9b::a00:1 reaches 10.0.0.1, so
	// the IPv4 address it embeds is what must be judged.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
)

// Forbidden says whether a webhook may not be sent to ip, and if so why,
// as a phrase for a sentence ("a loopback address"). Forbidden are the
// addresses of the server's own host and of internal networks: loopback,
// private (RFC 1918, fc00::/7), link-local (where cloud metadata services
// live), unspecified, 0.0.0.0/8, multicast, broadcast, shared
// (100.64.0.0/10), and the same in IPv4-mapped or NAT64 IPv6 form, which
// reach the same hosts.
func Forbidden(ip netip.Addr) (reason string, forbidden bool) {
	if !ip.IsValid() {
		return "an invalid address", true
	}
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	} else if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte(b[12:]))
	}
	switch {
	case ip.IsUnspecified():
		return "an unspecified address", true
	case ip.Is4() && thisNetwork.Contains(ip):
		return fmt.Sprintf("a %q address (%s)", "this network", thisNetwork), true
	case ip.IsLoopback():
		return "a loopback address", true
	case ip.IsPrivate():
		return "a private address", true
	case ip.IsLinkLocalUnicast():
		return "a link-local address", true
	case ip.IsMulticast():
		return "a multicast address", true
	case ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "a broadcast address", true
	case sharedSpace.Contains(ip):
		return fmt.Sprintf("a shared (carrier-grade NAT) address (%s)", sharedSpace), true
	}
	return "", false
}

// ForbiddenAddressError is the error of a connection refused because its
// address is Forbidden. It is found at dial time, on the address actually
// dialed, so a host name that resolved to a public address when its URL
// was checked and to an internal one later (DNS rebinding) is refused all
// the same.
type ForbiddenAddressError struct {
	Addr   netip.Addr
	Reason string // as Forbidden gives it
}

// Error is a sentence, because Send's errors are shown to users as the
// reason an attempt failed.
func (e *ForbiddenAddressError) Error() string {
	return fmt.Sprintf("The endpoint's address %s is forbidden: it is %s, and webhooks are sent to public addresses only.", e.Addr.Unmap(), e.Reason)
}
