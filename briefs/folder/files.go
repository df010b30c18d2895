package folder

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"newsbrief/briefs"
)

// File is an article file found below a folder.
type File struct {
	Dir string // the folder
	Rel string // slash-separated path relative to Dir; it seeds the ID
	// Size and ModTime may be zero: Files leaves them so to save a
	// stat per file, and Read takes them from the open file when they are.
	Size    int64
	ModTime time.Time
}

// Path is the file's path.
func (f File) Path() string { return filepath.Join(f.Dir, filepath.FromSlash(f.Rel)) }

// IsArticleFile reports whether name has an article extension.
func IsArticleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".txt" || ext == ".md"
}

// isArticleName is IsArticleFile for a name read from a folder (no
// separator in it), without converting it to a string. Only ASCII letters
// lower-case to those of "txt" and "md", so folding ASCII is all of
// strings.ToLower's work here.
func isArticleName[S ~string | ~[]byte](name S) bool {
	i := len(name) - 1
	for i >= 0 && name[i] != '.' {
		i--
	}
	if i < 0 {
		return false
	}
	ext := name[i+1:]
	lower := func(c byte) byte { return c | 0x20 } // only compared to letters
	switch len(ext) {
	case 3:
		return lower(ext[0]) == 't' && lower(ext[1]) == 'x' && lower(ext[2]) == 't'
	case 2:
		return lower(ext[0]) == 'm' && lower(ext[1]) == 'd'
	}
	return false
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

// Files lists the article files below dir in lexical order: .txt
// and .md files, hidden files and folders left out, links to files followed
// and links to folders not. What cannot be read is listed in the skips. It
// fails only when dir itself cannot be read.
func Files(dir string) ([]File, []Skip, error) {
	files, skipped, _, err := walkFolder(dir, false)
	return files, skipped, err
}

// entKind is what a folder entry the walk keeps is.
type entKind uint8

const (
	entFile entKind = iota // a regular file with an article name
	entLink                // a link with an article name, to be followed
	entDir                 // a folder
)

// dirEnt is a folder entry the walk keeps: where its name is in its
// dirReader's chunks, and what it is. It holds no pointer, so that the
// garbage collector has nothing to do with the entries of a large folder
// as they grow or are sorted.
type dirEnt struct {
	chunk uint32
	at, n uint16
	kind  entKind
}

// keepEntry reports whether the walk keeps an entry named name of kind:
// folders and article files, not hidden.
func keepEntry[S ~string | ~[]byte](name S, kind entKind) bool {
	return len(name) > 0 && name[0] != '.' && (kind == entDir || isArticleName(name))
}

// walkNode is one folder of a walk: its files in lexical order, and
// between them (at) its subfolders and what could not be read.
type walkNode struct {
	path   string // as Watch wants it: the walked folder as given, then joined
	prefix string // the folder's Rel with a trailing slash; "" for the walked folder
	err    error  // why the folder could not be read
	files  []File
	marks  []walkMark
	held   folderDir // the folder kept open for reading its files, if it is
}

// walkMark is a subfolder or a skip of a walkNode, before files[at].
type walkMark struct {
	at   int
	sub  *walkNode
	skip Skip
}

// folderDir is a folder opened for a walk (see openDir).
type folderDir interface {
	// entries reads the folder's entries that the walk keeps (see
	// keepEntry), unsorted, into r: names and ents.
	entries(r *dirReader) error
	// stat returns the size and modification time of the file name in
	// the folder, following links, and whether it is a regular file.
	stat(name string) (size int64, modTime time.Time, regular bool, err error)
	// descriptor returns the folder's descriptor, for its files to be
	// opened relative to it (see heldDirs), if it has one.
	descriptor() (fd int, ok bool)
	close()
}

// dirReader is what one core of a walk reads folders with, kept from one
// folder to the next: the entries of one folder, their names one after
// the other in chunks, which are never copied nor moved as the folder
// grows.
type dirReader struct {
	buf    []byte // for the system's use
	chunks [][]byte
	used   int // chunks holding names of this folder
	ents   []dirEnt
}

// nameChunk is the size of a dirReader's chunks.
const nameChunk = 64 << 10

// reset empties r for another folder.
func (r *dirReader) reset() {
	r.ents, r.used = r.ents[:0], 0
}

// addEntry adds to r the entry name of kind.
func addEntry[S ~string | ~[]byte](r *dirReader, name S, kind entKind) {
	if len(name) > nameChunk/4 {
		return // longer than any system allows
	}
	if r.used == 0 || len(r.chunks[r.used-1])+len(name) > nameChunk {
		if r.used == len(r.chunks) {
			r.chunks = append(r.chunks, make([]byte, 0, nameChunk))
		}
		r.chunks[r.used] = r.chunks[r.used][:0]
		r.used++
	}
	if len(r.ents) == cap(r.ents) {
		// Doubled: append grows a large slice by a quarter.
		r.ents = slices.Grow(r.ents, max(cap(r.ents), 256))
	}
	c := &r.chunks[r.used-1]
	r.ents = append(r.ents, dirEnt{chunk: uint32(r.used - 1), at: uint16(len(*c)), n: uint16(len(name)), kind: kind})
	*c = append(*c, name...)
}

// name returns the name of e.
func (r *dirReader) name(e dirEnt) []byte {
	return r.chunks[e.chunk][e.at : int(e.at)+int(e.n)]
}

// walker walks one folder, reading its subfolders on every core.
type walker struct {
	root string
	stat bool // stat every file, not only links
	open func(path string) (folderDir, error)

	mu     sync.Mutex
	cond   sync.Cond
	queue  []*walkNode // folders to read
	active int         // folders being read
	nfiles atomic.Int64

	// With hold, up to holdLeft folders with files are kept open for
	// reading them (see heldDirs); the walked folder only if holdRoot.
	hold     bool
	holdRoot bool
	holdLeft atomic.Int64

	rings statRings // for stating many files at a time, where the system can
}

// walkFolder is Files, also returning the folders walked (for Watch).
// With stat, every file comes with its Size and ModTime (those that
// cannot be stat'ed without, and Read finds out why); without, only links
// do. The order is filepath.WalkDir's: each folder's entries sorted by
// name, a subfolder's files where its name sorts.
//
// Each folder is read once and its entries sorted once; where the system
// allows, its files are stat'ed relative to its open descriptor (see
// openDir), many with one system call (see statRings). Folders are read
// on every core, and the stats of a large folder are spread over them.
func walkFolder(dir string, stat bool) (files []File, skipped []Skip, dirs []string, err error) {
	files, skipped, dirs, _, err = walkWith(dir, stat, openDir, 0)
	return files, skipped, dirs, err
}

// walkHolding is walkFolder keeping open the folders of the files, as
// many as the system allows to spare, for reading the files relative to
// them: the caller closes them.
func walkHolding(dir string, stat bool) (files []File, skipped []Skip, dirs []string, held heldDirs, err error) {
	return walkWith(dir, stat, openDir, heldDirLimit())
}

// walkWith is walkFolder opening folders with open, and keeping up to
// hold of them open.
func walkWith(dir string, stat bool, open func(path string) (folderDir, error), hold int) (files []File, skipped []Skip, dirs []string, held heldDirs, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, nil, held, fmt.Errorf("read articles folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, nil, held, fmt.Errorf("read articles folder %s: not a directory", dir)
	}
	w := &walker{root: dir, stat: stat, open: open, hold: hold > 0}
	// A file's path is the walked folder's joined with its Rel, and
	// joining takes out "..": the folder the walk opened is the file's
	// unless a "x/.." in the walked folder's path goes elsewhere than the
	// kernel goes (x a link).
	w.holdRoot = !slices.Contains(strings.Split(filepath.ToSlash(dir), "/"), "..")
	w.holdLeft.Store(int64(hold))
	w.cond.L = &w.mu
	root := &walkNode{path: dir}
	w.queue = append(w.queue, root)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(w.work)
	}
	wg.Wait()
	w.rings.close()
	if root.err != nil {
		return nil, nil, nil, held, fmt.Errorf("read articles folder %s: %w", dir, root.err)
	}
	var runs *[]dirRun
	if w.hold {
		runs = &held.runs
	}
	if len(root.marks) == 0 {
		// A flat folder: its files are the list.
		root.flatten(nil, nil, nil, runs, &held.dirs)
		return root.files, nil, []string{dir}, held, nil
	}
	files = make([]File, 0, w.nfiles.Load())
	root.flatten(&files, &skipped, &dirs, runs, &held.dirs)
	return files, skipped, dirs, held, nil
}

