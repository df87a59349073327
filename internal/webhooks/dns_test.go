package webhooks

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// fakeDNS is a DNS server on loopback that answers A and AAAA questions
// from a function, so that tests can make names resolve (or stop
// resolving, or resolve elsewhere the second time) without the network.
// It answers one query at a time, so answer needs no lock of its own.
type fakeDNS struct {
	conn net.PacketConn
	// answer returns the addresses of name for qtype (1 for A, 28 for
	// AAAA); nil means the name does not exist (NXDOMAIN), an empty slice
	// that it has no address of that type.
	answer func(name string, qtype uint16) []netip.Addr
}

const (
	typeA    = 1
	typeAAAA = 28
)

// newFakeDNS starts a fake DNS server, stopped at the end of the test.
func newFakeDNS(t *testing.T, answer func(name string, qtype uint16) []netip.Addr) *fakeDNS {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{conn: conn, answer: answer}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.serve()
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		<-done
	})
	return d
}

// resolver is a Go resolver that asks only this server.
func (d *fakeDNS) resolver() *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, "udp", d.conn.LocalAddr().String())
		},
	}
}

func (d *fakeDNS) serve() {
	buf := make([]byte, 1500)
	for {
		n, from, err := d.conn.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply := d.reply(buf[:n]); reply != nil {
			_, _ = d.conn.WriteTo(reply, from)
		}
	}
}

// reply answers a query of one question; it returns nil for anything it
// cannot read, which the resolver takes as no answer.
func (d *fakeDNS) reply(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	// The question's name, as labels, then its type and class.
	var labels []string
	i := 12
	for {
		if i >= len(q) {
			return nil
		}
		l := int(q[i])
		i++
		if l == 0 {
			break
		}
		if l > 63 || i+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+l]))
		i += l
	}
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i:])
	question := q[12 : i+4]
	name := strings.ToLower(strings.Join(labels, "."))

	addrs := d.answer(name, qtype)

	var records []netip.Addr
	for _, a := range addrs {
		if (qtype == typeA && a.Is4()) || (qtype == typeAAAA && a.Is6()) {
			records = append(records, a)
		}
	}
	rcode := uint16(0)
	if addrs == nil {
		rcode = 3 // NXDOMAIN
	}
	out := make([]byte, 12, 512)
	copy(out, q[:2])                                  // the query's id
	binary.BigEndian.PutUint16(out[2:], 0x8180|rcode) // a response, recursion desired and available
	binary.BigEndian.PutUint16(out[4:], 1)            // one question
	binary.BigEndian.PutUint16(out[6:], uint16(len(records)))
	out = append(out, question...)
	for _, a := range records {
		out = append(out, 0xc0, 12) // the question's name, by pointer
		out = binary.BigEndian.AppendUint16(out, qtype)
		out = binary.BigEndian.AppendUint16(out, 1) // class IN
		out = binary.BigEndian.AppendUint32(out, 0) // TTL
		ip := a.AsSlice()
		out = binary.BigEndian.AppendUint16(out, uint16(len(ip)))
		out = append(out, ip...)
	}
	return out
}
