package briefs

import "newsbrief/summarize"

// Text returns what the summarizer reads of the article.
func (a Article) Text() summarize.Text {
	return summarize.Text{Title: a.Title, Paragraphs: a.Paragraphs}
}
