package feed

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseList(t *testing.T) {
	in := strings.Join([]string{
		"# news feeds",                     // 1
		"",                                 // 2
		"https://www.Example.com/feed.xml", // 3
		"wire  HTTPS://Wire.example/rss   every=30m  # hourly", // 4
		"ftp://files.example/feed",                             // 5
		"news.example/feed",                                    // 6
		"blog https://blog.example/feed every=500ms",           // 7
		"blog2 https://blog2.example/feed every=soon",          // 8
		"Wire https://other.example/feed",                      // 9
		"again https://wire.example/rss/",                      // 10
		"a b https://c.example/feed",                           // 11
		"   # indented comment",                                // 12
		"frag https://frag.example/feed#top every=1h",          // 13
		"x https://x.example/ every=1m every=2m",               // 14
		"y https://y.example/ evry=1m",                         // 15
		"https://user:pw@z.example/feed",                       // 16
		"https://q.example/a https://q.example/b",              // 17
		"every=1h",                      // 18
		"https://example.com/other.xml", // 19
	}, "\n")
	feeds, errs := ParseList(strings.NewReader(in))
	want := []Feed{
		{Name: "example.com", URL: "https://www.example.com/feed.xml", Line: 3},
		{Name: "wire", URL: "https://wire.example/rss", Every: 30 * time.Minute, Line: 4},
		{Name: "frag", URL: "https://frag.example/feed#top", Every: time.Hour, Line: 13},
	}
	if fmt.Sprint(feeds) != fmt.Sprint(want) {
		t.Errorf("feeds\n got %v\nwant %v", feeds, want)
	}
	wantErrs := map[int]string{
		5:  `scheme "ftp" not supported`,
		6:  "no scheme",
		7:  "every=500ms is shorter than 1s",
		8:  `bad duration "soon"`,
		9:  `duplicate name "Wire" (line 4 has it)`,
		10: "duplicate URL https://wire.example/rss/ (line 4 has it)",
		11: "too many fields (3)",
		14: "every= given twice",
		15: `unknown option "evry=1m"`,
		16: "credentials in the URL",
		17: `looks like a URL`,
		18: "every= without a feed URL",
		19: `duplicate name "example.com" (line 3 has it)`,
	}
	got := map[int]string{}
	for _, err := range errs {
		var le *LineError
		if !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
		got[le.Line] = err.Error()
		if !strings.HasPrefix(err.Error(), fmt.Sprintf("line %d: ", le.Line)) {
			t.Errorf("error %q does not start with its line", err)
		}
	}
	for line, frag := range wantErrs {
		if !strings.Contains(got[line], frag) {
			t.Errorf("line %d: error %q, want it to say %q", line, got[line], frag)
		}
	}
	if len(got) != len(wantErrs) {
		t.Errorf("errors %v, want lines %v", got, wantErrs)
	}
	if !errors.Is(errs[0], ErrBadURL) {
		t.Errorf("%v does not wrap ErrBadURL", errs[0])
	}
}

func TestParseListLongLine(t *testing.T) {
	in := "https://a.example/feed\n" + strings.Repeat("x", maxLineLen+1) + "\n"
	feeds, errs := ParseList(strings.NewReader(in))
	if len(feeds) != 1 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "line 2: line longer") {
		t.Errorf("feeds %v errs %v", feeds, errs)
	}
}

// FuzzParseList checks that any input parses without panicking into feeds
// that obey the format's promises: unique names and URLs, http(s) URLs,
// intervals of at least MinEvery, errors that name a line.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{
		"https://example.com/feed\n",
		"news https://news.example/rss every=15m # comment\n\n# c\n",
		"a https://x.example\nb https://x.example/\n",
		"every=1s\nftp://x\nhttps://user@x/\n",
		"x\ty\tz\n\xff\n",
		"n https://h.example/p#frag every=-1h\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		feeds, errs := ParseList(strings.NewReader(in))
		names, urls := map[string]bool{}, map[string]bool{}
		for _, fd := range feeds {
			if fd.Name == "" || fd.Line < 1 {
				t.Fatalf("feed %+v without a name or line", fd)
			}
			if names[strings.ToLower(fd.Name)] || urls[canonicalFeedURL(fd.URL)] {
				t.Fatalf("duplicate feed %+v", fd)
			}
			names[strings.ToLower(fd.Name)], urls[canonicalFeedURL(fd.URL)] = true, true
			if _, err := CheckURL(fd.URL); err != nil {
				t.Fatalf("feed %+v has a bad URL: %v", fd, err)
			}
			if fd.Every != 0 && fd.Every < MinEvery {
				t.Fatalf("feed %+v polls too often", fd)
			}
		}
		for _, err := range errs {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Fatalf("error %v names no line", err)
			}
		}
	})
}
