//go:build !unix

package main

import (
	"io"
	"os"
)

// openCacheFile reads the index cache file f as it is.
func openCacheFile(f *os.File, size int64) io.ReaderAt { return f }
