package summarize

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// sampleArticle is a typical news article of about 400 words.
func sampleArticle() Text {
	a := parseText([]byte(sampleText))
	return a
}

const sampleText = `Yukos unit buyer faces loan claim

The owners of embattled Russian oil giant Yukos are to ask the buyer of its former production unit to pay back a $900m (£479m) loan.

State-owned Rosneft bought the Yugansk unit for $9.3bn in a sale forced by Russia to part settle a $27.5bn tax claim against Yukos. Yukos' owner Menatep Group says it will ask Rosneft to repay a loan that Yugansk had secured on its assets. Rosneft already faces a similar $540m repayment demand from foreign banks. Legal experts said Rosneft's purchase of Yugansk would include such obligations. "The pledged assets are with Rosneft, so it will have to pay real money to the creditors to avoid seizure of Yugansk assets," said Moscow-based US lawyer Jamie Firestone, who is not connected to the case. Menatep Group's managing director Tim Osborne told the Reuters news agency: "If they default, we will fight them where the rule of law exists under the international arbitration clauses of the credit."

Rosneft officials were unavailable for comment. But the company has said it intends to take action against Menatep to recover some of the tax claims and debts owed by Yugansk. Yukos had filed for bankruptcy protection in a US court in an attempt to prevent the forced sale of its main production arm. The sale went ahead in December and Yugansk was sold to a little-known shell company which in turn was bought by Rosneft. Yukos claims its downfall was punishment for the political ambitions of its founder Mikhail Khodorkovsky and has vowed to sue any participant in the sale.

Analysts said the dispute could drag on for years. Rosneft, which is merging with the state gas firm Gazprom, has said it will not pay debts it did not take on. The Kremlin has denied that the tax claims were politically motivated, saying Yukos simply failed to pay what it owed. Shares in Yukos fell 5% in Moscow on Tuesday. Investors fear that the legal battle will make foreign firms wary of putting money into Russia. Menatep said it would pursue the claim in courts in Europe and the United States if necessary.
`

// articleOrder reports whether sents appear in the article in order.
func articleOrder(a Text, sents []string) bool {
	var all []string
	for _, p := range a.Paragraphs {
		all = append(all, SplitSentences(p)...)
	}
	last := -1
	for _, s := range sents {
		i := slices.Index(all, s)
		if i <= last {
			return false
		}
		last = i
	}
	return true
}

func TestSummarizeLengths(t *testing.T) {
	a := sampleArticle()
	for _, tt := range []struct {
		l    Length
		want int
	}{{Short, 1}, {Standard, 3}, {Long, 5}, {Length{}, 3}, {Length{Sentences: 2}, 2}} {
		s := Summarize(a, tt.l)
		if len(s.Sentences) != tt.want {
			t.Errorf("Summarize(%+v) gave %d sentences, want %d: %q", tt.l, len(s.Sentences), tt.want, s.Sentences)
		}
		if !articleOrder(a, s.Sentences) {
			t.Errorf("Summarize(%+v) not in article order: %q", tt.l, s.Sentences)
		}
		if len(s.Keywords) != summaryKeywords {
			t.Errorf("Summarize(%+v) gave keywords %q, want %d", tt.l, s.Keywords, summaryKeywords)
		}
	}
	// Longer budgets pick the shorter ones' sentences and more.
	short, long := Summarize(a, Short), Summarize(a, Long)
	if !slices.Contains(long.Sentences, short.Sentences[0]) {
		t.Errorf("Long %q lacks Short's %q", long.Sentences, short.Sentences[0])
	}
}

func TestSummarizeWordBudget(t *testing.T) {
	a := sampleArticle()
	for _, budget := range []int{1, 10, 30, 75, 150} {
		s := Summarize(a, Length{Words: budget})
		if len(s.Sentences) == 0 {
			t.Fatalf("Words %d: no sentences", budget)
		}
		if !articleOrder(a, s.Sentences) {
			t.Errorf("Words %d: not in article order: %q", budget, s.Sentences)
		}
		// Every sentence starts within the budget: the words before the last
		// one are fewer than the budget.
		before := 0
		for _, sent := range s.Sentences[:len(s.Sentences)-1] {
			before += len(strings.Fields(sent))
		}
		if before >= budget {
			t.Errorf("Words %d: %d words before the last sentence: %q", budget, before, s.Sentences)
		}
		total := before + len(strings.Fields(s.Sentences[len(s.Sentences)-1]))
		if budget >= 30 && total < budget*2/3 {
			t.Errorf("Words %d: only %d words: %q", budget, total, s.Sentences)
		}
	}
	// Both limits: whichever comes first.
	s := Summarize(a, Length{Sentences: 5, Words: 30})
	if n := len(s.Sentences); n == 0 || n > 5 {
		t.Errorf("Sentences 5, Words 30 gave %d sentences", n)
	}
	if !articleOrder(a, s.Sentences) {
		t.Errorf("Sentences 5, Words 30: not in article order: %q", s.Sentences)
	}
}

