package summarize

import (
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"plain", "It rained. Then it stopped! Did it? Yes.",
			[]string{"It rained.", "Then it stopped!", "Did it?", "Yes."}},
		{"titles", "Mr. Smith met Mrs. Jones and Dr. Who. Prof. Brown and St. Paul agreed.",
			[]string{"Mr. Smith met Mrs. Jones and Dr. Who.", "Prof. Brown and St. Paul agreed."}},
		{"countries", "Trade between the U.S. and the U.K. grew. It was fast.",
			[]string{"Trade between the U.S. and the U.K. grew.", "It was fast."}},
		{"months", "It opened on Jan. 5 and closed in Feb. It reopened.",
			[]string{"It opened on Jan. 5 and closed in Feb. It reopened."}},
		{"companies", "Acme Inc. Bought Widgets Ltd. And Foo Corp. Sold. Then it ended.",
			[]string{"Acme Inc. Bought Widgets Ltd. And Foo Corp. Sold.", "Then it ended."}},
		{"latin", "Fruit, e.g. Apples, and more, i.e. Pears, etc. Are fine. Chelsea vs. Arsenal ended 2-1.",
			[]string{"Fruit, e.g. Apples, and more, i.e. Pears, etc. Are fine.", "Chelsea vs. Arsenal ended 2-1."}},
		{"number abbreviation", "He lives at No. 10 Downing Street. He said no. Then he left.",
			[]string{"He lives at No. 10 Downing Street.", "He said no.", "Then he left."}},
		{"initials", "J. R. R. Tolkien wrote it. George W. Bush read it.",
			[]string{"J. R. R. Tolkien wrote it.", "George W. Bush read it."}},
		{"decimals and currency", "Profits rose to $1.13bn, up 2.5%. Sales hit £3.2m at 10.30am. Fine.",
			[]string{"Profits rose to $1.13bn, up 2.5%.", "Sales hit £3.2m at 10.30am.", "Fine."}},
		{"ellipsis", "He paused... Then he spoke. It was... fine… Really.",
			[]string{"He paused...", "Then he spoke.", "It was... fine…", "Really."}},
		{"quote ends", `"We will win." He said it twice.`,
			[]string{`"We will win."`, "He said it twice."}},
		{"quote continues", `"We will win," he said. "Will we?" she asked. "Yes!" He left.`,
			[]string{`"We will win," he said.`, `"Will we?" she asked.`, `"Yes!"`, "He left."}},
		{"curly quotes", "“It is over.” The end came. ‘Really?’ Yes.",
			[]string{"“It is over.”", "The end came.", "‘Really?’", "Yes."}},
		{"opening quote starts", `It ended. "Then what?" nobody asked.`,
			[]string{"It ended.", `"Then what?" nobody asked.`}},
		{"brackets", "It rose (by 5%.) Then fell. (It was late.) Fine.",
			[]string{"It rose (by 5%.)", "Then fell.", "(It was late.)", "Fine."}},
		{"digit starts", "Sales fell. 2004 was bad.",
			[]string{"Sales fell.", "2004 was bad."}},
		{"lower case continues", "The e.coli case and the etc. rule. Version 2. is out.",
			[]string{"The e.coli case and the etc. rule.", "Version 2. is out."}},
		{"ends with number", "The score was 3. The crowd left.",
			[]string{"The score was 3.", "The crowd left."}},
		{"no terminal", "A headline without a stop",
			[]string{"A headline without a stop"}},
		{"white space folded", "  One.\t  Two \n three.  ",
			[]string{"One.", "Two three."}},
		{"quotation of two sentences", `He said: "We will win. We are strong," and left. Then it ended.`,
			[]string{`He said: "We will win. We are strong," and left.`, "Then it ended."}},
		{"quotation of three sentences", `"First part. Second part! Third part?" she asked. Later, he left.`,
			[]string{`"First part. Second part! Third part?" she asked.`, "Later, he left."}},
		{"curly quotation of two sentences", "“It is over. We lost,” he said. The end came.",
			[]string{"“It is over. We lost,” he said.", "The end came."}},
		{"spaced closing quote", `"I say, 'What's gone on in your life?' " The result is a book.`,
			[]string{`"I say, 'What's gone on in your life?' "`, "The result is a book."}},
		{"abbreviation in a quotation", `The NBC drama "L.A. Law" ran for years. It ended in 1994.`,
			[]string{`The NBC drama "L.A. Law" ran for years.`, "It ended in 1994."}},
		{"unclosed quotation splits as usual", `He said "we will win. Then he left. It ended.`,
			[]string{`He said "we will win.`, "Then he left.", "It ended."}},
		{"inch mark", `The pipe is 6" wide. The "Quote." Next one.`,
			[]string{`The pipe is 6" wide.`, `The "Quote."`, "Next one."}},
		{"names and places", "Gov. Jerry Brown met Sen. Ted Cruz in L.A. on Jan. 5 and the U.S. Senate voted. J. K. Rowling came. No. 5 won.",
			[]string{"Gov. Jerry Brown met Sen. Ted Cruz in L.A. on Jan. 5 and the U.S. Senate voted.", "J. K. Rowling came.", "No. 5 won."}},
		{"only punctuation", " ... ", []string{"..."}},
		{"empty", "   ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SplitSentences(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
				t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

// nonSpace returns s without its white space.
func nonSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

func FuzzSplitSentences(f *testing.F) {
	for _, s := range []string{
		"It rained. Then it stopped! Did it? Yes.",
		"Mr. Smith met Dr. Who in the U.S. on Jan. 5. He left.",
		`"We will win." He said. "Will we?" she asked.`,
		"Profits rose to $1.13bn, up 2.5%. Sales hit £3.2m at 10.30am.",
		"He paused... Then… “Quoted.” ‘Single?’ (Bracket.) Done",
		"J. R. R. Tolkien. No. 10. no. A",
		". . .", "?\" A", "\u00a0.\u00a0A", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SplitSentences(s)
		for i, sent := range got {
			if strings.TrimSpace(sent) == "" {
				t.Fatalf("sentence %d of %q is empty: %q", i, s, got)
			}
			if sent != strings.TrimSpace(sent) || sent != FoldSpace(sent) {
				t.Fatalf("sentence %d of %q is not trimmed and folded: %q", i, s, sent)
			}
		}
		if a, b := nonSpace(strings.Join(got, "")), nonSpace(s); a != b {
			t.Fatalf("sentences of %q lose or change text:\n got %q\nwant %q", s, a, b)
		}
	})
}

