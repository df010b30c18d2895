package summarize

// A ROUGE scorer following ../shared/eval/README.md (the convention of
// google-research rouge-score without stemming), and the evaluation of the
// summarizer on the BBC development split when it is present.

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// bbcDevDir is the evaluation data, relative to this package's directory.
// It is not part of the project: tests that need it skip without it.
var bbcDevDir = filepath.Join("..", "..", "..", "shared", "eval", "bbc-dev")

// rougeTokens lower-cases text and returns its runs of [a-z0-9].
func rougeTokens(text string) []string {
	var out []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for _, r := range text {
		for _, lr := range lowerFull(r) {
			if 'a' <= lr && lr <= 'z' || '0' <= lr && lr <= '9' {
				b.WriteRune(lr)
			} else {
				flush()
			}
		}
	}
	flush()
	return out
}

// lowerFull lower-cases r as Python's str.lower does for the cases that
// yield ASCII letters.
func lowerFull(r rune) []rune {
	if r == 'İ' {
		return []rune{'i', '\u0307'}
	}
	return []rune{unicode.ToLower(r)}
}

type rougeScores struct{ R1, R2, RL float64 }

func (s rougeScores) add(o rougeScores) rougeScores {
	return rougeScores{s.R1 + o.R1, s.R2 + o.R2, s.RL + o.RL}
}

func (s rougeScores) scale(k float64) rougeScores {
	return rougeScores{s.R1 * k, s.R2 * k, s.RL * k}
}

func f1(overlap, nHyp, nRef int) float64 {
	var p, r float64
	if nHyp > 0 {
		p = float64(overlap) / float64(nHyp)
	}
	if nRef > 0 {
		r = float64(overlap) / float64(nRef)
	}
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// rougeN is the ROUGE-N F1 of hyp against ref, n-grams counted with
// multiplicity.
func rougeN(hyp, ref []string, n int) float64 {
	grams := func(t []string) map[string]int {
		m := map[string]int{}
		for i := 0; i+n <= len(t); i++ {
			m[strings.Join(t[i:i+n], " ")]++
		}
		return m
	}
	h, r := grams(hyp), grams(ref)
	overlap, nh, nr := 0, 0, 0
	for g, c := range h {
		overlap += min(c, r[g])
		nh += c
	}
	for _, c := range r {
		nr += c
	}
	return f1(overlap, nh, nr)
}

// lcsIndices returns the indices into ref of one longest common subsequence
// of ref and cand, chosen as rouge.py chooses it.
func lcsIndices(ref, cand []string) []int {
	m, n := len(ref), len(cand)
	t := make([][]int, m+1)
	for i := range t {
		t[i] = make([]int, n+1)
	}
	for i := 1; i <= m; i++ {
		for j := 1; j <= n; j++ {
			if ref[i-1] == cand[j-1] {
				t[i][j] = t[i-1][j-1] + 1
			} else {
				t[i][j] = max(t[i-1][j], t[i][j-1])
			}
		}
	}
	var out []int
	for i, j := m, n; i > 0 && j > 0; {
		switch {
		case ref[i-1] == cand[j-1]:
			out = append(out, i-1)
			i, j = i-1, j-1
		case t[i][j-1] > t[i-1][j]:
			j--
		default:
			i--
		}
	}
	return out
}

// rougeLsum is the summary-level ROUGE-L F1: for each reference sentence,
// the union of its LCS hits against every hypothesis sentence, each token
// consumed at most as often as both sides hold it.
func rougeLsum(hypSents, refSents []string) float64 {
	tok := func(ss []string) [][]string {
		var out [][]string
		for _, s := range ss {
			if strings.TrimSpace(s) != "" {
				out = append(out, rougeTokens(s))
			}
		}
		return out
	}
	hyp, ref := tok(hypSents), tok(refSents)
	hypCount, refCount := map[string]int{}, map[string]int{}
	nHyp, nRef := 0, 0
	for _, s := range hyp {
		nHyp += len(s)
		for _, t := range s {
			hypCount[t]++
		}
	}
	for _, s := range ref {
		nRef += len(s)
		for _, t := range s {
			refCount[t]++
		}
	}
	if nHyp == 0 || nRef == 0 {
		return 0
	}
	hits := 0
	for _, r := range ref {
		union := map[int]bool{}
		for _, c := range hyp {
			for _, i := range lcsIndices(r, c) {
				union[i] = true
			}
		}
		idx := make([]int, 0, len(union))
		for i := range union {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			t := r[i]
			if hypCount[t] > 0 && refCount[t] > 0 {
				hits++
				hypCount[t]--
				refCount[t]--
			}
		}
	}
	return f1(hits, nHyp, nRef)
}

// rougeScore scores hypothesis sentences against reference sentences.
func rougeScore(hypSents, refSents []string) rougeScores {
	hyp := rougeTokens(strings.Join(hypSents, " "))
	ref := rougeTokens(strings.Join(refSents, " "))
	return rougeScores{rougeN(hyp, ref, 1), rougeN(hyp, ref, 2), rougeLsum(hypSents, refSents)}
}

// referenceSentences splits a BBC reference summary, whose sentences run
// together without spaces, where '.', '!' or '?' (optionally followed by
// '"') meets a capital letter or '"'.
func referenceSentences(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		out = append(out, referenceLineSentences(line)...)
	}
	return out
}

