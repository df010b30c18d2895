package summarize

// Fitting the summarizer's model, and its figures on the evaluation data.
//
// The model is fitted on both development sets, so that one model serves
// both kinds of news: cnn-dev (CNN stories with their editors' highlights:
// what a reader wants first) and bbc-dev (BBC articles with references
// extracted from across the article).
//
// First the word model: a logistic regression of whether the reference
// uses each content word of an article (its count, spread, first position,
// title, lede, capitals…), each article weighing the same, a cnn-dev one
// cnnWeight times more. Its weights feed sentence features (the expected
// reference words a sentence holds, and their share of its words).
//
// Then each sentence gets a label: for cnn-dev, half its own ROUGE against
// the highlights (R-1 and, counted twice, R-2 F1, scaled so the article's
// best sentence is 1) and half whether a greedy oracle picks it; for
// bbc-dev, the share of its words in sentences the reference holds (a
// quotation of several sentences is one unit). Two scorers are fitted to
// order each article's sentences as their labels do (pairwise logistic
// loss, a pair weighing as its labels differ; each article weighs the
// same, a cnn-dev article cnnWeight times more): a linear one (Newton's
// method, an L2 penalty) and gradient-boosted oblivious trees
// (boost_test.go). Each is scaled into probabilities on
// bbc-dev's labels, and the model averages their log-odds. Last, the
// picking settings are searched on the training articles: the lead bonus,
// redundancy and word cost by ROUGE of cnn-dev's 1- and 3-sentence briefs,
// the word-budget threshold by ROUGE of bbc-dev's 75-word briefs. Last,
// for briefs of two or three sentences, boosted trees (squared loss) learn
// each cnn-dev sentence's gain: how many of its word pairs the highlights
// hold; the settings of the search for the best set of sentences (see
// model) are searched on the training articles, each with the gains of
// trees fitted without it (fitSets).
//
//	go test ./summarize -run 'TestROUGE$' -v   the figures of defaultModel
//	go test ./summarize -run TestFit -v        refit; compare with defaultModel
//	go test ./summarize -run TestFit -update   refit and write model.go
//	NEWSBRIEF_CV=1 go test ./summarize -run TestCrossValidate -v
//
// TestFit fails when the committed model is not what the fitting gives.

