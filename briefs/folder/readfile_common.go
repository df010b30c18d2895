package folder

import (
	"fmt"
	"strconv"
	"sync"
	"time"

	"newsbrief/briefs"
)

// readBufs holds the buffers article files are read into: Parse copies what
// it keeps, so a buffer serves one file after another.
var readBufs = sync.Pool{New: func() any { return new([]byte) }}

// readArticleFileIn reads the article file f, refusing more than max
// bytes, and parses it; it opens f relative to its folder, open as dirFD
// (see heldDirs), unless that is -1. It takes the file's size and
// modification time from f when the walk found them (ModTime is set),
// from the open file otherwise.
func readArticleFileIn(f File, dirFD int32, max int64) (briefs.Article, error) {
	fh, err := openFileIn(dirFD, f)
	if err != nil {
		return briefs.Article{}, err
	}
	defer fh.close()
	size, modTime := f.Size, f.ModTime
	if modTime.IsZero() {
		if size, modTime, err = fh.stat(); err != nil {
			return briefs.Article{}, err
		}
		if size > max {
			return briefs.Article{}, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", f.Rel, size, max, ErrTooLarge)
		}
	}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	// One read usually gets the whole file (its size is known). After a
	// short read, or if the file grew since, read on until the end, but
	// never more than max+1 bytes.
	data := growBuf((*bp)[:0], size+1)
	n, err := fh.read(data[:size+1])
	if err != nil {
		return briefs.Article{}, fmt.Errorf("read %s: %w", f.Rel, err)
	}
	data = data[:n]
	if int64(n) != size && n != 0 {
		for int64(len(data)) <= max {
			if len(data) == cap(data) {
				data = growBuf(data, min(2*int64(cap(data)), max+1))
			}
			m, err := fh.read(data[len(data):min(int64(cap(data)), max+1)])
			if err != nil {
				*bp = data
				return briefs.Article{}, fmt.Errorf("read %s: %w", f.Rel, err)
			}
			if m == 0 {
				break
			}
			data = data[:len(data)+m]
		}
	}
	*bp = data
	if int64(len(data)) > max {
		return briefs.Article{}, fmt.Errorf("%s: more than %d bytes: %w", f.Rel, max, ErrTooLarge)
	}
	a, err := Parse(f.Rel, data)
	if err != nil {
		return briefs.Article{}, err
	}
	if !a.Dated {
		a.Date = modTime
	}
	a.Stamp = fileStamp(size, modTime)
	a.Arrived = modTime
	return a, nil
}

// growBuf returns b with room for n bytes in all, its contents kept.
func growBuf(b []byte, n int64) []byte {
	if int64(cap(b)) >= n {
		return b
	}
	nb := make([]byte, len(b), max(n, 4096))
	copy(nb, b)
	return nb
}

// parseRules versions Parse for index caches: change it when Parse reads
// a file differently, so that files cached under the old rules are read
// again.
const parseRules = "f1"

// fileStamp is an article file's Stamp: the parse rules, its size and its
// modification time. A file edited in place changes both, or at least its
// time, which is all an index cache needs to know that it must read it
// again.
func fileStamp(size int64, modTime time.Time) string {
	return parseRules + ":" + strconv.FormatInt(size, 10) + ":" + strconv.FormatInt(modTime.UnixNano(), 10)
}
