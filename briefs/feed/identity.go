package feed

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"golang.org/x/text/unicode/norm"
	"newsbrief/briefs/feed/feedstore"
)

// trackingParams are query parameters that say how a reader reached a page,
// not which page it is: two links that differ only in them are one story.
// Parameters starting with "utm_" are dropped as well (see isTracking).
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "gbraid": true, "wbraid": true,
	"msclkid": true, "yclid": true, "twclid": true, "igshid": true, "mc_cid": true,
	"mc_eid": true, "_ga": true, "_gl": true, "ref": true, "ref_src": true,
	"ref_url": true, "at_medium": true, "at_campaign": true, "cmpid": true,
	"ocid": true, "smid": true, "__twitter_impression": true, "oly_enc_id": true,
	"oly_anon_id": true, "vero_id": true, "_hsenc": true, "_hsmi": true, "mkt_tok": true,
}

func isTracking(key string) bool {
	k := strings.ToLower(key)
	return strings.HasPrefix(k, "utm_") || trackingParams[k]
}

// NormalizeLink returns the form of an item's link that two fetches of one
// story share, even when the publisher decorates it differently: scheme
// and host lower-cased, default port, fragment and tracking parameters
// (utm_*, fbclid, gclid, mc_cid, ref...) dropped, the remaining query
// parameters sorted, a trailing slash dropped. base resolves a relative
// link (the feed's URL); a link that is not http or https, or does not
// parse, comes back trimmed but otherwise as it is.
func NormalizeLink(link string, base *url.URL) string {
	link = strings.TrimSpace(link)
	if link == "" {
		return ""
	}
	u, err := url.Parse(link)
	if err != nil {
		return link
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" {
		return link
	}
	u.Host = normalHost(u.Scheme, u.Host)
	u.Fragment, u.RawFragment = "", ""
	u.User = nil
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if isTracking(k) {
				delete(q, k)
			}
		}
		u.RawQuery = q.Encode() // sorted by key
		u.ForceQuery = false
	}
	if p := strings.TrimRight(u.EscapedPath(), "/"); p != u.EscapedPath() {
		u.RawPath = ""
		u.Path = strings.TrimRight(u.Path, "/")
		if pp, err := url.PathUnescape(p); err == nil && pp == u.Path {
			u.RawPath = p
		}
	}
	return u.String()
}

// normalHost lower-cases host and drops the scheme's default port.
func normalHost(scheme, host string) string {
	host = strings.ToLower(host)
	switch {
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		return strings.TrimSuffix(host, ":80")
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		return strings.TrimSuffix(host, ":443")
	}
	return host
}

// TitleKey folds a title for comparison, so that a story re-published
// with different case, spacing, quotes or punctuation is recognized:
// compatibility-normalized, lower-cased, every run of characters that are
// not letters or digits turned into one space, trimmed.
func TitleKey(title string) string {
	title = norm.NFKC.String(title)
	var b strings.Builder
	b.Grow(len(title))
	space := false
	for _, r := range title {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		space = true
	}
	return b.String()
}

// storyOpening is how many words of an item's own text join its title in
// its story key.
const storyOpening = 12

// storyKey is the title and the opening words of the feed's own text,
// folded: a story re-published under a new GUID keeps both, while a feed
// that reuses a title for each new story ("Morning briefing", "Live
// updates") changes the text, so the title alone must not make an item
// old. The text is the feed's, before any page is fetched, so the key is
// the same at every fetch.
func storyKey(title, text string) string {
	key := TitleKey(title)
	if key == "" {
		return ""
	}
	words := strings.Fields(TitleKey(firstN(text, 400)))
	if len(words) > storyOpening {
		words = words[:storyOpening]
	}
	if len(words) == 0 {
		return key
	}
	return key + " | " + strings.Join(words, " ")
}

// firstN returns s cut to at most n bytes, on a rune boundary.
func firstN(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// identify fills it.Identity (and it.Link, it.TitleKey) from what the feed
// gave: the GUID when there is one, since publishers promise it is stable;
// else the normalized link; else a hash of the folded title and the date,
// the only stable things left. The prefixes keep the three kinds apart,
// so a GUID that happens to equal another item's link is no clash.
func identify(it *feedstore.Item, base *url.URL) {
	it.GUID = strings.TrimSpace(it.GUID)
	if it.Link == "" {
		it.Link = NormalizeLink(it.URL, base)
	}
	it.TitleKey = storyKey(it.Title, it.Text)
	switch {
	case it.GUID != "":
		it.Identity = "guid:" + it.GUID
	case it.Link != "":
		it.Identity = "link:" + it.Link
	default:
		h := sha256.New()
		h.Write([]byte(it.TitleKey))
		h.Write([]byte{0})
		if !it.Published.IsZero() {
			h.Write([]byte(it.Published.UTC().Format(time.RFC3339)))
		}
		it.Identity = "hash:" + hex.EncodeToString(h.Sum(nil)[:16])
	}
}

// storyIndex tells whether an item is the same story as one of many
// items of one origin, by the rule the Store applies (see Store.SaveItems):
// the same identity, or the same normalized link, or the same folded
// title. Empty links and titles never match.
//
// It keeps a 64-bit hash of each, not the strings: a bot of a thousand
// feeds holds one for every stored item, and strings would cost a hundred
// bytes each where a hash costs eight. Two different keys collide once in
// 2^64: then an item is taken for a story already stored, as a changed
// GUID with an unchanged link is.
type storyIndex struct {
	keys map[uint64]struct{}
}

func newStoryIndex(items []feedstore.Item) *storyIndex {
	x := &storyIndex{keys: make(map[uint64]struct{}, 3*len(items))}
	for i := range items {
		x.add(&items[i])
	}
	return x
}

// keyHash hashes one of an item's keys, its kind first so that a link
// never matches an identity or a title.
func keyHash(kind byte, key string) uint64 {
	var d xxhash.Digest
	d.Reset()
	d.Write([]byte{kind})
	d.WriteString(key)
	return d.Sum64()
}

func (x *storyIndex) add(it *feedstore.Item) {
	x.keys[keyHash('i', it.Identity)] = struct{}{}
	if it.Link != "" {
		x.keys[keyHash('l', it.Link)] = struct{}{}
	}
	if it.TitleKey != "" {
		x.keys[keyHash('t', it.TitleKey)] = struct{}{}
	}
}

func (x *storyIndex) holds(kind byte, key string) bool {
	_, ok := x.keys[keyHash(kind, key)]
	return ok
}

func (x *storyIndex) has(it *feedstore.Item) bool {
	return x.holds('i', it.Identity) || (it.Link != "" && x.holds('l', it.Link)) || (it.TitleKey != "" && x.holds('t', it.TitleKey))
}
