package briefs

import (
	"strings"
	"sync"
	"testing"
)

func ids(as []Article) string {
	var s []string
	for _, a := range as {
		s = append(s, a.ID)
	}
	return strings.Join(s, ",")
}

func TestDuplicateIDs(t *testing.T) {
	a := Article{ID: "same", Title: "First", Paragraphs: []string{"x"}, Words: 1}
	b := Article{ID: "same", Title: "Second", Paragraphs: []string{"y"}, Words: 1}
	l := New()
	dropped := l.Replace("desk", []Article{a, b})
	if l.Len() != 1 {
		t.Fatalf("Len %d, want 1", l.Len())
	}
	if got, _ := l.Get("same"); got.Title != "First" {
		t.Errorf("kept %q, want the first", got.Title)
	}
	if len(dropped) != 1 || dropped[0].Title != "Second" {
		t.Errorf("dropped %+v, want the second", dropped)
	}
	// Across origins the origin that sorts first keeps the ID, whichever
	// came first, so the outcome does not depend on timing.
	c := Article{ID: "same", Title: "From the archive", Paragraphs: []string{"z"}, Words: 1}
	if dropped := l.Replace("archive", []Article{c}); len(dropped) != 0 {
		t.Errorf("archive dropped %+v", dropped)
	}
	if got, _ := l.Get("same"); got.Title != "From the archive" || l.Len() != 1 {
		t.Errorf("kept %q of %d, want the archive's", got.Title, l.Len())
	}
}

// TestReplaceGivesIDs: articles without an ID get one each, unique even
// under one title.
func TestReplaceGivesIDs(t *testing.T) {
	l := New()
	l.Replace("", []Article{{Title: "One", Paragraphs: []string{"x"}}, {Title: "One", Paragraphs: []string{"y"}}})
	all := l.All()
	if len(all) != 2 || all[0].ID == "" || all[0].ID == all[1].ID {
		t.Fatalf("IDs %q", []string{all[0].ID, all[1].ID})
	}
}

// TestReplace: each origin's articles are replaced as a whole, and the
// others stay.
func TestReplace(t *testing.T) {
	l := New()
	if l.Len() != 0 || l.Latest(5, "") != nil || l.Search("budget", 5) != nil || l.Complete("b", 5) != nil {
		t.Fatal("a new library is not empty")
	}
	wire := []Article{
		{ID: "w1", Title: "Budget vote", Date: libDay(1), URL: "https://example.com/w1", Origin: "ignored", Paragraphs: []string{"The council budget."}},
		{ID: "w2", Title: "Rail strike", Date: libDay(3), URL: "https://example.com/w2", Paragraphs: []string{"Trains stop."}},
	}
	desk := []Article{{ID: "d1", Title: "Budget cuts", Date: libDay(2), File: "cuts.txt", Paragraphs: []string{"Cuts to the budget."}}}
	l.Replace("wire", wire)
	l.Replace("desk", desk)
	if got := ids(l.All()); got != "w2,d1,w1" {
		t.Fatalf("All = %s", got)
	}
	if a, _ := l.Get("w1"); a.Origin != "wire" || a.URL != "https://example.com/w1" {
		t.Errorf("w1: Origin %q URL %q", a.Origin, a.URL)
	}
	if wire[0].Origin != "ignored" {
		t.Error("Replace changed the caller's slice")
	}
	if a, _ := l.Get("d1"); a.Origin != "desk" || a.File != "cuts.txt" {
		t.Errorf("d1: Origin %q File %q", a.Origin, a.File)
	}
	if got := ids(l.Latest(10, "budget")); got != "d1,w1" {
		t.Errorf("Latest budget = %s", got)
	}
	if l.Count("wire") != 2 || l.Count("desk") != 1 || l.Count("none") != 0 {
		t.Errorf("counts %d %d %d", l.Count("wire"), l.Count("desk"), l.Count("none"))
	}

	// A new state of one origin replaces its old one entirely.
	l.Replace("wire", wire[1:])
	if got := ids(l.All()); got != "w2,d1" {
		t.Errorf("after replacing wire: %s", got)
	}
	if _, ok := l.Get("w1"); ok || len(l.Search("council", 5)) != 0 {
		t.Error("a replaced article is still found")
	}
	// No articles removes the origin.
	l.Replace("desk", nil)
	if got := ids(l.All()); got != "w2" || l.Count("desk") != 0 {
		t.Errorf("after emptying desk: %s", got)
	}
}

func TestLatest(t *testing.T) {
	l := fromArticles([]Article{
		{ID: "a", Title: "Budget vote", Date: libDay(1), Paragraphs: []string{"The council budget."}},
		{ID: "b", Title: "Rail strike", Date: libDay(3), Paragraphs: []string{"Trains stop."}},
		{ID: "c", Title: "Budget cuts", Date: libDay(2), Paragraphs: []string{"Cuts to the budget."}},
		{ID: "d", Title: "Another strike", Date: libDay(3), Paragraphs: []string{"Bus drivers strike over the budget."}},
		{ID: "e", Title: "Weather", Date: libDay(4), Paragraphs: []string{"Sunny."}},
	})
	for _, tc := range []struct {
		n     int
		topic string
		want  string
	}{
		{3, "", "e,d,b"}, // same day: by title
		{-1, "", "e,d,b,c,a"},
		{10, "", "e,d,b,c,a"},
		{0, "", ""},
		{10, "budget", "d,c,a"},
		{2, "BUDGETS", "d,c"},
		{10, "strike", "d,b"},
		{10, "budget strike", "d,b,c,a"},
		{10, "the", ""},
		{10, "nothing", ""},
	} {
		if got := ids(l.Latest(tc.n, tc.topic)); got != tc.want {
			t.Errorf("Latest(%d, %q) = %s, want %s", tc.n, tc.topic, got, tc.want)
		}
	}
	if got := ids(l.All()); got != "e,d,b,c,a" {
		t.Errorf("All = %s", got)
	}
}

// TestConcurrentReplace runs readers against a library whose origins keep
// being replaced (go test -race): every reader sees a complete snapshot.
func TestConcurrentReplace(t *testing.T) {
	arts := generateArticles(201, 1)
	l := New()
	l.Replace("wire", arts[:200])
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				all := l.All()
				if len(all) != 200 && len(all) != 201 {
					t.Errorf("All has %d", len(all))
					return
				}
				if _, ok := l.Get(all[len(all)/2].ID); !ok {
					t.Error("Get of a listed article failed")
					return
				}
				l.Search("election budget", 5)
				l.Complete("the", 5)
				l.Latest(5, "health")
			}
		})
	}
	for i := range 10 {
		if i%2 == 0 {
			l.Replace("desk", arts[200:])
		} else {
			l.Replace("desk", nil)
		}
	}
	close(stop)
	wg.Wait()
}

func TestGeneratedArticles(t *testing.T) {
	arts := generateArticles(50, 7)
	again := generateArticles(50, 7)
	for i := range arts {
		if arts[i].ID != again[i].ID || arts[i].Body() != again[i].Body() {
			t.Fatal("generated articles are not deterministic")
		}
		if n := len(arts[i].Paragraphs); n < 4 || n > 8 {
			t.Errorf("%d paragraphs", n)
		}
		if arts[i].ID != NewID(arts[i].File, arts[i].Title) {
			t.Errorf("ID %q is not the one of its file %q", arts[i].ID, arts[i].File)
		}
	}
}
