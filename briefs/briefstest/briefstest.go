// Package briefstest gives other packages' tests and benchmarks articles
// and libraries to work on: the fake news of internal/fakenews as
// briefs.Article, and a library built of them at once.
package briefstest

import (
	"iter"
	"slices"

	"newsbrief/briefs"
	"newsbrief/internal/fakenews"
)

// A Carriage says how many outlets carry each story of Carried.
type Carriage = fakenews.Carriage

// The shapes of syndication (see internal/fakenews).
var (
	// CarriedBy(k): every story by k outlets.
	CarriedBy = fakenews.CarriedBy
	// CarriedOnce(k): the first story by k outlets, the others by one.
	CarriedOnce = fakenews.CarriedOnce
	// CarriedLongTail: most stories once, some 2-5 times, a few hundreds.
	CarriedLongTail Carriage = fakenews.CarriedLongTail
)

// Articles returns n generated articles, the same for the same n and
// seed. Each ID is the one briefs/folder gives its File, so a folder
// written with folder.Write loads as the same articles.
func Articles(n int, seed int64) []briefs.Article {
	arts := make([]briefs.Article, 0, max(n, 0))
	for _, a := range fakenews.Articles(n, seed) {
		arts = append(arts, Article(a))
	}
	return arts
}

// Carried returns n articles of generated stories, each carried by as
// many outlets as shape says (see fakenews.Carried).
func Carried(n int, shape Carriage, seed int64) []briefs.Article {
	return slices.Collect(CarriedSeq(n, shape, seed))
}

// CarriedSeq yields Carried's articles one at a time, for libraries too
// large to hold twice.
func CarriedSeq(n int, shape Carriage, seed int64) iter.Seq[briefs.Article] {
	return func(yield func(briefs.Article) bool) {
		for a := range fakenews.CarriedSeq(n, shape, seed) {
			if !yield(Article(a)) {
				return
			}
		}
	}
}

// Article is a as a source gives it: dated, with the ID of its File.
func Article(a fakenews.Article) briefs.Article {
	return briefs.Article{
		ID:         briefs.NewID(a.File, a.Title),
		Title:      a.Title,
		Date:       a.Date,
		Dated:      true,
		Paragraphs: a.Paragraphs,
		File:       a.File,
		Origin:     a.Origin,
		Words:      a.Words,
	}
}

// Library returns a library of arts, each under its Origin, built in one
// swap as a start builds it.
func Library(arts []briefs.Article, opts ...briefs.Option) *briefs.Library {
	var origins []string
	seen := map[string]bool{}
	for _, a := range arts {
		if !seen[a.Origin] {
			seen[a.Origin] = true
			origins = append(origins, a.Origin)
		}
	}
	l := briefs.New(opts...)
	l.ReplaceSeq(origins, slices.Values(arts))
	return l
}
