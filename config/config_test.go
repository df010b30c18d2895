package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := FromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.APIURL != DefaultAPIURL || c.BriefsDir != DefaultBriefsDir || c.MinInterval != time.Hour ||
		c.Timezone != "UTC" || c.Location != time.UTC || c.Location.String() != DefaultTimezone || c.LogLevel != slog.LevelInfo || c.Token != "" {
		t.Errorf("defaults = %+v", c)
	}
	if err := c.RequireToken(); err == nil || !strings.Contains(err.Error(), "DISCORD_TOKEN") {
		t.Errorf("RequireToken() = %v, want an error naming DISCORD_TOKEN", err)
	}
}

func TestValues(t *testing.T) {
	c, err := FromLookup(lookupFrom(map[string]string{
		"DISCORD_TOKEN":       "abc.def.ghi",
		"DISCORD_GUILD_ID":    "123456789012345678",
		"DISCORD_API_URL":     "http://127.0.0.1:9999/api/v9/",
		"BRIEFS_DIR":          "news",
		"DATABASE_PATH":       "x.db",
		"DIGEST_MIN_INTERVAL": "15m",
		"DIGEST_MISSED_GRACE": "2h",
		"DEFAULT_TIMEZONE":    "Europe/Berlin",
		"LOG_LEVEL":           "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Token != "abc.def.ghi" || c.GuildID != "123456789012345678" || c.APIURL != "http://127.0.0.1:9999/api/v9" ||
		c.BriefsDir != "news" || c.DatabasePath != "x.db" || c.MinInterval != 15*time.Minute ||
		c.MissedRunGrace != 2*time.Hour || c.Location.String() != "Europe/Berlin" || c.LogLevel != slog.LevelDebug {
		t.Errorf("config = %+v", c)
	}
	if strings.Contains(c.String(), "abc.def.ghi") {
		t.Errorf("String() shows the token: %s", c)
	}
}

func TestValidationNamesVariableValueAndWant(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"DIGEST_MIN_INTERVAL", "5 minutes", `DIGEST_MIN_INTERVAL="5 minutes": want a Go duration such as 15m`},
		{"DIGEST_MIN_INTERVAL", "10ms", "want at least 1s"},
		{"DEFAULT_TIMEZONE", "Mars/Olympus", `DEFAULT_TIMEZONE="Mars/Olympus": want an IANA time zone`},
		{"DEFAULT_TIMEZONE", "Local", `DEFAULT_TIMEZONE="Local"`},
		{"LOG_LEVEL", "loud", `LOG_LEVEL="loud": want one of debug, info, warn, error`},
		{"DISCORD_GUILD_ID", "my-server", `DISCORD_GUILD_ID="my-server": want a numeric guild ID`},
		{"DISCORD_API_URL", "discord.com", `DISCORD_API_URL="discord.com": want an http(s) base URL`},
		{"DIGEST_MISSED_GRACE", "-1h", `DIGEST_MISSED_GRACE="-1h"`},
	}
	for _, tc := range cases {
		_, err := FromLookup(lookupFrom(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: err = %v, want it to contain %q", tc.name, tc.value, err, tc.want)
		}
	}
}

func TestAllErrorsReportedTogether(t *testing.T) {
	_, err := FromLookup(lookupFrom(map[string]string{"LOG_LEVEL": "x", "DEFAULT_TIMEZONE": "y"}))
	if err == nil || !strings.Contains(err.Error(), "LOG_LEVEL") || !strings.Contains(err.Error(), "DEFAULT_TIMEZONE") {
		t.Errorf("err = %v, want both variables named", err)
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	const secret = "secret token value"
	_, err := FromLookup(lookupFrom(map[string]string{"DISCORD_TOKEN": secret}))
	if err == nil {
		t.Fatal("a token with spaces was accepted")
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the token: %v", err)
	}
}

func TestLoadReadsDotEnvButEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := "BRIEFS_DIR=from-dotenv\nDATABASE_PATH=dotenv.db\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DATABASE_PATH", "env.db")
	// Make sure nothing leaks in from the test runner's environment.
	t.Setenv("BRIEFS_DIR", "")
	os.Unsetenv("BRIEFS_DIR")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.BriefsDir != "from-dotenv" || c.DatabasePath != "env.db" {
		t.Errorf("BriefsDir=%q DatabasePath=%q, want from-dotenv and env.db", c.BriefsDir, c.DatabasePath)
	}
}

func TestLoadWithoutDotEnv(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := Load(); err != nil {
		t.Fatalf("Load() without .env = %v", err)
	}
}

func TestMalformedDotEnvHidesContent(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("DISCORD_TOKEN='unterminated-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load()
	if err != nil && strings.Contains(err.Error(), "unterminated-secret") {
		t.Errorf("error shows .env content: %v", err)
	}
}

// TestFeedDefaults: without the feed variables, feeds.txt is used only when
// the working directory has one, and the intervals are the documented ones.
func TestFeedDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	c, err := FromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.FeedsFile != "" || c.FeedPollInterval != 15*time.Minute || c.FeedRetention != 720*time.Hour || c.FeedsAllowPrivate ||
		c.FeedMaxItems != 1000 {
		t.Errorf("feed defaults without feeds.txt: file %q every %s keep %s private %v max items %d",
			c.FeedsFile, c.FeedPollInterval, c.FeedRetention, c.FeedsAllowPrivate, c.FeedMaxItems)
	}
	if !slices.Contains(c.Lines(), "FEED_MAX_ITEMS=1000") {
		t.Errorf("Lines() lacks FEED_MAX_ITEMS=1000: %q", c.Lines())
	}
	if !slices.Contains(c.Lines(), "FEEDS_FILE=(none: no feeds.txt here)") {
		t.Errorf("Lines() = %q", c.Lines())
	}

	if err := os.WriteFile(filepath.Join(dir, "feeds.txt"), []byte("https://example.com/rss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = FromLookup(lookupFrom(map[string]string{"FEEDS_FILE": "  "}))
	if err != nil || c.FeedsFile != "feeds.txt" {
		t.Errorf("with feeds.txt in the working directory: FeedsFile %q, %v", c.FeedsFile, err)
	}
}

func TestFeedValues(t *testing.T) {
	dir := t.TempDir()
	feeds := filepath.Join(dir, "my-feeds.txt")
	if err := os.WriteFile(feeds, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := FromLookup(lookupFrom(map[string]string{
		"FEEDS_FILE":          feeds,
		"FEED_POLL_INTERVAL":  "1s",
		"FEED_RETENTION":      "48h",
		"FEEDS_ALLOW_PRIVATE": "1",
		"FEED_MAX_ITEMS":      " 250 ",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.FeedsFile != feeds || c.FeedPollInterval != time.Second || c.FeedRetention != 48*time.Hour || !c.FeedsAllowPrivate ||
		c.FeedMaxItems != 250 {
		t.Errorf("config = %+v", c)
	}
	for _, want := range []string{"FEEDS_FILE=" + feeds, "FEED_POLL_INTERVAL=1s", "FEED_RETENTION=48h0m0s", "FEEDS_ALLOW_PRIVATE=1", "FEED_MAX_ITEMS=250"} {
		if !slices.Contains(c.Lines(), want) {
			t.Errorf("Lines() lacks %q: %q", want, c.Lines())
		}
	}
	for v, want := range map[string]bool{"true": true, "TRUE": true, " 1 ": true, "0": false, "false": false, "": false} {
		c, err := FromLookup(lookupFrom(map[string]string{"FEEDS_ALLOW_PRIVATE": v}))
		if err != nil || c.FeedsAllowPrivate != want {
			t.Errorf("FEEDS_ALLOW_PRIVATE=%q: %v, %v; want %v", v, c.FeedsAllowPrivate, err, want)
		}
	}
}

func TestFeedValidation(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.txt")
	cases := []struct{ name, value, want string }{
		{"FEEDS_FILE", missing, `FEEDS_FILE="` + missing + `": no such file`},
		{"FEEDS_FILE", dir, `FEEDS_FILE="` + dir + `": not a regular file`},
		{"FEED_POLL_INTERVAL", "often", `FEED_POLL_INTERVAL="often": want a Go duration such as 15m`},
		{"FEED_POLL_INTERVAL", "500ms", `FEED_POLL_INTERVAL="500ms": want at least 1s`},
		{"FEED_RETENTION", "30d", `FEED_RETENTION="30d": want a positive Go duration such as 720h`},
		{"FEED_RETENTION", "0s", `FEED_RETENTION="0s": want a positive Go duration`},
		{"FEEDS_ALLOW_PRIVATE", "yes", `FEEDS_ALLOW_PRIVATE="yes": want 1 or true`},
		{"FEED_MAX_ITEMS", "0", `FEED_MAX_ITEMS="0": want a whole number of items from 1 to 1000000`},
		{"FEED_MAX_ITEMS", "-5", `FEED_MAX_ITEMS="-5": want a whole number of items`},
		{"FEED_MAX_ITEMS", "1e3", `FEED_MAX_ITEMS="1e3": want a whole number of items`},
		{"FEED_MAX_ITEMS", "1000001", `FEED_MAX_ITEMS="1000001": want a whole number of items from 1 to 1000000`},
	}
	for _, tc := range cases {
		_, err := FromLookup(lookupFrom(map[string]string{tc.name: tc.value}))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s=%q: err = %v, want it to contain %q", tc.name, tc.value, err, tc.want)
		}
	}
}

func TestShardDefaults(t *testing.T) {
	c, err := FromLookup(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShardCount != 1 || c.ShardIDs != nil {
		t.Errorf("ShardCount %d ShardIDs %v, want 1 and nil (all)", c.ShardCount, c.ShardIDs)
	}
	for _, want := range []string{"SHARD_COUNT=1", "SHARD_IDS=(all)"} {
		if !slices.Contains(c.Lines(), want) {
			t.Errorf("Lines() lacks %q: %q", want, c.Lines())
		}
	}
}

func TestShardValues(t *testing.T) {
	cases := []struct {
		count, ids string
		wantCount  int
		wantIDs    []int
		wantLines  []string
	}{
		{"4", "0-3", 4, []int{0, 1, 2, 3}, []string{"SHARD_COUNT=4", "SHARD_IDS=0-3"}},
		{"6", "4,5", 6, []int{4, 5}, []string{"SHARD_IDS=4-5"}},
		{"4", " 3, 0-1 ,1", 4, []int{0, 1, 3}, []string{"SHARD_IDS=0-1,3"}},
		{"2", "", 2, nil, []string{"SHARD_IDS=(all)"}},
		{"AUTO", "", 0, nil, []string{"SHARD_COUNT=auto (Discord's recommendation)"}},
		{"auto", "7", 0, []int{7}, []string{"SHARD_IDS=7"}},
	}
	for _, tc := range cases {
		c, err := FromLookup(lookupFrom(map[string]string{"SHARD_COUNT": tc.count, "SHARD_IDS": tc.ids}))
		if err != nil {
			t.Errorf("SHARD_COUNT=%q SHARD_IDS=%q: %v", tc.count, tc.ids, err)
			continue
		}
		if c.ShardCount != tc.wantCount || !slices.Equal(c.ShardIDs, tc.wantIDs) {
			t.Errorf("SHARD_COUNT=%q SHARD_IDS=%q: count %d ids %v, want %d %v", tc.count, tc.ids, c.ShardCount, c.ShardIDs, tc.wantCount, tc.wantIDs)
		}
		for _, want := range tc.wantLines {
			if !slices.Contains(c.Lines(), want) {
				t.Errorf("SHARD_COUNT=%q SHARD_IDS=%q: Lines() lacks %q: %q", tc.count, tc.ids, want, c.Lines())
			}
		}
	}
}

func TestShardValidation(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SHARD_COUNT": "0"}, `SHARD_COUNT="0": want a whole number of shards from 1 to`},
		{map[string]string{"SHARD_COUNT": "-2"}, `SHARD_COUNT="-2": want a whole number`},
		{map[string]string{"SHARD_COUNT": "many"}, `SHARD_COUNT="many": want a whole number of shards from 1 to 65536, or auto`},
		{map[string]string{"SHARD_COUNT": "4", "SHARD_IDS": "0-4"}, `SHARD_IDS="0-4": shard 4 is not below SHARD_COUNT 4: want shard ids from 0 to 3`},
		{map[string]string{"SHARD_IDS": "1"}, `SHARD_IDS="1": shard 1 is not below SHARD_COUNT 1`},
		{map[string]string{"SHARD_COUNT": "8", "SHARD_IDS": "3-1"}, `SHARD_IDS="3-1": range "3-1" runs backwards`},
		{map[string]string{"SHARD_COUNT": "8", "SHARD_IDS": "0,,2"}, `SHARD_IDS="0,,2": "" is not a shard id or range`},
		{map[string]string{"SHARD_COUNT": "8", "SHARD_IDS": "-1"}, `SHARD_IDS="-1": "-1" is not a shard id or range`},
		{map[string]string{"SHARD_COUNT": "8", "SHARD_IDS": "a-b"}, `"a-b" is not a shard id or range`},
		{map[string]string{"SHARD_COUNT": "auto", "SHARD_IDS": "0-99999"}, `SHARD_IDS="0-99999": shard 99999 is too large: want shard ids from 0 to 65535`},
	}
	for _, tc := range cases {
		_, err := FromLookup(lookupFrom(tc.env))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want it to contain %q", tc.env, err, tc.want)
		}
	}
}

func TestDatabaseURL(t *testing.T) {
	c, err := FromLookup(lookupFrom(map[string]string{"DATABASE_URL": "postgres://nb:s3cret@db.example:5432/news?sslmode=disable"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseURL != "postgres://nb:s3cret@db.example:5432/news?sslmode=disable" {
		t.Errorf("DatabaseURL = %q", c.DatabaseURL)
	}
	if strings.Contains(c.String(), "s3cret") || !strings.Contains(c.String(), "DATABASE_URL=postgres://nb:xxxxx@db.example:5432/news?sslmode=disable") {
		t.Errorf("String() = %q: want the URL with its password redacted", c.String())
	}
	c, err = FromLookup(lookupFrom(map[string]string{"DATABASE_URL": "postgresql://nb@db/news?password=s3cret"}))
	if err != nil || strings.Contains(c.String(), "s3cret") {
		t.Errorf("a password parameter: %v, %q", err, c.String())
	}
	if d, _ := FromLookup(lookupFrom(nil)); d.DatabaseURL != "" || !strings.Contains(d.String(), "DATABASE_URL=(none") {
		t.Errorf("unset: %q", d.String())
	}
	for _, bad := range []string{"mysql://nb:s3cret@db/news", "nb:s3cret@db/news", "postgres://nb:s3cret@/news", "postgres://nb:s3cret@db:port%/x"} {
		_, err := FromLookup(lookupFrom(map[string]string{"DATABASE_URL": bad}))
		if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
			t.Errorf("%q: err = %v, want one naming DATABASE_URL", bad, err)
		} else if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: the error shows the password: %v", bad, err)
		}
	}
}

func TestShardIDsNone(t *testing.T) {
	c, err := FromLookup(lookupFrom(map[string]string{"SHARD_COUNT": "2", "SHARD_IDS": "None"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ShardIDs == nil || len(c.ShardIDs) != 0 {
		t.Errorf("ShardIDs = %#v, want empty and not nil (none)", c.ShardIDs)
	}
	if !slices.Contains(c.Lines(), "SHARD_IDS=none (a standby: no gateway session)") {
		t.Errorf("Lines() = %q", c.Lines())
	}
}

// TestMetricsAddr: unset means no listener; a host:port (port 0 too, for
// tests) is kept; anything else names the variable, the value and the form.
func TestMetricsAddr(t *testing.T) {
	c, err := FromLookup(lookupFrom(nil))
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("unset: %q, %v; want no listener", c.MetricsAddr, err)
	}
	if !slices.Contains(c.Lines(), "METRICS_ADDR=(none: no metrics listener)") {
		t.Errorf("Lines without METRICS_ADDR: %v", c.Lines())
	}
	for _, ok := range []string{"127.0.0.1:9090", ":9090", "[::1]:0", "localhost:9100"} {
		c, err := FromLookup(lookupFrom(map[string]string{"METRICS_ADDR": ok}))
		if err != nil || c.MetricsAddr != ok {
			t.Errorf("METRICS_ADDR=%q: %q, %v", ok, c.MetricsAddr, err)
		}
		if !slices.Contains(c.Lines(), "METRICS_ADDR="+ok) {
			t.Errorf("Lines with METRICS_ADDR=%q: %v", ok, c.Lines())
		}
	}
	for value, want := range map[string]string{
		"9090":                `METRICS_ADDR="9090": want host:port`,
		"127.0.0.1":           `METRICS_ADDR="127.0.0.1": want host:port`,
		"127.0.0.1:http":      `METRICS_ADDR="127.0.0.1:http": port "http" is not a number`,
		"127.0.0.1:70000":     `port "70000" is not a number from 0 to 65535`,
		"http://1.2.3.4:9090": `METRICS_ADDR="http://1.2.3.4:9090": want host:port`,
	} {
		_, err := FromLookup(lookupFrom(map[string]string{"METRICS_ADDR": value}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("METRICS_ADDR=%q: err = %v, want it to contain %q", value, err, want)
		}
	}
}

// FuzzShardIDs: any SHARD_IDS value is either refused with an error naming
// it or read into ascending ids below the count, which format back to a
// value that reads the same.
func FuzzShardIDs(f *testing.F) {
	for _, s := range []string{"0-3", "4,5", " 3, 0-1 ,1", "0,,2", "3-1", "-1", "a-b", "0-99999", "1-", "0-65535,0-65535", "７"} {
		f.Add(s, 8)
	}
	f.Fuzz(func(t *testing.T, v string, count int) {
		if count < 0 || count > maxShards {
			count = ShardCountAuto
		}
		ids, err := parseShardIDs(v, count)
		if err != nil {
			return
		}
		limit := maxShards
		if count != ShardCountAuto {
			limit = count
		}
		for i, id := range ids {
			if id < 0 || id >= limit || i > 0 && id <= ids[i-1] {
				t.Fatalf("%q (count %d) gave %v", v, count, ids)
			}
		}
		if len(ids) == 0 {
			return
		}
		again, err := parseShardIDs(formatShardIDs(ids), count)
		if err != nil || !slices.Equal(again, ids) {
			t.Fatalf("%q: %v formats as %q, which reads as %v, %v", v, ids, formatShardIDs(ids), again, err)
		}
	})
}

// TestIndexCache: INDEX_CACHE defaults to a file beside DATABASE_PATH,
// follows it, takes a path of its own, and "off" turns it off.
func TestIndexCache(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, filepath.Join("data", DefaultIndexCacheName)},
		{map[string]string{"DATABASE_PATH": "/srv/nb/state.db"}, filepath.Join("/srv/nb", DefaultIndexCacheName)},
		{map[string]string{"DATABASE_PATH": "x.db"}, DefaultIndexCacheName},
		{map[string]string{"INDEX_CACHE": "/var/cache/nb.index"}, "/var/cache/nb.index"},
		{map[string]string{"INDEX_CACHE": "OFF"}, ""},
	} {
		cfg, err := FromLookup(lookupFrom(c.env))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.IndexCache != c.want {
			t.Errorf("%v: IndexCache = %q, want %q", c.env, cfg.IndexCache, c.want)
		}
		want := "INDEX_CACHE=" + c.want
		if c.want == "" {
			want = "INDEX_CACHE=off"
		}
		if !slices.Contains(cfg.Lines(), want) {
			t.Errorf("%v: Lines lack %s", c.env, want)
		}
	}
	if d := Defaults(); d.IndexCache != filepath.Join("data", DefaultIndexCacheName) {
		t.Errorf("Defaults().IndexCache = %q", d.IndexCache)
	}
}
