package folder

import (
	"fmt"
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
func (s *Source) Reload() error {
	s.reload.Lock()
	defer s.reload.Unlock()
	walked := time.Now()
	files, skipped, dirs, err := walkFolder(s.dir)
	if err != nil {
		return err
	}
	arts, bad := readAll(files, s.opts.maxFileSize)
	skipped = append(skipped, bad...)
	for _, a := range s.lib.Replace(s.opts.origin, arts) {
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

// readAll reads and parses the files in parallel (reading is most of a
// load) and returns the articles in the files' order, each ID once: of two
// files with one ID the first in lexical order wins.
func readAll(files []File, max int64) (arts []briefs.Article, skipped []Skip) {
	// One slice of articles, compacted in place afterwards: at a hundred
	// thousand files, every copy of it is megabytes.
	arts = make([]briefs.Article, len(files))
	errs := make([]error, len(files))
	workers := min(runtime.GOMAXPROCS(0), len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				arts[i], errs[i] = files[i].Read(max)
			}
		})
	}
	wg.Wait()

	kept := arts[:0]
	seen := make(map[string]string, len(files))
	for i := range files {
		f, a := files[i], arts[i]
		if errs[i] != nil {
			skipped = append(skipped, Skip{Path: f.Path(), Err: errs[i]})
			continue
		}
		if first, dup := seen[a.ID]; dup {
			skipped = append(skipped, Skip{Path: f.Path(), Err: fmt.Errorf("%s: %w %s (already used by %s)", f.Rel, briefs.ErrDuplicateID, a.ID, first)})
			continue
		}
		seen[a.ID] = f.Rel
		kept = append(kept, a)
	}
	clear(arts[len(kept):])
	return kept, skipped
}
