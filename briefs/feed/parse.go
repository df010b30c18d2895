package feed

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
	jsonfeed "github.com/mmcdole/gofeed/json"
	"newsbrief/briefs/feed/feedstore"
)

// untitledWords is how many words of an untitled item's text make its
// title (JSON Feed and microblog items often have none).
const untitledWords = 12

// ParseFeed parses an RSS (0.9x, 1.0, 2.0), Atom 1.0 or JSON Feed document
// into items of the feed, with plain-text titles and texts, pictures and
// identities (see Item). feedURL resolves relative links; fetched is the
// time of the fetch, the Fetched of every item. Items with neither a title
// nor a text are left out: there is nothing to show of them. A document in
// UTF-16 (with a byte order mark, or an XML one without) is read as well as
// one in UTF-8. A JSON Feed item that does not decode (a field of the wrong
// type) is skipped, the rest kept: ParseItems says which and why.
func ParseFeed(f Feed, body []byte, fetched time.Time) ([]feedstore.Item, error) {
	items, _, err := ParseItems(f, body, fetched)
	return items, err
}

// ParseItems is ParseFeed that also returns one error for each item it
// skipped, naming the feed, the item's place in the document and what is
// wrong with it, for the log. A document that does not parse at all is the
// error; its message, which may quote the document, is cleaned of control
// characters (briefs.CleanLine).
func ParseItems(f Feed, body []byte, fetched time.Time) ([]feedstore.Item, []error, error) {
	body = toUTF8(body)
	var (
		parsed  *gofeed.Feed
		skipped []error
		err     error
	)
	if isJSON(body) {
		parsed, skipped, err = parseJSONFeed(body)
	} else {
		p := gofeed.NewParser()
		// The translator's fallback scan of item HTML for an <img> finds
		// tracking pixels as often as pictures; pictures come from
		// explicit media elements and enclosures only (see pickImage).
		p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
		parsed, err = p.Parse(bytes.NewReader(body))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("parse feed %s (%s): %w", f.Name, f.URL, cleanErr(err))
	}
	for i, e := range skipped {
		skipped[i] = fmt.Errorf("feed %s (%s): %w", f.Name, f.URL, cleanErr(e))
	}
	// Relative links are relative to the feed document (xml:base aside,
	// which the parser applies).
	base, _ := url.Parse(f.URL)
	items := make([]feedstore.Item, 0, len(parsed.Items))
	for _, gi := range parsed.Items {
		if gi == nil {
			continue
		}
		it, ok := convertItem(f, gi, base, fetched)
		if ok {
			items = append(items, it)
		}
	}
	return items, skipped, nil
}

// jsonFeedVersion is the version the items of a JSON Feed are translated
// under; the translator reads items alike in 1.0 and 1.1.
const jsonFeedVersion = "https://jsonfeed.org/version/1.1"

// isJSON reports a document that opens with '{' after white space: a JSON
// Feed, as gofeed detects it.
func isJSON(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '{'
}

// parseJSONFeed parses a JSON Feed item by item. gofeed decodes the whole
// document into one structure, so one item with a field of the wrong type
// (a number for a title) loses every item of the feed; here each item is
// decoded alone, and one that fails is skipped with why. The feed's own
// fields are not read: only its items are shown.
func parseJSONFeed(body []byte) (*gofeed.Feed, []error, error) {
	var doc struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, nil, fmt.Errorf("JSON Feed: %w", err)
	}
	jf := &jsonfeed.Feed{Version: jsonFeedVersion, Items: make([]*jsonfeed.Item, 0, len(doc.Items))}
	var skipped []error
	for i, raw := range doc.Items {
		it := new(jsonfeed.Item)
		if err := json.Unmarshal(raw, it); err != nil {
			skipped = append(skipped, fmt.Errorf("item %d of %d skipped: %w", i+1, len(doc.Items), err))
			continue
		}
		jf.Items = append(jf.Items, it)
	}
	parsed, err := (&gofeed.DefaultJSONTranslator{}).Translate(jf)
	if err != nil {
		return nil, nil, fmt.Errorf("JSON Feed: %w", err)
	}
	return parsed, skipped, nil
}

// Byte order marks, and how an XML document in UTF-16 without one begins
// ("<?").
var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	xmlUTF16BE = []byte{0, '<', 0, '?'}
	xmlUTF16LE = []byte{'<', 0, '?', 0}
)

// toUTF8 returns a feed document in UTF-8: one in UTF-16 is decoded, and
// its XML declaration, which names UTF-16 still, dropped (an XML document
// without one is UTF-8); a UTF-8 byte order mark is dropped, which JSON
// does not allow. Anything else is returned as it is.
func toUTF8(body []byte) []byte {
	switch {
	case bytes.HasPrefix(body, bomUTF8):
		return body[len(bomUTF8):]
	case bytes.HasPrefix(body, bomUTF16BE):
		return dropXMLDecl(decodeUTF16(body[2:], binary.BigEndian))
	case bytes.HasPrefix(body, bomUTF16LE):
		return dropXMLDecl(decodeUTF16(body[2:], binary.LittleEndian))
	case bytes.HasPrefix(body, xmlUTF16BE):
		return dropXMLDecl(decodeUTF16(body, binary.BigEndian))
	case bytes.HasPrefix(body, xmlUTF16LE):
		return dropXMLDecl(decodeUTF16(body, binary.LittleEndian))
	}
	return body
}

