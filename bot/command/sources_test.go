package command

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
	"newsbrief/store/sqlite"
)

// fakeSources is what the wiring would give: names and health the library
// cannot know (a feed with no articles yet, one failing).
type fakeSources struct{ status []SourceStatus }

func (f fakeSources) Names() []string {
	var out []string
	for _, s := range f.status {
		out = append(out, s.Name)
	}
	slices.SortFunc(out, compareNames)
	return out
}

func (f fakeSources) Status() []SourceStatus { return slices.Clone(f.status) }

// mixedLibrary holds a folder's files and two feeds' items, newest first:
// wire-9, files-8, bbc-7, wire-6, files-5, ...
func mixedLibrary() *briefs.Library {
	var arts []briefs.Article
	for i := range 10 {
		a := briefs.Article{ID: fmt.Sprintf("a%d", i), Date: time.Date(2025, 5, 1+i, 0, 0, 0, 0, time.UTC), Dated: true,
			// Ten stories: a body of its own each, or the library
			// would rightly take them for copies of one.
			Paragraphs: []string{fmt.Sprintf("Rates held steady as bank %d waited for word from city %d. Markets shrugged at report %d.", i, 7*i, 13*i)}, Words: 18}
		switch i % 3 {
		case 0:
			a.Origin, a.URL, a.Title = "Wire", "https://example.com/w"+fmt.Sprint(i), fmt.Sprintf("Wire story %d", i)
		case 1:
			a.Origin, a.URL, a.Title = "BBC News", "https://example.com/b"+fmt.Sprint(i), fmt.Sprintf("BBC story %d", i)
		default:
			a.Origin, a.File, a.Title = "articles", fmt.Sprintf("f%d.txt", i), fmt.Sprintf("File story %d", i)
		}
		arts = append(arts, a)
	}
	return briefstest.Library(arts)
}

func TestLibrarySourcesFollowsTheLibrary(t *testing.T) {
	lib := briefs.New()
	lib.Replace("articles", []briefs.Article{{ID: "f1", Title: "F", File: "f.txt"}, {ID: "f2", Title: "G", File: "g.txt"}})
	lib.Replace("wire", []briefs.Article{{ID: "w1", Title: "W", URL: "https://example.com/w"}})
	src := LibrarySources(lib)
	if got := src.Names(); !slices.Equal(got, []string{"articles", "wire"}) {
		t.Errorf("Names() = %v", got)
	}
	want := []SourceStatus{{Name: "articles", Kind: SourceFolder, Articles: 2}, {Name: "wire", Kind: SourceFeed, Articles: 1}}
	if got := src.Status(); !slices.Equal(got, want) {
		t.Errorf("Status() = %+v, want %+v", got, want)
	}
	// A feed arrives, one leaves, one grows: the cached names follow.
	lib.Replace("Atlas", []briefs.Article{{ID: "a1", Title: "A"}})
	if got := src.Names(); !slices.Equal(got, []string{"articles", "Atlas", "wire"}) {
		t.Errorf("Names() after a new feed = %v", got)
	}
	lib.Replace("wire", nil)
	lib.Replace("Atlas", []briefs.Article{{ID: "a1", Title: "A"}, {ID: "a2", Title: "B"}})
	if got := src.Names(); !slices.Equal(got, []string{"articles", "Atlas"}) {
		t.Errorf("Names() after a feed left = %v", got)
	}
	if got := src.Status(); got[1].Articles != 2 {
		t.Errorf("Status() after a feed grew = %+v", got)
	}
}

func serve(t *testing.T, r *Router, path string, opts map[string]any) (Reply, error) {
	t.Helper()
	return r.Serve(context.Background(), Request{Path: path, Options: opts, GuildID: "g", ChannelID: "c", UserID: "u", Permissions: ^int64(0)})
}

func cardTitles(rep Reply) []string {
	var out []string
	for _, c := range rep.Cards {
		out = append(out, c.Title)
	}
	return out
}

