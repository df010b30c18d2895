package command

import (
	"strings"
	"testing"
)

// TestSourceCardAtCap: /brief sources says when a feed keeps only its
// newest (FEED_MAX_ITEMS), and how many its last fetch left out.
func TestSourceCardAtCap(t *testing.T) {
	field := func(c Card, name string) (string, bool) {
		for _, f := range c.Fields {
			if f.Name == name {
				return f.Value, true
			}
		}
		return "", false
	}
	c := sourceCard(SourceStatus{Name: "flood", Kind: SourceFeed, URL: "https://flood.example/rss", Articles: 1000, Cap: 1000, LeftOut: 49000})
	v, ok := field(c, "At its cap")
	if !ok || !strings.Contains(v, "Keeps only its newest 1000 articles") || !strings.Contains(v, "its last fetch left 49000 out") {
		t.Errorf("a feed at its cap: fields %+v", c.Fields)
	}
	c = sourceCard(SourceStatus{Name: "calm", Kind: SourceFeed, Articles: 1000, Cap: 1000})
	if v, _ := field(c, "At its cap"); v == "" || strings.Contains(v, "left") {
		t.Errorf("a feed at its cap, nothing left out: fields %+v", c.Fields)
	}
	c = sourceCard(SourceStatus{Name: "small", Kind: SourceFeed, Articles: 12})
	if _, ok := field(c, "At its cap"); ok {
		t.Errorf("a feed under its cap: fields %+v", c.Fields)
	}
}
