package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/briefs/summarize"
	"newsbrief/config"
)

// runCLI runs newsbrief with args in dir and returns the exit code, stdout
// and stderr.
func runCLI(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	if dir != "" {
		t.Chdir(dir)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const seedLike = "Friday, November 3, 2023\n\nHarbour Bridge Reopens After Repairs\n" +
	"The harbour bridge reopened on Friday after six months of repairs costing $12.5m. Traffic was light in the morning.\n" +
	"Engineers from the U.S. firm said the deck would last another 40 years. Mr. J. R. Hill, the mayor, thanked residents.\n" +
	"Cyclists get a new lane. The old lane was too narrow, officials said.\n"

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// isolate runs the test in an empty folder with no newsbrief variables set.
func isolate(t *testing.T) string {
	dir := t.TempDir()
	for _, v := range []string{"DISCORD_TOKEN", "DISCORD_GUILD_ID", "DISCORD_API_URL", "BRIEFS_DIR", "DATABASE_PATH", "DATABASE_URL",
		"DIGEST_MIN_INTERVAL", "DIGEST_MISSED_GRACE", "DEFAULT_TIMEZONE", "LOG_LEVEL",
		"FEEDS_FILE", "FEED_POLL_INTERVAL", "FEED_RETENTION", "FEEDS_ALLOW_PRIVATE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	t.Chdir(dir)
	return dir
}

func TestSummarizeTextAndJSON(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "news", "bridge.txt"), seedLike)
	writeFile(t, filepath.Join(dir, "news", "sub", "undated.md"), "Undated Story Title\n\nOne sentence here. Another one there.\n")
	writeFile(t, filepath.Join(dir, "news", "empty.txt"), "")

	code, out, _ := runCLI(t, "", "", "summarize", "-n", "1", "news/bridge.txt")
	if code != 0 || !strings.Contains(out, "Harbour Bridge Reopens After Repairs\n2023-11-03") || strings.Count(out, "\n  ") < 1 {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}

	code, out, errOut := runCLI(t, "", "", "summarize", "-json", "-words", "20", "news")
	if code != 1 {
		t.Errorf("exit %d with a bad file in the folder, want 1", code)
	}
	if !strings.Contains(errOut, "empty.txt") || !strings.Contains(errOut, "empty file") {
		t.Errorf("stderr does not name the skipped file and why: %q", errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d JSON lines, want 2:\n%s", len(lines), out)
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("bad JSON %q: %v", l, err)
		}
		got = append(got, m)
	}
	if got[0]["file"] != filepath.Join("news", "bridge.txt") || got[0]["date"] != "2023-11-03" || got[0]["title"] != "Harbour Bridge Reopens After Repairs" {
		t.Errorf("first object: %v", got[0])
	}
	if got[1]["date"] != "" || got[1]["file"] != filepath.Join("news", "sub", "undated.md") {
		t.Errorf("undated object: %v", got[1])
	}
	for _, m := range got {
		for _, k := range []string{"file", "id", "title", "date", "summary", "keywords"} {
			if _, ok := m[k]; !ok {
				t.Errorf("object lacks %q: %v", k, m)
			}
		}
		if s, _ := m["summary"].([]any); len(s) == 0 {
			t.Errorf("empty summary: %v", m)
		}
	}
	// The IDs are the library's.
	lib := briefs.New()
	if _, err := folder.Load(lib, "news"); err != nil {
		t.Fatal(err)
	}
	if _, ok := lib.Get(got[0]["id"].(string)); !ok {
		t.Errorf("summarize's ID %v is not the library's", got[0]["id"])
	}

	code, out, _ = runCLI(t, "", seedLike, "summarize", "-json", "-")
	if code != 0 || !strings.Contains(out, `"file":"-"`) {
		t.Errorf("stdin (exit %d): %s", code, out)
	}
}

func TestUsageAndExitCodes(t *testing.T) {
	isolate(t)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"nonsense"}, 2, `unknown command "nonsense"`},
		{[]string{"summarize"}, 2, "at least one file"},
		{[]string{"summarize", "-bogus", "x"}, 2, "flag provided but not defined"},
		{[]string{"summarize", "-n", "2", "-words", "10", "x"}, 2, "not both"},
		{[]string{"summarize", "-h"}, 0, "Usage: newsbrief summarize"},
		{[]string{"digest", "-h"}, 0, "Usage: newsbrief digest"},
		{[]string{"digest", "-n", "0"}, 2, "between 1 and 10"},
		{[]string{"check", "-h"}, 0, "Usage: newsbrief check"},
		{[]string{"check", "extra"}, 2, "Usage: newsbrief check"},
		{[]string{"console", "-x"}, 2, "flag provided but not defined"},
		{[]string{"console", "now"}, 2, `newsbrief console: takes no arguments, got ["now"]`},
		{[]string{"run", "extra"}, 2, "Usage: newsbrief run"},
		{[]string{"invite", "-h"}, 0, "Usage: newsbrief invite"},
		{[]string{"summarize", "no/such/file.txt"}, 1, "no such file"},
		{[]string{"-h"}, 0, "Usage:"},
	}
	for _, tc := range cases {
		code, out, errOut := runCLI(t, "", "", tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d; output lacks %q:\n%s%s", tc.args, code, tc.code, tc.want, out, errOut)
		}
	}
}