// referenceLineSentences splits one line of a reference.
func referenceLineSentences(text string) []string {
	text = strings.TrimSpace(text)
	isCap := func(i int) bool { return i < len(text) && 'A' <= text[i] && text[i] <= 'Z' }
	// lookahead reports whether `"?[A-Z]` matches at i.
	lookahead := func(i int) bool { return isCap(i) || i < len(text) && text[i] == '"' && isCap(i+1) }
	var out []string
	start := 0
	cutAt := func(i int) {
		if s := strings.TrimSpace(text[start:i]); s != "" {
			out = append(out, s)
		}
		start = i
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		switch {
		case i+1 < len(text) && text[i+1] == '"' && lookahead(i+2):
			cutAt(i + 2)
			i++
		case lookahead(i + 1):
			cutAt(i + 1)
		}
	}
	cutAt(len(text))
	return out
}

// pyAbbrev is the abbreviation list of rouge.py's article_sentences.
var pyAbbrev = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`mr mrs ms dr st prof sen rep gov gen lt col sgt capt jr sr inc co
		corp ltd vs no mt jan feb mar apr aug sep sept oct nov dec u.s u.k u.n e.g i.e a.m p.m`) {
		pyAbbrev[w] = true
	}
}

// pyArticleSentences splits an article body as rouge.py's
// article_sentences does (it gives the lead baseline its sentences).
func pyArticleSentences(body string) []string {
	var out []string
	isSpace := func(r rune) bool { return unicode.IsSpace(r) }
	for _, para := range strings.Split(body, "\n") {
		para = strings.TrimFunc(para, isSpace)
		start := 0
		for i := 0; i < len(para); i++ {
			c := para[i]
			if c != '.' && c != '!' && c != '?' {
				continue
			}
			// [.!?]["”')]*\s+(?=["“'(]?[A-Z0-9])
			j := i + 1
			for j < len(para) {
				r, size := utf8.DecodeRuneInString(para[j:])
				if r != '"' && r != '”' && r != '\'' && r != ')' {
					break
				}
				j += size
			}
			k := j
			for k < len(para) {
				r, size := utf8.DecodeRuneInString(para[k:])
				if !unicode.IsSpace(r) {
					break
				}
				k += size
			}
			if k == j || k == len(para) {
				continue
			}
			next := para[k:]
			r, size := utf8.DecodeRuneInString(next)
			if r == '"' || r == '“' || r == '\'' || r == '(' {
				r, _ = utf8.DecodeRuneInString(next[size:])
			}
			if !('A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
				continue
			}
			f := strings.FieldsFunc(para[start:i+1], isSpace)
			word := strings.ToLower(strings.TrimRight(f[len(f)-1], "."))
			if pyAbbrev[word] || utf8.RuneCountInString(word) == 1 && unicode.IsLetter([]rune(word)[0]) {
				i = k - 1
				continue
			}
			out = append(out, strings.TrimFunc(para[start:k], isSpace))
			start = k
			i = k - 1
		}
		if s := strings.TrimFunc(para[start:], isSpace); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cutWords keeps the sentences, in the order given, up to words words, as
// rouge_eval.py's cut does.
func cutWords(sents []string, words int) []string {
	var out []string
	left := words
	for _, s := range sents {
		if left <= 0 {
			break
		}
		w := strings.Fields(s)
		out = append(out, strings.Join(w[:min(left, len(w))], " "))
		left -= len(w)
	}
	return out
}

// evalDoc is one article of the evaluation data with its reference.
type evalDoc struct {
	name    string
	article Text
	lead    []string // the body's sentences as rouge.py splits them
	ref     []string
}

// loadEval reads the evaluation data in dir, skipping the test when it is
// absent.
func loadEval(tb testing.TB, dir string) []evalDoc {
	tb.Helper()
	names, err := os.ReadDir(filepath.Join(dir, "articles"))
	if err != nil {
		tb.Skipf("evaluation data not available: %v", err)
	}
	var docs []evalDoc
	for _, e := range names {
		data, err := os.ReadFile(filepath.Join(dir, "articles", e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		ref, err := os.ReadFile(filepath.Join(dir, "summaries", e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		a := parseText(data)
		text := latin1(data)
		lines := strings.Split(strings.TrimSpace(text), "\n")
		docs = append(docs, evalDoc{
			name:    e.Name(),
			article: a,
			lead:    pyArticleSentences(strings.Join(lines[1:], "\n")),
			ref:     referenceSentences(latin1(ref)),
		})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].name < docs[j].name })
	return docs
}

// latin1 decodes data as UTF-8, or as Latin-1 when it is not valid UTF-8,
// as rouge_eval.py reads files.
func latin1(data []byte) string {
	if utf8.Valid(data) {
		return string(data)
	}
	r := make([]rune, len(data))
	for i, c := range data {
		r[i] = rune(c)
	}
	return string(r)
}

// meanROUGE scores each document's hypothesis, cut at words words (none
// when words is 0), and returns the mean F1 x100.
func meanROUGE(docs []evalDoc, words int, hyp func(evalDoc) []string) rougeScores {
	var sum rougeScores
	for _, d := range docs {
		h := hyp(d)
		if words > 0 {
			h = cutWords(h, words)
		}
		sum = sum.add(rougeScore(h, d.ref))
	}
	return sum.scale(100 / float64(len(docs)))
}

// The lead baseline must match rouge_eval.py's published figures, which
// checks the scorer and the sentence splitting of rouge.py.
func TestROUGELeadMatchesReference(t *testing.T) {
	docs := loadEval(t, bbcDevDir)
	lead := meanROUGE(docs, 75, func(d evalDoc) []string { return d.lead })
	want := rougeScores{49.22, 39.66, 48.28}
	const tol = 0.05
	if abs(lead.R1-want.R1) > tol || abs(lead.R2-want.R2) > tol || abs(lead.RL-want.RL) > tol {
		t.Errorf("lead at 75 words = %.2f/%.2f/%.2f, rouge_eval.py gives %.2f/%.2f/%.2f",
			lead.R1, lead.R2, lead.RL, want.R1, want.R2, want.RL)
	}
	lead3 := meanROUGE(docs, 0, func(d evalDoc) []string { return d.lead[:min(3, len(d.lead))] })
	want3 := rougeScores{44.15, 36.06, 43.23}
	if abs(lead3.R1-want3.R1) > tol || abs(lead3.R2-want3.R2) > tol || abs(lead3.RL-want3.RL) > tol {
		t.Errorf("lead-3 = %.2f/%.2f/%.2f, rouge_eval.py gives %.2f/%.2f/%.2f",
			lead3.R1, lead3.R2, lead3.RL, want3.R1, want3.R2, want3.RL)
	}
}

// The same on cnn-dev, whole briefs: lead-3 and lead-1 as rouge_eval.py
// gives them.
func TestROUGELeadMatchesReferenceCNN(t *testing.T) {
	docs := loadEval(t, cnnDevDir)
	const tol = 0.05
	for _, c := range []struct {
		k    int
		want rougeScores
	}{{3, rougeScores{27.67, 10.73, 24.89}}, {1, rougeScores{23.17, 8.30, 19.86}}} {
		got := meanROUGE(docs, 0, func(d evalDoc) []string { return d.lead[:min(c.k, len(d.lead))] })
		if abs(got.R1-c.want.R1) > tol || abs(got.R2-c.want.R2) > tol || abs(got.RL-c.want.RL) > tol {
			t.Errorf("lead-%d = %.2f/%.2f/%.2f, rouge_eval.py gives %.2f/%.2f/%.2f",
				c.k, got.R1, got.R2, got.RL, c.want.R1, c.want.R2, c.want.RL)
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestRougeTokens(t *testing.T) {
	got := strings.Join(rougeTokens("The U.S. said £3.2m -- it's 10.30am!"), "|")
	want := "the|u|s|said|3|2m|it|s|10|30am"
	if got != want {
		t.Errorf("rougeTokens = %q, want %q", got, want)
	}
}

func TestRougeHandComputed(t *testing.T) {
	near := func(got, want float64) bool { return abs(got-want) < 1e-9 }
	// hyp: the cat sat on the mat (6 tokens); ref: the cat lay on the mat (6).
	// Unigrams in common: the x2, cat, on, mat = 5 -> P = R = F = 5/6.
	// Bigrams: hyp {the cat, cat sat, sat on, on the, the mat}, ref {the cat,
	// cat lay, lay on, on the, the mat}: 3 common of 5 -> 3/5.
	// LCS: the cat on the mat = 5 -> 5/6.
	s := rougeScore([]string{"The cat sat on the mat."}, []string{"The cat lay on the mat."})
	if !near(s.R1, 5.0/6) || !near(s.R2, 3.0/5) || !near(s.RL, 5.0/6) {
		t.Errorf("scores = %+v, want 5/6, 3/5, 5/6", s)
	}
	// Different lengths: hyp "a b" vs ref "a b c d": P=1, R=1/2, F=2/3;
	// bigrams: 1 common, hyp 1, ref 3: P=1, R=1/3, F=1/2.
	s = rougeScore([]string{"a b"}, []string{"a b c d"})
	if !near(s.R1, 2.0/3) || !near(s.R2, 0.5) || !near(s.RL, 2.0/3) {
		t.Errorf("scores = %+v, want 2/3, 1/2, 2/3", s)
	}
	// Union LCS over sentences: ref "a b c d" against hyp sentences "a b"
	// and "c d" hits all four ref tokens, though each hyp sentence alone
	// hits two. Hyp order within the summary does not matter for Lsum.
	if got := rougeLsum([]string{"c d", "a b"}, []string{"a b c d"}); !near(got, 1) {
		t.Errorf("union LCS = %v, want 1", got)
	}
	// Hits are consumed once: ref "a a" against hyp "a" gives 1 hit:
	// P = 1, R = 1/2.
	if got := rougeLsum([]string{"a"}, []string{"a a"}); !near(got, 2.0/3) {
		t.Errorf("consumed hits = %v, want 2/3", got)
	}
	// Nothing in common, and empty sides, score 0.
	if got := rougeScore([]string{"x y"}, []string{"a b"}); got != (rougeScores{}) {
		t.Errorf("disjoint = %+v", got)
	}
	if got := rougeScore(nil, []string{"a b"}); got != (rougeScores{}) {
		t.Errorf("empty hypothesis = %+v", got)
	}
}

func TestReferenceSentences(t *testing.T) {
	got := referenceSentences(`It rose 2.5%.Shares fell."We will win," he said.Next?"Yes!"No`)
	// As rouge.py splits it: a quote after the period stays with the
	// sentence before when a capital follows it.
	want := []string{"It rose 2.5%.", `Shares fell."`, `We will win," he said.`, `Next?"`, `Yes!"`, "No"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("referenceSentences = %q, want %q", got, want)
	}
}

func TestCutWords(t *testing.T) {
	got := cutWords([]string{"one two three", "four five", "six"}, 4)
	if strings.Join(got, "|") != "one two three|four" {
		t.Errorf("cutWords = %q", got)
	}
}
