package summarize

import (
	"strings"
	"testing"
	"unicode"
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
