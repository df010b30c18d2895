package folder

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"newsbrief/briefs"
)

// Skip is a file the folder did not load, and why.
type Skip struct {
	Path string
	Err  error
}

// Option configures a Source.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	maxFileSize int64
	origin      string
	onReload    func(err error)
	cache       *briefs.IndexCache
}

// WithLogger sets where the source logs skipped files and reloads. The
// default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithMaxFileSize sets the largest file read (MaxFileSize by default);
// larger files are skipped with ErrTooLarge.
func WithMaxFileSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxFileSize = n
		}
	}
}

// WithOrigin sets the origin the articles are filed under in the library,
// and shown to readers; the default is the folder's base name. Each source
// of one library needs its own.
func WithOrigin(name string) Option {
	return func(o *options) {
		if name != "" {
			o.origin = name
		}
	}
}

// WithReloadObserver calls f after every reload Watch makes, with its error
// (nil when the folder was read): for metrics, which this package must not
// import. f must be quick.
func WithReloadObserver(f func(err error)) Option {
	return func(o *options) { o.onReload = f }
}

// WithIndexCache makes Reload take each file whose size and modification
// time are those cached (see briefs.IndexCache) from c instead of reading
// it: a restart then reads only the files that changed. c is asked only
// while it holds something; its owner releases it once the start is done.
func WithIndexCache(c *briefs.IndexCache) Option {
	return func(o *options) { o.cache = c }
}

// Source keeps a library's articles from one folder up to date: Reload
// reads the folder and replaces the folder's articles in the library, Watch
// reloads on every change. Its methods are safe for concurrent use.
type Source struct {
	dir    string
	lib    *briefs.Library
	opts   options
	reload sync.Mutex // serializes Reload so the library gets loads in order
	last   atomic.Pointer[load]
}

// load is what one Reload found besides the articles.
type load struct {
	skipped []Skip
	dirs    []string  // the folders walked, for Watch
	walked  time.Time // when the walk began: later changes are not in it
}

// New returns a source for the article files below dir, filed in lib under
// the folder's name (see WithOrigin). It reads nothing until Reload.
func New(lib *briefs.Library, dir string, opts ...Option) *Source {
	o := options{logger: slog.New(slog.DiscardHandler), maxFileSize: MaxFileSize}
	for _, opt := range opts {
		opt(&o)
	}
	if o.origin == "" {
		o.origin = originOf(dir)
	}
	s := &Source{dir: dir, lib: lib, opts: o}
	s.last.Store(&load{})
	return s
}

// originOf names a folder by its base name ("articles"), also when it is
// given as "." or with a trailing slash.
func originOf(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Base(dir)
}

// Load is New then Reload: the source with its articles in lib.
func Load(lib *briefs.Library, dir string, opts ...Option) (*Source, error) {
	s := New(lib, dir, opts...)
	if err := s.Reload(); err != nil {
		return nil, err
	}
	return s, nil
}

// Dir returns the folder.
func (s *Source) Dir() string { return s.dir }

// Origin returns the name the folder's articles have in the library.
func (s *Source) Origin() string { return s.opts.origin }

// Skipped lists the files the last load did not take, and why.
func (s *Source) Skipped() []Skip { return slices.Clone(s.last.Load().skipped) }

// Reload reads every article file (.txt or .md, at any depth, hidden files
// and folders excepted) below the folder and replaces the folder's articles
// in the library at once; readers never see a partial folder. Files that
// are not articles are skipped, logged and listed by Skipped. The error is
// only for a folder that cannot be read, and then the library keeps the
// folder's previous articles.
//
// The files are read on every core and handed to the library as they are
// parsed (briefs.Library.ReplaceSeq), so that a library that keeps no
// bodies (briefs.WithBodies, with the Source's Body) never holds the
// whole folder's text.
func (s *Source) Reload() error { return s.ReloadNotify(nil) }