func TestSummarizeShortArticle(t *testing.T) {
	a := parseText([]byte("Title\n\nOnly one sentence here. And a second one."))
	want := []string{"Only one sentence here.", "And a second one."}
	for _, l := range []Length{Standard, Long, {Words: 500}} {
		if got := Summarize(a, l).Sentences; !slices.Equal(got, want) {
			t.Errorf("Summarize(%+v) = %q, want %q", l, got, want)
		}
	}
	if got := Summarize(a, Short).Sentences; len(got) != 1 {
		t.Errorf("Short = %q", got)
	}
	// An article with no body text at all gives an empty summary.
	if got := Summarize(Text{Title: "T"}, Standard); len(got.Sentences) != 0 {
		t.Errorf("empty article: %+v", got)
	}
}

func TestSummarizePicksCentralSentences(t *testing.T) {
	a := sampleArticle()
	s := Summarize(a, Length{Words: 75})
	joined := strings.Join(s.Sentences, " ")
	// The lead-in about quotations and share prices is peripheral; the sale
	// of Yugansk to Rosneft is the story.
	if !strings.Contains(joined, "Rosneft") || !strings.Contains(joined, "Yugansk") {
		t.Errorf("summary misses the story: %q", s.Sentences)
	}
}

func TestParseLength(t *testing.T) {
	for in, want := range map[string]Length{"short": Short, "Standard": Standard, " LONG ": Long} {
		got, err := ParseLength(in)
		if err != nil || got != want {
			t.Errorf("ParseLength(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	_, err := ParseLength("medium")
	if err == nil {
		t.Fatal("ParseLength(medium): no error")
	}
	for _, w := range []string{"medium", "short", "standard", "long"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

func TestKeywords(t *testing.T) {
	a := sampleArticle()
	kw := Keywords(a, 5)
	if len(kw) != 5 {
		t.Fatalf("Keywords = %q", kw)
	}
	for _, want := range []string{"Yukos", "Rosneft", "Yugansk"} {
		if !slices.Contains(kw, want) {
			t.Errorf("Keywords = %q, want %q among them", kw, want)
		}
	}
	for _, w := range kw {
		if stopwords[strings.ToLower(w)] || weakKeywords[strings.ToLower(w)] {
			t.Errorf("Keywords = %q holds the stopword %q", kw, w)
		}
	}
	if kw := Keywords(a, 0); len(kw) != 0 {
		t.Errorf("Keywords(0) = %q", kw)
	}
	if got := Summarize(a, Short).Keywords; !slices.Equal(got, kw) {
		t.Errorf("Summary.Keywords = %q, Keywords = %q", got, kw)
	}
}

// Summaries of odd input neither panic nor return empty sentences.
func TestSummarizeOddInput(t *testing.T) {
	for _, body := range []string{
		"...", "A", "ÉCOLE ÉTÉ. ÇA VA? ’Tis so’s. İstanbul.", "$$$ %%% 1.2.3. 4",
		strings.Repeat("word ", 500), strings.Repeat("Same sentence again. ", 50),
	} {
		a := Text{Title: "Odd", Paragraphs: []string{body}}
		for _, l := range []Length{Short, Long, {Words: 75}, {Words: 1}} {
			s := Summarize(a, l)
			if len(s.Sentences) == 0 {
				t.Errorf("%q %+v: no sentences", body, l)
			}
			for _, x := range s.Sentences {
				if strings.TrimSpace(x) == "" {
					t.Errorf("%q %+v: empty sentence", body, l)
				}
			}
		}
	}
}

func ExampleSummarize() {
	a := Text{Title: "Rain stops play", Paragraphs: []string{"Rain stopped play at Lord's on Monday. " +
		"The match will resume on Tuesday if the rain stops. Fans were given refunds."}}
	s := Summarize(a, Short)
	fmt.Println(s.Sentences)
	// Output: [Rain stopped play at Lord's on Monday.]
}
