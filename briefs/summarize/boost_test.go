package summarize

// Gradient-boosted oblivious trees, fitted to order each article's
// sentences as their labels do (the pairwise logistic loss of fitPairwise,
// its pairs weighed by pairWeights), one Newton step a tree.

import (
	"math"
	"slices"
)

// boostParams are the settings of the boosting.
type boostParams struct {
	trees  int     // how many
	rate   float64 // shrinkage of each tree's leaves
	lambda float64 // L2 penalty of a leaf's value
	bins   int     // candidate thresholds a feature, at most
}

// defaultBoost are the settings of the fit. Held out, 100 trees, or a
// rate of 0.1, or a penalty of 5, read cnn-dev's standard briefs 0.2 to 0.4
// ROUGE-2 worse; 300 or 400 trees no better.
var defaultBoost = boostParams{trees: 200, rate: 0.05, lambda: 1, bins: 32}

// boostSample is one candidate sentence of a training article.
type boostSample struct {
	doc  int32 // index into the docs
	sent int32 // index of the sentence in its article
}

// fitTrees fits trees to docs' labels with the pairwise logistic loss and
// returns them; their sum is a score that orders sentences.
func fitTrees(docs []fitDoc, p boostParams) []tree {
	// The samples, and each article's pairs.
	var samples []boostSample
	first := make([]int, len(docs)+1) // docs[k]'s samples start at first[k]
	type pair struct {
		i, j int32 // samples, label of i above j's
		w    float64
	}
	var pairs []pair
	for k := range docs {
		d := &docs[k]
		first[k] = len(samples)
		for i, c := range d.cand {
			if c {
				samples = append(samples, boostSample{int32(k), int32(i)})
			}
		}
		lo, hi := first[k], len(samples)
		start := len(pairs)
		for a := lo; a < hi; a++ {
			for b := lo; b < hi; b++ {
				if d.y[samples[a].sent] > d.y[samples[b].sent]+pairGap {
					pairs = append(pairs, pair{int32(a), int32(b), 0})
				}
			}
		}
		ps := pairs[start:]
		pairWeights(d, len(ps), func(q int) (int, int, *float64) {
			return int(samples[ps[q].i].sent), int(samples[ps[q].j].sent), &ps[q].w
		})
	}
	first[len(docs)] = len(samples)
	return growTrees(docs, samples, p, nil, func(score, g, h []float64) {
		clear(g)
		clear(h)
		for _, q := range pairs {
			z := score[q.i] - score[q.j]
			s := 1 / (1 + math.Exp(-z))
			g[q.i] -= q.w * (1 - s)
			g[q.j] += q.w * (1 - s)
			hh := q.w * s * (1 - s)
			h[q.i] += hh
			h[q.j] += hh
		}
	})
}

// fitGains fits trees to the targets y (one a sentence of each article,
// y[k][i] for docs[k]'s sentence i) with the squared loss, each article
// weighing the same, and returns the weighted mean of the targets (where
// the trees start) and the trees.
func fitGains(docs []fitDoc, y [][]float64, p boostParams) (base float64, trees []tree) {
	var samples []boostSample
	var target, wt []float64
	for k := range docs {
		d := &docs[k]
		nc := 0
		for _, c := range d.cand {
			nc += b2i(c)
		}
		for i, c := range d.cand {
			if c {
				samples = append(samples, boostSample{int32(k), int32(i)})
				target = append(target, y[k][i])
				wt = append(wt, 1/float64(nc))
			}
		}
	}
	sw := 0.0
	for i := range samples {
		base += wt[i] * target[i]
		sw += wt[i]
	}
	base = roundTo(base/sw, 5)
	start := make([]float64, len(samples))
	for i := range start {
		start[i] = base
	}
	trees = growTrees(docs, samples, p, start, func(score, g, h []float64) {
		for i := range samples {
			g[i] = wt[i] * (score[i] - target[i])
			h[i] = wt[i]
		}
	})
	return base, trees
}

