package briefs

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbrief/internal/fakenews"
)

// TestWireStoryOnce: one story carried by 5,000 sources among 5,000
// stories told once is one story everywhere it shows: latest, search (as
// its best-scoring copy, naming the 4,999 others), autocomplete.
func TestWireStoryOnce(t *testing.T) {
	arts := generateCarried(10000, fakenews.CarriedOnce(5000), 7)
	l := New()
	l.ReplaceAll(byOrigin(arts))
	copies := map[string]bool{}
	for _, a := range arts[:5000] {
		copies[a.ID] = true
	}
	if got := l.Story(arts[0].ID); len(got) != 5000 {
		t.Fatalf("the wire story has %d articles, want its 5,000 copies", len(got))
	} else {
		for _, id := range got {
			if !copies[id] {
				t.Fatalf("%s, not a copy, is in the wire story", id)
			}
		}
	}
	shown := func(what string, list []Article) {
		t.Helper()
		n := 0
		for _, a := range list {
			if copies[a.ID] {
				n++
				if len(a.Also) != 4999 {
					t.Errorf("%s: the wire story names %d other sources, want 4,999", what, len(a.Also))
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: the wire story is listed %d times, want once", what, n)
		}
	}
	shown("Latest", l.Latest(-1, ""))
	title := arts[0].Title
	var hits []Article
	for _, h := range l.Search(title, 10) {
		hits = append(hits, h.Article)
	}
	shown("Search", hits)
	shown("Complete", l.Complete(title, 25))
	if stories := len(l.Latest(-1, "")); stories > 5001 || stories < 4990 {
		t.Errorf("%d stories, want about 5,001", stories)
	}
}

// partition names, for each article of arts (story i is arts' articles
// copy of story of[i]), the least story its library story holds: two
// stories share a name when the library made them one.
func partition(t *testing.T, arts []Article, of func(i int) int) map[int]int {
	t.Helper()
	l := New()
	l.ReplaceAll(byOrigin(arts))
	storyOf := map[string]int{}
	for i, a := range arts {
		storyOf[a.ID] = of(i)
	}
	out := map[int]int{}
	for i, a := range arts {
		least := of(i)
		for _, id := range l.Story(a.ID) {
			least = min(least, storyOf[id])
		}
		if prev, ok := out[of(i)]; ok && prev != least {
			t.Fatalf("story %d is split: its copies are in stories led by %d and %d", of(i), prev, least)
		}
		out[of(i)] = least
	}
	return out
}

// TestHeavySyndicationGroupsAsSmall: the same 300 stories carried twice
// and 65 times are grouped alike: each story's copies are one story, and
// two stories are one in the heavy library only where they are in the
// small one.
func TestHeavySyndicationGroupsAsSmall(t *testing.T) {
	const stories = 300
	small := partition(t, generateCarried(2*stories, fakenews.CarriedBy(2), 11), func(i int) int { return i / 2 })
	heavy := partition(t, generateCarried(65*stories, fakenews.CarriedBy(65), 11), func(i int) int { return i / 65 })
	if len(small) != stories || len(heavy) != stories {
		t.Fatalf("%d and %d stories, want %d", len(small), len(heavy), stories)
	}
	for i := range stories {
		if small[i] != heavy[i] {
			t.Errorf("story %d: grouped with %d carried twice, with %d carried 65 times", i, small[i], heavy[i])
		}
	}
}

// TestRealStoryCarriedOften: among the BBC evaluation stories, one carried
// by 2 to 300 outlets (each copy under a title of its own) is listed once,
// and the others as they are without it.
func TestRealStoryCarriedOften(t *testing.T) {
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	bbc := readStories(t, filepath.Join(evalDir, "bbc-dev", "articles"), "bbc-", day)
	alone := New()
	alone.Replace("bbc", bbc)
	want := len(alone.Latest(-1, ""))
	wire := bbc[100]
	for _, k := range []int{2, 14, 15, 30, 300} {
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			batch := map[string][]Article{"bbc": bbc}
			for j := range k {
				c := wire
				c.ID = fmt.Sprintf("copy-%03d", j)
				c.Title = fmt.Sprintf("%s | Outlet %d", wire.Title, j)
				c.Date = day.Add(time.Duration(j) * time.Minute)
				o := fmt.Sprintf("outlet-%03d", j)
				batch[o] = []Article{c}
			}
			l := New()
			l.ReplaceAll(batch)
			if got := len(l.Story(wire.ID)); got != k+1 {
				t.Errorf("the story has %d articles, want %d", got, k+1)
			}
			if got := len(l.Latest(-1, "")); got != want {
				t.Errorf("%d stories, want %d", got, want)
			}
			n := 0
			for _, h := range l.Search(wire.Title, 5) {
				if h.Article.ID == wire.ID || strings.HasPrefix(h.Article.ID, "copy-") {
					n++
				}
			}
			if n != 1 {
				t.Errorf("search lists the story %d times", n)
			}
		})
	}
}

// TestBoilerplateIsNotAStory: a source whose every item opens with the
// same lines (a byline, a newsletter plea) does not make its stories one;
// a story it carries with other sources still is one.
func TestBoilerplateIsNotAStory(t *testing.T) {
	day := time.Date(2025, 3, 4, 0, 0, 0, 0, time.UTC)
	bbc := readStories(t, filepath.Join(evalDir, "bbc-dev", "articles"), "bbc-", day)[:60]
	plea := "By the Brackford Post news desk. Sign up for our free morning newsletter to get the day's top stories delivered to your inbox before breakfast."
	var items []Article
	for i, a := range bbc {
		a.Date = day.Add(time.Duration(i) * time.Minute)
		// Short items, their first sentence: the byline and plea are
		// a good part of their opening, enough to make any two alike
		// if they counted.
		first, _, _ := strings.Cut(a.Paragraphs[0], ". ")
		a.Paragraphs = []string{plea, first}
		items = append(items, a)
	}
	l := New()
	l.Replace("Brackford Post", items)
	if got := len(l.Latest(-1, "")); got != len(items) {
		t.Fatalf("%d stories of %d items with one byline and plea", got, len(items))
	}
	// The same items and a copy of one of them by another source.
	other := items[7]
	other.ID, other.Title, other.Paragraphs = "elsewhere", other.Title+" - Daily Wire", other.Paragraphs[1:]
	l.Replace("Daily Wire", []Article{other})
	if got := l.Story(items[7].ID); !slices.Equal(got, []string{items[7].ID, "elsewhere"}) && !slices.Equal(got, []string{"elsewhere", items[7].ID}) {
		t.Errorf("Story = %q, want the item and its copy", got)
	}
	if got := len(l.Latest(-1, "")); got != len(items) {
		t.Errorf("%d stories, want %d", got, len(items))
	}
}
