package discord

import (
	"strings"
	"testing"

	"newsbrief/command"
)

// TestEmbedURLs: an embed's url and thumbnail are kept when Discord takes
// them and dropped, never failing the message, when it would not.
func TestEmbedURLs(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", maxURL-len("https://example.com/"))
	for in, want := range map[string]string{
		"https://example.com/story?id=1#top": "https://example.com/story?id=1#top",
		"http://example.com":                 "http://example.com",
		"HTTPS://Example.com/A":              "https://Example.com/A",
		long:                                 long,
		long + "a":                           "",
		"":                                   "",
		"ftp://example.com/file":             "",
		"javascript:alert(1)":                "",
		"mailto:news@example.com":            "",
		"/relative/path":                     "",
		"example.com/no-scheme":              "",
		"https://":                           "",
		"https:///path-only":                 "",
		"https://exa mple.com/":              "",
		"https://example.com/a b":            "",
		"https://example.com/\n":             "",
		"https://example.com/%zz":            "",
	} {
		if got := embedURL(in); got != want {
			t.Errorf("embedURL(%q) = %q, want %q", in, got, want)
		}
	}
}

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
