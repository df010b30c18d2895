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

// lentFile lends a mapping of a file, and reads entries from a copy of
// it: a file cut short under the mapping faults only where it is lent.
type lentFile struct {
	*bytes.Reader
	data []byte
}

func (l lentFile) Lend(off, n int64) ([]byte, func(), bool) {
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
	open := func() *IndexCache {
		c, err := OpenIndexCache(lentFile{bytes.NewReader(buf.Bytes()), data}, int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, ok := open().Article("news", "a.txt", "", "10:20"); !ok {
		t.Fatal("the article is not taken from the mapped cache")
	}
	c := open()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Article("news", "a.txt", "", "10:20"); ok {
		t.Error("an article of a segment cut short is taken")
	}
}
