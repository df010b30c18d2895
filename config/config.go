// Package config loads newsbrief's settings from the environment, after
// reading a .env file when there is one. It is the only package that knows
// about godotenv.
//
// It is a leaf: it imports nothing of newsbrief, and only main imports it.
// The defaults of the variables are defined here, once; the packages that
// use the settings take them from the wiring (their constructors' options),
// and have no policy of their own beyond plain zero values.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// Defaults for the optional variables.
const (
	// DefaultAPIURL is Discord's own REST API, version 9.
	DefaultAPIURL = "https://discord.com/api/v9"
	// DefaultMinInterval keeps digests from flooding a channel.
	DefaultMinInterval = time.Hour
	// DefaultMissedGrace posts a run missed while the bot was down if it
	// is at most a day old.
	DefaultMissedGrace = 24 * time.Hour
	// DefaultTimezone is the zone of subscriptions that name none: UTC,
	// which needs no zone database.
	DefaultTimezone     = "UTC"
	DefaultBriefsDir    = "articles"
	DefaultDatabasePath = "data/newsbrief.db"
	DefaultLogLevel     = slog.LevelInfo
	// DefaultIndexCacheName is the index cache's file name, in the folder
	// of DATABASE_PATH, when INDEX_CACHE is not set.
	DefaultIndexCacheName  = "newsbrief.index"
	defaultEnvFile         = ".env"
	tokenVar               = "DISCORD_TOKEN"
	minimumAllowedInterval = time.Second
)

// Defaults of the feed settings. They are config's own, not the feed
// source's, so that config stays a leaf: main hands the values to the
// source.
const (
	// DefaultFeedsFile is read when FEEDS_FILE is not set, and only when it
	// exists: an operator without feeds needs no file.
	DefaultFeedsFile = "feeds.txt"
	// DefaultFeedPollInterval is how often a feed whose line gives no
	// every= is polled: often enough for news, rarely enough that
	// publishers do not block the bot.
	DefaultFeedPollInterval = 15 * time.Minute
	// DefaultFeedRetention keeps fetched items for 30 days, long enough
	// for a weekly digest to catch up after an outage.
	DefaultFeedRetention = 720 * time.Hour
	// DefaultFeedMaxItems is what one feed may keep, the newest: far more
	// than a news feed publishes in the 30 days of retention (a busy one
	// runs to a few hundred), while a feed that floods with thousands of
	// items a poll keeps no more than this, and adds no more in one poll.
	DefaultFeedMaxItems = 1000
	// maxFeedMaxItems bounds FEED_MAX_ITEMS so that a typo cannot lift the
	// cap altogether.
	maxFeedMaxItems = 1_000_000
	feedsFileVar    = "FEEDS_FILE"
	feedMaxItemsVar = "FEED_MAX_ITEMS"
	databaseURLVar  = "DATABASE_URL"
)

// Defaults and bounds of the sharding settings.
const (
	// DefaultShardCount runs the bot unsharded: one session sees every
	// guild, which Discord allows up to 2500 guilds.
	DefaultShardCount = 1
	// ShardCountAuto is what ShardCount holds for SHARD_COUNT=auto: the
	// bot asks Discord (GET /gateway/bot) for its recommended count.
	ShardCountAuto = 0
	// maxShards bounds SHARD_COUNT and the ids of SHARD_IDS, so that a
	// typo cannot make the process plan a million sessions; it is far
	// above what any bot runs.
	maxShards     = 1 << 16
	shardCountVar = "SHARD_COUNT"
	shardIDsVar   = "SHARD_IDS"
)