// ReloadNotify is Reload that calls read (when not nil) once every file
// is read, while the last of them are still being indexed, or not at all
// when the folder cannot be walked: a cold start begins loading the feeds
// then, so that both cores stay busy through the folder's last segments.
func (s *Source) ReloadNotify(read func()) error {
	s.reload.Lock()
	defer s.reload.Unlock()
	walked := time.Now()
	// With a cache, the walk stats each file for readCached: on every
	// core, relative to its folder.
	files, skipped, dirs, held, err := walkHolding(s.dir, s.opts.cache.Len() > 0)
	if err != nil {
		return err
	}
	defer held.close()
	var bad []Skip
	arts := readAll(files, &held, s.opts.maxFileSize, &bad, s.opts.cache, s.opts.origin)
	dropped := s.lib.ReplaceSeq([]string{s.opts.origin}, func(yield func(briefs.Article) bool) {
		for a := range arts {
			a.Origin = s.opts.origin
			if !yield(a) {
				return
			}
		}
		if read != nil {
			read()
		}
	})
	skipped = append(skipped, bad...)
	for _, a := range dropped {
		// Another origin has the ID: only possible for a deliberate clash,
		// since IDs hash the path, but the file must not vanish unexplained.
		skipped = append(skipped, Skip{Path: filepath.Join(s.dir, filepath.FromSlash(a.File)),
			Err: fmt.Errorf("%s: %w %s (used by another source)", a.File, briefs.ErrDuplicateID, a.ID)})
	}
	for _, sk := range skipped {
		s.opts.logger.Warn("skipped file", slog.String("file", sk.Path), slog.String("reason", sk.Err.Error()))
	}
	s.last.Store(&load{skipped: skipped, dirs: dirs, walked: walked})
	return nil
}

// readBatch is how many files readAll reads at once: enough to keep every
// core busy, few enough that their text is nothing to hold.
const readBatch = 256

// readChunk is how many files a core takes from a batch at a time, for
// its fileReader to read together; fewer when the batch has not that many
// for each core.
const readChunk = 32

// readAll reads and parses the files on every core and yields the articles
// in the files' order, each ID once: of two files with one ID the first in
// lexical order wins, and the other is added to skipped with the files
// that could not be read. The next batch is read while one is yielded. A
// file cache holds under its size and modification time (one stat instead
// of an open, a read and a parse) is taken from there. The files in held
// folders are opened relative to them.
func readAll(files []File, held *heldDirs, max int64, skipped *[]Skip, cache *briefs.IndexCache, origin string) iter.Seq[briefs.Article] {
	return func(yield func(briefs.Article) bool) {
		batches := make(chan []readResult, 1)
		done := make(chan struct{})
		defer close(done)
		go func() {
			defer close(batches)
			var readers readerPool
			defer readers.close()
			workers := runtime.GOMAXPROCS(0)
			dirBuf := make([]int32, readBatch)
			for lo := 0; lo < len(files); lo += readBatch {
				hi := min(lo+readBatch, len(files))
				out := make([]readResult, hi-lo)
				dirs := held.fill(lo, dirBuf[:hi-lo])
				chunk := min(readChunk, len(out)/(2*workers))
				if chunk < 1 {
					chunk = 1
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				for range min(workers, (len(out)+chunk-1)/chunk) {
					wg.Go(func() {
						fr := readers.get()
						defer readers.put(fr)
						var c cachedReader
						for {
							i := int(next.Add(int64(chunk)) - int64(chunk))
							if i >= len(out) {
								return
							}
							j := min(i+chunk, len(out))
							var d []int32
							if dirs != nil {
								d = dirs[i:j]
							}
							c.read(fr, files[lo+i:lo+j], d, out[i:j], max, cache, origin)
						}
					})
				}
				wg.Wait()
				select {
				case batches <- out:
				case <-done:
					return
				}
			}
		}()
		seen := make(map[string]string, len(files))
		i := 0
		for out := range batches {
			for _, r := range out {
				f := files[i]
				i++
				if r.err != nil {
					*skipped = append(*skipped, Skip{Path: f.Path(), Err: r.err})
					continue
				}
				if first, dup := seen[r.a.ID]; dup {
					*skipped = append(*skipped, Skip{Path: f.Path(), Err: fmt.Errorf("%s: %w %s (already used by %s)", f.Rel, briefs.ErrDuplicateID, r.a.ID, first)})
					continue
				}
				seen[r.a.ID] = f.Rel
				if !yield(r.a) {
					return
				}
			}
		}
	}
}

// readerPool is the fileReaders of one readAll, one for each core that
// reads at once, closed together at the end.
type readerPool struct {
	mu   sync.Mutex
	free []fileReader
	all  []fileReader
}

func (p *readerPool) get() fileReader {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.free); n > 0 {
		fr := p.free[n-1]
		p.free = p.free[:n-1]
		return fr
	}
	fr := newFileReader(readChunk)
	p.all = append(p.all, fr)
	return fr
}

