package briefs

import (
	"iter"

	"newsbrief/internal/fakenews"
)

// The library's own tests build on internal/fakenews; other packages'
// tests use briefs/briefstest, which cannot be imported here (it imports
// briefs).

// generateArticles returns fakenews.Articles as the library's articles.
func generateArticles(n int, seed int64) []Article {
	var arts []Article
	for _, a := range fakenews.Articles(n, seed) {
		arts = append(arts, fakeArticle(a))
	}
	return arts
}

// generateCarried returns fakenews.Carried as the library's articles.
func generateCarried(n int, shape fakenews.Carriage, seed int64) []Article {
	var arts []Article
	for a := range carriedSeq(n, shape, seed) {
		arts = append(arts, a)
	}
	return arts
}

// carriedSeq yields fakenews.CarriedSeq as the library's articles.
func carriedSeq(n int, shape fakenews.Carriage, seed int64) iter.Seq[Article] {
	return func(yield func(Article) bool) {
		for a := range fakenews.CarriedSeq(n, shape, seed) {
			if !yield(fakeArticle(a)) {
				return
			}
		}
	}
}

// fakeArticle is a as a folder would give it: dated, with its file's ID.
func fakeArticle(a fakenews.Article) Article {
	return Article{ID: NewID(a.File, a.Title), Title: a.Title, Date: a.Date, Dated: true,
		Paragraphs: a.Paragraphs, File: a.File, Origin: a.Origin, Words: a.Words}
}

// fromArticles builds a library of articles, each under its own Origin,
// as if every origin had been given to Replace at once.
func fromArticles(articles []Article) *Library {
	l := New()
	batch := map[string][]Article{}
	for _, a := range articles {
		batch[a.Origin] = append(batch[a.Origin], a)
	}
	for origin, arts := range batch {
		adopt(origin, arts)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.replace(batch)
	return l
}