// Config is everything newsbrief reads from its environment. The zero value
// is not useful; build one with Load or Defaults.
type Config struct {
	// Token is the bot token. It is needed only to connect to Discord, and
	// String and errors never show it.
	Token string
	// GuildID, when set, registers commands in that guild only (instant
	// updates while testing) instead of globally.
	GuildID string
	// APIURL is the REST base URL; the gateway URL is read from {APIURL}/gateway.
	APIURL string
	// BriefsDir is the folder of article files.
	BriefsDir string
	// DatabasePath is the SQLite file holding digest subscriptions, used
	// when DatabaseURL is empty.
	DatabasePath string
	// DatabaseURL, when set, is a PostgreSQL connection URL (postgres:// or
	// postgresql://) that replaces DatabasePath: the database several
	// processes on several machines share. It may hold a password: Lines,
	// String and errors show it redacted (DatabaseURLRedacted).
	DatabaseURL string
	// MinInterval is the shortest gap allowed between two runs of a digest.
	MinInterval time.Duration
	// Timezone is the IANA zone used when a subscription names none.
	Timezone string
	// Location is Timezone, loaded.
	Location *time.Location
	// MissedRunGrace is how old a digest run missed while the bot was down
	// may be and still be posted at start.
	MissedRunGrace time.Duration
	// LogLevel filters the logs.
	LogLevel slog.Level

	// FeedsFile is the list of news feeds to poll, one a line; "" when
	// there are no feeds (FEEDS_FILE unset and no feeds.txt in the working
	// directory).
	FeedsFile string
	// FeedPollInterval is how often a feed is polled when its line names
	// no interval of its own.
	FeedPollInterval time.Duration
	// FeedRetention is how long a fetched feed item is kept, and so stays
	// readable after it drops out of its feed.
	FeedRetention time.Duration
	// FeedMaxItems is how many items one feed may keep, the newest; one
	// poll adds no more than that either.
	FeedMaxItems int
	// FeedsAllowPrivate lets feeds and the pages they link to live on
	// loopback and private addresses: for tests and intranet feeds. Off,
	// the feed source refuses them so that a feed cannot make the bot
	// probe the network it runs in.
	FeedsAllowPrivate bool

	// ShardCount is how many shards the bot as a whole has (over every
	// process); ShardCountAuto (0) means Discord's recommended count.
	ShardCount int
	// ShardIDs are the shards this process runs, ascending without
	// repeats; nil means all of them, and empty (not nil: SHARD_IDS=none)
	// none: a standby that holds no gateway session, serves no
	// interactions and stands by to post digests and poll feeds when the
	// process holding those leases dies.
	ShardIDs []int
	// MetricsAddr is the host:port the metrics, health and readiness
	// endpoints listen on; "" for no listener (the default: an operator
	// opts in to opening a port).
	MetricsAddr string

	// IndexCache is the file where the library keeps what indexing read of
	// its articles, so that a restart reads and indexes only the files and
	// items that changed; "" for none (INDEX_CACHE=off). By default it is
	// DefaultIndexCacheName beside DatabasePath.
	IndexCache string
}

// Defaults returns the configuration used when no variable is set.
func Defaults() Config {
	return Config{
		APIURL:         DefaultAPIURL,
		BriefsDir:      DefaultBriefsDir,
		DatabasePath:   DefaultDatabasePath,
		IndexCache:     filepath.Join(filepath.Dir(DefaultDatabasePath), DefaultIndexCacheName),
		MinInterval:    DefaultMinInterval,
		Timezone:       DefaultTimezone,
		Location:       time.UTC,
		MissedRunGrace: DefaultMissedGrace,
		LogLevel:       DefaultLogLevel,

		FeedPollInterval: DefaultFeedPollInterval,
		FeedRetention:    DefaultFeedRetention,
		FeedMaxItems:     DefaultFeedMaxItems,

		ShardCount: DefaultShardCount,
	}
}

// Load reads .env from the working directory when it exists (variables
// already in the environment win over it), then builds and validates a
// Config from the environment.
func Load() (Config, error) {
	if err := godotenv.Load(defaultEnvFile); err != nil && !errors.Is(err, os.ErrNotExist) {
		// godotenv's parse errors quote the offending line, which may hold
		// the token: say only which file is wrong.
		return Config{}, fmt.Errorf("config: read %s: malformed file (want KEY=value lines)", defaultEnvFile)
	}
	return FromLookup(os.LookupEnv)
}

