package discord

import (
	"testing"

	"newsbrief/bot/command"
)

func TestEmbedsLinkTitleAndShowThumbnail(t *testing.T) {
	e := Embeds([]command.Card{{Title: "Storm", URL: "https://example.com/storm", Thumbnail: "https://example.com/storm.jpg"}})[0]
	if e.URL != "https://example.com/storm" || e.Thumbnail == nil || e.Thumbnail.URL != "https://example.com/storm.jpg" {
		t.Errorf("embed url %q thumbnail %+v", e.URL, e.Thumbnail)
	}
	e = Embeds([]command.Card{{Title: "Bad", URL: "javascript:x", Thumbnail: "data:image/png;base64,AAAA"}})[0]
	if e.URL != "" || e.Thumbnail != nil {
		t.Errorf("invalid url %q or thumbnail %+v kept", e.URL, e.Thumbnail)
	}
	e = Embeds([]command.Card{{Title: "File"}})[0]
	if e.URL != "" || e.Thumbnail != nil {
		t.Errorf("a card without link has url %q thumbnail %+v", e.URL, e.Thumbnail)
	}
}
