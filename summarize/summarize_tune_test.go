package summarize

// Fitting and cross-validating the summarizer's model on the BBC
// development split. Run with
//
//	BRIEFS_TUNE=1 go test ./briefs -run TestTune -v
//
// It fits the feature weights by logistic regression on which sentences
// the reference summaries hold, picks the budget threshold by ROUGE, and
// reports k-fold cross-validated ROUGE (fit on k-1 folds, scored on the
// other) beside the figures of defaultModel.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
)

type tuneDoc struct {
	evalDoc
	x      []float64 // features, numFeatures per sentence
	labels []float64
	raw    string // the reference as one string
}

func loadTune(t *testing.T) []tuneDoc {
	if os.Getenv("BRIEFS_TUNE") == "" {
		t.Skip("set BRIEFS_TUNE=1 to fit the model")
	}
	docs := loadEval(t, bbcDevDir)
	out := make([]tuneDoc, len(docs))
	for i, e := range docs {
		var d doc
		d.analyze(e.article)
		td := tuneDoc{evalDoc: e, raw: strings.Join(e.ref, "")}
		td.x = make([]float64, len(d.sents)*numFeatures)
		d.features(td.x)
		for _, s := range d.sents {
			l := 0.0
			if strings.Contains(td.raw, s.text) {
				l = 1
			}
			td.labels = append(td.labels, l)
		}
		out[i] = td
	}
	return out
}

// fitLogistic fits weights by Newton's method with a small L2 penalty.
func fitLogistic(docs []tuneDoc, mask [numFeatures]bool) [numFeatures]float64 {
	var w [numFeatures]float64
	const lambda = 1.0
	for range 25 {
		var g [numFeatures]float64
		var h [numFeatures][numFeatures]float64
		for _, d := range docs {
			for i, y := range d.labels {
				x := d.x[i*numFeatures : (i+1)*numFeatures]
				z := 0.0
				for k := range w {
					if mask[k] {
						z += w[k] * x[k]
					}
				}
				p := 1 / (1 + math.Exp(-z))
				for a := range w {
					if !mask[a] {
						continue
					}
					g[a] += (p - y) * x[a]
					for b := range w {
						if mask[b] {
							h[a][b] += p * (1 - p) * x[a] * x[b]
						}
					}
				}
			}
		}
		for a := range w {
			if mask[a] {
				g[a] += lambda * w[a]
				h[a][a] += lambda
			} else {
				h[a][a] = 1
			}
		}
		step := solve(h, g)
		for a := range w {
			w[a] -= step[a]
		}
	}
	return w
}

// solve solves h x = g by Gaussian elimination.
func solve(h [numFeatures][numFeatures]float64, g [numFeatures]float64) [numFeatures]float64 {
	const n = numFeatures
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < n; r++ {
			f := h[r][c] / h[c][c]
			for k := c; k < n; k++ {
				h[r][k] -= f * h[c][k]
			}
			g[r] -= f * g[c]
		}
	}
	var x [numFeatures]float64
	for r := n - 1; r >= 0; r-- {
		s := g[r]
		for k := r + 1; k < n; k++ {
			s -= h[r][k] * x[k]
		}
		x[r] = s / h[r][r]
	}
	return x
}

func tuneROUGE(docs []tuneDoc, m *model) rougeScores {
	var sum rougeScores
	for _, d := range docs {
		h := cutWords(summarizeWith(d.article, Length{Words: 75}, m).Sentences, 75)
		sum = sum.add(rougeScore(h, d.ref))
	}
	return sum.scale(100 / float64(len(docs)))
}

func (s rougeScores) mean() float64 { return (s.R1 + s.R2 + s.RL) / 3 }

// fitModel fits weights on docs and picks the threshold by ROUGE.
func fitModel(docs []tuneDoc, mask [numFeatures]bool) model {
	m := defaultModel
	m.w = fitLogistic(docs, mask)
	best := -1.0
	for _, th := range []float64{0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6} {
		m2 := m
		m2.threshold = th
		if s := tuneROUGE(docs, &m2).mean(); s > best {
			best, m.threshold = s, th
		}
	}
	return m
}