// FromLookup builds a Config from a variable lookup function such as
// os.LookupEnv. Every problem found is reported, each naming its variable,
// the bad value and what is expected.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	c := Defaults()
	get := func(name string) (string, bool) {
		v, ok := lookup(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	var errs []error
	bad := func(name, value, want string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s", name, value, want))
	}

	if v, ok := get(tokenVar); ok {
		c.Token = strings.TrimPrefix(v, "Bot ")
		if strings.ContainsAny(c.Token, " \t") {
			// Never echo the token, not even a bad one.
			errs = append(errs, fmt.Errorf("%s: contains white space: want the bot token from the Developer Portal, without quotes", tokenVar))
		}
	}
	if v, ok := get("DISCORD_GUILD_ID"); ok {
		if !isSnowflake(v) {
			bad("DISCORD_GUILD_ID", v, "want a numeric guild ID such as 123456789012345678 (Developer Mode, right-click the server, Copy Server ID)")
		}
		c.GuildID = v
	}
	if v, ok := get("DISCORD_API_URL"); ok {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("DISCORD_API_URL", v, "want an http(s) base URL such as "+DefaultAPIURL)
		}
		c.APIURL = strings.TrimRight(v, "/")
	}
	if v, ok := get("BRIEFS_DIR"); ok {
		c.BriefsDir = v
	}
	if v, ok := get("DATABASE_PATH"); ok {
		c.DatabasePath = v
	}
	if v, ok := get(databaseURLVar); ok {
		if err := checkDatabaseURL(v); err != nil {
			// Never echo the URL as given: it may hold a password.
			errs = append(errs, fmt.Errorf("%s=%q: %v", databaseURLVar, redactURL(v), err))
		} else {
			c.DatabaseURL = v
		}
	}
	if v, ok := get("DIGEST_MIN_INTERVAL"); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("DIGEST_MIN_INTERVAL", v, "want a Go duration such as 15m")
		case d < minimumAllowedInterval:
			bad("DIGEST_MIN_INTERVAL", v, "want at least 1s")
		default:
			c.MinInterval = d
		}
	}
	if v, ok := get("DIGEST_MISSED_GRACE"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			bad("DIGEST_MISSED_GRACE", v, "want a Go duration such as 24h (0 disables catch-up)")
		} else {
			c.MissedRunGrace = d
		}
	}
	if v, ok := get("DEFAULT_TIMEZONE"); ok {
		loc, err := loadZone(v)
		if err != nil {
			bad("DEFAULT_TIMEZONE", v, "want an IANA time zone name such as Europe/Berlin or UTC")
		} else {
			c.Timezone, c.Location = v, loc
		}
	}
	if v, ok := get("LOG_LEVEL"); ok {
		var l slog.Level
		if err := l.UnmarshalText([]byte(v)); err != nil {
			bad("LOG_LEVEL", v, "want one of debug, info, warn, error")
		} else {
			c.LogLevel = l
		}
	}
	if v, ok := get(feedsFileVar); ok {
		if err := checkFeedsFile(v); err != nil {
			bad(feedsFileVar, v, err.Error())
		} else {
			c.FeedsFile = v
		}
	} else if checkFeedsFile(DefaultFeedsFile) == nil {
		c.FeedsFile = DefaultFeedsFile
	}
	if v, ok := get("FEED_POLL_INTERVAL"); ok {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			bad("FEED_POLL_INTERVAL", v, "want a Go duration such as 15m")
		case d < minimumAllowedInterval:
			bad("FEED_POLL_INTERVAL", v, "want at least 1s")
		default:
			c.FeedPollInterval = d
		}
	}
	if v, ok := get("FEED_RETENTION"); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("FEED_RETENTION", v, "want a positive Go duration such as 720h (30 days)")
		} else {
			c.FeedRetention = d
		}
	}
	if v, ok := get(feedMaxItemsVar); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxFeedMaxItems {
			bad(feedMaxItemsVar, v, fmt.Sprintf("want a whole number of items from 1 to %d, such as %d", maxFeedMaxItems, DefaultFeedMaxItems))
		} else {
			c.FeedMaxItems = n
		}
	}
	if v, ok := lookup("FEEDS_ALLOW_PRIVATE"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "1", "true":
			c.FeedsAllowPrivate = true
		case "0", "false", "":
			c.FeedsAllowPrivate = false
		default:
			bad("FEEDS_ALLOW_PRIVATE", strings.TrimSpace(v), "want 1 or true to allow private addresses, 0, false or empty to refuse them")
		}
	}
	if v, ok := get(shardCountVar); ok {
		if strings.EqualFold(v, "auto") {
			c.ShardCount = ShardCountAuto
		} else if n, err := strconv.Atoi(v); err != nil || n < 1 || n > maxShards {
			bad(shardCountVar, v, fmt.Sprintf("want a whole number of shards from 1 to %d, or auto for Discord's recommendation", maxShards))
		} else {
			c.ShardCount = n
		}
	}
	if v, ok := get(shardIDsVar); ok && strings.EqualFold(strings.TrimSpace(v), "none") {
		c.ShardIDs = []int{}
	} else if ok {
		ids, err := parseShardIDs(v, c.ShardCount)
		if err != nil {
			bad(shardIDsVar, v, err.Error())
		} else {
			c.ShardIDs = ids
		}
	}
	if v, ok := get("METRICS_ADDR"); ok {
		if err := checkListenAddr(v); err != nil {
			bad("METRICS_ADDR", v, err.Error())
		} else {
			c.MetricsAddr = v
		}
	}
	switch v, ok := get("INDEX_CACHE"); {
	case !ok:
		c.IndexCache = filepath.Join(filepath.Dir(c.DatabasePath), DefaultIndexCacheName)
	case strings.EqualFold(v, "off"):
		c.IndexCache = ""
	default:
		c.IndexCache = v
	}
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// RequireToken reports a missing token, for the commands that connect.
func (c Config) RequireToken() error {
	if c.Token == "" {
		return fmt.Errorf("config: %s is not set: create a bot in the Discord Developer Portal, copy its token into .env (see .env.example)", tokenVar)
	}
	return nil
}

