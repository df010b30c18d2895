package prefault

import (
	"bytes"
	"testing"
)

// TestSlice: a slice made large or small is as make makes it: its length,
// zero, and writable throughout.
func TestSlice(t *testing.T) {
	for _, n := range []int{0, 1, 4095, minBytes - 1, minBytes, 3*minBytes + 17} {
		s := Slice[byte](n)
		if len(s) != n || cap(s) != n {
			t.Fatalf("Slice(%d): len %d cap %d", n, len(s), cap(s))
		}
		if !bytes.Equal(s, make([]byte, n)) {
			t.Fatalf("Slice(%d) is not zero", n)
		}
		for i := range s {
			s[i] = byte(i)
		}
	}
	u := Slice[uint64](minBytes)
	u[len(u)-1] = 7
	if u[0] != 0 || u[len(u)-1] != 7 {
		t.Fatal("Slice[uint64] is not as written")
	}
}

var src = make([]byte, 64<<20)

// BenchmarkFreshCopy copies 64 MB into a freshly made slice, made by make
// and by Slice: how much of a copy into fresh memory its page faults are.
func BenchmarkFreshCopy(b *testing.B) {
	for _, mk := range []struct {
		name string
		make func(int) []byte
	}{{"make", func(n int) []byte { return make([]byte, n) }}, {"Slice", Slice[byte]}} {
		b.Run(mk.name, func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				copy(mk.make(len(src)), src)
			}
		})
	}
}