func TestBriefLatestBySource(t *testing.T) {
	r := New(mixedLibrary(), nil, nil)
	rep, err := serve(t, r, "brief latest", map[string]any{"count": int64(2), "source": "bbc news"})
	if err != nil || !slices.Equal(cardTitles(rep), []string{"BBC story 7", "BBC story 4"}) {
		t.Fatalf("latest source:bbc news = %v, %v", cardTitles(rep), err)
	}
	if rep.Content != "The 2 newest articles from BBC News:" {
		t.Errorf("heading %q", rep.Content)
	}
	rep, err = serve(t, r, "brief latest", map[string]any{"source": " articles ", "topic": "rates"})
	if err != nil || !slices.Equal(cardTitles(rep), []string{"File story 8", "File story 5", "File story 2"}) {
		t.Errorf("latest source:articles topic:rates = %v, %v", cardTitles(rep), err)
	}

	for _, tc := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"source": "Reuters"}, `Unknown source "Reuters". The sources are: articles, BBC News, Wire. /brief sources shows them all.`},
		{map[string]any{"source": "Wire", "topic": "zzqxv"}, `No article from Wire matches the topic "zzqxv".`},
	} {
		rep, err := serve(t, r, "brief latest", tc.opts)
		var ue *UserError
		if !errors.As(err, &ue) || !strings.HasPrefix(ue.Msg, tc.want) || !ReplyFor(rep, err).Ephemeral {
			t.Errorf("latest %v: %v, want an ephemeral %q", tc.opts, err, tc.want)
		}
	}

	// A feed the wiring knows but that has no articles yet.
	r = New(mixedLibrary(), nil, nil, WithSources(fakeSources{status: []SourceStatus{{Name: "articles"}, {Name: "Atlas", Kind: SourceFeed}}}))
	_, err = serve(t, r, "brief latest", map[string]any{"source": "atlas"})
	if err == nil || !strings.Contains(err.Error(), "Atlas has no articles yet") {
		t.Errorf("latest from a feed without articles: %v", err)
	}
}

func TestUnknownSourceListsAFew(t *testing.T) {
	var status []SourceStatus
	for i := range 30 {
		status = append(status, SourceStatus{Name: fmt.Sprintf("feed %02d", i)})
	}
	_, err := resolveSource(fakeSources{status: status}, "nope")
	if err == nil || !strings.Contains(err.Error(), "feed 19 and 10 more (start typing the source option to pick one)") || strings.Contains(err.Error(), "feed 20") {
		t.Errorf("resolveSource with 30 sources: %v", err)
	}
	if _, err := resolveSource(fakeSources{}, "nope"); err == nil || !strings.Contains(err.Error(), "there are no sources yet") {
		t.Errorf("resolveSource without sources: %v", err)
	}
	if got, err := resolveSource(nil, " As Typed "); got != "As Typed" || err != nil {
		t.Errorf("resolveSource(nil) = %q, %v", got, err)
	}
}

func TestSourceAutocomplete(t *testing.T) {
	lib := mixedLibrary()
	r := New(lib, digest.New(lib, nil), nil)
	for _, path := range []string{"brief latest", "digest subscribe"} {
		for typed, want := range map[string][]string{
			"":     {"articles", "BBC News", "Wire"},
			"w":    {"Wire", "BBC News"}, // starts with it, then contains it
			"NEWS": {"BBC News"},
			"zz":   nil,
		} {
			rep, err := r.Serve(context.Background(), Request{Path: path, Autocomplete: true, Focused: "source",
				Options: map[string]any{"source": typed}, GuildID: "g", Permissions: ^int64(0)})
			var got []string
			for _, c := range rep.Choices {
				if c.Name != c.Value {
					t.Errorf("choice %q has value %q", c.Name, c.Value)
				}
				got = append(got, c.Value)
			}
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("/%s source:%q offers %v (%v), want %v", path, typed, got, err, want)
			}
		}
	}
	// The timezone option still completes zones.
	rep, _ := r.Serve(context.Background(), Request{Path: "digest subscribe", Autocomplete: true, Focused: "timezone",
		Options: map[string]any{"timezone": "tok"}, GuildID: "g", Permissions: ^int64(0)})
	if len(rep.Choices) == 0 || rep.Choices[0].Value != "Asia/Tokyo" {
		t.Errorf("timezone choices %+v", rep.Choices)
	}
}