func allFeatures() [numFeatures]bool {
	var mask [numFeatures]bool
	for i := range mask {
		mask[i] = true
	}
	return mask
}

func crossValidate(t *testing.T, docs []tuneDoc, k int, mask [numFeatures]bool) rougeScores {
	var sum rougeScores
	for f := range k {
		var train, test []tuneDoc
		for i, d := range docs {
			if i%k == f {
				test = append(test, d)
			} else {
				train = append(train, d)
			}
		}
		m := fitModel(train, mask)
		s := tuneROUGE(test, &m)
		t.Logf("fold %d/%d: %.2f/%.2f/%.2f (threshold %.2f)", f+1, k, s.R1, s.R2, s.RL, m.threshold)
		sum = sum.add(s.scale(float64(len(test))))
	}
	return sum.scale(1 / float64(len(docs)))
}

func TestTune(t *testing.T) {
	docs := loadTune(t)
	mask := allFeatures()
	if env := os.Getenv("BRIEFS_TUNE_DROP"); env != "" {
		for _, name := range strings.Split(env, ",") {
			for i, n := range featureNames {
				if n == name {
					mask[i] = false
				}
			}
		}
	}
	m := fitModel(docs, mask)
	t.Logf("fitted on all %d articles: threshold %.2f", len(docs), m.threshold)
	var b strings.Builder
	for i, w := range m.w {
		if mask[i] {
			b.WriteString(featureNames[i] + ": " + ftoa(w) + ", ")
		}
	}
	t.Logf("weights %s", b.String())
	s := tuneROUGE(docs, &m)
	t.Logf("fitted model on all: %.2f/%.2f/%.2f", s.R1, s.R2, s.RL)
	d := tuneROUGE(docs, &defaultModel)
	t.Logf("defaultModel on all: %.2f/%.2f/%.2f", d.R1, d.R2, d.RL)
	for _, k := range []int{2, 5} {
		cv := crossValidate(t, docs, k, mask)
		t.Logf("%d-fold cross-validated: %.2f/%.2f/%.2f", k, cv.R1, cv.R2, cv.RL)
	}
}

func ftoa(f float64) string { return fmt.Sprintf("%.3f", f) }

// TestTuneTextRankAgreement reports how often the best 40% of sentences by
// TextRank are exactly the reference's sentences.
func TestTuneTextRankAgreement(t *testing.T) {
	docs := loadTune(t)
	exact, prec, n := 0, 0.0, 0
	for _, d := range docs {
		same := true
		hit, top := 0.0, 0.0
		for i, y := range d.labels {
			tr := d.x[i*numFeatures+fTRTop]
			if (tr == 1) != (y == 1) {
				same = false
			}
			if tr == 1 {
				top++
				hit += y
			}
		}
		if same {
			exact++
		}
		prec += hit / top
		n++
	}
	t.Logf("TextRank top 40%% = reference in %d of %d articles; mean precision %.3f", exact, n, prec/float64(n))
}

// TestTuneWriteJSONL writes the summaries at 75 words as JSON lines to the
// file named by BRIEFS_JSONL, for rouge_eval.py to cross-check:
//
//	BRIEFS_JSONL=$PWD/out.jsonl go test ./briefs -run TestTuneWriteJSONL
//	python3 ../shared/eval/rouge_eval.py ../shared/eval/bbc-dev out.jsonl 75
func TestTuneWriteJSONL(t *testing.T) {
	out := os.Getenv("BRIEFS_JSONL")
	if out == "" {
		t.Skip("set BRIEFS_JSONL to a file to write")
	}
	var b strings.Builder
	for _, d := range loadEval(t, bbcDevDir) {
		line, err := json.Marshal(map[string]any{
			"file":    "articles/" + d.name,
			"summary": Summarize(d.article, Length{Words: 75}).Sentences,
		})
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