// heldDirs are folders a walk kept open, for their files to be opened
// relative to them: the kernel then looks up one name instead of a path.
// They are runs of the walk's files, by folder.
type heldDirs struct {
	runs []dirRun
	dirs []folderDir
}

// dirRun says that the files from the index from on, up to the next
// run's, are in the folder open as fd, or -1 for one that is not.
type dirRun struct {
	from int
	fd   int32
}

// fill sets fds[i] to the descriptor of the folder of file lo+i, or -1;
// it returns nil when no folder is held.
func (h *heldDirs) fill(lo int, fds []int32) []int32 {
	if len(h.runs) == 0 {
		return nil
	}
	r, _ := slices.BinarySearchFunc(h.runs, lo+1, func(d dirRun, i int) int { return d.from - i })
	r-- // the last run from lo or before
	for i := range fds {
		for r+1 < len(h.runs) && h.runs[r+1].from <= lo+i {
			r++
		}
		fds[i] = -1
		if r >= 0 {
			fds[i] = h.runs[r].fd
		}
	}
	return fds
}

// close closes the folders.
func (h *heldDirs) close() {
	for _, d := range h.dirs {
		d.close()
	}
	*h = heldDirs{}
}

// work reads folders from the queue until every folder is read.
func (w *walker) work() {
	var r dirReader
	w.mu.Lock()
	for {
		for len(w.queue) == 0 && w.active > 0 {
			w.cond.Wait()
		}
		if len(w.queue) == 0 {
			w.mu.Unlock()
			w.cond.Broadcast()
			return
		}
		n := w.queue[len(w.queue)-1]
		w.queue = w.queue[:len(w.queue)-1]
		w.active++
		w.mu.Unlock()
		w.read(n, &r)
		w.mu.Lock()
		w.active--
		for _, m := range n.marks {
			if m.sub != nil {
				w.queue = append(w.queue, m.sub)
			}
		}
		w.cond.Broadcast()
	}
}

