package folder

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"newsbrief/briefs"
	"newsbrief/briefs/briefstest"
)

const testBody = "The council met on Tuesday to vote on the budget.\n\nMembers approved it after a long debate.\n"

func TestParseDateFormats(t *testing.T) {
	want := time.Date(2023, time.November, 3, 0, 0, 0, 0, time.UTC)
	for _, line := range []string{
		"Friday, November 3, 2023",
		"November 3, 2023",
		"3 November 2023",
		"2023-11-03",
		"  Friday,   November 3, 2023  ",
	} {
		a, err := Parse("a.txt", []byte(line+"\nCouncil passes budget\n\n"+testBody))
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if !a.Dated || !a.Date.Equal(want) {
			t.Errorf("%q: Date %v Dated %v, want %v", line, a.Date, a.Dated, want)
		}
		if a.Title != "Council passes budget" {
			t.Errorf("%q: Title %q", line, a.Title)
		}
		if len(a.Paragraphs) != 2 {
			t.Errorf("%q: %d paragraphs, want 2", line, len(a.Paragraphs))
		}
	}
}

func TestParseNoDateLine(t *testing.T) {
	a, err := Parse("a.txt", []byte("\n\nCouncil passes budget\n\n"+testBody))
	if err != nil {
		t.Fatal(err)
	}
	if a.Dated || !a.Date.IsZero() {
		t.Errorf("Dated %v Date %v, want undated", a.Dated, a.Date)
	}
	if a.Title != "Council passes budget" {
		t.Errorf("Title %q", a.Title)
	}
	if a.Words != 17 {
		t.Errorf("Words %d, want 17", a.Words)
	}
	if a.File != "a.txt" || a.URL != "" {
		t.Errorf("File %q URL %q", a.File, a.URL)
	}
}

func TestParseBOMAndCRLF(t *testing.T) {
	data := "\uFEFF2023-11-03\r\nCouncil passes budget\r\n\r\nFirst  paragraph\there.\r\n\r\nSecond one.\r\n"
	a, err := Parse("a.txt", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Dated || a.Title != "Council passes budget" {
		t.Errorf("Dated %v Title %q", a.Dated, a.Title)
	}
	want := []string{"First paragraph here.", "Second one."}
	if strings.Join(a.Paragraphs, "|") != strings.Join(want, "|") {
		t.Errorf("Paragraphs %q, want %q", a.Paragraphs, want)
	}
	for _, p := range append([]string{a.Title}, a.Paragraphs...) {
		if strings.ContainsAny(p, "\r\uFEFF") {
			t.Errorf("%q keeps a CR or BOM", p)
		}
	}
}

// TestParseRemovesControlCharacters: a file's escape sequence, which
// reached the terminal raw in the console, digest and summarize, is gone
// from its title and text, and so are bidirectional overrides and
// zero-width characters; the words stay.
func TestParseRemovesControlCharacters(t *testing.T) {
	data := "Storm \x1b]0;pwned\x07\x1b[2Jcloses ports\n\nFerries \u202estay\u202c in\u200b harbour\x08\x7f.\r\nUntil \u2066Friday\u2069.\n"
	a, err := Parse("storm.txt", []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Storm ]0;pwned[2Jcloses ports"; a.Title != want {
		t.Errorf("title %q, want %q", a.Title, want)
	}
	if want := []string{"Ferries stay in harbour.", "Until Friday."}; strings.Join(a.Paragraphs, "|") != strings.Join(want, "|") {
		t.Errorf("paragraphs %q, want %q", a.Paragraphs, want)
	}
}

func TestParseWindows1252(t *testing.T) {
	data := []byte("Prices rise\n\nA pint now costs \xa35, the \x93cheapest\x94 yet.\n")
	a, err := Parse("a.txt", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a.Paragraphs[0], "A pint now costs £5, the “cheapest” yet."; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseBadFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want error
	}{
		{"empty", "", ErrEmpty},
		{"whitespace", " \n\t\r\n  \n", ErrEmpty},
		{"binary", "Title\n\nBody\x00\x00\x01 text", ErrBinary},
		{"controls", strings.Repeat("\x01\x02\x03", 50), ErrBinary},
		{"date only", "2023-11-03\n\n\n", ErrNoTitle},
		{"punctuation title", "----\n\nSome body text.", ErrNoTitle},
		{"title only", "Just a headline\n", ErrNoBody},
		{"punctuation body", "Headline\n\n***\n\n---\n", ErrNoBody},
	} {
		_, err := Parse(tc.name+".txt", []byte(tc.data))
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.name+".txt") {
			t.Errorf("%s: error %q does not name the file", tc.name, err)
		}
	}
}

