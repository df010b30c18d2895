package summarize

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestStripDateline(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"(CNN)Share, and your gift will be multiplied.", "Share, and your gift will be multiplied."},
		{"(CNN) -- A quake struck the coast on Monday.", "A quake struck the coast on Monday."},
		{"LONDON, England (CNN) -- Police arrested three men.", "Police arrested three men."},
		{"WASHINGTON (Reuters) - The Senate passed the bill.", "The Senate passed the bill."},
		{"Paris (AFP) - Strikes halted trains.", "Strikes halted trains."},
		{"NEW YORK -- Stocks fell sharply on Tuesday.", "Stocks fell sharply on Tuesday."},
		{"BAGHDAD, Iraq — Two bombs exploded.", "Two bombs exploded."},
		{"(CNN Student News) -- March 5, 2015 Today's show covers the news.", "March 5, 2015 Today's show covers the news."},
		{"(EW.com) -- The show returns next fall.", "The show returns next fall."},
		{"By Jane Doe, PUBLISHED: 12:00 EST, 1 May 2014 | UPDATED: 13:10 EST, 1 May 2014 The ferry sank.", "The ferry sank."},
		{"By . Daily Mail Reporter . PUBLISHED: . 08:12 EST, 3 June 2013 . | . UPDATED: . 08:12 EST, 3 June 2013 . A dog saved its owner.", "A dog saved its owner."},
		{"(CNN)\"I will come to Tunisia.\"", "\"I will come to Tunisia.\""},
		// Not datelines: kept as they are.
		{"The firm (Acme) said profits rose.", "The firm (Acme) said profits rose."},
		{"Shares in Acme (ACM) fell 5% -- the most this year.", "Shares in Acme (ACM) fell 5% -- the most this year."},
		{"The US - and its allies - disagreed.", "The US - and its allies - disagreed."},
		{"By the end of the day, the fire was out.", "By the end of the day, the fire was out."},
		{"NATO said it would act.", "NATO said it would act."},
		{"(CNN)", "(CNN)"},
		{"", ""},
	} {
		if got := StripDateline(tt.in); got != tt.want {
			t.Errorf("StripDateline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBoilerplate(t *testing.T) {
	for _, s := range []string{
		"Click here to access the transcript of today's CNN Student News program.",
		"READ MORE: Why the vote matters",
		"READ: Will your Apple Watch program YOU?",
		"Read more: The full report",
		"Photo: Jane Doe/Getty Images",
		"Follow us on Twitter @newsbrief",
		"CNN's Barry Neild contributed to this report.",
		"Copyright 2015 The Conversation.",
		"Scroll down for video",
		"Watch the latest full episode anytime on CNNgo .",
		"For more, see http://example.com/story",
		"PHOTOS: The storm's path",
	} {
		if !Boilerplate(s) {
			t.Errorf("Boilerplate(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"The ferry sank off the coast on Monday, killing 12 people.",
		"Police said the photo was taken in March.",
		"He told reporters: \"We will rebuild.\"",
		"Readers of the paper complained.",
		"US: the economy grew 2% in the third quarter.",
	} {
		if Boilerplate(s) {
			t.Errorf("Boilerplate(%q) = true, want false", s)
		}
	}
}

func TestDependent(t *testing.T) {
	for _, s := range []string{
		"However, the backchannel talks stalled.",
		"In conclusion, the plan failed.",
		"She said the line was expected to carry 40,000 people.",
		"He was arrested on Monday.",
		"It was the first time.",
		"They left at dawn.",
		"This is the largest find yet.",
		"These figures are new.",
		"His lawyer declined to comment.",
		"Their homes were flooded.",
		"But the court disagreed.",
		"And then it rained.",
		"Also on the list was a school.",
		"Meanwhile, prices rose.",
		"As a result, the plant closed.",
		"\"We will win,\" she said.",
		"“We will win,” she said.",
		"'Not now,' he said.",
		"and the rest followed.",
		"In fact, nobody knew.",
		"The two met in Geneva.",
		"It's a record.",
		"It’s a record.",
	} {
		if !Dependent(s) {
			t.Errorf("Dependent(%q) = false, want true", s)
		}
	}
	for _, s := range []string{
		"Meridian Space landed a probe near the Moon's south pole on Friday.",
		"A tram line opened in Leeds on Monday.",
		"The owners of Yukos will ask Rosneft to repay a loan.",
		"Heavy rain flooded the city.",
		"Hebrew University researchers found the ring.",
		"Theresa May won the vote.",
		"Italy's government fell.",
		"Butter prices rose 10%.",
		"Andreas Lubitz was the co-pilot.",
		"Police arrested three men.",
		"There were no injuries.",
	} {
		if Dependent(s) {
			t.Errorf("Dependent(%q) = true, want false", s)
		}
	}
}

// A brief opens with a sentence that stands alone, when the article has
// one, and shows no dateline and no boilerplate.
func TestBriefsStandAlone(t *testing.T) {
	a := Text{Title: "Talks resume", Paragraphs: []string{
		"(CNN)However, the talks stalled again on Monday.",
		"Click here for our live coverage.",
		"Negotiators from both sides met in Geneva on Monday to restart the talks.",
		"They said progress was slow.",
		"The talks are expected to continue on Tuesday in Geneva.",
	}}
	for _, l := range []Length{Short, Standard, Long, {Words: 20}, {Words: 75}} {
		s := Summarize(a, l).Sentences
		if len(s) == 0 {
			t.Fatalf("%+v: empty brief", l)
		}
		if Dependent(s[0]) {
			t.Errorf("%+v: brief opens with %q", l, s[0])
		}
		for _, x := range s {
			if strings.Contains(x, "(CNN)") || Boilerplate(x) {
				t.Errorf("%+v: brief shows %q", l, x)
			}
		}
	}
	// Only dependent sentences: the brief still says something.
	b := Text{Title: "T", Paragraphs: []string{"He left. She stayed. They argued."}}
	if s := Summarize(b, Short).Sentences; len(s) != 1 {
		t.Errorf("all dependent: %q", s)
	}
	// The dateline is stripped from the brief, not from the text.
	c := Text{Title: "Quake", Paragraphs: []string{"TOKYO (Reuters) - A strong earthquake struck northern Japan on Monday."}}
	if s := Summarize(c, Short).Sentences; len(s) != 1 || s[0] != "A strong earthquake struck northern Japan on Monday." {
		t.Errorf("dateline: %q", s)
	}
	if c.Paragraphs[0] != "TOKYO (Reuters) - A strong earthquake struck northern Japan on Monday." {
		t.Errorf("the text changed: %q", c.Paragraphs[0])
	}
}

// A brief of two or three sentences, the best set of sentences (bestSet),
// opens with one that stands alone even when the only such sentence is
// among the article's last and least telling.
func TestBestSetStandsAlone(t *testing.T) {
	var paras []string
	for i := range 14 {
		paras = append(paras, fmt.Sprintf("They said the flood in Ely on Sunday forced %d families from their homes near the river.", 100+i))
	}
	paras = append(paras, "Tea was served.")
	a := Text{Title: "Ely flood", Paragraphs: paras}
	for _, l := range []Length{{Sentences: 2}, Standard} {
		s := Summarize(a, l).Sentences
		if len(s) != l.Sentences || Dependent(s[0]) || !slices.Contains(s, "Tea was served.") {
			t.Errorf("%+v: %q", l, s)
		}
	}
}

// Later sentences of a brief follow the first in article order.
func TestBriefOrder(t *testing.T) {
	a := Text{Title: "Flood", Paragraphs: []string{
		"It rained for three days without a break.",
		"Floods swept through the town of Ely on Sunday, forcing 300 people from their homes.",
		"Rescue teams used boats to reach stranded families in Ely.",
		"The river is expected to fall by Wednesday.",
	}}
	s := Summarize(a, Long).Sentences
	if len(s) < 2 || Dependent(s[0]) {
		t.Fatalf("brief %q", s)
	}
	var rest []int
	for _, x := range s[1:] {
		for i, p := range a.Paragraphs {
			if p == x {
				rest = append(rest, i)
			}
		}
	}
	for i := 1; i < len(rest); i++ {
		if rest[i] < rest[i-1] {
			t.Errorf("later sentences not in article order: %q", s)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{
		"(CNN)Share, and your gift.", "LONDON, England (CNN) -- Police.", "By Jane Doe, PUBLISHED: 12:00 EST | UPDATED: x",
		"NEW YORK -- x", "((((", "By ", "(CNN) --", "\"quoted\"", "However, it.",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := StripDateline(s)
		if len(out) > len(s)+4 {
			t.Fatalf("StripDateline(%q) grew: %q", s, out)
		}
		if out != s && !hasLetterOrDigit(out) {
			t.Fatalf("StripDateline(%q) left nothing: %q", s, out)
		}
		Boilerplate(s)
		Dependent(s)
		sum := Summarize(Text{Title: "T", Paragraphs: []string{s}}, Length{Words: 20})
		for _, x := range sum.Sentences {
			if strings.TrimSpace(x) == "" {
				t.Fatalf("empty sentence from %q", s)
			}
		}
	})
}