// statChunk is how many files one core stats at a time in a large folder.
const statChunk = 512

// read reads the folder of n: its entries, sorted, and the stats it needs.
func (w *walker) read(n *walkNode, r *dirReader) {
	d, err := w.open(n.path)
	if err != nil {
		n.err = err
		return
	}
	defer func() {
		if n.held == nil {
			d.close()
		}
	}()
	r.reset()
	if err := d.entries(r); err != nil {
		n.err = err
		return
	}
	slices.SortFunc(r.ents, func(a, b dirEnt) int { return bytes.Compare(r.name(a), r.name(b)) })
	count := 0
	for _, e := range r.ents {
		if e.kind != entDir {
			count++
		}
	}
	// The Rels are made in their order, one after the other in memory
	// for what goes through them in that order next.
	n.files = make([]File, 0, count)
	var links []int
	for _, e := range r.ents {
		rel := n.prefix + string(r.name(e))
		if e.kind == entDir {
			sub := &walkNode{path: filepath.Join(n.path, rel[len(n.prefix):]), prefix: rel + "/"}
			n.marks = append(n.marks, walkMark{at: len(n.files), sub: sub})
			continue
		}
		if e.kind == entLink {
			links = append(links, len(n.files))
		}
		n.files = append(n.files, File{Dir: w.root, Rel: rel})
	}

	plen := len(n.prefix)
	// Links are followed: to a regular file they are a file, to anything
	// else nothing, and a broken one is a skip.
	if len(links) > 0 {
		var bad []linkResult
		var mu sync.Mutex
		spread(len(links), func(lo, hi int) {
			w.statEach(d, n.files, links[lo:hi], plen, func(i int, s fileStat) {
				if s.err == nil && s.regular {
					n.files[i].Size, n.files[i].ModTime = s.size, s.modTime
					return
				}
				mu.Lock()
				bad = append(bad, linkResult{i, s.err})
				mu.Unlock()
			})
		})
		if len(bad) > 0 {
			n.drop(bad)
		}
	}
	if w.stat {
		spread(len(n.files), func(lo, hi int) {
			var buf [statChunk]int
			idx := buf[:0]
			for i := lo; i < hi; i++ {
				if n.files[i].ModTime.IsZero() { // else a link, stat'ed above
					idx = append(idx, i)
				}
			}
			// A file that cannot be stat'ed is left for Read to report.
			w.statEach(d, n.files, idx, plen, func(i int, s fileStat) {
				if s.err == nil && s.regular {
					n.files[i].Size, n.files[i].ModTime = s.size, s.modTime
				}
			})
		})
	}
	w.nfiles.Add(int64(len(n.files)))
	if w.hold && len(n.files) > 0 && (n.prefix != "" || w.holdRoot) {
		if _, ok := d.descriptor(); ok && w.holdLeft.Add(-1) >= 0 {
			n.held = d
		}
	}
}

// fileStat is what folderDir.stat returns for a file.
type fileStat struct {
	size    int64
	modTime time.Time
	regular bool
	err     error
}