// growTrees fits p.trees oblivious trees to the samples of docs, one Newton
// step a tree: grad sets each sample's gradient and hessian of the loss g
// and h at the current scores, which start at start (nil: 0).
func growTrees(docs []fitDoc, samples []boostSample, p boostParams, start []float64, grad func(score, g, h []float64)) []tree {
	x := func(s boostSample, f int) float64 { return docs[s.doc].x[int(s.sent)*numFeatures+f] }

	// Candidate thresholds: midpoints between quantiles of each feature.
	thr := make([][]float64, numFeatures)
	vals := make([]float64, len(samples))
	for f := range numFeatures {
		for i, s := range samples {
			vals[i] = x(s, f)
		}
		slices.Sort(vals)
		distinct := slices.Compact(slices.Clone(vals))
		var cuts []float64
		if len(distinct) <= p.bins {
			for b := 1; b < len(distinct); b++ {
				cuts = append(cuts, distinct[b-1]+(distinct[b]-distinct[b-1])/2)
			}
		} else {
			for b := 1; b < p.bins; b++ {
				lo := vals[len(vals)*b/p.bins-1]
				hi := vals[len(vals)*b/p.bins]
				if hi > lo {
					cut := lo + (hi-lo)/2
					if len(cuts) == 0 || cut > cuts[len(cuts)-1] {
						cuts = append(cuts, cut)
					}
				}
			}
		}
		thr[f] = cuts
	}
	// bin[i*numFeatures+f]: how many of feature f's thresholds sample i
	// exceeds.
	bin := make([]uint8, len(samples)*numFeatures)
	for i, s := range samples {
		for f := range numFeatures {
			v := x(s, f)
			b := 0
			for b < len(thr[f]) && v > thr[f][b] {
				b++
			}
			bin[i*numFeatures+f] = uint8(b)
		}
	}

	score := make([]float64, len(samples))
	copy(score, start)
	g, h := make([]float64, len(samples)), make([]float64, len(samples))
	node := make([]int, len(samples))
	var trees []tree
	maxBins := p.bins + 1
	for range p.trees {
		grad(score, g, h)
		var t tree
		clear(node)
		for l := range treeDepth {
			nodes := 1 << l
			bestGain, bestF, bestB := math.Inf(-1), 0, 0
			G := make([]float64, nodes*maxBins)
			H := make([]float64, nodes*maxBins)
			for f := range numFeatures {
				if len(thr[f]) == 0 {
					continue
				}
				clear(G)
				clear(H)
				for i := range samples {
					c := node[i]*maxBins + int(bin[i*numFeatures+f])
					G[c] += g[i]
					H[c] += h[i]
				}
				// Split after bin b: bins 0..b go left (not above thr[b]).
				for b := range len(thr[f]) {
					gain := 0.0
					for nd := range nodes {
						var gl, hl, gr, hr float64
						for c := 0; c <= len(thr[f]); c++ {
							if c <= b {
								gl += G[nd*maxBins+c]
								hl += H[nd*maxBins+c]
							} else {
								gr += G[nd*maxBins+c]
								hr += H[nd*maxBins+c]
							}
						}
						gain += gl*gl/(hl+p.lambda) + gr*gr/(hr+p.lambda)
					}
					if gain > bestGain {
						bestGain, bestF, bestB = gain, f, b
					}
				}
			}
			t.feat[l] = uint8(bestF)
			t.thr[l] = thr[bestF][bestB]
			for i := range samples {
				if int(bin[i*numFeatures+bestF]) > bestB {
					node[i] |= 1 << l
				}
			}
		}
		var G, H [1 << treeDepth]float64
		for i := range samples {
			G[node[i]] += g[i]
			H[node[i]] += h[i]
		}
		for k := range t.leaf {
			t.leaf[k] = roundTo(-p.rate*G[k]/(H[k]+p.lambda), 5)
		}
		for i := range samples {
			score[i] += t.leaf[node[i]]
		}
		trees = append(trees, t)
	}
	return trees
}

// roundTo rounds v to d decimals, -0 to 0 (as Go source reads it).
func roundTo(v float64, d int) float64 {
	k := math.Pow(10, float64(d))
	return math.Round(v*k)/k + 0
}

// treeScore is the trees' score of row.
func treeScore(trees []tree, row []float64) float64 {
	return treesScore(trees, (*featureRow)(row))
}