func TestRunWithoutTokenSaysSo(t *testing.T) {
	isolate(t)
	code, _, errOut := runCLI(t, "", "")
	if code != 1 || !strings.Contains(errOut, "DISCORD_TOKEN is not set") {
		t.Errorf("run without token: exit %d, %q", code, errOut)
	}
}

// TestFailingComponentStopsTheBot: a component that fails (here the
// gateway, whose token Discord rejects) stops those started before it,
// the sources and the index cache keeper, and the bot exits 1 with an
// error naming it.
func TestFailingComponentStopsTheBot(t *testing.T) {
	dir := isolate(t)
	srv := discordtest.New(t)
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(3, 1)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DISCORD_TOKEN", "rejected-token")
	t.Setenv("DISCORD_API_URL", srv.URL())
	code, _, errOut := runCLI(t, "", "", "run")
	if code != exitFail || !strings.Contains(errOut, `msg="newsbrief stopped" err="gateway: discord: Discord rejected DISCORD_TOKEN`) {
		t.Errorf("run with a rejected token: exit %d, want %d with the gateway's error:\n%s", code, exitFail, errOut)
	}
	if strings.Contains(errOut, "rejected-token") {
		t.Error("the token appears in the logs")
	}
	// The index cache keeper ran (a first start writes the cache at once)
	// and had returned before run did: the cache is there.
	if _, err := os.Stat(filepath.Join(dir, "data", config.DefaultIndexCacheName)); err != nil {
		t.Errorf("no index cache after the failed start: %v", err)
	}
}

func TestCorruptDatabaseIsAClearError(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "articles", "ok.txt"), seedLike)
	writeFile(t, filepath.Join(dir, "broken.db"), strings.Repeat("this is not a database\n", 300))
	t.Setenv("DISCORD_TOKEN", "x")
	t.Setenv("DATABASE_PATH", "broken.db")
	code, _, errOut := runCLI(t, "", "", "run")
	if code != 1 || !strings.Contains(errOut, "broken.db") || !strings.Contains(errOut, "not a database") {
		t.Errorf("corrupt database: exit %d, %q", code, errOut)
	}
}