import (
	"flag"
	"fmt"
	"go/format"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// cnnDevDir is the CNN evaluation data, relative to this package.
var cnnDevDir = filepath.Join("..", "..", "..", "shared", "eval", "cnn-dev")

// fitDoc is an evaluation article with its features and labels.
type fitDoc struct {
	evalDoc
	cnn    bool
	x      []float64 // numFeatures per sentence
	y      []float64 // label per sentence
	cand   []bool
	weight float64                   // of each sentence in the fit
	d      *doc                      // the article analyzed, kept to brief it under many models
	xw     *[numWordFeatures]float64 // the word model x was computed with
	wx     []float64                 // numWordFeatures per content word of the article
	wy     []float64                 // 1 if the reference uses the word, else 0
	gain   []float64                 // per sentence: how many of its word pairs the reference holds
	scored map[string]rougeScores
}

// score returns the ROUGE of a brief of the article, remembering it: the
// search over a model's settings makes the same briefs again and again.
func (fd *fitDoc) score(brief []string) rougeScores {
	key := strings.Join(brief, "\x00")
	if r, ok := fd.scored[key]; ok {
		return r
	}
	r := rougeScore(brief, fd.ref)
	if fd.scored == nil {
		fd.scored = map[string]rougeScores{}
	}
	fd.scored[key] = r
	return r
}

// brief returns the article's brief under m: what Summarize gives, without
// analyzing the article again.
func (fd *fitDoc) brief(l Length, m *model) []string {
	if len(fd.d.sents) == 0 {
		return nil
	}
	fd.useWords(&m.words)
	return fd.d.brief(fd.d.weigh(fd.x, m), fd.x, l, m)
}

// useWords computes the article's features again when the word model ww
// is not the one they were computed with.
func (fd *fitDoc) useWords(ww *[numWordFeatures]float64) {
	if *fd.xw != *ww {
		*fd.xw = *ww
		fd.d.features(fd.x, fd.xw)
	}
}

// fitWords fits the word model to the articles' words: logistic regression
// (Newton's method, an L2 penalty) of whether the reference uses each
// content word, each article weighing the same, a cnn-dev one cnnWeight
// times more.
func fitWords(docs []fitDoc) [numWordFeatures]float64 {
	const dim = numWordFeatures
	var w [dim]float64
	for range 15 {
		var g [dim]float64
		var h [dim][dim]float64
		for _, d := range docs {
			n := len(d.wy)
			if n == 0 {
				continue
			}
			dw := 1 / float64(n)
			if d.cnn {
				dw *= cnnWeight
			}
			for i, y := range d.wy {
				x := d.wx[i*dim : (i+1)*dim]
				z := 0.0
				for k := range w {
					z += w[k] * x[k]
				}
				p := 1 / (1 + math.Exp(-z))
				for a := range dim {
					g[a] += dw * (p - y) * x[a]
					for b := range dim {
						h[a][b] += dw * p * (1 - p) * x[a] * x[b]
					}
				}
			}
		}
		hs := make([][]float64, dim)
		for a := range dim {
			g[a] += 1e-3 * w[a]
			h[a][a] += 1e-3
			hs[a] = h[a][:]
		}
		step := solve(hs, g[:])
		for a := range w {
			w[a] -= step[a]
		}
	}
	for k := range w {
		w[k] = roundTo(w[k], 4)
	}
	return w
}

func loadFit(tb testing.TB) (cnn, bbc []fitDoc) {
	tb.Helper()
	load := func(dir string, isCNN bool) []fitDoc {
		var out []fitDoc
		for _, e := range loadEval(tb, dir) {
			out = append(out, newFitDoc(e, isCNN))
		}
		return out
	}
	return load(cnnDevDir, true), load(bbcDevDir, false)
}

// newFitDoc analyzes the evaluation article e and labels its sentences.
func newFitDoc(e evalDoc, isCNN bool) fitDoc {
	d := new(doc)
	d.analyze(e.article)
	fd := fitDoc{evalDoc: e, cnn: isCNN, d: d, xw: new([numWordFeatures]float64)}
	fd.x = make([]float64, len(d.sents)*numFeatures)
	*fd.xw = defaultModel.words
	d.features(fd.x, fd.xw)
	refWords := map[string]bool{}
	for _, w := range rougeTokens(strings.Join(e.ref, " ")) {
		refWords[w] = true
	}
	var wf [numWordFeatures]float64
	for id := range d.terms {
		t := &d.terms[id]
		if t.stop || t.tf == 0 {
			continue
		}
		wordFeatures(t, d.nCand, &wf)
		fd.wx = append(fd.wx, wf[:]...)
		used := 1.0
		for _, w := range rougeTokens(t.surface) {
			if !refWords[w] {
				used = 0
			}
		}
		fd.wy = append(fd.wy, used)
	}
	raw := strings.Join(e.ref, "")
	refPairs := wordPairs(rougeTokens(strings.Join(e.ref, " ")))
	best, nCand := 0.0, 0
	for _, s := range d.sents {
		fd.gain = append(fd.gain, float64(pairHits(s.text, refPairs)))
		y := 0.0
		switch {
		case !s.cand:
		case isCNN:
			y = sentenceLabel(s.text, e.ref)
		default:
			y = referenceShare(s.text, raw)
		}
		best = max(best, y)
		fd.y = append(fd.y, y)
		fd.cand = append(fd.cand, s.cand)
		if s.cand {
			nCand++
		}
	}
	if isCNN && best > 0 {
		oracle := greedyOracle(d.sents, e.ref)
		for i := range fd.y {
			fd.y[i] = (1-oracleShare)*fd.y[i]/best + oracleShare*b2f(oracle[i])
		}
	}
	if nCand > 0 {
		fd.weight = 1 / float64(nCand)
		if isCNN {
			fd.weight *= cnnWeight
		}
	}
	return fd
}

// wordPairs counts the word pairs (bigrams) of tokens.
func wordPairs(tokens []string) map[[2]string]int {
	m := map[[2]string]int{}
	for i := 1; i < len(tokens); i++ {
		m[[2]string{tokens[i-1], tokens[i]}]++
	}
	return m
}

// pairHits is how many of text's word pairs ref holds, a pair counting at
// most as often as ref has it (ROUGE-2's overlap).
func pairHits(text string, ref map[[2]string]int) int {
	hits := 0
	for p, n := range wordPairs(rougeTokens(text)) {
		hits += min(n, ref[p])
	}
	return hits
}

// withoutLede returns the articles without their first paragraph, which
// for cnn-dev is the lede: a test of whether a brief finds the main event
// where the first sentence is not a lede, as in news sets whose summaries
// were written from the lede.
func withoutLede(docs []fitDoc) []fitDoc {
	var out []fitDoc
	for _, fd := range docs {
		e := fd.evalDoc
		if len(e.article.Paragraphs) < 3 {
			continue
		}
		e.article.Paragraphs = e.article.Paragraphs[1:]
		e.lead = pyArticleSentences(strings.Join(e.article.Paragraphs, "\n"))
		out = append(out, newFitDoc(e, fd.cnn))
	}
	return out
}

// referenceShare is the share of the words of text (a sentence, or a
// quotation of several read as one) in sentences that the extracted
// reference raw holds.
func referenceShare(text, raw string) float64 {
	parts := pyArticleSentences(text)
	in, all := 0, 0
	for _, p := range parts {
		n := len(strings.Fields(p))
		all += n
		if strings.Contains(raw, p) {
			in += n
		}
	}
	if all == 0 {
		return 0
	}
	return float64(in) / float64(all)
}

// sentenceLabel is how much of the reference ref the sentence holds: its
// ROUGE-1 and, counted twice, ROUGE-2 F1.
func sentenceLabel(text string, ref []string) float64 {
	r := rougeScore([]string{text}, ref)
	return (r.R1 + 2*r.R2) / 3
}

// oracleShare is the weight of the greedy oracle's choice in a cnn-dev
// sentence's label; the rest is its own ROUGE.
const oracleShare = 0.5

// greedyOracle picks, one by one, the sentences that most raise the ROUGE
// of the picks against ref, up to three, while the ROUGE rises.
func greedyOracle(sents []sentence, ref []string) []bool {
	pick := make([]bool, len(sents))
	var chosen []string
	cur := 0.0
	for range 3 {
		best, bestV := -1, cur
		for i, s := range sents {
			if pick[i] || !s.cand {
				continue
			}
			r := rougeScore(append(slices.Clip(chosen), s.text), ref)
			if v := r.R1 + r.R2; v > bestV {
				best, bestV = i, v
			}
		}
		if best < 0 {
			break
		}
		pick[best] = true
		chosen = append(chosen, sents[best].text)
		cur = bestV
	}
	return pick
}

// pairGap is how much two labels must differ for their sentences to make a
// pair; pairLambda is the L2 penalty of the pairwise fit. Held out, a
// penalty of 0.5 or 2 read cnn-dev's standard briefs 0.2 to 0.3 ROUGE-1
// worse than 0.1 does, 0.02 no better.
const pairGap, pairLambda = 0.2, 0.1

// pairWeights sets the weights of an article's pairs: each as its two
// labels differ, so that a pair of the article's best sentence and a poor
// one counts more than a pair of two middling ones, the article's weights
// summing to 1, or cnnWeight for a cnn-dev article. Held out, against
// weighing each pair the same, cnn-dev's standard briefs gain 0.2 ROUGE-2
// and bbc-dev's lose 0.1; weighing as the labels' difference squared, or
// by how near the top of the article's order the pair stands (LambdaRank's
// discount), is no better on cnn-dev, and the discount reads bbc-dev 2
// points worse.
func pairWeights(d *fitDoc, n int, pair func(k int) (i, j int, w *float64)) {
	sum := 0.0
	for k := range n {
		i, j, w := pair(k)
		*w = d.y[i] - d.y[j]
		sum += *w
	}
	scale := 1 / sum
	if d.cnn {
		scale *= cnnWeight
	}
	for k := range n {
		_, _, w := pair(k)
		*w *= scale
	}
}

// cnnWeight is how much more a cnn-dev article weighs in the fit than a
// bbc-dev one. Their references ask for different things (the lede; long
// central sentences). Held out (5-fold, R-1/R-2/R-Lsum), with the pairs
// weighed by their labels' difference and pairLambda 0.5: at 3 cnn-dev's
// standard briefs score 29.78/11.63/26.63 and bbc-dev's 61.61/57.75/61.31;
// at 4, 29.88/11.51/26.67 and 61.31/57.31/60.98; at 5, 30.19/11.74/26.98
// and 61.04/56.96/60.71. At 3 bbc-dev's beat LexRank by 5 on all three,
// which 4 and 5 miss, and cnn-dev's lose no ROUGE-2. With cnn-dev alone
// (bbc-dev weighing next to nothing) cnn-dev's own briefs read worse,
// 28.71/11.08/25.79: the other set's articles teach the model too.
const cnnWeight = 3.0

// fitPairwise fits the feature weights to order each article's sentences
// as their labels do: logistic loss on the difference of two sentences'
// features, for every pair of an article whose labels differ by more than
// pairGap, weighed by pairWeights. Then a scale and an intercept
// turn the scores into probabilities, fitted on bbc-dev's labels, which say
// whether a sentence belongs in a summary.
func fitPairwise(docs []fitDoc) [numFeatures]float64 {
	type pair struct {
		d    *fitDoc
		i, j int // y[i] > y[j]
		w    float64
	}
	var pairs []pair
	for k := range docs {
		d := &docs[k]
		start := len(pairs)
		for i := range d.y {
			for j := range d.y {
				if d.cand[i] && d.cand[j] && d.y[i] > d.y[j]+pairGap {
					pairs = append(pairs, pair{d: d, i: i, j: j})
				}
			}
		}
		ps := pairs[start:]
		pairWeights(d, len(ps), func(k int) (int, int, *float64) { return ps[k].i, ps[k].j, &ps[k].w })
	}
	const dim = numFeatures
	w := make([]float64, dim)
	lambda := pairLambda
	x := make([]float64, dim)
	for range 20 {
		g := make([]float64, dim)
		h := make([][]float64, dim)
		for a := range h {
			h[a] = make([]float64, dim)
		}
		for _, p := range pairs {
			xi := p.d.x[p.i*numFeatures : (p.i+1)*numFeatures]
			xj := p.d.x[p.j*numFeatures : (p.j+1)*numFeatures]
			z := 0.0
			for k := range x {
				x[k] = xi[k] - xj[k]
				z += w[k] * x[k]
			}
			q := 1 / (1 + math.Exp(-z))
			for a := range w {
				if x[a] == 0 {
					continue
				}
				g[a] += p.w * (q - 1) * x[a]
				for b := a; b < dim; b++ {
					h[a][b] += p.w * q * (1 - q) * x[a] * x[b]
				}
			}
		}
		for a := range w {
			for b := range a {
				h[a][b] = h[b][a]
			}
			g[a] += lambda * w[a]
			h[a][a] += lambda + 1e-9
		}
		step := solve(h, g)
		for a := range w {
			w[a] -= step[a]
		}
	}
	w[fBias] = 0
	a, b := calibrate(docs, func(row []float64) float64 {
		sc := 0.0
		for k := range w {
			sc += w[k] * row[k]
		}
		return sc
	})
	var out [numFeatures]float64
	for k := range out {
		out[k] = math.Round(a*w[k]*1000) / 1000
	}
	out[fBias] = math.Round(b*1000) / 1000
	return out
}

// calibrate fits p = σ(a·score + b) to bbc-dev's labels, which say whether
// a sentence belongs in a summary, and returns a and b.
func calibrate(docs []fitDoc, score func(row []float64) float64) (a, b float64) {
	a, b = 1.0, 0.0
	for range 30 {
		var ga, gb, haa, hab, hbb float64
		for _, d := range docs {
			if d.cnn {
				continue
			}
			for i, y := range d.y {
				if !d.cand[i] {
					continue
				}
				sc := score(d.x[i*numFeatures : (i+1)*numFeatures])
				p := 1 / (1 + math.Exp(-(a*sc + b)))
				r := p * (1 - p) * d.weight
				ga += (p - y) * sc * d.weight
				gb += (p - y) * d.weight
				haa += r * sc * sc
				hab += r * sc
				hbb += r
			}
		}
		det := haa*hbb - hab*hab
		if det == 0 {
			break
		}
		a -= (hbb*ga - hab*gb) / det
		b -= (haa*gb - hab*ga) / det
	}
	return a, b
}

// solve solves h x = g by Gaussian elimination with partial pivoting; it
// overwrites h and g.
func solve(h [][]float64, g []float64) []float64 {
	n := len(g)
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
	x := make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := g[r]
		for k := r + 1; k < n; k++ {
			s -= h[r][k] * x[k]
		}
		x[r] = s / h[r][r]
	}
	return x
}

