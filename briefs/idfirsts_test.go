package briefs

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIDFirsts: idFirsts answers as a map by the IDs themselves would,
// with its own hash and with hashes that collide all the time (one for
// every ID, seven for all): IDs that share a hash are still told apart.
func TestIDFirsts(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprintf("story-%d", rng.IntN(2000)) // most given more than once
	}
	for name, hash := range map[string]func(string) uint64{
		"own":   nil,
		"one":   func(string) uint64 { return 1 },
		"seven": func(id string) uint64 { return uint64(len(id) % 7) },
	} {
		t.Run(name, func(t *testing.T) {
			f := newIDFirsts()
			if hash != nil {
				f.hash = hash
			}
			want := map[string]int32{}
			for i, id := range ids {
				origin := int32(i % 5)
				first, had := f.add(id, origin)
				w, wantHad := want[id]
				if !wantHad {
					want[id], w = origin, origin
				}
				if first != w || had != wantHad {
					t.Fatalf("add(%q, %d) #%d = %d, %v; want %d, %v", id, origin, i, first, had, w, wantHad)
				}
			}
		})
	}
}
