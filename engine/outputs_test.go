package engine

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type record struct {
	subject   string
	hdr, data []byte
}

// A journal cut into chunks gives back every record, in order, each in
// one chunk; chunks stay under journalChunk unless one record alone is
// larger.
func TestJournalChunksKeepEveryRecord(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, sizes := range [][]int{{}, {0}, {10, 20, 30}, {journalChunk + 5}, {100, journalChunk * 2, 100, 100}} {
		t.Run(fmt.Sprint(len(sizes), " records"), func(t *testing.T) {
			var want []record
			var b []byte
			for i, n := range sizes {
				r := record{subject: fmt.Sprintf("out.%d", i), data: make([]byte, n)}
				rng.Read(r.data)
				if i%2 == 0 {
					r.hdr = []byte("NATS/1.0\r\nKumeo-Error: x\r\n\r\n")
				}
				want = append(want, r)
				b = appendRecord(b, r.subject, r.hdr, r.data)
			}
			for i := 0; i < 200; i++ { // and many small ones
				r := record{subject: "small", data: bytes.Repeat([]byte{'x'}, 1+rng.Intn(4000))}
				want = append(want, r)
				b = appendRecord(b, r.subject, r.hdr, r.data)
			}
			var got []record
			for from := 0; from < len(b); {
				end := chunkEnd(b, from)
				require.Greater(t, end, from)
				n := 0
				require.NoError(t, readRecords(b[from:end], func(subject string, hdr, data []byte) error {
					got = append(got, record{subject, append([]byte(nil), hdr...), append([]byte(nil), data...)})
					n++
					return nil
				}))
				if n > 1 {
					assert.LessOrEqual(t, end-from, journalChunk)
				}
				from = end
			}
			require.Len(t, got, len(want))
			for i := range want {
				assert.Equal(t, want[i].subject, got[i].subject)
				assert.Equal(t, len(want[i].hdr), len(got[i].hdr))
				assert.True(t, bytes.Equal(want[i].data, got[i].data), "record %d", i)
			}
		})
	}
	assert.Error(t, readRecords([]byte{5, 'a'}, func(string, []byte, []byte) error { return nil }), "a cut record is an error")
}