// figures are a model's scores on the evaluation data.
type figures struct {
	cnn3, cnn1, bbc75 rougeScores
	dependent         float64 // share of cnn-dev short briefs that open dependent
}

func (r rougeScores) mean() float64 { return (r.R1 + r.R2 + r.RL) / 3 }

// bigramWeighted is the mean with ROUGE-2 counted twice: bigrams are what
// the lead holds best, and what a pick of central sentences loses first.
func (r rougeScores) bigramWeighted() float64 { return (r.R1 + 2*r.R2 + r.RL) / 4 }

func scoreCNN(docs []fitDoc, l Length, m *model) rougeScores {
	var sum rougeScores
	for i := range docs {
		sum = sum.add(docs[i].score(docs[i].brief(l, m)))
	}
	return sum.scale(100 / float64(len(docs)))
}

func scoreBBC(docs []fitDoc, m *model) rougeScores {
	var sum rougeScores
	for i := range docs {
		sum = sum.add(docs[i].score(cutWords(docs[i].brief(Length{Words: 75}, m), 75)))
	}
	return sum.scale(100 / float64(len(docs)))
}

func dependentShare(docs []fitDoc, m *model) float64 {
	n := 0
	for i := range docs {
		s := docs[i].brief(Short, m)
		if len(s) > 0 && Dependent(s[0]) {
			n++
		}
	}
	return 100 * float64(n) / float64(len(docs))
}

