package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/discord"
	"newsbrief/briefs"
	"newsbrief/briefs/feed"
	"newsbrief/briefs/feed/feedstore"
	"newsbrief/briefs/folder"
	"newsbrief/briefs/summarize"
	"newsbrief/config"
	"newsbrief/internal/lifecycle"
	"newsbrief/store/postgres"
	"newsbrief/store/sqlite"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `newsbrief: news briefs for Discord

Usage:
  newsbrief [run]                     connect to Discord and serve (needs DISCORD_TOKEN)
  newsbrief console                   type slash commands in the terminal, see the replies
  newsbrief summarize [-n N | -words N] [-json] PATH...
                                      summarize files, folders, or - (standard input)
  newsbrief digest [-n N] [-topic WORDS]
                                      print the digest the bot would post now
  newsbrief check                     validate the configuration and the articles folder
  newsbrief invite                    print the address that adds the bot to a server

Run "newsbrief COMMAND -h" for a command's options. Configuration comes from
the environment and .env; see .env.example.
`

// env is what a subcommand gets: its arguments and streams, and for tests
// hooks that the offline commands add to their sources (a fake clock).
type env struct {
	args           []string
	stdin          io.Reader
	stdout, stderr io.Writer
	hooks          []sourceHooks
}

// run dispatches a subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	e := env{args: args, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd {
	case "run":
		return runBot(ctx, e)
	case "console":
		return runConsole(ctx, e)
	case "summarize":
		return runSummarize(e)
	case "digest":
		return runDigest(ctx, e)
	case "check":
		return runCheck(ctx, e)
	case "invite":
		return runInvite(ctx, e)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "newsbrief: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

// newFlags makes a subcommand's flag set; parse reports usage problems.
func newFlags(e env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: newsbrief %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// commandConfig begins a subcommand that takes no flags of its own and no
// arguments (check, console, invite, run): it parses the common flags and
// loads the configuration. When ok is false the command stops with code:
// help was asked for, an argument or flag is wrong (usage printed), or the
// configuration is (error printed).
func commandConfig(e env, name string) (cfg config.Config, code int, ok bool) {
	fs := newFlags(e, name, "")
	if code, stop := parseFlags(fs, e.args); stop {
		return cfg, code, false
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "newsbrief %s: takes no arguments, got %q\n", name, fs.Args())
		fs.Usage()
		return cfg, exitUsage, false
	}
	if cfg, ok = loadConfig(e); !ok {
		return cfg, exitFail, false
	}
	return cfg, exitOK, true
}

// parseFlags returns an exit code when the command should stop.
func parseFlags(fs *flag.FlagSet, args []string) (int, bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, true
		}
		return exitUsage, true
	}
	return 0, false
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// loadConfig loads the configuration or prints why it can't.
func loadConfig(e env) (config.Config, bool) {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintf(e.stderr, "newsbrief: %v\n", err)
		return cfg, false
	}
	return cfg, true
}

