package command

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"newsbrief/briefs"
)

// Source kinds, for SourceStatus.Kind.
const (
	SourceFolder = "folder"
	SourceFeed   = "feed"
)

// Sources is what the commands need to know about where articles come
// from: the names the source option takes, and each source's health for
// /brief sources. The wiring implements it from the folder and feed
// sources, which know what the library cannot (a feed configured but not
// yet fetched, its last error); LibrarySources is the stand-in that knows
// only the library. Both methods are called on autocomplete, so they must
// be cheap: no I/O.
type Sources interface {
	// Names lists every source's name (each an origin of the library's
	// articles), sorted.
	Names() []string
	// Status describes every source, in any order.
	Status() []SourceStatus
}

// SourceStatus is one source as /brief sources shows it.
type SourceStatus struct {
	// Name is the source's origin: the footer of its articles and the
	// value of the source option.
	Name string
	// Kind is SourceFolder or SourceFeed.
	Kind string
	// URL is a feed's address; empty for the folder, whose path is the
	// operator's business, not the readers'.
	URL string
	// Articles is how many of its articles the library holds.
	Articles int
	// LastSuccess is when the source last loaded or fetched without
	// error; zero when it never did or the source does not say.
	LastSuccess time.Time
	// LastError is the last failure, empty when the source is well.
	LastError string
	// NextTry is when a feed is fetched next; zero when not known.
	NextTry time.Time
	// Cap is a feed's item cap (FEED_MAX_ITEMS) once it keeps that many,
	// so that its oldest articles make way for new ones; 0 while it is
	// under its cap. LeftOut is how many items of its last fetch the cap
	// left out (more new ones than it may keep, or older than all it has).
	Cap     int
	LeftOut int
}

// Failing reports whether the source's last attempt failed.
func (s SourceStatus) Failing() bool { return s.LastError != "" }

// LibrarySources is Sources from the library alone, for programs and tests
// that wire no source status: the names are the library's origins, a kind
// is SourceFolder when its articles are files, and health is not known.
func LibrarySources(lib *briefs.Library) Sources { return &librarySources{lib: lib} }

// librarySources caches the origins it found by walking the library: a
// walk is a pass over every article (100,000 with many feeds), too much
// for each keystroke of autocomplete, while the set of origins rarely
// changes. A cached set is still the library's when each of its origins
// has articles and their counts add up to the library's size, which costs
// one map lookup per origin.
type librarySources struct {
	lib   *briefs.Library
	cache atomic.Pointer[[]SourceStatus] // sorted by name, Articles unset
}

func (s *librarySources) origins() []SourceStatus {
	if p := s.cache.Load(); p != nil {
		total := 0
		for _, o := range *p {
			n := s.lib.Count(o.Name)
			if n == 0 {
				total = -1
				break
			}
			total += n
		}
		if total == s.lib.Len() {
			return *p
		}
	}
	kinds := map[string]string{}
	for _, a := range s.lib.All() {
		if a.Origin == "" {
			continue // an article given without an origin names no source
		}
		if a.File != "" {
			kinds[a.Origin] = SourceFolder
		} else if _, ok := kinds[a.Origin]; !ok {
			kinds[a.Origin] = SourceFeed
		}
	}
	out := make([]SourceStatus, 0, len(kinds))
	for name, kind := range kinds {
		out = append(out, SourceStatus{Name: name, Kind: kind})
	}
	slices.SortFunc(out, func(a, b SourceStatus) int { return compareNames(a.Name, b.Name) })
	s.cache.Store(&out)
	return out
}

func (s *librarySources) Names() []string {
	origins := s.origins()
	names := make([]string, len(origins))
	for i, o := range origins {
		names[i] = o.Name
	}
	return names
}

func (s *librarySources) Status() []SourceStatus {
	out := slices.Clone(s.origins())
	for i := range out {
		out[i].Articles = s.lib.Count(out[i].Name)
	}
	return out
}

