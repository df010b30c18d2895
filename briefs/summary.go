package briefs

import "newsbrief/summarize"

// Length is a summary budget; see summarize.Length.
type Length = summarize.Length

// Summary is an extractive summary; see summarize.Summary.
type Summary = summarize.Summary

// The named lengths users can ask for.
var (
	Short    = summarize.Short
	Standard = summarize.Standard
	Long     = summarize.Long
)

// ParseLength reads a length name; see summarize.ParseLength.
func ParseLength(s string) (Length, error) { return summarize.ParseLength(s) }

// Text returns what the summarizer reads of the article.
func (a Article) Text() summarize.Text {
	return summarize.Text{Title: a.Title, Paragraphs: a.Paragraphs}
}

// Summarize summarizes the article within the budget l.
func Summarize(a Article, l Length) Summary { return summarize.Summarize(a.Text(), l) }
