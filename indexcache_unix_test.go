//go:build unix

package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCacheFileCutShort: a cache file cut short while it is mapped makes
// reading it an error, not the process's end.
func TestCacheFileCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache")
	data := make([]byte, 1<<16)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	r := openCacheFile(f, int64(len(data)))
	defer r.(interface{ Close() error }).Close()
	buf := make([]byte, 100)
	if n, err := r.ReadAt(buf, 1000); n != 100 || err != nil || buf[0] != byte(1000%256) {
		t.Fatalf("ReadAt = %d, %v, %d", n, err, buf[0])
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(buf, 1<<15); !errors.Is(err, errCacheFileFault) {
		t.Fatalf("after the file was cut: %v, want errCacheFileFault", err)
	}
}