func (p *readerPool) put(fr fileReader) {
	p.mu.Lock()
	p.free = append(p.free, fr)
	p.mu.Unlock()
}

func (p *readerPool) close() {
	for _, fr := range p.all {
		fr.close()
	}
}

// Body reads the body of a, an article of this folder, from its file again:
// the source's half of a library that keeps no bodies (briefs.WithBodies).
// A file changed since its article was loaded into another article (its
// ID, which hashes its title, differs) is an error: its new body is not
// a's, and the watcher is about to reload it.
func (s *Source) Body(_ context.Context, a briefs.Article) ([]string, error) {
	if a.File == "" || !filepath.IsLocal(filepath.FromSlash(a.File)) {
		return nil, fmt.Errorf("article %s is not a file of %s", a.ID, s.opts.origin)
	}
	got, err := File{Dir: s.dir, Rel: a.File}.Read(s.opts.maxFileSize)
	if err != nil {
		return nil, err
	}
	if got.ID != a.ID {
		return nil, fmt.Errorf("%s: changed since it was loaded (now %s)", a.File, got.ID)
	}
	return got.Paragraphs, nil
}

// cachedReader reads chunks of files, taking each from the cache when it
// holds the file as it is now: the files it does not, it gathers for the
// fileReader.
type cachedReader struct {
	files []File
	dirs  []int32
	at    []int
	out   []readResult
}

// read reads files into out, as Read does those the cache does not hold;
// dirs are their folders, as for fileReader.read.
func (c *cachedReader) read(fr fileReader, files []File, dirs []int32, out []readResult, max int64, cache *briefs.IndexCache, origin string) {
	if cache.Len() == 0 {
		fr.read(files, dirs, max, out)
		return
	}
	c.files, c.dirs, c.at = c.files[:0], c.dirs[:0], c.at[:0]
	for i, f := range files {
		if f.ModTime.IsZero() {
			// The walk stats every file when there is a cache: this one it
			// could not. Read says what is wrong with it if this cannot.
			if size, modTime, err := statFile(f.Path()); err == nil {
				f.Size, f.ModTime = size, modTime
			}
		}
		if !f.ModTime.IsZero() && f.Size <= max {
			if a, ok := cache.Article(origin, f.Rel, "", fileStamp(f.Size, f.ModTime)); ok {
				out[i] = readResult{a: a}
				continue
			}
		}
		c.files = append(c.files, f)
		if dirs != nil {
			c.dirs = append(c.dirs, dirs[i])
		}
		c.at = append(c.at, i)
	}
	if len(c.files) == 0 {
		return
	}
	var d []int32
	if dirs != nil {
		d = c.dirs
	}
	c.out = slices.Grow(c.out[:0], len(c.files))[:len(c.files)]
	fr.read(c.files, d, max, c.out)
	for k, i := range c.at {
		out[i] = c.out[k]
	}
	clear(c.out)
}