// Lines describes the configuration one "NAME=value" per variable, with the
// token masked and the database URL's password redacted, for `newsbrief
// check`.
func (c Config) Lines() []string {
	token := "(not set)"
	if c.Token != "" {
		token = "(set, hidden)"
	}
	guild := c.GuildID
	if guild == "" {
		guild = "(none: global commands)"
	}
	feeds := c.FeedsFile
	if feeds == "" {
		feeds = "(none: no " + DefaultFeedsFile + " here)"
	}
	dbURL := "(none: SQLite at DATABASE_PATH)"
	if c.DatabaseURL != "" {
		dbURL = c.DatabaseURLRedacted()
	}
	allowPrivate := "0"
	if c.FeedsAllowPrivate {
		allowPrivate = "1"
	}
	shardCount := strconv.Itoa(c.ShardCount)
	if c.ShardCount == ShardCountAuto {
		shardCount = "auto (Discord's recommendation)"
	}
	shardIDs := "(all)"
	switch {
	case c.Standby():
		shardIDs = "none (a standby: no gateway session)"
	case c.ShardIDs != nil:
		shardIDs = formatShardIDs(c.ShardIDs)
	}
	indexCache := c.IndexCache
	if indexCache == "" {
		indexCache = "off"
	}
	metrics := c.MetricsAddr
	if metrics == "" {
		metrics = "(none: no metrics listener)"
	}
	return []string{
		tokenVar + "=" + token,
		"DISCORD_GUILD_ID=" + guild,
		"DISCORD_API_URL=" + c.APIURL,
		"BRIEFS_DIR=" + c.BriefsDir,
		"DATABASE_PATH=" + c.DatabasePath,
		databaseURLVar + "=" + dbURL,
		"DIGEST_MIN_INTERVAL=" + c.MinInterval.String(),
		"DIGEST_MISSED_GRACE=" + c.MissedRunGrace.String(),
		"DEFAULT_TIMEZONE=" + c.Timezone,
		"LOG_LEVEL=" + strings.ToLower(c.LogLevel.String()),
		feedsFileVar + "=" + feeds,
		"FEED_POLL_INTERVAL=" + c.FeedPollInterval.String(),
		"FEED_RETENTION=" + c.FeedRetention.String(),
		feedMaxItemsVar + "=" + strconv.Itoa(c.FeedMaxItems),
		"FEEDS_ALLOW_PRIVATE=" + allowPrivate,
		shardCountVar + "=" + shardCount,
		shardIDsVar + "=" + shardIDs,
		"METRICS_ADDR=" + metrics,
		"INDEX_CACHE=" + indexCache,
	}
}