// compareNames orders source names as a reader looks for them: ignoring
// case, then by case so that the order is total.
func compareNames(a, b string) int {
	if c := strings.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// maxListedSources is how many names an unknown source's refusal lists:
// with hundreds of feeds the message would pass Discord's 2,000
// characters, and autocomplete is the way to pick among many.
const maxListedSources = 20

// resolveSource reads the source option: "" for every source, else the
// name of a source as Sources spells it, matched ignoring case. A name
// that matches none is refused with the known names. Without sources
// (nil) any name is taken as typed.
func resolveSource(src Sources, typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	if typed == "" || src == nil {
		return typed, nil
	}
	names := src.Names()
	for _, n := range names {
		if strings.EqualFold(n, typed) {
			return n, nil
		}
	}
	if len(names) == 0 {
		return "", Userf("Unknown source %q: there are no sources yet. Leave source out to read every article.", typed)
	}
	listed := names[:min(len(names), maxListedSources)]
	msg := fmt.Sprintf("Unknown source %q. The sources are: %s", typed, strings.Join(listed, ", "))
	if more := len(names) - len(listed); more > 0 {
		msg += fmt.Sprintf(" and %d more (start typing the source option to pick one)", more)
	}
	return "", Userf("%s. /brief sources shows them all.", msg)
}

// completeSources offers the source names containing what was typed,
// those starting with it first, within Discord's limits.
func completeSources(src Sources, typed string) []Choice {
	if src == nil {
		return nil
	}
	q := strings.ToLower(strings.TrimSpace(typed))
	var prefix, sub []string
	for _, n := range src.Names() {
		if runeLen(n) > MaxChoiceName {
			continue // a value Discord would refuse, and one cut would not match
		}
		switch l := strings.ToLower(n); {
		case strings.HasPrefix(l, q):
			prefix = append(prefix, n)
		case strings.Contains(l, q):
			sub = append(sub, n)
		}
	}
	all := append(prefix, sub...)
	out := make([]Choice, 0, min(len(all), MaxChoices))
	for _, n := range all[:min(len(all), MaxChoices)] {
		out = append(out, Choice{Name: n, Value: n})
	}
	return out
}

func (h briefHandlers) completeSource(_ context.Context, req Request) (Reply, error) {
	if req.Focused != "source" {
		return Reply{}, nil
	}
	return Reply{Choices: completeSources(h.sources, req.String("source"))}, nil
}

// sourcesList answers /brief sources: each source with its article count
// and health, the failing ones first since they are why one asks. Only the
// asker sees it: it is about the bot, not the news.
func (h briefHandlers) sourcesList(_ context.Context, _ Request) (Reply, error) {
	var all []SourceStatus
	if h.sources != nil {
		all = h.sources.Status()
	}
	if len(all) == 0 {
		return Reply{Content: "There are no sources yet: add article files to the briefs folder, or feeds to the feeds file.", Ephemeral: true}, nil
	}
	slices.SortFunc(all, func(a, b SourceStatus) int {
		if a.Failing() != b.Failing() {
			if a.Failing() {
				return -1
			}
			return 1
		}
		return compareNames(a.Name, b.Name)
	})
	failing := 0
	for _, s := range all {
		if s.Failing() {
			failing++
		}
	}
	heading := fmt.Sprintf("%d %s", len(all), plural(len(all), "source", "sources"))
	if failing > 0 {
		heading += fmt.Sprintf(", %d failing (shown first)", failing)
	}
	rep := Reply{Content: heading + ":", Ephemeral: true}
	for _, s := range all {
		rep.Cards = append(rep.Cards, sourceCard(s))
	}
	return rep, nil
}

// sourceCard shows one source; a feed's title links to the feed.
func sourceCard(s SourceStatus) Card {
	kind := s.Kind
	if kind == "" {
		kind = "source"
	}
	c := Card{Title: EscapeMarkdown(s.Name), URL: s.URL, Fields: []Field{
		{Name: "Kind", Value: kind, Inline: true},
		{Name: "Articles", Value: fmt.Sprint(s.Articles), Inline: true},
	}}
	last := "never"
	if !s.LastSuccess.IsZero() {
		last = Timestamp(s.LastSuccess, 'f') + " (" + Timestamp(s.LastSuccess, 'R') + ")"
	} else if !s.Failing() && s.Kind != SourceFeed {
		last = "" // a folder that does not say: nothing worth a field
	}
	if last != "" {
		c.Fields = append(c.Fields, Field{Name: "Last success", Value: last, Inline: true})
	}
	if s.Cap > 0 {
		capped := fmt.Sprintf("Keeps only its newest %d articles: older ones make way for new ones", s.Cap)
		if s.LeftOut > 0 {
			capped += fmt.Sprintf(" (its last fetch left %d out)", s.LeftOut)
		}
		c.Fields = append(c.Fields, Field{Name: "At its cap", Value: capped})
	}
	if s.Failing() {
		// A server's words (a reason phrase): never markup.
		c.Fields = append(c.Fields, Field{Name: "Last error", Value: EscapeMarkdown(s.LastError)})
		if !s.NextTry.IsZero() {
			c.Fields = append(c.Fields, Field{Name: "Next try", Value: Timestamp(s.NextTry, 'f') + " (" + Timestamp(s.NextTry, 'R') + ")"})
		}
	}
	return c
}