// decodeUTF16 decodes UTF-16 in the given byte order to UTF-8. A lone
// surrogate becomes U+FFFD; an odd last byte is dropped.
func decodeUTF16(b []byte, order binary.ByteOrder) []byte {
	out := make([]byte, 0, len(b)/2*3)
	for i := 0; i+1 < len(b); i += 2 {
		r := rune(order.Uint16(b[i:]))
		if utf16.IsSurrogate(r) {
			pair := utf8.RuneError
			if i+3 < len(b) {
				pair = utf16.DecodeRune(r, rune(order.Uint16(b[i+2:])))
			}
			r = pair
			if r != utf8.RuneError {
				i += 2
			}
		}
		out = utf8.AppendRune(out, r)
	}
	return out
}

// dropXMLDecl removes the XML declaration (<?xml ... ?>) that opens doc,
// if any.
func dropXMLDecl(doc []byte) []byte {
	rest := bytes.TrimLeft(doc, " \t\r\n")
	if !bytes.HasPrefix(rest, []byte("<?xml")) {
		return doc
	}
	if end := bytes.Index(rest, []byte("?>")); end >= 0 {
		return rest[end+2:]
	}
	return doc
}

// convertItem makes one Item of a parsed item.
func convertItem(f Feed, gi *gofeed.Item, base *url.URL, fetched time.Time) (feedstore.Item, bool) {
	it := feedstore.Item{Origin: f.Name, GUID: gi.GUID, Fetched: fetched}
	it.Title = plainTitle(gi.Title)
	// Content is the full text when the feed has it; Description is often
	// a summary of it. Take the longer.
	paras := plainParagraphs(gi.Description)
	if c := plainParagraphs(gi.Content); countWords(c) > countWords(paras) {
		paras = c
	}
	it.Text = strings.Join(paras, "\n\n")
	if it.Title == "" {
		it.Title = firstWords(paras, untitledWords)
	}
	if it.Title == "" {
		return feedstore.Item{}, false
	}
	link := gi.Link
	if link == "" && len(gi.Links) > 0 {
		link = gi.Links[0]
	}
	if u := absURL(link, base); u != "" {
		it.URL = u
	}
	switch {
	case gi.PublishedParsed != nil:
		it.Published = gi.PublishedParsed.UTC()
	case gi.UpdatedParsed != nil:
		it.Published = gi.UpdatedParsed.UTC()
	}
	it.Image = pickImage(gi, base)
	identify(&it, base)
	return it, true
}

// firstWords joins the first n words of paras, with an ellipsis when cut.
func firstWords(paras []string, n int) string {
	if len(paras) == 0 {
		return ""
	}
	words := strings.Fields(paras[0])
	if len(words) <= n {
		return paras[0]
	}
	return strings.Join(words[:n], " ") + "…"
}

// absURL resolves ref against base and returns it when it is an http or
// https URL, else "". User information is dropped: in
// https://discord.com@evil.example/x it only disguises the host, and the
// link shows, and goes to, its real one (https://evil.example/x).
func absURL(ref string, base *url.URL) string {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	u.User = nil
	return u.String()
}

// pickImage finds the item's picture: a media:content image, a
// media:thumbnail (also inside media:group), an image enclosure, else the
// image the format itself names (JSON Feed's image). Images a feed says
// are 1 or 0 pixels wide or high are tracking pixels, never pictures.
func pickImage(gi *gofeed.Item, base *url.URL) string {
	if media := gi.Extensions["media"]; media != nil {
		if u := mediaImage(media, base); u != "" {
			return u
		}
		for _, g := range media["group"] {
			if u := mediaImage(g.Children, base); u != "" {
				return u
			}
		}
	}
	for _, e := range gi.Enclosures {
		if e != nil && strings.HasPrefix(strings.ToLower(e.Type), "image/") {
			if u := absURL(e.URL, base); u != "" {
				return u
			}
		}
	}
	if gi.Image != nil {
		return absURL(gi.Image.URL, base)
	}
	return ""
}

func mediaImage(media map[string][]ext.Extension, base *url.URL) string {
	for _, c := range media["content"] {
		typ, medium := strings.ToLower(c.Attrs["type"]), strings.ToLower(c.Attrs["medium"])
		if (strings.HasPrefix(typ, "image/") || medium == "image") && !tiny(c.Attrs) {
			if u := absURL(c.Attrs["url"], base); u != "" {
				return u
			}
		}
	}
	for _, c := range media["thumbnail"] {
		if !tiny(c.Attrs) {
			if u := absURL(c.Attrs["url"], base); u != "" {
				return u
			}
		}
	}
	return ""
}

// tiny reports a width or height of at most 1 pixel.
func tiny(attrs map[string]string) bool {
	for _, k := range []string{"width", "height"} {
		if n, err := strconv.Atoi(strings.TrimSpace(attrs[k])); err == nil && n <= 1 {
			return true
		}
	}
	return false
}
