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
	return readOpen(f, fh, max, nil)
}

// early is what a reader of many files at once (see newFileReader) did
// for an open file before readOpen: its stat, and its first read.
type early struct {
	stat    bool // size and modTime are the open file's
	size    int64
	modTime time.Time
	read    bool   // data is what the first read of the file returned,
	data    []byte // asked for ask bytes
	ask     int
}

// readOpen is readArticleFileIn of f, open as fh, which it leaves open.
// What e, when not nil, says was done is not done again: the result is
// the same.
func readOpen(f File, fh rawFile, max int64, e *early) (briefs.Article, error) {
	size, modTime := f.Size, f.ModTime
	if modTime.IsZero() {
		var err error
		if e != nil && e.stat {
			size, modTime = e.size, e.modTime
		} else if size, modTime, err = fh.stat(); err != nil {
			return briefs.Article{}, err
		}
		if size > max {
			return briefs.Article{}, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", f.Rel, size, max, ErrTooLarge)
		}
	}
	var first []byte // what an early first read returned
	if e != nil && e.read {
		first = e.data
		if n := len(first); n < e.ask && (int64(n) == size || n == 0) {
			// It found the end of the file where the stat said, or an
			// empty file: there is nothing more to read.
			return parseFile(f, first, size, modTime)
		}
	}
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	// One read usually gets the whole file (its size is known). After a
	// short read, or if the file grew since, read on until the end, but
	// never more than max+1 bytes.
	want := size + 1
	if int64(len(first)) > want {
		want = int64(len(first)) // the file grew
	}
	data := growBuf((*bp)[:0], want)
	var n int
	var err error
	if e != nil && e.read {
		n = copy(data[:cap(data)], first)
		if n == e.ask && int64(n) < size+1 {
			// The early read asked for less than the file: go on as one
			// read of it all would have.
			var m int
			m, err = fh.read(data[n : size+1])
			n += m
		}
	} else {
		n, err = fh.read(data[:size+1])
	}
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
	return parseFile(f, data, size, modTime)
}

// parseFile parses data, the contents of f, whose stat gave size and
// modTime.
func parseFile(f File, data []byte, size int64, modTime time.Time) (briefs.Article, error) {
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

// readResult is an article file read, or why it could not be.
type readResult struct {
	a   briefs.Article
	err error
}

// A fileReader reads article files as File.Read does, where the system
// allows several at a time: each reader is for one goroutine.
type fileReader interface {
	// read reads files[i] into out[i]; dirs[i], unless dirs is nil or
	// it is -1, is the descriptor of the file's folder (see heldDirs).
	read(files []File, dirs []int32, max int64, out []readResult)
	// close releases the reader.
	close()
}

// ringReadSize is how much of a file a reader of several at a time asks
// for before it knows the file's size: more than most articles.
const ringReadSize = 16 << 10

// useRing is false, in tests, for newFileReader to read one file after
// the other even where it could read several at a time, and for the walk
// to stat them one after the other (see statRings).
var useRing = true

// plainReader reads one file after the other.
type plainReader struct{}

func (plainReader) read(files []File, dirs []int32, max int64, out []readResult) {
	for i, f := range files {
		dir := int32(-1)
		if dirs != nil {
			dir = dirs[i]
		}
		out[i].a, out[i].err = f.readIn(dir, max)
	}
}

func (plainReader) close() {}

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
