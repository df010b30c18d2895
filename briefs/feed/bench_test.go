package feed

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkFetchParseIdentify1000 fetches one feed of 1,000 items from a
// local server, parses it, gives every item its plain text and identity and
// checks it against the stored items (all known after the first round, as
// in steady polling, so the store and library work is the lookup alone).
func BenchmarkFetchParseIdentify1000(b *testing.B) {
	var doc strings.Builder
	doc.WriteString(`<?xml version="1.0"?><rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>Big</title><link>https://big.example/</link><description>d</description>`)
	for i := range 1000 {
		fmt.Fprintf(&doc, `<item><title>Story number %d &amp; more</title><link>https://big.example/news/%d?utm_source=rss</link><guid>big-%d</guid><pubDate>Mon, 08 Apr 2024 10:00:00 GMT</pubDate><media:thumbnail url="https://big.example/img/%d.jpg" width="320" height="180"/><description><![CDATA[<p>%s</p><p>%s</p>]]></description></item>`,
			i, i, i, i, strings.Repeat("A sentence of the story with some words in it. ", 6), strings.Repeat("Another paragraph follows here. ", 6))
	}
	doc.WriteString("</channel></rss>")
	body := []byte(doc.String())
	srv := newFeedServer(b)
	srv.put("/big.xml", doc2(body))
	e := newEnv(b, []Feed{{Name: "big", URL: srv.URL + "/big.xml"}}, WithMaxPages(0))
	if err := e.fetch(b); err != nil {
		b.Fatal(err)
	}
	if n := e.lib.Count("big"); n != 1000 {
		b.Fatalf("%d items", n)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for b.Loop() {
		e.clock.Advance(time.Minute)
		if err := e.src.FetchDue(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func doc2(body []byte) doc {
	return doc{body: body, contentType: "application/rss+xml", status: http.StatusOK}
}