func measure(cnn, bbc []fitDoc, m *model) figures {
	return figures{
		cnn3:      scoreCNN(cnn, Standard, m),
		cnn1:      scoreCNN(cnn, Short, m),
		bbc75:     scoreBBC(bbc, m),
		dependent: dependentShare(cnn, m),
	}
}

// fitModel fits a model on the training articles of both sets.
func fitModel(cnn, bbc []fitDoc) model {
	var m model
	all := append(slices.Clip(cnn), bbc...)
	m.words = fitWords(all)
	for i := range all {
		all[i].useWords(&m.words)
	}
	// The sentence model: the mean of the log-odds of a linear model
	// and of boosted trees, each fitted to order sentences as their labels
	// do and calibrated on bbc-dev's labels. Each alone does worse held
	// out: the trees pick the first sentence of short briefs worse, the
	// linear model reads bbc-dev worse.
	w := fitPairwise(all)
	trees := fitTrees(all, defaultBoost)
	a, b := calibrate(all, func(row []float64) float64 { return treeScore(trees, row) })
	for t := range trees {
		for k := range trees[t].leaf {
			trees[t].leaf[k] = roundTo(a*trees[t].leaf[k]/2, 5)
		}
	}
	m.base = roundTo((b+w[fBias])/2, 5)
	for k := range w {
		w[k] = roundTo(w[k]/2, 4)
	}
	w[fBias] = 0
	m.w, m.trees = w, trees
	best := math.Inf(-1)
	bestR, bestC, bestL := 0.0, 0.0, 0.0
	for _, l := range []float64{0, 0.2, 0.4, 0.6, 0.9, 1.3} {
		m.leadBonus = l
		// A short brief is the first pick alone, which the lead bonus
		// decides: both lengths count.
		short := scoreCNN(cnn, Short, &m).bigramWeighted()
		for _, r := range []float64{0, 0.2, 0.4, 0.6, 0.8, 1.0} {
			for _, c := range []float64{0, 0.004, 0.008, 0.012, 0.016, 0.02, 0.025, 0.03, 0.04} {
				m.redundancy, m.wordCost = r, c
				if s := short + scoreCNN(cnn, Standard, &m).bigramWeighted(); s > best {
					best, bestR, bestC, bestL = s, r, c, l
				}
			}
		}
	}
	m.redundancy, m.wordCost, m.leadBonus = bestR, bestC, bestL
	best = math.Inf(-1)
	th := 0.0
	for _, t := range []float64{0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7} {
		m.threshold = t
		if s := scoreBBC(bbc, &m).mean(); s > best {
			best, th = s, t
		}
	}
	m.threshold = th
	fitSets(cnn, &m)
	return m
}

