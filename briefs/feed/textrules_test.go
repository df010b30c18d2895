package feed

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf16"

	"newsbrief/briefs"
)

// spoof is what a feed sent to take over a terminal: set the window's
// title, ring, and clear the screen.
const spoof = "\x1b]0;pwned\x07\x1b[2J"

// TestParseFeedRemovesControlCharacters: titles and texts lose escape
// sequences, whether raw in a JSON string or decoded from an entity in a
// feed's HTML, and bidirectional overrides and zero-width characters.
func TestParseFeedRemovesControlCharacters(t *testing.T) {
	f := Feed{Name: "wire", URL: "https://wire.example/feed"}
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
<item><title>Storm &amp;#27;]0;pwned&amp;#7; closes ports</title><link>https://wire.example/a</link>
<description>&lt;p&gt;Ferries &amp;#x1b;[2Jstay&amp;#x202e; in harbour.&lt;/p&gt;</description></item>
</channel></rss>`
	title, _ := json.Marshal("Storm " + spoof + " closes ports")
	text, _ := json.Marshal("Ferries \u202estay\u200b in\u2066 harbour.")
	js := fmt.Sprintf(`{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":%s,"content_text":%s}]}`, title, text)
	for name, body := range map[string]string{"rss": rss, "json": js} {
		items, err := ParseFeed(f, []byte(body), t0)
		if err != nil || len(items) != 1 {
			t.Fatalf("%s: %d items, %v", name, len(items), err)
		}
		it := items[0]
		for _, s := range []string{it.Title, it.Text} {
			if briefs.CleanLine(s) != s {
				t.Errorf("%s: control or format characters left in %q", name, s)
			}
		}
		if !strings.HasPrefix(it.Title, "Storm ") || !strings.HasSuffix(it.Title, "closes ports") || !strings.Contains(it.Text, "stay in harbour.") {
			t.Errorf("%s: title %q, text %q: words lost", name, it.Title, it.Text)
		}
	}
}

// TestParseFeedDropsUserInfo: a link whose user information poses as the
// host (discord.com@evil.example) links to, and shows, its real host.
func TestParseFeedDropsUserInfo(t *testing.T) {
	f := Feed{Name: "wire", URL: "https://wire.example/feed"}
	body := `<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>W</title>
<item><title>Prize draw</title><link>https://discord.com@evil.example/x</link>
<media:thumbnail url="https://user:pass@img.example/p.jpg"/></item></channel></rss>`
	items, err := ParseFeed(f, []byte(body), t0)
	if err != nil || len(items) != 1 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	if items[0].URL != "https://evil.example/x" || items[0].Image != "https://img.example/p.jpg" {
		t.Errorf("link %q, image %q: want the real hosts, without user information", items[0].URL, items[0].Image)
	}
}

// TestParseFeedSkipsBadJSONItemAlone: one JSON Feed item with a field of
// the wrong type lost the whole feed; the good items beside it stay, and
// the bad one is named with why.
func TestParseFeedSkipsBadJSONItemAlone(t *testing.T) {
	f := Feed{Name: "micro", URL: "https://micro.example/feed.json"}
	body := `{"version":"https://jsonfeed.org/version/1.1","title":"Micro","items":[
 {"id":"1","title":"First story","content_text":"Good text.","url":"https://micro.example/1"},
 {"id":"2","title":5,"content_text":"A number for a title."},
 {"id":3,"title":"Third story","content_html":"<p>Good too.</p>","tags":["a"]},
 {"id":"4","title":"Fourth","attachments":"not a list"}
]}`
	items, skipped, err := ParseItems(f, []byte(body), t0)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, it := range items {
		titles = append(titles, it.Title)
	}
	if got := strings.Join(titles, "|"); got != "First story|Third story" {
		t.Errorf("items %q, want the first and third", got)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0].Error(), "item 2 of 4") || !strings.Contains(skipped[1].Error(), "item 4 of 4") ||
		!strings.Contains(skipped[0].Error(), "micro") {
		t.Errorf("skipped %v: want items 2 and 4 of 4, named with the feed", skipped)
	}
	if items, err := ParseFeed(f, []byte(body), t0); err != nil || len(items) != 2 {
		t.Errorf("ParseFeed: %d items, %v", len(items), err)
	}
	// A document that is no JSON Feed at all is still an error.
	for _, bad := range []string{`{"items": 5}`, `{"items": [`} {
		if _, _, err := ParseItems(f, []byte(bad), t0); err == nil {
			t.Errorf("ParseItems(%q) took it", bad)
		}
	}
}