// Text split into sentences by another program, one a line, comes cut
// inside quotations and at abbreviations; Summarize reads such lines as one
// paragraph.
func TestJoinedParagraphs(t *testing.T) {
	tests := []struct {
		name  string
		paras []string
		want  []string
	}{
		{"quotation over lines", []string{
			`"I know this journey is bigger than all of us.`,
			`I also know I'm just the messenger," she wrote.`,
			"CNN cannot verify the page.",
		}, []string{
			`"I know this journey is bigger than all of us. I also know I'm just the messenger," she wrote.`,
			"CNN cannot verify the page.",
		}},
		{"spaced closing quote over lines", []string{
			`"She didn't say anything about why.`,
			`She just said 'hold the bucket,' " the principal told KWCH.`,
		}, []string{
			`"She didn't say anything about why. She just said 'hold the bucket,' " the principal told KWCH.`,
		}},
		{"quotation opened again in each paragraph", []string{
			`Watson said: "Gender equality has been a woman's movement.`,
			`"And how it's affecting men hasn't been addressed," she told him.`,
			"The speech was watched by millions.",
		}, []string{
			`Watson said: "Gender equality has been a woman's movement. "And how it's affecting men hasn't been addressed," she told him.`,
			"The speech was watched by millions.",
		}},
		{"quotation never closed", []string{
			`He said "we will win.`, "Then he left.", "It ended.",
		}, []string{`He said "we will win.`, "Then he left.", "It ended."}},
		{"abbreviation in a quotation over lines", []string{
			`The brick bears the words "U.S.`, `Marines."`, "It was laid in 2015.",
		}, []string{`The brick bears the words "U.S. Marines."`, "It was laid in 2015."}},
		{"title", []string{"(CNN)Gov.", "Mike Pence signed the bill on Thursday.", "It was law."},
			[]string{"Gov. Mike Pence signed the bill on Thursday.", "It was law."}},
		{"initials", []string{"Harry Potter author J.K.", "Rowling has a message for you.", "Read it."},
			[]string{"Harry Potter author J.K. Rowling has a message for you.", "Read it."}},
		{"single initial", []string{`"G.`, `Wayne Griffin was born to fly," he said.`},
			[]string{`"G. Wayne Griffin was born to fly," he said.`}},
		{"place alone", []string{"(CNN)U.S.", "Secretary of State John Kerry said Saturday that talks went on."},
			[]string{"U.S. Secretary of State John Kerry said Saturday that talks went on."}},
		{"place ends a sentence", []string{"Sales rose in the U.S.", "Analysts were surprised."},
			[]string{"Sales rose in the U.S.", "Analysts were surprised."}},
		{"number", []string{"The bill is No.", "5 on the list."}, []string{"The bill is No. 5 on the list."}},
		{"not before a function word", []string{"They called it Plan B.", "The plan failed."},
			[]string{"They called it Plan B.", "The plan failed."}},
		{"company", []string{"Producer Warner Bros.", "Television released the photos."},
			[]string{"Producer Warner Bros. Television released the photos."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d doc
			d.analyze(Text{Title: "T", Paragraphs: tt.paras})
			var got []string
			for _, s := range d.sents {
				got = append(got, s.text)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("sentences of %q\n got %q\nwant %q", tt.paras, got, tt.want)
			}
		})
	}
}