// gainFolds is how many parts the training articles are cut into to
// search the settings of the set search: each part's gains are those of
// trees fitted on the others, as an article the model has not seen gets
// them.
const gainFolds = 4

// fitSets fits m's gain trees to cnn-dev's training articles (how many of
// each sentence's word pairs the highlights hold) and searches the
// settings of the set search by the ROUGE of their standard briefs. Held
// out (5-fold), this takes cnn-dev's standard briefs from 29.94/11.62/26.78
// (picked one by one) to 29.87/12.37/27.02. Searched on the trees' own
// training gains, which fit them too well, the settings read ROUGE-2 0.35
// worse; so searched, 100 trees at a rate of 0.1, or a linear model of the
// gains, read it 0.1 to 0.2 worse than 200 trees.
func fitSets(cnn []fitDoc, m *model) {
	gains := func(docs []fitDoc) [][]float64 {
		y := make([][]float64, len(docs))
		for k := range docs {
			y[k] = docs[k].gain
		}
		return y
	}
	m.gainBase, m.gainTrees = fitGains(cnn, gains(cnn), defaultBoost)
	// Each article's scores and its gains under trees fitted without it.
	scores, held := make([][]float64, len(cnn)), make([][]float64, len(cnn))
	for g := range gainFolds {
		var in []fitDoc
		for k := range cnn {
			if k%gainFolds != g {
				in = append(in, cnn[k])
			}
		}
		var gm model
		gm.gainBase, gm.gainTrees = fitGains(in, gains(in), defaultBoost)
		for k := range cnn {
			if k%gainFolds == g {
				fd := &cnn[k]
				fd.useWords(&m.words)
				scores[k] = slices.Clone(fd.d.weigh(fd.x, m))
				held[k] = slices.Clone(fd.d.gains(fd.x, &gm))
			}
		}
	}
	best := math.Inf(-1)
	var bestS [4]float64
	for _, r := range []float64{10, 20, 30, 45} {
		for _, o := range []float64{0.5, 1, 1.5} {
			for _, s := range []float64{0, 0.02, 0.05, 0.1} {
				for _, l := range []float64{0, 0.02, 0.05} {
					m.gainRef, m.gainOverlap, m.gainScore, m.gainLead = r, o, s, l
					var sum rougeScores
					for k := range cnn {
						sum = sum.add(cnn[k].score(cnn[k].d.briefWith(scores[k], held[k], Standard, m)))
					}
					if v := sum.bigramWeighted(); v > best {
						best, bestS = v, [4]float64{r, o, s, l}
					}
				}
			}
		}
	}
	m.gainRef, m.gainOverlap, m.gainScore, m.gainLead = bestS[0], bestS[1], bestS[2], bestS[3]
}

