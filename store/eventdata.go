package store

import (
	"context"
	"fmt"

	"github.com/golang/snappy"

	"github.com/orgraph/orgraph/ent"
)

// On SQLite an event's document is stored compressed, with Snappy (the
// codec of the document cache). SQLite compresses nothing itself, and an
// organization's document (2.9 KB with its members) filled a page of its
// own: each event made every commit write and sync a page more, and every
// checkpoint copy it, on the one writer's path each write waits for.
// Compressed it takes about 900 bytes, four to a page; PATCH on SQLite
// measured 7 % faster for it and POST 9 % (docs/benchmarks.md), and the
// events table, the largest one a busy server keeps, a third of its size. PostgreSQL
// compresses the column itself (TOAST, with LZ4: migrate.go), so there the
// document is stored as rendered.
//
// The compression is the store's alone: a document is packed when its
// event is written and unpacked when an event is read (unpackEvents), so
// that everything above the store reads events as rendered.

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

// unpackDocument is the document an event's data holds.
func unpackDocument(data string) (string, error) {
	if !isPacked(data) {
		return data, nil
	}
	doc, err := snappy.Decode(nil, []byte(data[1:]))
	if err != nil {
		return "", fmt.Errorf("unpack the document: %w", err)
	}
	return string(doc), nil
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
			for _, e := range events {
				if e.Data, err = unpackDocument(e.Data); err != nil {
					return nil, fmt.Errorf("read event %d: %w", e.ID, err)
				}
			}
			return v, nil
		})
	})
}