// A quotation that runs over sentences is in a brief whole or not at all.
func TestBriefQuotationsWhole(t *testing.T) {
	a := Text{Title: "Pastor dies", Paragraphs: []string{
		"(CNN)Robert Schuller, the pastor who built the Crystal Cathedral, died on Thursday at 88.",
		"Schuller preached on the Hour of Power for decades, reaching millions of viewers each week.",
		`"He was a great Dad.`,
		`He was a great man of God," said his daughter-in-law, who visited the Crystal Cathedral pastor each week.`,
		`"I know he is with God now.`,
		`He built the Crystal Cathedral for all of us.`,
		`We will miss the Hour of Power," she said.`,
		"The Crystal Cathedral was sold to the Catholic Church in 2012.",
	}}
	for _, l := range []Length{Short, Standard, Long, {Words: 30}, {Words: 75}} {
		for _, s := range Summarize(a, l).Sentences {
			if unbalancedQuote(s) {
				t.Errorf("%+v: %q has an unbalanced quotation", l, s)
			}
		}
	}
}

// unbalancedQuote reports whether s has an odd number of straight double
// quotes, or not as many opening curly ones as closing ones.
func unbalancedQuote(s string) bool {
	return strings.Count(s, `"`)%2 == 1 || strings.Count(s, "“") != strings.Count(s, "”")
}

func TestCutAtAbbreviation(t *testing.T) {
	for _, tt := range []struct {
		p, next string
		want    bool
	}{
		{"(CNN)The Rev.", "Fred Craddock preached.", true},
		{"said the Rev.", "Thomas Long, a friend.", true},
		{"worked for President George H.W.", "Bush, said that.", true},
		{"tweets T.G.", "Shuck.", true},
		{"ex-Sen.", "Norm Coleman of Minnesota.", true},
		{"Veterans Act of 2015 (S.", "207) would require it.", true},
		{"It opened Jan.", "5 with a party.", true},
		{"It opened in Jan.", "The crowd came.", false},
		{"He said no.", "5 people came.", false},
		{"He lives in the U.S.", "Analysts said so.", false},
		{"(CNN)U.S.", "District Judge Terrence Berg is recovering.", true},
		{"It was 10 a.m.", "Police came.", false},
		{"They met Mr.", "smith.", false},
		{"They met Mr", "Smith.", false},
		{"It ended.", "Then it began.", false},
	} {
		if got := cutAtAbbreviation(tt.p, tt.next); got != tt.want {
			t.Errorf("cutAtAbbreviation(%q, %q) = %v, want %v", tt.p, tt.next, got, tt.want)
		}
	}
}

// endsInsideAbbreviation reports whether the sentence s ends with a word
// that cannot end a sentence: a title (Gov., Rev., Mr.), initials (J., J.K.),
// "No." or a month's abbreviation, or whether it is only an abbreviation
// (U.S.).
func endsInsideAbbreviation(s string) bool {
	s = strings.TrimRight(s, `"”’')`)
	if !strings.HasSuffix(s, ".") {
		return false
	}
	words := strings.Fields(s)
	w := strings.TrimLeft(words[len(words)-1], `"“‘'(`)
	w = w[strings.LastIndexAny(w, ")-")+1:]
	w = strings.TrimSuffix(w, ".")
	if w == "No" {
		return true // No. 5; "yes and no." ends a sentence
	}
	switch strings.ToLower(w) {
	case "mr", "mrs", "ms", "dr", "rev", "gov", "sen", "rep", "gen", "lt", "col", "sgt", "capt",
		"prof", "jan", "feb", "aug", "sept", "oct", "nov", "dec", "bros", "a.k.a":
		return true
	}
	if len(w) == 1 && unicode.IsUpper(rune(w[0])) {
		return true // J.
	}
	if len(words) == 1 && strings.Contains(w, ".") {
		return true // U.S. alone
	}
	// Initials: J.K, H.W (not a place: U.S, L.A, U.K, D.C).
	if len(w) == 3 && w[1] == '.' && unicode.IsUpper(rune(w[0])) && unicode.IsUpper(rune(w[2])) {
		switch w {
		case "U.S", "U.K", "U.N", "L.A", "D.C", "E.U", "N.Y":
			return false
		}
		return true
	}
	return false
}

