package main

import (
	"encoding/binary"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"newsbrief/bot/command"
	"newsbrief/briefs"
)

// spoof is what a feed sent to take over a terminal: set the window's
// title, ring, and clear the screen.
const spoof = "\x1b]0;pwned\x07\x1b[2J"

// strangersFeeds serves feeds written to hurt their readers: an RSS feed
// whose item carries an escape sequence (as an entity in its HTML), a
// bidirectional override, Discord markup and a link whose user
// information poses as discord.com; a JSON Feed with a bad item beside a
// good one; a feed in UTF-16; and a feed whose server answers with an
// escape sequence in its reason phrase.
func strangersFeeds(t *testing.T) *httptest.Server {
	t.Helper()
	now := time.Now().UTC()
	rss := `<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"><channel><title>Evil</title>
<item><guid>evil-1</guid><title>Storm &amp;#27;]0;pwned&amp;#7; [Click me](https://evil.example) ||now||</title>
<link>https://discord.com@evil.example/x</link><pubDate>` + now.Format(time.RFC1123Z) + `</pubDate>
<description>&lt;p&gt;# Breaking: ferries &amp;#x1b;[2Jstay in harbour &amp;#x202e;until Friday, officials said on the coast.&lt;/p&gt;</description></item>
<item><guid>long-1</guid><title>` + strings.Repeat("Longest ", 400) + `</title><link>https://long.example/a</link>
<pubDate>` + now.Add(-time.Second).Format(time.RFC1123Z) + `</pubDate><description>` + strings.Repeat("Endless words ", 20000) + `</description></item>
</channel></rss>`
	var wide []byte
	wide = binary.LittleEndian.AppendUint16(wide, 0xFEFF)
	for _, u := range utf16.Encode([]rune(rss)) {
		wide = binary.LittleEndian.AppendUint16(wide, u)
	}
	json := fmt.Sprintf(`{"version":"https://jsonfeed.org/version/1.1","items":[
 {"id":"m1","title":"Tram Line Opens To Passengers","content_text":"The new tram line opened on Monday.","date_published":%q},
 {"id":"m2","title":5}]}`, now.Add(-time.Minute).Format(time.RFC3339))
	mux := http.NewServeMux()
	mux.HandleFunc("/evil.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(wide)
	})
	mux.HandleFunc("/micro.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/feed+json")
		w.Write([]byte(json))
	})
	mux.HandleFunc("/down.xml", func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		buf.WriteString("HTTP/1.1 404 " + spoof + " [Click me](https://evil.example)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		buf.Flush()
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// checkTerminalSafe fails the test when out holds a character that could
// drive a terminal or disguise text, or a link to the host the feed hid.
func checkTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if briefs.CleanText(out) != out {
		t.Errorf("%s printed control or format characters:\n%q", what, out)
	}
	if strings.Contains(out, "discord.com@") {
		t.Errorf("%s printed a link whose user information hides its host:\n%s", what, out)
	}
}

// TestStrangersTextOffline: `check`, `digest` and the console (/brief
// latest and /brief sources) printed a feed's escape sequences raw, and a
// server's reason phrase too. They print text only, show the article's
// markup as written (as Discord shows it, escaped), the link to its real
// host; a bad JSON item is skipped beside a good one, and a UTF-16 feed is
// read.
func TestStrangersTextOffline(t *testing.T) {
	dir := isolate(t)
	srv := strangersFeeds(t)
	writeFile(t, filepath.Join(dir, "articles", "file.txt"),
		"Harbour "+spoof+"Bridge \u202eReopens\n\nThe bridge reopened on Friday [after](https://evil.example) repairs.\n")
	writeFile(t, filepath.Join(dir, "feeds.txt"), fmt.Sprintf("evil %s/evil.xml\nmicro %s/micro.json\ndown %s/down.xml\n", srv.URL, srv.URL, srv.URL))
	t.Setenv("FEEDS_ALLOW_PRIVATE", "1")
	t.Setenv("DATABASE_PATH", filepath.Join(dir, "nb.db"))

	_, out, errOut := runCLI(t, "", "", "check")
	checkTerminalSafe(t, "check", out+errOut)
	for _, want := range []string{
		"evil (" + srv.URL + "/evil.xml): 200, 2 items",
		"micro (" + srv.URL + "/micro.json): 200, 1 items",
		"item 2 of 2 skipped",
		"down (" + srv.URL + "/down.xml): failed: ",
		"404 ]0;pwned[2J [Click me](https://evil.example)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut := runCLI(t, "", "", "digest")
	checkTerminalSafe(t, "digest", out+errOut)
	for _, want := range []string{
		"## Storm ]0;pwned [Click me](https://evil.example) ||now||",
		"Link: https://evil.example/x",
		"## Tram Line Opens To Passengers",
		"## Harbour ]0;pwned[2JBridge Reopens",
	} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("digest: exit %d, output lacks %q:\n%s%s", code, want, out, errOut)
		}
	}

	// The long item is shown as Discord would show it: its title cut to
	// 256 characters, its text to 4,096, where it was printed whole.
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); strings.HasPrefix(line, "## Longest") && n > len("## ")+command.MaxEmbedTitle ||
			n > command.MaxEmbedDescription {
			t.Errorf("digest printed a line of %d characters: %.80q…", n, line)
		}
	}
	if !strings.Contains(out, "## Longest Longest") {
		t.Errorf("digest lacks the long item:\n%.2000s", out)
	}

	_, out, errOut = runCLI(t, "", "/brief latest count:3\n/brief sources\n", "console")
	checkTerminalSafe(t, "console", out+errOut)
	for _, want := range []string{
		"## Storm ]0;pwned [Click me](https://evil.example) ||now||",
		"Last error: GET " + srv.URL + "/down.xml: HTTP error 404 ]0;pwned[2J [Click me](https://evil.example)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
}