func TestBriefSources(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	r := New(mixedLibrary(), nil, nil, WithSources(fakeSources{status: []SourceStatus{
		{Name: "articles", Kind: SourceFolder, Articles: 3, LastSuccess: now.Add(-time.Hour)},
		{Name: "Wire", Kind: SourceFeed, URL: "https://example.com/wire.xml", Articles: 4, LastSuccess: now.Add(-10 * time.Minute)},
		{Name: "Broken", Kind: SourceFeed, URL: "https://example.com/broken.xml", LastError: "404 Not Found", NextTry: now.Add(30 * time.Minute)},
	}}))
	rep, err := serve(t, r, "brief sources", nil)
	if err != nil || !rep.Ephemeral {
		t.Fatalf("sources: %v ephemeral %v", err, rep.Ephemeral)
	}
	if rep.Content != "3 sources, 1 failing (shown first):" || !slices.Equal(cardTitles(rep), []string{"Broken", "articles", "Wire"}) {
		t.Errorf("sources: %q %v", rep.Content, cardTitles(rep))
	}
	fields := func(c Card) map[string]string {
		m := map[string]string{}
		for _, f := range c.Fields {
			m[f.Name] = f.Value
		}
		return m
	}
	broken, folder, wire := fields(rep.Cards[0]), fields(rep.Cards[1]), fields(rep.Cards[2])
	ts := func(t time.Time) string { return Timestamp(t, 'f') + " (" + Timestamp(t, 'R') + ")" }
	if broken["Kind"] != "feed" || broken["Articles"] != "0" || broken["Last success"] != "never" ||
		broken["Last error"] != "404 Not Found" || broken["Next try"] != ts(now.Add(30*time.Minute)) || rep.Cards[0].URL != "https://example.com/broken.xml" {
		t.Errorf("failing feed: %+v", rep.Cards[0])
	}
	if folder["Kind"] != "folder" || folder["Articles"] != "3" || folder["Last success"] != ts(now.Add(-time.Hour)) || folder["Last error"] != "" || rep.Cards[1].URL != "" {
		t.Errorf("folder: %+v", rep.Cards[1])
	}
	if wire["Articles"] != "4" || wire["Last success"] != ts(now.Add(-10*time.Minute)) || wire["Next try"] != "" {
		t.Errorf("working feed: %+v", rep.Cards[2])
	}
	// The console shows the times as dates and the feed's address.
	text := textAt(rep, now, time.UTC)
	for _, want := range []string{"Next try: 24 November 2026 10:30 UTC (in 30 minutes)", "Link: https://example.com/broken.xml", "Last success: 24 November 2026 09:00 UTC (1 hour ago)", "(only you can see this)"} {
		if !strings.Contains(text, want) {
			t.Errorf("console text lacks %q:\n%s", want, text)
		}
	}

	// Without a wiring, the library's origins, with their counts.
	rep, err = serve(t, New(mixedLibrary(), nil, nil), "brief sources", nil)
	if err != nil || rep.Content != "3 sources:" || !slices.Equal(cardTitles(rep), []string{"articles", "BBC News", "Wire"}) {
		t.Errorf("library sources: %v %q %v", err, rep.Content, cardTitles(rep))
	}
	rep, _ = serve(t, New(briefs.New(), nil, nil), "brief sources", nil)
	if !rep.Ephemeral || !strings.Contains(rep.Content, "no sources yet") {
		t.Errorf("no sources: %+v", rep)
	}
}

// TestDigestSubscribeWithSource: the source is stored as the source
// spells it, confirmed, listed, and an unknown one refused.
func TestDigestSubscribeWithSource(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "digest.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib := mixedLibrary()
	r := New(lib, digest.New(lib, st, digest.WithMinInterval(time.Second)), nil)

	rep, err := serve(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@daily", "source": "bbc NEWS", "topic": "rates"})
	if err != nil || !strings.HasPrefix(rep.Content, `Subscribed <#news> to the digest **bbc-news-rates**: up to 5 new articles from BBC News about "rates", every day at midnight`) {
		t.Fatalf("subscribe: %v %q", err, rep.Content)
	}
	sub, err := st.Subscription(context.Background(), "g", "news", "bbc-news-rates")
	if err != nil || sub.Source != "BBC News" {
		t.Errorf("stored source %q, %v", sub.Source, err)
	}
	if _, err := serve(t, r, "digest subscribe", map[string]any{"channel": "all", "schedule": "@daily"}); err != nil {
		t.Fatal(err)
	}
	rep, err = serve(t, r, "digest list", nil)
	if err != nil || len(rep.Cards) != 2 {
		t.Fatalf("list: %v %+v", err, rep)
	}
	for i, want := range []string{"(all)", "BBC News"} { // channels "all", "news"
		var got string
		for _, f := range rep.Cards[i].Fields {
			if f.Name == "Source" {
				got = f.Value
			}
		}
		if got != want {
			t.Errorf("list card %d (%s) shows source %q, want %q", i, rep.Cards[i].Description, got, want)
		}
	}
	_, err = serve(t, r, "digest subscribe", map[string]any{"channel": "news", "schedule": "@daily", "source": "Reuters"})
	var ue *UserError
	if !errors.As(err, &ue) || !strings.Contains(ue.Msg, `Unknown source "Reuters". The sources are: articles, BBC News, Wire`) {
		t.Errorf("subscribe to an unknown source: %v", err)
	}
	if sub, _ := st.Subscription(context.Background(), "g", "news", "bbc-news-rates"); sub.Source != "BBC News" {
		t.Errorf("a refused subscribe changed the source to %q", sub.Source)
	}
}