// openQuotation reports whether a quotation of s is left open or closes
// without opening, reading a straight double quote after a space or a
// bracket and before a word as opening, else as closing, and an opening
// one inside an open quotation as going on with it (as news writes a
// quotation of several paragraphs: `He said: "One. "Two."`).
func openQuotation(s string) bool {
	open := false
	for i, r := range s {
		switch r {
		case '"':
			before, after := ' ', ' '
			if i > 0 {
				before, _ = utf8.DecodeLastRuneInString(s[:i])
			}
			if i+1 < len(s) {
				after, _ = utf8.DecodeRuneInString(s[i+1:])
			}
			if (unicode.IsSpace(before) || before == '(') && !unicode.IsSpace(after) {
				open = true
				continue
			}
			fallthrough
		case '”':
			if !open {
				return true
			}
			open = false
		case '“':
			open = true
		}
	}
	return open
}

// On the evaluation data, 3-sentence briefs show whole quotations and end no
// sentence inside an abbreviation. On cnn-dev at most 0.3% of their
// sentences have an odd number of quotation marks; on both sets at most
// 0.3% leave a quotation open or close one they did not open.
func TestEvalSentencesWhole(t *testing.T) {
	for _, dir := range []string{cnnDevDir, bbcDevDir} {
		docs := loadEval(t, dir)
		total, odd, unbalanced, abbrev := 0, 0, 0, 0
		for _, e := range docs {
			for _, s := range Summarize(e.article, Standard).Sentences {
				total++
				if unbalancedQuote(s) {
					odd++
				}
				if openQuotation(s) {
					unbalanced++
					t.Logf("%s: unbalanced quotation: %s", e.name, s)
				}
				if endsInsideAbbreviation(s) {
					abbrev++
					t.Errorf("%s: ends inside an abbreviation: %s", e.name, s)
				}
			}
		}
		share, oddShare := 100*float64(unbalanced)/float64(total), 100*float64(odd)/float64(total)
		t.Logf("%s: of %d sentences of 3-sentence briefs, %d (%.2f%%) have an odd number of quotation marks, %d (%.2f%%) an unbalanced quotation; %d end inside an abbreviation",
			filepath.Base(dir), total, odd, oddShare, unbalanced, share, abbrev)
		if share > 0.3 {
			t.Errorf("%s: %.2f%% of brief sentences have an unbalanced quotation, want at most 0.3%%", filepath.Base(dir), share)
		}
		if dir == cnnDevDir && oddShare > 0.3 {
			t.Errorf("%s: %.2f%% of brief sentences have an odd number of quotation marks, want at most 0.3%%", filepath.Base(dir), oddShare)
		}
	}
}

func TestOpenQuotation(t *testing.T) {
	for s, want := range map[string]bool{
		`He said: "We won." Then he left.`: false, `He said: "One. "Two," he said.`: false,
		`We lost," he said.`: true, `He said: "We lost.`: true, "“Over,” he said.": false,
		"He said: “Over.": true, `It is 6" wide`: true, `No quotation.`: false,
	} {
		if got := openQuotation(s); got != want {
			t.Errorf("openQuotation(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestEndsInsideAbbreviation(t *testing.T) {
	for s, want := range map[string]bool{
		"It was made by the Rev.": true, `the slick drama "L.A.`: false, "(CNN)Gov.": true,
		"author J.K.": true, "by George W.": true, "U.S.": true, "Sales rose in the U.S.": false,
		"It ended.": false, "It is No.": true, "He said so.": false, "Yes and no.": false,
	} {
		if got := endsInsideAbbreviation(s); got != want {
			t.Errorf("endsInsideAbbreviation(%q) = %v, want %v", s, got, want)
		}
	}
}
