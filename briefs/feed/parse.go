package feed

import (
	"bytes"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"
)

// untitledWords is how many words of an untitled item's text make its
// title (JSON Feed and microblog items often have none).
const untitledWords = 12

// ParseFeed parses an RSS (0.9x, 1.0, 2.0), Atom 1.0 or JSON Feed document
// into items of the feed, with plain-text titles and texts, pictures and
// identities (see Item). feedURL resolves relative links; fetched is the
// time of the fetch, the Fetched of every item. Items with neither a title
// nor a text are left out: there is nothing to show of them.
func ParseFeed(f Feed, body []byte, fetched time.Time) ([]Item, error) {
	p := gofeed.NewParser()
	// The translator's fallback scan of item HTML for an <img> finds
	// tracking pixels as often as pictures; pictures come from explicit
	// media elements and enclosures only (see pickImage).
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	parsed, err := p.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("parse feed %s (%s): %w", f.Name, f.URL, err)
	}
	// Relative links are relative to the feed document (xml:base aside,
	// which the parser applies).
	base, _ := url.Parse(f.URL)
	items := make([]Item, 0, len(parsed.Items))
	for _, gi := range parsed.Items {
		if gi == nil {
			continue
		}
		it, ok := convertItem(f, gi, base, fetched)
		if ok {
			items = append(items, it)
		}
	}
	return items, nil
}

// convertItem makes one Item of a parsed item.
func convertItem(f Feed, gi *gofeed.Item, base *url.URL, fetched time.Time) (Item, bool) {
	it := Item{Origin: f.Name, GUID: gi.GUID, Fetched: fetched}
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
		return Item{}, false
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
// https URL, else "".
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
