package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/golang/snappy"

	"github.com/orgraph/orgraph/ent"
)

// On SQLite an event's document is stored compressed, with Snappy (the
// codec of the document cache). SQLite compresses nothing itself, and an
// organization's document (2.9 KB with its members) filled a page of its
// own: each event made every commit write and sync a page more, and every
// checkpoint copy it, on the one writer's path each write waits for.
// Compressed it takes about 900 bytes, four to a page (a membership's 410
// bytes take 320); PATCH on SQLite measured 7 % faster for it and POST 9 %
// (docs/benchmarks.md). PostgreSQL compresses the column itself (TOAST,
// with LZ4: migrate.go), so there the document is stored as rendered.
//
// The compression is the store's alone: the group commit (SQLite's every
// write) packs a document when it writes its event, and every read of
// events unpacks (unpackEvents), so that everything above the store reads
// events as rendered; a document not packed reads as it is.

// packedMark begins a document stored compressed. A JSON document never
// begins with a zero byte, so the rows written before documents were packed
// read unchanged.
const packedMark = 0

// packDocument is doc compressed, behind packedMark.
func packDocument(doc []byte) []byte {
	packed := make([]byte, 1+snappy.MaxEncodedLen(len(doc)))
	packed[0] = packedMark
	return packed[:1+len(snappy.Encode(packed[1:], doc))]
}

// isPacked says whether an event's data is a packed document.
func isPacked(data string) bool {
	return len(data) > 0 && data[0] == packedMark
}

// unpackDocuments replaces the packed documents of events by the documents
// they hold. The documents of a page of events become one string, which
// each event's is a part of: decoding is cheap beside allocating, zeroing
// and copying every document's bytes apart, so each is decoded into one
// small buffer, which the CPU's cache keeps, and appended to a builder that
// grows once, unzeroed. (Event by event, unpacking made a feed page of 30
// 8–13 % slower to serve; this way 4–6 %: docs/benchmarks.md.)
func unpackDocuments(events []*ent.Event) error {
	total, longestPacked, longest := 0, 0, 0
	for _, e := range events {
		if isPacked(e.Data) {
			n, err := decodedLen(e.Data[1:])
			if err != nil {
				return fmt.Errorf("read event %d: unpack the document: %w", e.ID, err)
			}
			total, longest, longestPacked = total+n, max(longest, n), max(longestPacked, len(e.Data)-1)
		}
	}
	if longestPacked == 0 {
		return nil
	}
	var docs strings.Builder
	docs.Grow(total)
	src, doc := make([]byte, longestPacked), make([]byte, longest)
	ends := make([]int, len(events))
	for i, e := range events {
		if !isPacked(e.Data) {
			continue
		}
		decoded, err := snappy.Decode(doc, src[:copy(src, e.Data[1:])])
		if err != nil {
			return fmt.Errorf("read event %d: unpack the document: %w", e.ID, err)
		}
		docs.Write(decoded)
		ends[i] = docs.Len()
	}
	all, start := docs.String(), 0
	for i, e := range events {
		if isPacked(e.Data) {
			e.Data, start = all[start:ends[i]], ends[i]
		}
	}
	return nil
}

// decodedLen is the length of the document a packed one holds: the varint
// Snappy's block format begins with (snappy.DecodedLen, read off the
// string without copying it).
func decodedLen(packed string) (int, error) {
	var n uint64
	for i := 0; i < len(packed) && i < binary.MaxVarintLen32; i++ {
		b := packed[i]
		n |= uint64(b&0x7f) << (7 * i)
		if b < 0x80 {
			// No element of the format expands more than 22 times (a copy
			// of 64 bytes in 3), so a header that claims more is corrupt:
			// a damaged row cannot make a read allocate gigabytes.
			if n > 32*uint64(len(packed)) {
				return 0, snappy.ErrCorrupt
			}
			return int(n), nil
		}
	}
	return 0, snappy.ErrCorrupt
}

// eventDataValue is the value an event's data is bound as: a packed
// document as a blob, which it is, rather than text with a zero byte.
func eventDataValue(data string) any {
	if isPacked(data) {
		return []byte(data)
	}
	return data
}

// unpackEvents unpacks the documents of the events every query of the
// client reads (ent runs a query's All, First, Only and Get through it).
func unpackEvents() ent.Interceptor {
	return ent.InterceptFunc(func(next ent.Querier) ent.Querier {
		return ent.QuerierFunc(func(ctx context.Context, q ent.Query) (ent.Value, error) {
			v, err := next.Query(ctx, q)
			events, ok := v.([]*ent.Event)
			if err != nil || !ok {
				return v, err
			}
			if err := unpackDocuments(events); err != nil {
				return nil, err
			}
			return v, nil
		})
	})
}
