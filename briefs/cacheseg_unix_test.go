//go:build unix

package briefs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// lentFile lends a mapping of a file for the bytes from mapped[0] to
// mapped[1], and a copy of it elsewhere: a file cut short under the
// mapping faults only where the mapping is lent.
type lentFile struct {
	*bytes.Reader
	copy, data []byte
	mapped     *[2]int64
}

func (l lentFile) Lend(off, n int64) ([]byte, func(), bool) {
	if off < l.mapped[0] || off >= l.mapped[1] {
		return l.copy[off : off+n], func() {}, true
	}
	return l.data[off : off+n], func() {}, true
}

// TestLentSegmentCutShort: a segment read from a mapped cache file that
// was cut short meanwhile is refused (its articles miss, to be read from
// their sources), and the process goes on.
func TestLentSegmentCutShort(t *testing.T) {
	a := Article{ID: "a-1", Title: "Storm closes the harbour", Paragraphs: []string{"The harbour closed on Monday as the storm came in from the west."},
		Date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Origin: "news", File: "a.txt", Stamp: "10:20"}
	l := New(WithBodies(BodiesFunc(func(context.Context, Article) ([]string, error) { return nil, nil })))
	l.Replace("news", []Article{a})
	var buf bytes.Buffer
	if err := l.WriteIndexCache(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cache")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := syscall.Mmap(int(f.Fd()), 0, buf.Len(), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Skip("no mapping:", err)
	}
	defer syscall.Munmap(data)
	mapped := [2]int64{0, int64(buf.Len())}
	open := func() *IndexCache {
		c, err := OpenIndexCache(lentFile{bytes.NewReader(buf.Bytes()), buf.Bytes(), data, &mapped}, int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, ok := open().Article("news", "a.txt", "", "10:20"); !ok {
		t.Fatal("the article is not taken from the mapped cache")
	}
	segmentOnly, all := open(), open()
	if len(segmentOnly.segs) != 1 || segmentOnly.segs[0].off == 0 {
		t.Fatalf("%d segments", len(segmentOnly.segs))
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	// The entry read from the copy, its segment from the mapping.
	seg := segmentOnly.segs[0]
	mapped = [2]int64{seg.off, seg.off + seg.size}
	if _, ok := segmentOnly.Article("news", "a.txt", "", "10:20"); ok {
		t.Error("an article of a segment cut short is taken")
	}
	// The entry itself from the mapping.
	mapped = [2]int64{0, int64(buf.Len())}
	if _, ok := all.Article("news", "a.txt", "", "10:20"); ok {
		t.Error("an article whose entry was cut short is taken")
	}
}
