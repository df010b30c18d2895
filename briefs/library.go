package briefs

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ErrDuplicateID is the reason a file is skipped when an earlier file
// already produced the same article ID.
var ErrDuplicateID = errors.New("duplicate article ID")

// Skip is a file the library did not load, and why.
type Skip struct {
	Path string
	Err  error
}

// Hit is one search result.
type Hit struct {
	Article Article
	Score   float64
	// Snippet is a short passage of the body around the best match.
	Snippet string
}

// Option configures Load.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	maxFileSize int64
}

// WithLogger sets where the library logs skipped files and reloads. The
// default discards everything.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) {
		if l != nil {
			o.logger = l
		}
	}
}

// WithMaxFileSize sets the largest file Load reads (DefaultMaxFileSize by
// default); larger files are skipped with ErrTooLarge.
func WithMaxFileSize(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.maxFileSize = n
		}
	}
}

func newOptions(opts []Option) options {
	o := options{logger: slog.New(slog.DiscardHandler), maxFileSize: DefaultMaxFileSize}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Library is an indexed, searchable set of articles loaded from a folder.
// Every method is safe for concurrent use: readers work on an immutable
// snapshot that Reload replaces atomically.
type Library struct {
	dir    string
	opts   options
	reload sync.Mutex // serializes Reload so snapshots are swapped in order
	snap   atomic.Pointer[snapshot]
}

// snapshot is one complete, immutable state of the library.
type snapshot struct {
	articles []Article // newest first
	byID     map[string]int
	skipped  []Skip
	dirs     []string  // the folders walked, for Watch
	walked   time.Time // when the walk began: later changes are not in it
	index    *searchIndex
	complete *completer
}

// Load reads every article file (.txt or .md, at any depth, hidden files and
// folders excepted) under dir. Files that are not articles are skipped,
// logged and listed by Skipped; the error is only for a dir that cannot be
// read.
func Load(dir string, opts ...Option) (*Library, error) {
	l := &Library{dir: dir, opts: newOptions(opts)}
	if err := l.Reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// FromArticles builds an in-memory library (Dir is "" and Reload fails).
// Articles without an ID get one; of two with the same ID the first wins.
func FromArticles(articles []Article) *Library {
	l := &Library{opts: newOptions(nil)}
	arts := make([]Article, 0, len(articles))
	seen := make(map[string]string, len(articles))
	var skipped []Skip
	for i, a := range articles {
		if a.ID == "" {
			a.ID = makeID(a.Source+"#"+strconv.Itoa(i), a.Title)
		}
		if first, dup := seen[a.ID]; dup {
			skipped = append(skipped, Skip{Path: a.Source, Err: fmt.Errorf("%w %s (already used by %s)", ErrDuplicateID, a.ID, first)})
			continue
		}
		seen[a.ID] = a.Source
		arts = append(arts, a)
	}
	l.snap.Store(newSnapshot(arts, skipped, nil))
	return l
}

// Dir returns the folder the library was loaded from.
func (l *Library) Dir() string { return l.dir }

// Len returns the number of articles.
func (l *Library) Len() int { return len(l.snap.Load().articles) }

// All returns every article, newest first (then by title, then ID). The
// slice is shared: callers must not modify it.
func (l *Library) All() []Article {
	a := l.snap.Load().articles
	return a[:len(a):len(a)]
}

// Skipped lists the files the last load did not take, and why.
func (l *Library) Skipped() []Skip { return slices.Clone(l.snap.Load().skipped) }

// Get returns the article with the given ID.
func (l *Library) Get(id string) (Article, bool) {
	s := l.snap.Load()
	i, ok := s.byID[id]
	if !ok {
		return Article{}, false
	}
	return s.articles[i], true
}

// Latest returns the n newest articles (all when n < 0). A non-empty topic
// keeps only the articles that match its search terms, as Search would.
func (l *Library) Latest(n int, topic string) []Article {
	s := l.snap.Load()
	if n == 0 {
		return nil
	}
	if strings.TrimSpace(topic) == "" {
		if n < 0 || n > len(s.articles) {
			n = len(s.articles)
		}
		return slices.Clone(s.articles[:n])
	}
	return s.pick(s.latestTopic(topic, n))
}

// Complete returns up to n articles (all matches when n < 0) whose title
// matches query, for autocomplete. Matching ignores case; titles starting
// with the query come first, then titles with words starting with every
// query word, then titles merely containing the query, each group newest
// first. An empty query gives the n newest articles.
func (l *Library) Complete(query string, n int) []Article {
	if strings.TrimSpace(query) == "" {
		return l.Latest(n, "")
	}
	s := l.snap.Load()
	return s.pick(s.complete.complete(query, n))
}

// Search ranks the articles against query with BM25 over title and body and
// returns the best n (all matches when n < 0), best first, ties newest
// first. A query with no searchable words gives nil.
func (l *Library) Search(query string, n int) []Hit {
	return l.snap.Load().search(query, n)
}

// Reload reads the folder again and swaps the new state in at once; readers
// never see a partial library. On error the old state stays.
func (l *Library) Reload() error {
	if l.dir == "" {
		return errors.New("reload: library has no folder")
	}
	l.reload.Lock()
	defer l.reload.Unlock()
	s, err := loadSnapshot(l.dir, l.opts)
	if err != nil {
		return err
	}
	l.snap.Store(s)
	return nil
}

func (s *snapshot) pick(docs []int32) []Article {
	if len(docs) == 0 {
		return nil
	}
	out := make([]Article, len(docs))
	for i, d := range docs {
		out[i] = s.articles[d]
	}
	return out
}

// newSnapshot sorts the articles and builds every index over them.
func newSnapshot(arts []Article, skipped []Skip, dirs []string) *snapshot {
	slices.SortFunc(arts, compareArticles)
	s := &snapshot{articles: arts, skipped: skipped, dirs: dirs, byID: make(map[string]int, len(arts))}
	for i, a := range arts {
		s.byID[a.ID] = i
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.complete = buildCompleter(arts) })
	s.index = buildIndex(arts)
	wg.Wait()
	return s
}

// compareArticles orders newest first, then by title, then by ID.
func compareArticles(a, b Article) int {
	if c := b.Date.Compare(a.Date); c != 0 {
		return c
	}
	if c := strings.Compare(a.Title, b.Title); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// ArticleFile is an article file found below a library folder.
type ArticleFile struct {
	Dir string // the library folder
	Rel string // slash-separated path relative to Dir; it seeds the ID
	// Size and ModTime may be zero: ArticleFiles leaves them so to save a
	// stat per file, and Read takes them from the open file when they are.
	Size    int64
	ModTime time.Time
}

// Path is the file's path.
func (f ArticleFile) Path() string { return filepath.Join(f.Dir, filepath.FromSlash(f.Rel)) }

// IsArticleFile reports whether name has an article extension.
func IsArticleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".txt" || ext == ".md"
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

// ArticleFiles lists the article files below dir in lexical order: .txt
// and .md files, hidden files and folders left out, links to files followed
// and links to folders not. What cannot be read is listed in the skips. It
// fails only when dir itself cannot be read.
func ArticleFiles(dir string) ([]ArticleFile, []Skip, error) {
	files, skipped, _, err := walkFolder(dir)
	return files, skipped, err
}

// walkFolder is ArticleFiles, also returning the folders walked (for Watch).
func walkFolder(dir string) (files []ArticleFile, skipped []Skip, dirs []string, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load library %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("load library %s: not a directory", dir)
	}
	skip := func(path string, err error) {
		skipped = append(skipped, Skip{Path: path, Err: err})
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			skip(path, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path != dir && isHidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			dirs = append(dirs, path)
			return nil
		}
		if !IsArticleFile(d.Name()) {
			return nil
		}
		// The directory entry tells regular files apart without a stat:
		// their size and modification time are left for Read to find on
		// the open file. Links are followed to files, not to folders.
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(path); err != nil {
				skip(path, err)
				return nil
			}
			if !info.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			skip(path, err)
			return nil
		}
		f := ArticleFile{Dir: dir, Rel: filepath.ToSlash(rel)}
		if info != nil {
			f.Size, f.ModTime = info.Size(), info.ModTime()
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load library %s: %w", dir, err)
	}
	return files, skipped, dirs, nil
}

// loadSnapshot walks dir, parses the article files in parallel and builds a
// snapshot.
func loadSnapshot(dir string, o options) (*snapshot, error) {
	walked := time.Now()
	files, skipped, dirs, err := walkFolder(dir)
	if err != nil {
		return nil, err
	}
	skip := func(path string, err error) {
		skipped = append(skipped, Skip{Path: path, Err: err})
	}

	type result struct {
		a   Article
		err error
	}
	results := make([]result, len(files))
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
				a, err := files[i].Read(o.maxFileSize)
				results[i] = result{a, err}
			}
		})
	}
	wg.Wait()

	arts := make([]Article, 0, len(files))
	seen := make(map[string]string, len(files))
	for i, r := range results {
		path := files[i].Path()
		if r.err != nil {
			skip(path, r.err)
			continue
		}
		if first, dup := seen[r.a.ID]; dup {
			skip(path, fmt.Errorf("%s: %w %s (already used by %s)", files[i].Rel, ErrDuplicateID, r.a.ID, first))
			continue
		}
		seen[r.a.ID] = files[i].Rel
		arts = append(arts, r.a)
	}
	for _, sk := range skipped {
		o.logger.Warn("skipped file", slog.String("file", sk.Path), slog.String("reason", sk.Err.Error()))
	}
	snap := newSnapshot(arts, skipped, dirs)
	snap.walked = walked
	return snap, nil
}

// Read reads and parses the file, refusing more than max bytes. The ID is
// seeded by Rel, so it is the same wherever the folder lives; an undated
// article gets the file's modification time. Size and ModTime, when the
// walk left them unset (ModTime zero), come from the open file.
func (f ArticleFile) Read(max int64) (Article, error) {
	if f.Size > max {
		return Article{}, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", f.Rel, f.Size, max, ErrTooLarge)
	}
	return readArticleFile(f, max)
}
