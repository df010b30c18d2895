package folder

import (
	"testing"

	"newsbrief/briefs"
)

func BenchmarkLoad10000(b *testing.B) {
	dir := b.TempDir()
	if err := Write(dir, briefs.GenerateArticles(10000, 42)); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		l := briefs.New()
		if _, err := Load(l, dir); err != nil {
			b.Fatal(err)
		}
		if l.Len() != 10000 {
			b.Fatalf("loaded %d", l.Len())
		}
	}
}
