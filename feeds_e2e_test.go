package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"newsbrief/bot/digest"
	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
	"newsbrief/config"
	"newsbrief/store/sqlite"
)

// rssItem is one story a test feed carries.
type rssItem struct {
	GUID, Title, Link, Text string
	Published               time.Time
}

// rssServer serves RSS 2.0 feeds whose items a test changes while the bot
// runs.
type rssServer struct {
	*httptest.Server
	mu    sync.Mutex
	feeds map[string][]rssItem // path → items
}

func newRSSServer(t *testing.T) *rssServer {
	s := &rssServer{feeds: map[string][]rssItem{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *rssServer) add(path string, it rssItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.feeds[path] = append(s.feeds[path], it)
}

func (s *rssServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := append([]rssItem(nil), s.feeds[r.URL.Path]...)
	s.mu.Unlock()
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test</title><link>` + s.URL + `</link><description>d</description>`)
	for _, it := range items {
		fmt.Fprintf(&b, "<item><guid>%s</guid><title>%s</title><link>%s</link><pubDate>%s</pubDate><description>%s</description></item>",
			html.EscapeString(it.GUID), html.EscapeString(it.Title), html.EscapeString(it.Link),
			it.Published.UTC().Format(time.RFC1123Z), html.EscapeString(it.Text))
	}
	b.WriteString(`</channel></rss>`)
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write([]byte(b.String()))
}

// storyTexts are the test stories' texts, each over 80 words (no page
// fetch) and written apart, as different stories are.
var storyTexts = map[string]string{
	"Harbour Ferry Service Resumes After Storm": "The harbour ferry between the old town and the island resumed on Monday after three days of gales kept both boats in port. " +
		"Operators said the first crossing left at seven with forty passengers, most of them commuters who had been sleeping at friends' houses. " +
		"Engineers inspected the landing ramps overnight and found only minor damage to a handrail. The timetable returns to normal tomorrow, " +
		"although the late sailing on Friday remains cancelled while a crew member recovers from a sprained wrist.",
	"Lighthouse Keeper Retires After Forty Years": "Agnes Morrow, who kept the Skerry Point light burning through four decades of winters, retired on Friday with a party in the village hall. " +
		"She climbed the hundred and twelve steps twice a day until the lamp was automated in 1998, and stayed on as caretaker afterwards. " +
		"Former fishermen told stories of nights when her signal guided them home through fog. The trust that owns the tower plans to open her old quarters " +
		"as a small museum next spring, with her logbooks on display.",
	"Council Approves New Cycle Lanes on the Ring Road": "Councillors voted nine to four on Wednesday to build protected cycle lanes along the whole of the ring road, " +
		"ending a debate that has run for two years. The scheme will remove one traffic lane in each direction between the station and the hospital, " +
		"and add raised crossings at six junctions. Traders on Market Street warned of lost parking, while the cycling campaign called the vote " +
		"a turning point. Work is due to start in March and take about eighteen months.",
	"Museum Extends Opening Hours for the Summer": "The city museum will stay open until nine in the evening on Thursdays and Fridays from June to September, its director announced. " +
		"Late openings last year drew nearly twelve thousand extra visitors, many of them families who could not come during working hours. " +
		"The café and the rooftop terrace will serve food until eight, and volunteers will run short tours of the dinosaur gallery at six. " +
		"Admission stays free, although the special exhibition on Viking silver carries a small charge.",
	"Bakery Wins Regional Prize for Sourdough": "A family bakery on Quarry Lane has won the regional prize for the best sourdough loaf, beating ninety other entries. " +
		"Judges praised the crust and the even crumb, and said the flavour came from a starter the owners have kept alive since 1987. " +
		"The bakery sells about three hundred loaves on a Saturday and now expects queues before opening. Its owners said they would put " +
		"the prize money towards a second oven and an apprenticeship for a school leaver.",
}

// story is a test item with its own text from storyTexts.
func story(guid, title, link string, at time.Time) rssItem {
	return rssItem{GUID: guid, Title: title, Link: link, Text: storyTexts[title], Published: at}
}

// startFeedBinary is startBinary with feeds: FEEDS_FILE polled every
// second, private addresses allowed (the feeds are on 127.0.0.1), and
// digests allowed every second.
func startFeedBinary(t *testing.T, srv *discordtest.Server, dir, db string, stderr io.Writer) *exec.Cmd {
	t.Helper()
	return startBinary(t, srv, dir, db, stderr, "FEEDS_FILE=feeds.txt", "FEED_POLL_INTERVAL=1s",
		"FEEDS_ALLOW_PRIVATE=1", "DIGEST_MIN_INTERVAL=1s")
}

// postedTitles counts, over every digest message in the channel, how often
// each embed title was posted.
func postedTitles(srv *discordtest.Server, channel string) map[string]int {
	n := map[string]int{}
	for _, m := range srv.Messages(channel) {
		for _, e := range m.Embeds {
			n[e.Title]++
		}
	}
	return n
}

// TestFeedItemsEndToEnd runs the real binary with a folder and two feeds:
// an item added to a feed shows in /brief search and in the next digest
// once; the same story carried by both feeds is posted once; after a
// restart nothing is posted again.
func TestFeedItemsEndToEnd(t *testing.T) {
	const channel = "300000000000000123"
	srv := discordtest.New(t)
	feeds := newRSSServer(t)
	dir := t.TempDir()
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(2, 3)); err != nil {
		t.Fatal(err)
	}
	list := "# two test feeds\nwire " + feeds.URL + "/wire.xml every=1s\ncourier " + feeds.URL + "/courier.xml every=1s\n"
	if err := os.WriteFile(filepath.Join(dir, "feeds.txt"), []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	feeds.add("/wire.xml", story("wire-1", "Harbour Ferry Service Resumes After Storm", "https://wire.example/ferry", now.Add(-time.Hour)))
	db := filepath.Join(dir, "data", "nb.db")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PutSubscription(ctx, digest.Subscription{GuildID: discordtest.DefaultGuildID, ChannelID: channel,
		Schedule: "@every 1s", Timezone: "UTC", Count: 10, CreatedBy: "1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}

	var logs1 bytes.Buffer
	bot := startFeedBinary(t, srv, dir, db, &logs1)
	logs := func() string {
		if bot.ProcessState == nil {
			_ = bot.Process.Kill()
			_ = bot.Wait()
		}
		return logs1.String()
	}
	posted := func(title string) func() bool {
		return func() bool { return postedTitles(srv, channel)[title] > 0 }
	}
	poll(t, ctx, "the first feed item in a digest", logs, posted("Harbour Ferry Service Resumes After Storm"))

	// A new item in a feed: found by /brief search, posted once.
	feeds.add("/wire.xml", story("wire-2", "Lighthouse Keeper Retires After Forty Years", "https://wire.example/lighthouse", now))
	poll(t, ctx, "the new item in /brief search", logs, func() bool {
		rep, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "lighthouse keeper"))))
		return err == nil && len(rep.Data.Embeds) > 0 && strings.Contains(rep.Data.Embeds[0].Title, "Lighthouse Keeper")
	})
	poll(t, ctx, "the new item in a digest", logs, posted("Lighthouse Keeper Retires After Forty Years"))

	// The same story in both feeds at once: posted once, named by both.
	same := "Council Approves New Cycle Lanes on the Ring Road"
	feeds.add("/wire.xml", story("wire-3", same, "https://wire.example/cycle", now.Add(time.Minute)))
	feeds.add("/courier.xml", story("courier-9", same, "https://courier.example/news/cycle-lanes", now.Add(2*time.Minute)))
	poll(t, ctx, "the shared story in a digest", logs, posted(same))
	// Once both feeds have it, it is one story naming the other feed. (The
	// digest may have gone out between the two polls, before there was
	// another source to name: /brief search shows the grouping.)
	poll(t, ctx, "the shared story naming the other feed in /brief search", logs, func() bool {
		rep, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "cycle lanes ring road"))))
		if err != nil || len(rep.Data.Embeds) == 0 {
			return false
		}
		e := rep.Data.Embeds[0]
		return strings.HasSuffix(e.Title, same) && strings.Contains(embedText(e), "also: ")
	})
	// A later item in the wire shows that the digests after both feeds'
	// copies were fetched have run.
	witness := "Museum Extends Opening Hours for the Summer"
	feeds.add("/wire.xml", story("wire-4", witness, "https://wire.example/museum", now.Add(3*time.Minute)))
	poll(t, ctx, "the witness item in a digest", logs, posted(witness))
	poll(t, ctx, "the courier's copy to be fetched", logs, func() bool {
		rep, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("sources")))
		if err != nil {
			return false
		}
		for _, e := range rep.Data.Embeds {
			if strings.Contains(e.Title, "courier") && strings.Contains(fmt.Sprint(e.Fields, e.Description), "1") {
				return true
			}
		}
		return false
	})

	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := bot.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, logs1.String())
	}

	// The bot wrote its index cache on the way out, beside the database.
	if _, err := os.Stat(filepath.Join(dir, "data", config.DefaultIndexCacheName)); err != nil {
		t.Fatalf("no index cache after SIGTERM: %v\n%s", err, logs1.String())
	}

	// A restart on the same database and feeds fetches nothing twice and
	// posts nothing again; a new item still goes out.
	var logs2 syncBuffer
	bot = startFeedBinary(t, srv, dir, db, &logs2)
	logs = func() string {
		if bot.ProcessState == nil {
			_ = bot.Process.Kill()
			_ = bot.Wait()
		}
		return "first run:\n" + logs1.String() + "second run:\n" + logs2.String()
	}
	// It started from the cache (all of it, unless a poll stored an item
	// just as the first run stopped), and what it took from there is
	// searched as before.
	poll(t, ctx, "the restart to take its articles from the index cache", logs, func() bool {
		m := regexp.MustCompile(`msg="index cache read" reused=(\d+) articles=(\d+)`).FindStringSubmatch(logs2.String())
		if m == nil {
			return false
		}
		reused, _ := strconv.Atoi(m[1])
		all, _ := strconv.Atoi(m[2])
		return reused > 0 && reused <= all
	})
	poll(t, ctx, "a cached item in /brief search", logs, func() bool {
		rep, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("search", discordtest.Opt("query", "lighthouse keeper"))))
		return err == nil && len(rep.Data.Embeds) > 0 && strings.Contains(rep.Data.Embeds[0].Title, "Lighthouse Keeper")
	})
	after := "Bakery Wins Regional Prize for Sourdough"
	feeds.add("/courier.xml", story("courier-10", after, "https://courier.example/news/bakery", now.Add(4*time.Minute)))
	poll(t, ctx, "an item after the restart in a digest", logs, posted(after))
	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = bot.Wait()

	counts := postedTitles(srv, channel)
	for _, title := range []string{"Harbour Ferry Service Resumes After Storm", "Lighthouse Keeper Retires After Forty Years", same, witness, after} {
		if counts[title] != 1 {
			t.Errorf("%q posted %d times, want once\n%s", title, counts[title], logs())
		}
	}
}

// embedText is an embed's description, fields and footer as text.
func embedText(e *discordgo.MessageEmbed) string {
	var b strings.Builder
	b.WriteString(e.Description)
	for _, f := range e.Fields {
		b.WriteString("\n" + f.Name + ": " + f.Value)
	}
	if e.Footer != nil {
		b.WriteString("\n" + e.Footer.Text)
	}
	return b.String()
}