func runSummarize(e env) int {
	fs := newFlags(e, "summarize", "[-n N | -words N] [-json] PATH...")
	n := fs.Int("n", 0, "summary length in sentences (default 3)")
	words := fs.Int("words", 0, "summary length in words: the best sentences until N words")
	asJSON := fs.Bool("json", false, `print one JSON object per article per line: {"file","id","title","date","summary","keywords"}`)
	if code, stop := parseFlags(fs, e.args); stop {
		return code
	}
	length := summarize.Standard
	switch {
	case *n < 0 || *words < 0:
		fmt.Fprintln(e.stderr, "newsbrief summarize: -n and -words must be positive")
		fs.Usage()
		return exitUsage
	case *n > 0 && *words > 0:
		fmt.Fprintln(e.stderr, "newsbrief summarize: give -n or -words, not both")
		fs.Usage()
		return exitUsage
	case *n > 0:
		length = summarize.Length{Sentences: *n}
	case *words > 0:
		length = summarize.Length{Words: *words}
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(e.stderr, "newsbrief summarize: name at least one file or folder, or - for standard input")
		fs.Usage()
		return exitUsage
	}

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	p := summaryPrinter{w: out, json: *asJSON, length: length}
	failed := false
	for _, path := range fs.Args() {
		if err := p.path(e, path); err != nil {
			if !errors.Is(err, errSkipped) {
				fmt.Fprintf(e.stderr, "newsbrief summarize: %v\n", err)
			}
			failed = true
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// summaryPrinter prints summaries as text or JSON lines.
type summaryPrinter struct {
	w      *bufio.Writer
	json   bool
	length summarize.Length
	enc    *json.Encoder
	count  int
	sum    summarize.Summarizer // reused from one article to the next
}

// path summarizes a file, every article file below a folder, or stdin.
// Bad files are reported on stderr and skipped; the rest still print. IDs
// are the library's: seeded by the path relative to the folder named.
func (p *summaryPrinter) path(e env, path string) error {
	if path == "-" {
		data, err := io.ReadAll(io.LimitReader(e.stdin, folder.MaxFileSize+1))
		if err != nil {
			return fmt.Errorf("read standard input: %w", err)
		}
		if len(data) > folder.MaxFileSize {
			return fmt.Errorf("standard input: %w (limit %d bytes)", folder.ErrTooLarge, folder.MaxFileSize)
		}
		a, err := folder.Parse("-", data)
		if err != nil {
			return err
		}
		return p.print("-", a)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		f := folder.File{Dir: filepath.Dir(path), Rel: filepath.Base(path), Size: info.Size(), ModTime: info.ModTime()}
		return p.file(f)
	}
	files, skipped, err := folder.Files(path)
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(e.stderr, "newsbrief summarize: skipped %s: %v\n", s.Path, s.Err)
	}
	failed := false
	for _, f := range files {
		if err := p.file(f); err != nil {
			fmt.Fprintf(e.stderr, "newsbrief summarize: skipped %v\n", err)
			failed = true
		}
	}
	if failed || len(skipped) > 0 {
		return errSkipped
	}
	return nil
}

// errSkipped reports that some files were skipped, each already reported.
var errSkipped = errors.New("some files were skipped")

func (p *summaryPrinter) file(f folder.File) error {
	a, err := f.Read(folder.MaxFileSize)
	if err != nil {
		return err
	}
	return p.print(f.Path(), a)
}

type jsonSummary struct {
	File     string   `json:"file"`
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Date     string   `json:"date"`
	Summary  []string `json:"summary"`
	Keywords []string `json:"keywords"`
}

func (p *summaryPrinter) print(name string, a briefs.Article) error {
	s := p.sum.Summarize(a.Text(), p.length)
	date := ""
	if a.Dated {
		date = a.Date.Format("2006-01-02")
	}
	if p.json {
		if p.enc == nil {
			p.enc = json.NewEncoder(p.w)
			p.enc.SetEscapeHTML(false)
		}
		return p.enc.Encode(jsonSummary{File: name, ID: a.ID, Title: a.Title, Date: date, Summary: nonNil(s.Sentences), Keywords: nonNil(s.Keywords)})
	}
	if p.count > 0 {
		p.w.WriteString("\n")
	}
	p.count++
	if date == "" {
		date = "undated"
	}
	fmt.Fprintf(p.w, "%s\n%s · %s · %d min read · %s\n\n", a.Title, date, name, int(a.ReadingTime().Minutes()), a.ID)
	for _, sent := range s.Sentences {
		fmt.Fprintf(p.w, "  %s\n", sent)
	}
	if len(s.Keywords) > 0 {
		fmt.Fprintf(p.w, "\n  Keywords: %s\n", strings.Join(s.Keywords, ", "))
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// loadLibrary loads the configured articles folder into a new library,
// logging skipped files; the source is what reloads and watches it. The
// library keeps no bodies: they are read back from the sources in bodies,
// to which openData adds the feeds.
func loadLibrary(cfg config.Config, log *slog.Logger, extra ...folder.Option) (*briefs.Library, *folder.Source, *bodies, error) {
	lib, b := newLibrary(cfg, log, extra...)
	if err := b.folder.Reload(); err != nil {
		return nil, nil, nil, err
	}
	return lib, b.folder, b, nil
}

// newLibrary is loadLibrary without loading the folder.
func newLibrary(cfg config.Config, log *slog.Logger, extra ...folder.Option) (*briefs.Library, *bodies) {
	b := &bodies{}
	lib := briefs.New(briefs.WithBodies(b))
	b.folder = folder.New(lib, cfg.BriefsDir, append([]folder.Option{folder.WithLogger(log)}, extra...)...)
	return lib, b
}

func runCheck(ctx context.Context, e env) int {
	cfg, code, ok := commandConfig(e, "check")
	if !ok {
		return code
	}
	fmt.Fprintf(e.stdout, "configuration: ok\n  %s\n", strings.Join(cfg.Lines(), "\n  "))
	if cfg.Token == "" {
		fmt.Fprintln(e.stdout, "note: DISCORD_TOKEN is not set: the offline commands work, the bot will not start")
	}
	lib, src, _, err := loadLibrary(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintf(e.stderr, "newsbrief check: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "articles: %d loaded from %s\n", lib.Count(src.Origin()), cfg.BriefsDir)
	skipped := src.Skipped()
	if len(skipped) > 0 {
		fmt.Fprintf(e.stdout, "skipped: %d\n", len(skipped))
		for _, s := range skipped {
			fmt.Fprintf(e.stdout, "  %s: %v\n", s.Path, s.Err)
		}
	}
	fmt.Fprintf(e.stdout, "index cache: %s\n", describeIndexCache(cfg.IndexCache))
	if cfg.FeedsFile == "" {
		return exitOK
	}
	return checkFeeds(ctx, e, cfg, e.hooks...)
}

// checkFeeds validates the feeds file line by line, tries every feed once
// (concurrently, under the rules of polling) and prints its status, then
// fetches and stores what is due, as the other offline commands do. Each
// step waits at most one fetch timeout in all, and names the feeds still
// pending then. A bad line fails the check; a failing or pending feed does
// not (it may be down for now), but it is shown.
func checkFeeds(ctx context.Context, e env, cfg config.Config, hooks ...sourceHooks) int {
	feeds, lineErrs, err := feed.ReadList(cfg.FeedsFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "newsbrief check: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(e.stdout, "feeds: %d in %s\n", len(feeds), cfg.FeedsFile)
	for _, le := range lineErrs {
		fmt.Fprintf(e.stdout, "  %s %v\n", cfg.FeedsFile, le)
	}
	d, err := openData(ctx, cfg, slog.New(slog.DiscardHandler), false, hooks...)
	if err != nil {
		fmt.Fprintf(e.stderr, "newsbrief check: %v\n", err)
		return exitFail
	}
	defer d.Close()
	wait := offlineWait(d.feeds)
	var pending []feed.Feed
	for _, r := range d.feeds.CheckAll(ctx, feeds, wait) {
		f := r.Feed
		switch {
		case r.Pending:
			pending = append(pending, f)
			fmt.Fprintf(e.stdout, "  %s (%s): pending: no answer within %s (its host is slow, or busy with its other feeds)\n", f.Name, f.URL, wait)
		case r.Err != nil:
			fmt.Fprintf(e.stdout, "  %s (%s): failed: %v\n", f.Name, f.URL, r.Err)
		default:
			fmt.Fprintf(e.stdout, "  %s (%s): %d, %d items, %s\n", f.Name, f.URL, r.Status, r.Items, r.Took.Round(time.Millisecond))
			for _, err := range r.Skipped {
				fmt.Fprintf(e.stdout, "    %v\n", err)
			}
		}
	}
	if len(pending) > 0 {
		fmt.Fprintf(e.stdout, "feeds pending: %s\n", pendingNote(pending, wait))
	}
	if late := d.fetchDue(ctx, slog.New(slog.DiscardHandler)); len(late) > 0 {
		fmt.Fprintf(e.stdout, "feeds not fetched: %s\n", pendingNote(late, wait))
	}
	if len(lineErrs) > 0 {
		return exitFail
	}
	return exitOK
}

// offlineGrace is what the offline commands wait for the feeds beyond one
// fetch timeout: enough for the requests sent at once to end by their own
// timeout, so that a host that does not answer is reported (and backs
// off) as timed out rather than cut as pending a moment before.
const offlineGrace = time.Second

// offlineWait is how long the offline commands wait for the feeds in all:
// one fetch timeout, and the grace.
func offlineWait(src *feed.Source) time.Duration { return src.Timeout() + offlineGrace }

// maxPendingNamed is how many pending feeds a note names; the count says
// how many more.
const maxPendingNamed = 20

// pendingNote names the feeds still pending after wait, for the offline
// commands: "2 still pending after 20s (tried again next time): a, b".
func pendingNote(pending []feed.Feed, wait time.Duration) string {
	names := make([]string, 0, min(len(pending), maxPendingNamed))
	for _, f := range pending[:min(len(pending), maxPendingNamed)] {
		names = append(names, f.Name)
	}
	list := strings.Join(names, ", ")
	if more := len(pending) - len(names); more > 0 {
		list += fmt.Sprintf(" and %d more", more)
	}
	return fmt.Sprintf("%d still pending after %s (tried again next time): %s", len(pending), wait, list)
}

func runDigest(ctx context.Context, e env) int {
	fs := newFlags(e, "digest", "[-n N] [-topic WORDS]")
	n := fs.Int("n", command.DefaultCount, fmt.Sprintf("how many articles (%d-%d)", command.MinCount, command.MaxCount))
	topic := fs.String("topic", "", "only articles about this")
	if code, stop := parseFlags(fs, e.args); stop {
		return code
	}
	if fs.NArg() > 0 || *n < command.MinCount || *n > command.MaxCount {
		fmt.Fprintf(e.stderr, "newsbrief digest: -n must be between %d and %d\n", command.MinCount, command.MaxCount)
		fs.Usage()
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitFail
	}
	log := newLogger(e.stderr, slog.LevelWarn)
	var lib *briefs.Library
	if cfg.FeedsFile == "" {
		// No feeds: the folder alone, and no database to create.
		l, _, _, err := loadLibrary(cfg, log)
		if err != nil {
			fmt.Fprintf(e.stderr, "newsbrief digest: %v\n", err)
			return exitFail
		}
		lib = l
	} else {
		d, err := openData(ctx, cfg, log, false, e.hooks...)
		if err != nil {
			fmt.Fprintf(e.stderr, "newsbrief digest: %v\n", err)
			return exitFail
		}
		defer d.Close()
		d.fetchDue(ctx, log)
		lib = d.lib
	}
	// Nothing is posted from here, so nothing is left out as posted: the
	// library's latest stories are the digest.
	articles := lib.LatestOf(briefs.Query{Count: *n, Topic: *topic})
	if err := lib.FullAll(ctx, articles); err != nil {
		fmt.Fprintf(e.stderr, "newsbrief digest: %v\n", err)
		return exitFail
	}
	if len(articles) == 0 {
		fmt.Fprintln(e.stdout, "Nothing to post: no articles match.")
		return exitOK
	}
	fmt.Fprint(e.stdout, command.DigestText(command.DigestReply(articles, *topic)))
	return exitOK
}

func runConsole(ctx context.Context, e env) int {
	cfg, code, ok := commandConfig(e, "console")
	if !ok {
		return code
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	d, err := openData(ctx, cfg, log, false, e.hooks...)
	if err != nil {
		log.Error("newsbrief console", slog.Any("err", err))
		return exitFail
	}
	defer d.Close()
	pending := d.fetchDue(ctx, log)
	router := command.New(d.lib, newDigests(cfg, d.lib, d.st, log), log, command.WithSources(d.sources()))
	fmt.Fprintf(e.stdout, "newsbrief console: %d articles. Type help for examples.\n", d.lib.Len())
	if len(pending) > 0 {
		fmt.Fprintf(e.stdout, "Feeds not fetched: %s.\n", pendingNote(pending, offlineWait(d.feeds)))
	}
	if err := command.Console(ctx, router, e.stdin, e.stdout, true); err != nil {
		fmt.Fprintf(e.stderr, "newsbrief console: %v\n", err)
		return exitFail
	}
	return exitOK
}

// store is what the program needs of a database, SQLite's or
// PostgreSQL's: the digests' store and the feeds'.
type store interface {
	digest.Store
	feedstore.Store
	// Ping tells the readiness check that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// identifyLease names the lease a process holds while one of its shards
// identifies in bucket (see discord.WithIdentifyLock).
func identifyLease(bucket int) string { return "identify-" + strconv.Itoa(bucket) }

// Names of the leases (see digest.Lease): of the processes sharing a
// database, one posts digests and one polls feeds.
const (
	posterLease = "digest-poster"
	feedLease   = "feed-poller"
)

// data is what the bot, the console and the offline commands stand on: the
// library, its sources and the database.
type data struct {
	lib    *briefs.Library
	folder *folder.Source
	feeds  *feed.Source // nil without a feeds file
	st     store
	// lease makes a new holder of the named lease on st.
	lease func(name string) digest.Lease
	// cacheStale is set when the index cache does not hold the library
	// as loaded: the bot writes it at once.
	cacheStale bool
}

func (d *data) Close() { d.st.Close() }

func (d *data) sources() sources { return sources{lib: d.lib, folder: d.folder, feeds: d.feeds} }

// fetchDue fetches every feed that is due once, storing what it finds, so
// that the offline commands answer with the feeds' news too. It waits at
// most one fetch timeout in all (offlineWait), and returns the feeds still
// pending then (logged too): the command answers without their latest
// news, and they are tried again next time. A failing feed is logged and
// does not stop the others.
func (d *data) fetchDue(ctx context.Context, log *slog.Logger) []feed.Feed {
	if d.feeds == nil {
		return nil
	}
	pending, err := d.feeds.FetchDueWithin(ctx, offlineWait(d.feeds))
	if err != nil {
		log.Warn("some feeds failed", slog.Any("err", err))
	}
	if len(pending) > 0 {
		log.Warn("feeds not fetched in time: answering without their latest news", slog.String("feeds", pendingNote(pending, offlineWait(d.feeds))))
	}
	return pending
}

// openStore opens the database DATABASE_URL names (PostgreSQL), else the
// SQLite file at DATABASE_PATH; either brings its schema up to date.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (store, func(string) digest.Lease, error) {
	if cfg.DatabaseURL != "" {
		st, err := postgres.Open(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, nil, err // names the database, never the password
		}
		log.Info("database opened", slog.String("postgres", cfg.DatabaseURLRedacted()))
		return st, func(name string) digest.Lease { return st.Lease(name) }, nil
	}
	st, err := sqlite.Open(ctx, cfg.DatabasePath)
	if err != nil {
		return nil, nil, err
	}
	log.Info("database opened", slog.String("sqlite", cfg.DatabasePath))
	return st, func(name string) digest.Lease { return st.Lease(name) }, nil
}

// openData loads the articles folder, opens the database and, with a feeds
// file, loads the stored feed items (a restart fetches nothing twice).
// With polling, the feed source polls (Run) only while it holds the feed
// lease; the offline commands fetch what is due without one. hooks add
// the sources' observers (the bot's metrics).
func openData(ctx context.Context, cfg config.Config, log *slog.Logger, polling bool, hooks ...sourceHooks) (out *data, err error) {
	var folderOpts []folder.Option
	var feedOpts []feed.Option
	for _, h := range hooks {
		folderOpts, feedOpts = append(folderOpts, h.folder...), append(feedOpts, h.feed...)
	}
	defer collectForStart(os.Getenv)()
	// The index cache serves this start only: it is let go once the
	// sources are loaded.
	cache := readIndexCache(cfg.IndexCache, log)
	defer cache.Release()
	folderOpts = append(folderOpts, folder.WithIndexCache(cache))
	feedOpts = append(feedOpts, feed.WithIndexCache(cache))
	// The library is held while the sources load: its stories are
	// grouped once, over all of them, when they are (see
	// briefs.Library.Hold).
	lib, bodies := newLibrary(cfg, log, folderOpts...)
	src := bodies.folder
	release := lib.Hold()
	defer release()
	// From the index cache, the folder loads while the database opens and
	// the feeds load: the walk of a folder and the reading of the
	// database each leave a core idle much of the time. Without it, each
	// source reads and indexes text on every core, and loading both at
	// once only holds both sources' text in memory at once (a start of
	// 100,000 articles peaked at 330-390 MB instead of 270-300 MB), so
	// the feeds begin once the folder's files are read, while its last
	// segments are indexed (on one core, the other idle, for a few tenths
	// of a second). A folder that cannot be walked fails the start before
	// the database is opened. The cache is let go after the folder is
	// loaded (this defer runs before the one above).
	folderErr := make(chan error, 1)
	waitFolder := sync.OnceValue(func() error { return <-folderErr })
	defer waitFolder()
	if cache.Len() > 0 {
		go func() { folderErr <- src.Reload() }()
	} else {
		read := make(chan struct{})
		go func() { folderErr <- src.ReloadNotify(func() { close(read) }) }()
		select {
		case <-read:
		case err := <-folderErr:
			folderErr <- err // for waitFolder
			if err != nil {
				return nil, err
			}
		}
	}
	st, lease, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	d := &data{lib: lib, folder: src, st: st, lease: lease}
	defer func() {
		if ferr := waitFolder(); ferr != nil && err == nil {
			st.Close()
			out, err = nil, ferr
		}
		// The sources' texts, read and indexed, are garbage now, and
		// grouping the stories is what comes: collected first, their
		// memory holds the grouping's. Left to the collector's pace, the
		// grouping of a cold start of a million grew the heap past them:
		// it peaked at 1,824-1,982 MB; collected here, at 1,669-1,843 MB
		// (18 of 19 starts under 1,741 MB), in the same time (the
		// collection takes 0.15 s, one the grouping then does not need).
		runtime.GC()
		release()
		if err != nil {
			return
		}
		log.Info("articles loaded", slog.Int("count", lib.Count(src.Origin())), slog.Int("skipped", len(src.Skipped())), slog.String("dir", cfg.BriefsDir))
		if d.feeds != nil {
			log.Info("feeds loaded", slog.Int("feeds", len(d.feeds.Feeds())), slog.Int("articles", lib.Len()-lib.Count(src.Origin())))
		}
		// Stale: the start indexed articles the cache lacked, or the
		// cache holds articles gone since.
		d.cacheStale = cache.Hits() != lib.Len() || cache.Len() != cache.Hits()
		if cache != nil {
			log.Info("index cache read", slog.Int("reused", cache.Hits()), slog.Int("articles", lib.Len()), slog.String("file", cfg.IndexCache))
		}
	}()
	if cfg.FeedsFile == "" {
		return d, nil
	}
	feeds, lineErrs, err := feed.ReadList(cfg.FeedsFile)
	if err != nil {
		st.Close()
		return nil, err
	}
	for _, le := range lineErrs {
		log.Warn("feeds file: line skipped", slog.String("file", cfg.FeedsFile), slog.Any("err", le))
	}
	opts := append([]feed.Option{feed.WithLogger(log), feed.WithInterval(cfg.FeedPollInterval), feed.WithAllowPrivate(cfg.FeedsAllowPrivate),
		feed.WithMaxItems(cfg.FeedMaxItems)}, feedOpts...)
	if polling {
		opts = append(opts, feed.WithLease(lease(feedLease), 0))
	}
	d.feeds = feed.New(lib, st, feeds, opts...)
	bodies.feeds = d.feeds
	if err := d.feeds.Load(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return d, nil
}

// startGCPercent is the collector's GOGC while the sources load. A start
// grows the heap from nothing to the library while it reads and indexes
// several times as much, and the default (100) lets the heap reach twice
// what was live at the last collection before the next: at the end of a
// start, about twice the library. At 50 it reaches one and a half times:
// a start of 100,000 articles peaked at 303-310 MB instead of 361-379 MB,
// at about the same processor time. At 35, a cold start of a million
// peaked at 1.85 GB instead of 2.05-2.11 GB, and one of 100,000 at
// 251-269 MB instead of 276-284 MB, for about 5% more processor time
// (measured in turn). Once loaded, the heap grows little, and the default
// applies again.
const startGCPercent = 35

// collectForStart sets the collector's GOGC to startGCPercent for a start
// and returns what sets it back; it leaves the collector alone when the
// operator set GOGC or GOMEMLIMIT (read through getenv).
func collectForStart(getenv func(string) string) (restore func()) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(startGCPercent)
	return func() { debug.SetGCPercent(old) }
}

// feedPruneEvery is how often fetched items older than FEED_RETENTION are
// deleted while the bot runs.
const feedPruneEvery = 6 * time.Hour

func newDigests(cfg config.Config, lib *briefs.Library, st digest.Store, log *slog.Logger, opts ...digest.Option) *digest.Service {
	return digest.New(lib, st, append([]digest.Option{digest.WithMinInterval(cfg.MinInterval), digest.WithTimezone(cfg.Location),
		digest.WithMissedGrace(cfg.MissedRunGrace), digest.WithLogger(log)}, opts...)...)
}

// runBot wires config, library, store and bot, and runs them as one
// lifecycle.Group until ctx ends (SIGINT or SIGTERM: exit 0) or a component
// fails (exit 1). The group starts the index cache keeper, the sources,
// the metrics listener, the gateway and the digest runner in that order,
// each once the one before is started, and stops them in reverse; the
// database closes after the last has stopped.
func runBot(ctx context.Context, e env) int {
	cfg, code, ok := commandConfig(e, "run")
	if !ok {
		return code
	}
	if err := cfg.RequireToken(); err != nil {
		fmt.Fprintf(e.stderr, "newsbrief: %v\n", err)
		return exitFail
	}
	log := newLogger(e.stderr, cfg.LogLevel)
	discord.RouteDiscordgoLogs(log)
	// Of the processes sharing the database, one polls the feeds (the
	// others serve what it stores) and one posts digests (so that one
	// process spends the bot's global rate limit): see the README,
	// "Several processes".
	m := newBotMetrics(cfg)
	d, err := openData(ctx, cfg, log, true, m.sourceHooks())
	if err != nil {
		log.Error("newsbrief", slog.Any("err", err))
		return exitFail
	}
	defer d.Close()
	lib := d.lib
	digests := newDigests(cfg, lib, d.st, log, append(m.digestOptions(), digest.WithLease(d.lease(posterLease), 0))...)
	// /digest looks channels up through the bot it is served by.
	var b *discord.Bot
	channels := channelLookup(func(ctx context.Context, id string) (digest.Channel, error) { return b.Channel(ctx, id) })
	b = discord.New(command.New(lib, digests, log, append(m.commandOptions(), command.WithSources(d.sources()), command.WithChannels(channels))...),
		append(m.botOptions(), discord.WithLogger(log), discord.WithGuild(cfg.GuildID),
			discord.WithAPIURL(cfg.APIURL), discord.WithShards(cfg.ShardCount, cfg.ShardIDs),
			discord.WithIdentifyLock(func(bucket int) discord.Lock { return d.lease(identifyLease(bucket)) }))...)

	var g lifecycle.Group
	// The index cache keeper first, so that it stops last: its last write,
	// once the sources have stopped, holds everything they stored.
	g.Add("index cache", lifecycle.Func(func(ctx context.Context) error {
		keepIndexCache(ctx.Done(), lib, cfg.IndexCache, indexCacheEvery, d.cacheStale, log)
		return nil
	}))
	d.addSources(&g, cfg, log)
	// The metrics listener before the gateway: a port in use stops the
	// start before the bot connects, and /readyz answers 503 until it has.
	m.addServer(&g, cfg.MetricsAddr, cfg.Standby(), lib, digests, b, d.st, log)
	g.Add("gateway", func(ctx context.Context, started func()) error { return b.Run(ctx, cfg.Token, started) })
	// The digest runner posts through the gateway's REST session, so it
	// starts once the bot is connected (the token checked), and stops
	// first, finishing the posts under way while the database is open.
	g.Add("digest runner", lifecycle.StartStop(func(ctx context.Context) error {
		// Loading the subscriptions finishes even if a shutdown starts now.
		return digests.Start(context.WithoutCancel(ctx), b.Poster())
	}, digests.Stop))

	if err := g.Run(ctx); err != nil {
		log.Error("newsbrief stopped", slog.Any("err", err)) // names the component
		return exitFail
	}
	return exitOK
}

// channelLookup is a function as command.Channels.
type channelLookup func(ctx context.Context, id string) (digest.Channel, error)

func (f channelLookup) Channel(ctx context.Context, id string) (digest.Channel, error) {
	return f(ctx, id)
}