// statEach stats in d, as d.stat does, the files files[i] for i in idx,
// by their Rels past plen (their names in d), and gives done each i with
// its result: many at a time where the system can (see statRings), one
// after the other otherwise.
func (w *walker) statEach(d folderDir, files []File, idx []int, plen int, done func(i int, s fileStat)) {
	if !w.rings.statEach(d, files, idx, plen, done) {
		statPlainly(d, files, idx, plen, done)
	}
}

// statPlainly is statEach one file after the other.
func statPlainly(d folderDir, files []File, idx []int, plen int, done func(i int, s fileStat)) {
	for _, i := range idx {
		var s fileStat
		s.size, s.modTime, s.regular, s.err = d.stat(files[i].Rel[plen:])
		done(i, s)
	}
}

// linkResult is a link that is not a file: err says why it could not be
// followed, nil that it leads to something else than a regular file.
type linkResult struct {
	i   int
	err error
}

// drop takes out of n's files the links in bad, with a skip in their
// place for those that could not be followed.
func (n *walkNode) drop(bad []linkResult) {
	slices.SortFunc(bad, func(a, b linkResult) int { return a.i - b.i })
	files := n.files[:0]
	marks := make([]walkMark, 0, len(n.marks)+len(bad))
	m, b := 0, 0
	for i, f := range n.files {
		for ; m < len(n.marks) && n.marks[m].at <= i; m++ {
			marks = append(marks, n.marks[m])
			marks[len(marks)-1].at = len(files)
		}
		if b < len(bad) && bad[b].i == i {
			if err := bad[b].err; err != nil {
				marks = append(marks, walkMark{at: len(files), skip: Skip{Path: f.Path(), Err: err}})
			}
			b++
			continue
		}
		files = append(files, f)
	}
	for ; m < len(n.marks); m++ {
		marks = append(marks, n.marks[m])
		marks[len(marks)-1].at = len(files)
	}
	clear(n.files[len(files):])
	n.files, n.marks = files, marks
}

// flatten appends n's files, skips and folders, and those below it, in the
// walk's order, with the runs of files by folder when runs is not nil and
// the folders held. With files nil, n has no subfolders and its files are
// the walk's.
func (n *walkNode) flatten(files *[]File, skipped *[]Skip, dirs *[]string, runs *[]dirRun, held *[]folderDir) {
	fd := int32(-1)
	if n.held != nil {
		*held = append(*held, n.held)
		d, _ := n.held.descriptor()
		fd = int32(d)
	}
	if files == nil {
		if runs != nil && fd >= 0 {
			*runs = append(*runs, dirRun{0, fd})
		}
		return
	}
	add := func(part []File) {
		if len(part) == 0 {
			return
		}
		if runs != nil && (len(*runs) == 0 || (*runs)[len(*runs)-1].fd != fd) {
			*runs = append(*runs, dirRun{len(*files), fd})
		}
		*files = append(*files, part...)
	}
	*dirs = append(*dirs, n.path)
	if n.err != nil {
		*skipped = append(*skipped, Skip{Path: n.path, Err: n.err})
		return
	}
	j := 0
	for _, m := range n.marks {
		add(n.files[j:m.at])
		j = m.at
		if m.sub != nil {
			m.sub.flatten(files, skipped, dirs, runs, held)
		} else {
			*skipped = append(*skipped, m.skip)
		}
	}
	add(n.files[j:])
}

// spread calls f on the ranges of [0, n), on every core when n is large.
func spread(n int, f func(lo, hi int)) {
	chunks := (n + statChunk - 1) / statChunk
	workers := min(runtime.GOMAXPROCS(0), chunks)
	if workers <= 1 {
		f(0, n)
		return
	}
	var next atomic.Int64
	run := func() {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			f(c*statChunk, min((c+1)*statChunk, n))
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}

// Read reads and parses the file, refusing more than max bytes. The ID is
// seeded by Rel, so it is the same wherever the folder lives; an undated
// article gets the file's modification time. Size and ModTime, when the
// walk left them unset (ModTime zero), come from the open file.
func (f File) Read(max int64) (briefs.Article, error) { return f.readIn(-1, max) }

// readIn is Read opening the file relative to its folder, open as dirFD
// (see heldDirs), unless that is -1.
func (f File) readIn(dirFD int32, max int64) (briefs.Article, error) {
	if f.Size > max {
		return briefs.Article{}, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", f.Rel, f.Size, max, ErrTooLarge)
	}
	return readArticleFileIn(f, dirFD, max)
}