// parseShardIDs reads a list of shard ids and ranges such as "0-3", "4,5"
// or "0-1,3" into ascending ids without repeats. Each id must be below
// count, unless count is ShardCountAuto: then only Discord knows the count
// and the bot checks the ids once it has asked.
func parseShardIDs(v string, count int) ([]int, error) {
	limit := maxShards
	if count != ShardCountAuto {
		limit = count
	}
	want := fmt.Sprintf("want shard ids from 0 to %d, as a list or ranges such as 0-3 or 4,5", limit-1)
	// A set, not a list: "0-65535" given a thousand times is still
	// 65,536 shards, not 65 million ids.
	in := make([]bool, limit)
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		first, err1 := strconv.Atoi(strings.TrimSpace(lo))
		last, err2 := first, error(nil)
		if isRange {
			last, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		switch {
		case err1 != nil || err2 != nil || first < 0:
			return nil, fmt.Errorf("%q is not a shard id or range: %s", part, want)
		case last < first:
			return nil, fmt.Errorf("range %q runs backwards: %s", part, want)
		case last >= limit && count != ShardCountAuto:
			return nil, fmt.Errorf("shard %d is not below %s %d: %s", last, shardCountVar, count, want)
		case last >= limit:
			return nil, fmt.Errorf("shard %d is too large: %s", last, want)
		}
		for id := first; id <= last; id++ {
			in[id] = true
		}
	}
	var ids []int
	for id, ok := range in {
		if ok {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// formatShardIDs writes ids as parseShardIDs reads them, runs as ranges.
func formatShardIDs(ids []int) string {
	var parts []string
	for i := 0; i < len(ids); {
		j := i
		for j+1 < len(ids) && ids[j+1] == ids[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, strconv.Itoa(ids[i]))
		} else {
			parts = append(parts, strconv.Itoa(ids[i])+"-"+strconv.Itoa(ids[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// checkFeedsFile says what is wrong with name as a feeds file: missing, or
// not a regular file. Its content is the feed source's to check, line by
// line, since the file may change while the bot runs.
func checkFeedsFile(name string) error {
	fi, err := os.Stat(name)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return errors.New("no such file: want the path of a text file of feeds, one a line (see feeds.txt in the README)")
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named already, with the variable
		}
		return fmt.Errorf("cannot read it (%v): want a readable text file of feeds", err)
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file: want a text file of feeds, one a line")
	}
	return nil
}

// DatabaseURLRedacted is DatabaseURL fit to print: a password in the user
// information or in a password parameter shows as xxxxx.
func (c Config) DatabaseURLRedacted() string { return redactURL(c.DatabaseURL) }

// checkDatabaseURL says what is wrong with v as a PostgreSQL URL. Only the
// form is checked here; whether the database answers is the store's to say.
func checkDatabaseURL(v string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("does not parse as a URL: want postgres://user[:password]@host[:port]/database[?param=value]")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return errors.New("want a postgres:// or postgresql:// URL such as postgres://newsbrief@db.example:5432/newsbrief (unset it to use SQLite at DATABASE_PATH)")
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return errors.New("no host: want postgres://user@host[:port]/database")
	}
	return nil
}

// checkListenAddr says what is wrong with addr as an address to listen on:
// it must be host:port with a numeric port, the host an IP or a name (or
// empty: every interface), so that a typo fails at check, not at start.
func checkListenAddr(addr string) error {
	const want = "want host:port such as 127.0.0.1:9090 (or :9090 for every interface)"
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return errors.New(want)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535: %s", port, want)
	}
	if strings.ContainsAny(host, " /\\") {
		return fmt.Errorf("host %q is not an IP address or host name: %s", host, want)
	}
	return nil
}

// redactURL hides the password of a database URL, wherever it is: the user
// information (user:password@) or a password= parameter. A value that does
// not parse is not shown at all, since there is no telling where its
// password is.
func redactURL(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Opaque != "" {
		return "(not shown: it does not parse as a URL, and may hold a password)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Standby reports SHARD_IDS=none: the process runs no shard.
func (c Config) Standby() bool { return c.ShardIDs != nil && len(c.ShardIDs) == 0 }

// String is Lines on one line, for logs.
func (c Config) String() string { return strings.Join(c.Lines(), " ") }

// LogValue keeps the token out of structured logs too.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func isSnowflake(s string) bool {
	if len(s) < 5 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// loadZone loads an IANA zone by name. "Local" is refused: it is whatever
// zone the machine happens to have, not a zone a reader can know, and a
// name that looks like a path never reaches the zone database's files.
func loadZone(name string) (*time.Location, error) {
	if name == "Local" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") || strings.ContainsAny(name, "\\ \x00") {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	return time.LoadLocation(name)
}