// The bars of the summaries issue (F1 x100): the lead plus one point on
// cnn-dev, LexRank plus three on bbc-dev at 75 words.
var (
	barCNN3  = rougeScores{28.67, 11.73, 25.89}
	barCNN1  = rougeScores{24.17, 9.30, 20.86}
	barBBC75 = rougeScores{59.38, 53.27, 58.59}
)

func below(got, bar rougeScores) bool {
	return got.R1 < bar.R1 || got.R2 < bar.R2 || got.RL < bar.RL
}

func row(t *testing.T, name string, s rougeScores) {
	t.Logf("  %-28s %6.2f %6.2f %6.2f", name, s.R1, s.R2, s.RL)
}

// TestROUGE prints, in one run, the figures of defaultModel beside the lead
// on both development sets, and fails below the bars.
func TestROUGE(t *testing.T) {
	cnnDocs, bbcDocs := loadEval(t, cnnDevDir), loadEval(t, bbcDevDir)
	lead := func(docs []evalDoc, k, words int) rougeScores {
		return meanROUGE(docs, words, func(d evalDoc) []string { return d.lead[:min(k, len(d.lead))] })
	}
	ours := func(docs []evalDoc, l Length, words int) rougeScores {
		return meanROUGE(docs, words, func(d evalDoc) []string { return Summarize(d.article, l).Sentences })
	}
	dep := 0
	for _, d := range cnnDocs {
		if s := Summarize(d.article, Short).Sentences; len(s) > 0 && Dependent(s[0]) {
			dep++
		}
	}
	depShare := 100 * float64(dep) / float64(len(cnnDocs))
	c3, c1, b75 := ours(cnnDocs, Standard, 0), ours(cnnDocs, Short, 0), ours(bbcDocs, Length{Words: 75}, 75)
	t.Logf("ROUGE F1 x100 (R-1 / R-2 / R-Lsum), %d cnn-dev and %d bbc-dev articles:", len(cnnDocs), len(bbcDocs))
	t.Logf("cnn-dev, 3 sentences (standard), whole:")
	row(t, "lead-3", lead(cnnDocs, 3, 0))
	row(t, "newsbrief", c3)
	row(t, "required", barCNN3)
	t.Logf("cnn-dev, 1 sentence (short), whole:")
	row(t, "lead-1", lead(cnnDocs, 1, 0))
	row(t, "newsbrief", c1)
	row(t, "required", barCNN1)
	t.Logf("bbc-dev, cut at 75 words:")
	row(t, "lead", lead(bbcDocs, 1000, 75))
	row(t, "newsbrief", b75)
	row(t, "required", barBBC75)
	t.Logf("cnn-dev short briefs opening with a pronoun, connective or quotation: %.1f%% (at most 3%%)", depShare)
	for _, c := range []struct {
		name     string
		got, bar rougeScores
	}{{"cnn-dev standard", c3, barCNN3}, {"cnn-dev short", c1, barCNN1}, {"bbc-dev 75 words", b75, barBBC75}} {
		if below(c.got, c.bar) {
			t.Errorf("%s: %.2f/%.2f/%.2f, below the bar %.2f/%.2f/%.2f", c.name, c.got.R1, c.got.R2, c.got.RL, c.bar.R1, c.bar.R2, c.bar.RL)
		}
	}
	if depShare > 3 {
		t.Errorf("%.1f%% of cnn-dev short briefs open dependent, want at most 3%%", depShare)
	}
}