// utf16Doc encodes s in UTF-16 in the given order, with a byte order mark
// when bom is set.
func utf16Doc(s string, order binary.AppendByteOrder, bom bool) []byte {
	var out []byte
	if bom {
		out = order.AppendUint16(out, 0xFEFF)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		out = order.AppendUint16(out, u)
	}
	return out
}

// TestParseFeedUTF16: a feed in UTF-16 failed with "failed to detect feed
// type"; it is decoded, whichever the byte order, with or without a byte
// order mark, even when its XML declaration names UTF-16.
func TestParseFeedUTF16(t *testing.T) {
	f := Feed{Name: "wide", URL: "https://wide.example/feed"}
	rss := `<?xml version="1.0" encoding="UTF-16"?>
<rss version="2.0"><channel><title>W</title>
<item><title>Zürich café 👍 opens</title><link>https://wide.example/a</link><description>Text.</description></item>
</channel></rss>`
	js := `{"version":"https://jsonfeed.org/version/1.1","items":[{"id":"1","title":"Zürich café 👍 opens"}]}`
	for name, body := range map[string][]byte{
		"rss LE BOM":     utf16Doc(rss, binary.LittleEndian, true),
		"rss BE BOM":     utf16Doc(rss, binary.BigEndian, true),
		"rss LE no BOM":  utf16Doc(rss, binary.LittleEndian, false),
		"rss BE no BOM":  utf16Doc(rss, binary.BigEndian, false),
		"json LE BOM":    utf16Doc(js, binary.LittleEndian, true),
		"rss UTF-8 BOM":  append([]byte("\uFEFF"), rss[strings.Index(rss, "?>")+2:]...),
		"json UTF-8 BOM": append([]byte("\uFEFF"), js...),
	} {
		items, err := ParseFeed(f, body, t0)
		if err != nil || len(items) != 1 || items[0].Title != "Zürich café 👍 opens" {
			t.Errorf("%s: %v %+v", name, err, items)
		}
	}
}

// TestDecodeUTF16LoneSurrogates: a lone surrogate becomes U+FFFD, the
// characters around it stay, and an odd last byte is dropped.
func TestDecodeUTF16LoneSurrogates(t *testing.T) {
	in := []byte{'a', 0, 0x00, 0xD8, 'b', 0, 0x3D, 0xD8, 0x4D, 0xDC, 0x00, 0xDC, 'c'}
	if got := string(decodeUTF16(in, binary.LittleEndian)); got != "a\ufffdb👍\ufffd" {
		t.Errorf("decodeUTF16 = %q", got)
	}
}

// TestFetchErrorCleaned: a server's reason phrase reached `newsbrief check`
// and /brief sources as it came, escape sequences included; the error is
// cleaned and still an ErrHTTPStatus.
func TestFetchErrorCleaned(t *testing.T) {
	srv := newFeedServer(t)
	srv.put("/feed", doc{handler: func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 404 " + spoof + " [Click me](https://evil.example)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		buf.Flush()
	}})
	r := New(nil, nil, nil, WithAllowPrivate(true)).Check(context.Background(), Feed{Name: "evil", URL: srv.URL + "/feed"})
	if r.Err == nil || !errors.Is(r.Err, ErrHTTPStatus) {
		t.Fatalf("Check = %v, want an ErrHTTPStatus", r.Err)
	}
	if msg := r.Err.Error(); briefs.CleanLine(msg) != msg || !strings.Contains(msg, "404 ]0;pwned[2J [Click me]") {
		t.Errorf("error %q: want the reason phrase cleaned, its words kept", msg)
	}
}

