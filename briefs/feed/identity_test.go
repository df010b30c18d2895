package feed

import (
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs/feed/feedstore"
)

func TestNormalizeLink(t *testing.T) {
	base, _ := url.Parse("https://news.example/feeds/rss.xml")
	for _, c := range []struct{ in, want string }{
		{"HTTPS://News.Example:443/a/b/", "https://news.example/a/b"},
		{"http://news.example:80/a?b=2&a=1", "http://news.example/a?a=1&b=2"},
		{"http://news.example:8080/a", "http://news.example:8080/a"},
		{"https://news.example/a?utm_source=rss&utm_Medium=x&id=3#frag", "https://news.example/a?id=3"},
		{"https://news.example/a?fbclid=1&gclid=2&mc_cid=3&mc_eid=4&ref=tw&ref_src=x", "https://news.example/a"},
		{"https://news.example/", "https://news.example"},
		{"https://news.example", "https://news.example"},
		{"/2024/story/", "https://news.example/2024/story"},
		{"story?id=1", "https://news.example/feeds/story?id=1"},
		{"  https://news.example/x  ", "https://news.example/x"},
		{"mailto:desk@news.example", "mailto:desk@news.example"},
		{"", ""},
		{"https://news.example/caf%C3%A9/", "https://news.example/caf%C3%A9"},
		{"https://news.example/a%2Fb/", "https://news.example/a%2Fb"},
	} {
		if got := NormalizeLink(c.in, base); got != c.want {
			t.Errorf("NormalizeLink(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTitleKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  Rail strike   ENDS! ", "rail strike ends"},
		{"“Quoted” — title…", "quoted title"},
		{"Ｆｕｌｌ width", "full width"},
		{"Café déjà vu", "café déjà vu"},
		{"!!!", ""},
	} {
		if got := TitleKey(c.in); got != c.want {
			t.Errorf("TitleKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestIdentify(t *testing.T) {
	base, _ := url.Parse("https://n.example/rss")
	date := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	guid := feedstore.Item{GUID: " g-1 ", URL: "/a?utm_source=x", Title: "T"}
	identify(&guid, base)
	if guid.Identity != "guid:g-1" || guid.Link != "https://n.example/a" || guid.TitleKey != "t" {
		t.Errorf("with GUID: %+v", guid)
	}
	link := feedstore.Item{URL: "https://n.example/a/", Title: "T"}
	identify(&link, base)
	if link.Identity != "link:https://n.example/a" {
		t.Errorf("with link: %+v", link)
	}
	h1 := feedstore.Item{Title: "Same title", Published: date}
	h2 := feedstore.Item{Title: "same  TITLE!", Published: date}
	h3 := feedstore.Item{Title: "Same title", Published: date.Add(time.Hour)}
	identify(&h1, base)
	identify(&h2, base)
	identify(&h3, base)
	if !strings.HasPrefix(h1.Identity, "hash:") || h1.Identity != h2.Identity || h1.Identity == h3.Identity {
		t.Errorf("hash identities %q %q %q", h1.Identity, h2.Identity, h3.Identity)
	}
}

func TestPlainText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text", "plain text"},
		{"Tom &amp; Jerry &#8217;s &eacute;", "Tom & Jerry ’s é"},
		{"<p>One <b>bold</b> move.</p><p>Two.</p>", "One bold move.\n\nTwo."},
		{"Line one<br>Line two<br/>", "Line one\n\nLine two"},
		{`Story<img src="https://t.example/p.gif" width="1" height="1"> text`, "Story text"},
		{"<script>alert(1)</script><style>p{}</style>Visible<noscript>no</noscript>", "Visible"},
		{"<div>  spaced \n\t out  </div><div>•</div>", "spaced out"},
		{"first para\n\nsecond para", "first para\n\nsecond para"},
		{"a < b and c > d", "a < b and c > d"},
		{"Why x<y matters &amp; more", "Why x<y matters & more"},
		{"hard\nwrapped\n\nnext", "hard wrapped\n\nnext"},
		{"<b>Bold</b> x<y", "Bold x"},
		{"see <a href=x>this</a>", "see this"},
		{"<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"},
		{"<table><tr><td>a</td><td>b</td></tr></table>", "a b"},
		{"", ""},
	} {
		if got := PlainText(c.in); got != c.want {
			t.Errorf("PlainText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNonPublic(t *testing.T) {
	for _, c := range []struct {
		addr string
		want string
	}{
		{"127.0.0.1", "loopback"},
		{"::1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"::ffff:127.0.0.1", "loopback"},
		{"64:ff9b::10.0.0.1", "private"},
		{"100.64.0.1", "shared (carrier-grade NAT)"},
		{"255.255.255.255", "broadcast"},
		{"93.184.216.34", ""},
		{"2606:2800:220:1::1", ""},
	} {
		if got := nonPublic(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("nonPublic(%s) = %q, want %q", c.addr, got, c.want)
		}
	}
}

func TestServerDelays(t *testing.T) {
	now := time.Date(2024, 4, 14, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"120", 2 * time.Minute},
		{"0", 0},
		{"-5", 0},
		{"soon", 0},
		{"Sun, 14 Apr 2024 13:00:00 GMT", time.Hour},
		{"Sun, 14 Apr 2024 11:00:00 GMT", 0},
		{"999999999", maxServerDelay},
	} {
		if got := retryAfter(c.v, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.v, got, c.want)
		}
	}
	for _, c := range []struct {
		v    string
		want time.Duration
	}{
		{"max-age=300", 5 * time.Minute},
		{"public, MAX-AGE=60, must-revalidate", time.Minute},
		{"no-cache", 0},
		{"max-age=abc", 0},
		{"s-maxage=60", 0},
	} {
		if got := maxAge(c.v); got != c.want {
			t.Errorf("maxAge(%q) = %v, want %v", c.v, got, c.want)
		}
	}
}

// A feed that reuses a title for each new story keeps them apart; a story
// re-published with the same title and opening is the same story.
func TestStoryKey(t *testing.T) {
	a := storyKey("Morning briefing", "Rain is on the way for the weekend, forecasters said on Friday.")
	b := storyKey("Morning briefing", "Markets opened higher after the central bank held rates.")
	if a == b {
		t.Errorf("two briefings share the key %q", a)
	}
	c := storyKey("MORNING  Briefing!", "Rain is on the way for the weekend, forecasters said on Friday, adding more.")
	if a != c {
		t.Errorf("a re-published briefing: %q, then %q", a, c)
	}
	if storyKey("", "text") != "" {
		t.Error("an untitled item has a key")
	}
	if got := storyKey("Title", ""); got != "title" {
		t.Errorf("no text: %q", got)
	}
}