func TestCheck(t *testing.T) {
	dir := isolate(t)
	writeFile(t, filepath.Join(dir, "articles", "ok.txt"), seedLike)
	writeFile(t, filepath.Join(dir, "articles", "bin.txt"), "\x00\x01\x02binary")
	writeFile(t, filepath.Join(dir, "articles", "notitle.txt"), "Friday, November 3, 2023\n\n\n")
	t.Setenv("DISCORD_TOKEN", "super-secret-token")
	code, out, _ := runCLI(t, "", "", "check")
	if code != 0 || !strings.Contains(out, "articles: 1 loaded") || !strings.Contains(out, "skipped: 2") ||
		!strings.Contains(out, "bin.txt") || !strings.Contains(out, "binary") || !strings.Contains(out, "no title") {
		t.Errorf("check (exit %d):\n%s", code, out)
	}
	if strings.Contains(out, "super-secret-token") {
		t.Error("check printed the token")
	}
	// The index cache: none yet, then one the bot would write, then a
	// damaged one, which is no reason to fail the check.
	cachePath := filepath.Join("data", config.DefaultIndexCacheName)
	if !strings.Contains(out, "index cache: "+cachePath+": none yet") {
		t.Errorf("check without an index cache:\n%s", out)
	}
	cfg := config.Defaults()
	lib, _, _, err := loadLibrary(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := writeIndexCache(lib, cachePath); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, "", "", "check"); code != 0 || !strings.Contains(out, "index cache: "+cachePath+": 1 article, written ") {
		t.Errorf("check with an index cache (exit %d):\n%s", code, out)
	}
	writeFile(t, cachePath, "not a cache")
	if code, out, _ := runCLI(t, "", "", "check"); code != 0 || !strings.Contains(out, "unusable, the next start indexes every article") {
		t.Errorf("check with a damaged index cache (exit %d):\n%s", code, out)
	}
	t.Setenv("DIGEST_MIN_INTERVAL", "5 minutes")
	code, _, errOut := runCLI(t, "", "", "check")
	if code != 1 || !strings.Contains(errOut, `DIGEST_MIN_INTERVAL="5 minutes": want a Go duration such as 15m`) {
		t.Errorf("bad config: exit %d, %q", code, errOut)
	}
}

func TestDigestCommand(t *testing.T) {
	dir := isolate(t)
	arts := briefstest.Articles(8, 3)
	if err := folder.Write(filepath.Join(dir, "articles"), arts); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "", "", "digest", "-n", "3")
	if code != 0 || !strings.Contains(out, "News digest: 3 new articles") || strings.Count(out, "## ") != 3 {
		t.Errorf("digest (exit %d):\n%s", code, out)
	}
	lib := briefs.New()
	if _, err := folder.Load(lib, filepath.Join(dir, "articles")); err != nil {
		t.Fatal(err)
	}
	if newest := lib.Latest(1, "")[0]; !strings.Contains(out, "## "+newest.Title) {
		t.Errorf("digest lacks the newest article %q", newest.Title)
	}
}

func TestConsoleCommand(t *testing.T) {
	dir := isolate(t)
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(4, 3)); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "/brief latest count:1\n/digest list\n", "console")
	if code != 0 || strings.Count(out, "## ") != 1 || !strings.Contains(out, "no digest subscriptions") {
		t.Errorf("console (exit %d):\n%s\n%s", code, out, errOut)
	}
}

// BenchmarkSummarizeFolder is `newsbrief summarize -json -words 75 DIR` over
// 1,500 generated articles, per article. Run with -cpu 1 for the one-core
// figure.
func BenchmarkSummarizeFolder(b *testing.B) {
	dir := b.TempDir()
	if err := folder.Write(dir, briefstest.Articles(1500, 5)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if code := run(context.Background(), []string{"summarize", "-json", "-words", "75", dir}, nil, io.Discard, io.Discard); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(1500*b.N)/time.Since(start).Seconds(), "articles/s")
}

// The short brief of every sample article opens with a sentence that
// stands alone: these are what a fresh clone shows first.
func TestSampleBriefsStandAlone(t *testing.T) {
	samples, err := filepath.Abs("articles")
	if err != nil {
		t.Fatal(err)
	}
	isolate(t)
	code, out, errOut := runCLI(t, "", "", "summarize", "-json", "-n", "1", samples)
	if code != 0 {
		t.Fatalf("summarize: exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d briefs, want the 10 samples", len(lines))
	}
	for _, line := range lines {
		var s struct {
			File    string   `json:"file"`
			Summary []string `json:"summary"`
		}
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		if len(s.Summary) != 1 || summarize.Dependent(s.Summary[0]) {
			t.Errorf("%s: short brief %q", s.File, s.Summary)
		}
	}
}