// TestFit refits the model on both development sets and checks that the
// committed defaultModel is what the fitting gives.
func TestFit(t *testing.T) {
	if raceEnabled && !*update {
		t.Skip("the fit is plain single-goroutine arithmetic: under the race detector it takes minutes and checks nothing more")
	}
	cnn, bbc := loadFit(t)
	m := fitModel(cnn, bbc)
	t.Logf("fitted on %d cnn-dev and %d bbc-dev articles:\n%s", len(cnn), len(bbc), modelSource(m))
	f := measure(cnn, bbc, &m)
	t.Logf("cnn-dev 3: %.2f/%.2f/%.2f  1: %.2f/%.2f/%.2f  bbc-dev 75: %.2f/%.2f/%.2f  dependent %.1f%%",
		f.cnn3.R1, f.cnn3.R2, f.cnn3.RL, f.cnn1.R1, f.cnn1.R2, f.cnn1.RL, f.bbc75.R1, f.bbc75.R2, f.bbc75.RL, f.dependent)
	if *update {
		src := "// Code generated by go test ./summarize -run TestFit -update; DO NOT EDIT.\n\n" +
			"package summarize\n\n" +
			"// defaultModel is the model fitted on cnn-dev and bbc-dev by TestFit\n" +
			"// (fit_test.go), which reproduces it.\n" + modelSource(m)
		formatted, err := format.Source([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("model.go", formatted, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if modelSource(m) != modelSource(defaultModel) {
		t.Errorf("defaultModel differs from the fitted model; run go test ./summarize -run TestFit -update, or replace it with:\n%s", modelSource(m))
	}
}

var update = flag.Bool("update", false, "TestFit: write the fitted model to model.go")

// modelSource returns m as the Go source of defaultModel.
func modelSource(m model) string {
	var b strings.Builder
	b.WriteString("var defaultModel = model{\n\tw: [numFeatures]float64{\n")
	for k, w := range m.w {
		if w != 0 {
			fmt.Fprintf(&b, "\t\tf%s: %s,\n", featureNames[k], num(w))
		}
	}
	b.WriteString("\t},\n\twords: [numWordFeatures]float64{\n")
	for k, w := range m.words {
		fmt.Fprintf(&b, "\t\tw%s: %s,\n", wordFeatureNames[k], num(w))
	}
	fmt.Fprintf(&b, "\t},\n\tbase: %s,\n\ttrees: []tree{\n", num(m.base))
	writeTrees(&b, m.trees)
	fmt.Fprintf(&b, "\t},\n\tthreshold: %s,\n\tredundancy: %s,\n\twordCost: %s,\n\tleadBonus: %s,\n",
		num(m.threshold), num(m.redundancy), num(m.wordCost), num(m.leadBonus))
	fmt.Fprintf(&b, "\tgainBase: %s,\n\tgainTrees: []tree{\n", num(m.gainBase))
	writeTrees(&b, m.gainTrees)
	fmt.Fprintf(&b, "\t},\n\tgainRef: %s,\n\tgainOverlap: %s,\n\tgainScore: %s,\n\tgainLead: %s,\n}\n",
		num(m.gainRef), num(m.gainOverlap), num(m.gainScore), num(m.gainLead))
	return b.String()
}

// writeTrees writes trees as the Go source of their elements.
func writeTrees(b *strings.Builder, trees []tree) {
	for _, t := range trees {
		b.WriteString("\t\t{feat: [treeDepth]uint8{")
		for l, f := range t.feat {
			if l > 0 {
				b.WriteString(", ")
			}
			b.WriteString("f" + featureNames[f])
		}
		b.WriteString("}, thr: [treeDepth]float64{")
		for l, v := range t.thr {
			if l > 0 {
				b.WriteString(", ")
			}
			b.WriteString(num(v))
		}
		b.WriteString("},\n\t\t\tleaf: [1 << treeDepth]float64{")
		for l, v := range t.leaf {
			if l > 0 {
				b.WriteString(", ")
			}
			b.WriteString(num(v))
		}
		b.WriteString("}},\n")
	}
}

// num writes v as Go source that reads back as v.
func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// TestCrossValidate reports k-fold cross-validated figures: the model is
// fitted on k-1 folds of both sets and scored on the held-out fold of each.
func TestCrossValidate(t *testing.T) {
	if os.Getenv("NEWSBRIEF_CV") == "" {
		t.Skip("set NEWSBRIEF_CV=1 to cross-validate (about a minute)")
	}
	cnn, bbc := loadFit(t)
	const k = 5
	var held figures
	var heldCNN, heldBBC []fitDoc
	// cnn-dev without the ledes: ours and the first sentence left.
	var heldNoLede, heldNoLedeLead rougeScores
	nNoLede := 0
	for f := range k {
		var trC, teC, trB, teB []fitDoc
		for i, d := range cnn {
			if i%k == f {
				teC = append(teC, d)
			} else {
				trC = append(trC, d)
			}
		}
		for i, d := range bbc {
			if i%k == f {
				teB = append(teB, d)
			} else {
				trB = append(trB, d)
			}
		}
		m := fitModel(trC, trB)
		g := measure(teC, teB, &m)
		noLede := withoutLede(teC)
		nl := scoreCNN(noLede, Short, &m)
		var nlLead rougeScores
		for _, d := range noLede {
			nlLead = nlLead.add(rougeScore(d.lead[:min(1, len(d.lead))], d.ref))
		}
		heldNoLede = heldNoLede.add(nl.scale(float64(len(noLede))))
		heldNoLedeLead = heldNoLedeLead.add(nlLead.scale(100))
		nNoLede += len(noLede)
		t.Logf("fold %d: cnn 3 %.2f/%.2f/%.2f 1 %.2f/%.2f/%.2f bbc %.2f/%.2f/%.2f dep %.1f%% (redundancy %g word cost %g lead bonus %g threshold %g; sets: ref %g overlap %g score %g lead %g)", f+1,
			g.cnn3.R1, g.cnn3.R2, g.cnn3.RL, g.cnn1.R1, g.cnn1.R2, g.cnn1.RL, g.bbc75.R1, g.bbc75.R2, g.bbc75.RL, g.dependent, m.redundancy, m.wordCost, m.leadBonus, m.threshold,
			m.gainRef, m.gainOverlap, m.gainScore, m.gainLead)
		nc, nb := float64(len(teC)), float64(len(teB))
		held.cnn3 = held.cnn3.add(g.cnn3.scale(nc))
		held.cnn1 = held.cnn1.add(g.cnn1.scale(nc))
		held.bbc75 = held.bbc75.add(g.bbc75.scale(nb))
		held.dependent += g.dependent * nc
		heldCNN, heldBBC = append(heldCNN, teC...), append(heldBBC, teB...)
	}
	nc, nb := float64(len(heldCNN)), float64(len(heldBBC))
	held.cnn3, held.cnn1, held.bbc75 = held.cnn3.scale(1/nc), held.cnn1.scale(1/nc), held.bbc75.scale(1/nb)
	t.Logf("%d-fold cross-validated:", k)
	row(t, "cnn-dev standard", held.cnn3)
	row(t, "cnn-dev short", held.cnn1)
	row(t, "bbc-dev 75 words", held.bbc75)
	t.Logf("  dependent openings %.1f%%", held.dependent/nc)
	noLedeLead, noLede := heldNoLedeLead.scale(1/float64(nNoLede)), heldNoLede.scale(1/float64(nNoLede))
	t.Logf("cnn-dev without its ledes (%d articles), 1 sentence:", nNoLede)
	row(t, "first sentence left", noLedeLead)
	row(t, "newsbrief", noLede)
	for _, c := range []struct {
		name           string
		got, base, bar rougeScores
	}{
		{"cnn-dev standard over the lead", held.cnn3, leadCNN3, cvMarginCNN3},
		{"cnn-dev short over the lead", held.cnn1, leadCNN1, cvMarginCNN1},
		{"bbc-dev 75 words over LexRank", held.bbc75, lexRankBBC75, cvMarginBBC75},
		{"cnn-dev without its ledes over the first sentence left", noLede, noLedeLead, cvMarginNoLede},
	} {
		m := c.got.add(c.base.scale(-1))
		if below(m, c.bar) {
			t.Errorf("%s, cross-validated: %+.2f/%+.2f/%+.2f, want at least %+.2f/%+.2f/%+.2f", c.name, m.R1, m.R2, m.RL, c.bar.R1, c.bar.R2, c.bar.RL)
		}
	}
}

// The baselines of ../shared/eval/README.md (F1 x100), which TestROUGE
// and the README's table measure the same way.
var (
	leadCNN3     = rougeScores{27.67, 10.73, 24.89}
	leadCNN1     = rougeScores{23.17, 8.30, 19.86}
	lexRankBBC75 = rougeScores{56.38, 50.27, 55.59}
)

// The cross-validated margins TestCrossValidate holds the fitting to: a
// little below what it gives (issue 18 asked for the lead plus 1.5 on all
// three on cnn-dev's standard briefs, which they make at
// +2.20/+1.64/+2.13, and LexRank plus 5 on all three on bbc-dev's at 75
// words, which they make).
var (
	cvMarginCNN3   = rougeScores{2.0, 1.5, 1.9}
	cvMarginCNN1   = rougeScores{4.3, 1.7, 3.7}
	cvMarginBBC75  = rougeScores{5.0, 7.0, 5.0}
	cvMarginNoLede = rougeScores{3.5, 1.2, 2.5}
)