// TestParseErrorCleaned: a parse error that quotes the document is
// cleaned too.
func TestParseErrorCleaned(t *testing.T) {
	_, err := ParseFeed(Feed{Name: "x", URL: "https://x.example/"}, []byte(`{"items": [`+"\x1b"+`]}`), t0)
	if err == nil || briefs.CleanLine(err.Error()) != err.Error() {
		t.Errorf("error %q", err)
	}
}

// TestParseListSkipsLongLineAlone: a line over 64 KiB in the feeds file
// made every line after it vanish (bufio.Scanner stops there). Only that
// line is skipped, named by its number; a line of exactly 64 KiB is read.
func TestParseListSkipsLongLineAlone(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 1000; i++ {
		switch i {
		case 500:
			b.WriteString("huge https://huge.example/" + strings.Repeat("x", maxLineLen) + "\n")
		case 501:
			b.WriteString("#" + strings.Repeat("c", maxLineLen-1) + "\r\n") // exactly the limit: a comment
		default:
			fmt.Fprintf(&b, "f%d https://h%d.example/feed\r\n", i, i)
		}
	}
	b.WriteString(strings.Repeat("y", 3*maxLineLen)) // a last line too long, without a line end
	feeds, errs := ParseList(strings.NewReader(b.String()))
	if len(feeds) != 998 || feeds[len(feeds)-1].Name != "f1000" || feeds[499].Line != 502 {
		t.Errorf("%d feeds, want the 998 good lines", len(feeds))
	}
	if len(errs) != 2 || !strings.HasPrefix(errs[0].Error(), "line 500: line longer than 65536 bytes") ||
		!strings.HasPrefix(errs[1].Error(), "line 1001: line longer") {
		t.Errorf("errors %v: want lines 500 and 1001, too long", errs)
	}
}

// FuzzParseFeed: any document, in any encoding, parses without panicking
// into items whose titles and texts hold no control or format characters
// and whose links are http(s) without user information; a skipped item
// comes with a reason.
func FuzzParseFeed(f *testing.F) {
	rss := `<?xml version="1.0"?><rss version="2.0"><channel><item><title>T &amp;#27;x</title><link>https://a@b.example/</link></item></channel></rss>`
	for _, s := range []string{
		rss,
		string(utf16Doc(rss, binary.LittleEndian, true)),
		string(utf16Doc(rss, binary.BigEndian, false)),
		`{"items":[{"id":"1","title":"A"},{"title":5},null,{"id":2,"content_text":"x\u202e"}]}`,
		"\uFEFF{\"items\":[]}",
		`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title><link href="//x.example/a"/></entry></feed>`,
		"\xfe\xff\xd8\x00",
	} {
		f.Add([]byte(s))
	}
	fd := Feed{Name: "fuzz", URL: "https://fuzz.example/feed"}
	f.Fuzz(func(t *testing.T, body []byte) {
		items, skipped, err := ParseItems(fd, body, t0)
		if err != nil {
			if len(items) != 0 || briefs.CleanLine(err.Error()) != err.Error() {
				t.Fatalf("error %q with %d items", err, len(items))
			}
			return
		}
		for _, e := range skipped {
			if e == nil || !strings.Contains(e.Error(), "skipped") {
				t.Fatalf("skipped item without a reason: %v", e)
			}
		}
		for _, it := range items {
			if it.Title == "" || briefs.CleanLine(it.Title) != it.Title || briefs.CleanText(it.Text) != it.Text {
				t.Fatalf("item %+v: empty or unclean title or text", it)
			}
			for _, u := range []string{it.URL, it.Image} {
				if u == "" {
					continue
				}
				if p, err := url.Parse(u); err != nil || p.User != nil || p.Scheme != "http" && p.Scheme != "https" {
					t.Fatalf("item link %q", u)
				}
			}
		}
	})
}