func TestParseIDs(t *testing.T) {
	data := []byte("Council passes budget\n\n" + testBody)
	a1, _ := Parse("2023/a.txt", data)
	a2, _ := Parse("2023/a.txt", data)
	b, _ := Parse("2023/b.txt", data)
	if a1.ID != a2.ID {
		t.Errorf("same file, different IDs: %q %q", a1.ID, a2.ID)
	}
	if a1.ID == b.ID {
		t.Errorf("two files with the same title share ID %q", a1.ID)
	}
	if !strings.HasPrefix(a1.ID, "council-passes-budget-") {
		t.Errorf("ID %q does not start with the title's slug", a1.ID)
	}
	if !validID.MatchString(a1.ID) {
		t.Errorf("ID %q has unexpected characters", a1.ID)
	}
}

var validID = regexp.MustCompile(`^[a-z0-9-]+$`)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"Friday, November 3, 2023\nCouncil passes budget\n\n" + testBody,
		"2023-11-03\r\nTitle\r\n\r\nBody.\r\n",
		"\uFEFFTitle\n\nBody",
		"Prices\n\nA pint costs \xa35 \x93now\x94.",
		"", " \n ", "Title only", "Title\n\nBody\x00",
		"Ünïcödé Tïtle — ½\n\nΣώμα κειμένου.",
		"3 November 2023\n\n\n",
		"Storm \x1b]0;pwned\x07\x1b[2J\n\nBody \u202eevil\u200b text.",
	} {
		f.Add("dir/file.txt", []byte(seed))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		a, err := Parse(name, data)
		if err != nil {
			if a.Title != "" || a.ID != "" || len(a.Paragraphs) != 0 {
				t.Fatalf("error %v with a non-empty article %+v", err, a)
			}
			return
		}
		if a.Title == "" {
			t.Fatal("empty title")
		}
		if len(a.Paragraphs) == 0 {
			t.Fatal("no paragraphs")
		}
		if a.ID == "" || !validID.MatchString(a.ID) {
			t.Fatalf("bad ID %q", a.ID)
		}
		if a.Words <= 0 {
			t.Fatalf("Words = %d", a.Words)
		}
		if !utf8.ValidString(a.Title) {
			t.Fatalf("title not UTF-8: %q", a.Title)
		}
		for _, p := range a.Paragraphs {
			if p == "" || !utf8.ValidString(p) {
				t.Fatalf("bad paragraph %q", p)
			}
			if strings.TrimSpace(p) != p || strings.Contains(p, "\n") {
				t.Fatalf("paragraph not folded: %q", p)
			}
		}
		if strings.TrimSpace(a.Title) != a.Title || strings.Contains(a.Title, "\n") {
			t.Fatalf("title not folded: %q", a.Title)
		}
		for _, s := range append([]string{a.Title}, a.Paragraphs...) {
			if briefs.CleanLine(s) != s {
				t.Fatalf("control or format characters left in %q", s)
			}
		}
		// The library's indexes must cope with whatever Parse accepts.
		l := briefstest.Library([]briefs.Article{a})
		if l.Len() != 1 {
			t.Fatalf("library has %d articles", l.Len())
		}
		l.Search(a.Title, 3)
		l.Complete(a.Title, 3)
		for _, h := range l.Search(a.Paragraphs[0], 1) {
			if !utf8.ValidString(h.Snippet) || utf8.RuneCountInString(h.Snippet) > 200 {
				t.Fatalf("bad snippet %q", h.Snippet)
			}
		}
	})
}

// TestIDsStayStable pins the IDs of files: digests record the IDs they
// posted, so a changed ID would post an article again.
func TestIDsStayStable(t *testing.T) {
	for _, tc := range []struct{ rel, title, want string }{
		{"lunar-lander-south-pole.txt", "Private Lunar Lander Touches Down Near Moon's South Pole and Finds Signs of Ice",
			"private-lunar-lander-touches-down-near-moon-s-so-6ad483"},
	} {
		if got := ID(tc.rel, tc.title); got != tc.want {
			t.Errorf("ID(%q, %q) = %q, want %q", tc.rel, tc.title, got, tc.want)
		}
		a, err := Parse(tc.rel, []byte(tc.title+"\n\nBody.\n"))
		if err != nil || a.ID != tc.want {
			t.Errorf("Parse(%q) ID %q, %v; want %q", tc.rel, a.ID, err, tc.want)
		}
	}
}