// check validates the feeds file line by line and tries each feed once;
// digest fetches what is due and shows feed items beside the files.
func TestCheckAndDigestWithFeeds(t *testing.T) {
	dir := isolate(t)
	feeds := newRSSServer(t)
	feeds.add("/wire.xml", story("wire-1", "Harbour Ferry Service Resumes After Storm", "https://wire.example/ferry", time.Now()))
	writeFile(t, filepath.Join(dir, "articles", "bridge.txt"), seedLike)
	writeFile(t, filepath.Join(dir, "feeds.txt"), "wire "+feeds.URL+"/wire.xml\nbad-line ftp://example.com/feed\n")
	t.Setenv("FEEDS_ALLOW_PRIVATE", "1")
	t.Setenv("DATABASE_PATH", filepath.Join(dir, "nb.db"))

	code, out, errOut := runCLI(t, "", "", "check")
	if code != exitFail {
		t.Errorf("check with a bad feeds line: exit %d, want %d\n%s%s", code, exitFail, out, errOut)
	}
	for _, want := range []string{"feeds: 1 in feeds.txt", "line 2:", "wire (" + feeds.URL + "/wire.xml): 200, 1 items"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runCLI(t, "", "", "digest")
	if code != exitOK || !strings.Contains(out, "Harbour Ferry Service Resumes After Storm") || !strings.Contains(out, "Harbour Bridge Reopens") {
		t.Errorf("digest: exit %d, want the feed item and the file:\n%s%s", code, out, errOut)
	}
}

// TestCollectForStart: a start sets the collector's GOGC to
// startGCPercent and back after, unless the operator set GOGC or
// GOMEMLIMIT.
func TestCollectForStart(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	for _, c := range []struct {
		env  map[string]string
		want int
	}{
		{nil, startGCPercent},
		{map[string]string{"GOGC": "200"}, 100},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, 100},
	} {
		restore := collectForStart(func(k string) string { return c.env[k] })
		if got := debug.SetGCPercent(-1); got != c.want {
			t.Errorf("env %v: GOGC %d during the start, want %d", c.env, got, c.want)
		}
		debug.SetGCPercent(c.want)
		restore()
		if got := debug.SetGCPercent(100); got != 100 {
			t.Errorf("env %v: GOGC %d after the start, want 100", c.env, got)
		}
	}
}

// TestColdStartFolderFirst: a start without the index cache whose
// articles folder cannot be walked fails with the folder's error before
// it opens (and creates) the database; one whose folder loads opens the
// database, with the folder's articles and the feeds' in the library.
func TestColdStartFolderFirst(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Defaults()
	cfg.BriefsDir = filepath.Join(dir, "no-such-folder")
	cfg.DatabasePath = filepath.Join(dir, "newsbrief.db")
	cfg.IndexCache = ""
	cfg.FeedsFile = ""
	log := slog.New(slog.DiscardHandler)
	if d, err := openData(context.Background(), cfg, log, false); err == nil {
		d.Close()
		t.Fatal("a start with no articles folder succeeded")
	} else if !strings.Contains(err.Error(), "no-such-folder") {
		t.Errorf("error %q does not name the folder", err)
	}
	if _, err := os.Stat(cfg.DatabasePath); !os.IsNotExist(err) {
		t.Errorf("the database was opened before the folder failed (stat: %v)", err)
	}
	cfg.BriefsDir = filepath.Join(dir, "articles")
	if err := folder.Write(cfg.BriefsDir, briefstest.Articles(300, 1)); err != nil {
		t.Fatal(err)
	}
	d, err := openData(context.Background(), cfg, log, false)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if got := d.lib.Len(); got != 300 {
		t.Errorf("%d articles in the library, want the folder's 300", got)
	}
	if _, err := os.Stat(cfg.DatabasePath); err != nil {
		t.Errorf("the database was not opened: %v", err)
	}
}
