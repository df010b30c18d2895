package command

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"strings"
	"time"

	"newsbrief/briefs"
	"newsbrief/briefs/summarize"
)

// briefHandlers answers /brief: everything here is a read of the library's
// current snapshot, fast enough to answer without deferring.
type briefHandlers struct {
	lib     *briefs.Library
	sources Sources
	log     *slog.Logger
}

func (h briefHandlers) register(r *Router) {
	r.Handle("brief latest", h.latest)
	r.HandleAutocomplete("brief latest", h.completeSource)
	r.Handle("brief read", h.read)
	r.HandleAutocomplete("brief read", h.completeArticle)
	r.Handle("brief search", h.search)
	r.Handle("brief sources", h.sourcesList)
}

func (h briefHandlers) latest(ctx context.Context, req Request) (Reply, error) {
	n, err := req.IntIn("count", DefaultCount, MinCount, MaxCount)
	if err != nil {
		return Reply{}, err
	}
	topic := strings.TrimSpace(req.String("topic"))
	source, err := resolveSource(h.sources, req.String("source"))
	if err != nil {
		return Reply{}, err
	}
	articles := h.lib.LatestOf(briefs.Query{Count: n, Topic: topic, Source: source})
	if len(articles) == 0 {
		switch {
		case source != "" && topic != "":
			return Reply{}, Userf("No article from %s matches the topic %q. Try fewer or other words, another source, or /brief search.", source, topic)
		case source != "":
			return Reply{}, Userf("%s has no articles yet. /brief sources shows how each source is doing.", source)
		case topic != "":
			return Reply{}, Userf("No article matches the topic %q. Try fewer or other words, or /brief search.", topic)
		}
		return Reply{}, Userf("The library has no articles yet. Add article files to the briefs folder.")
	}
	if err := h.lib.FullAll(ctx, articles); err != nil {
		h.log.Warn("brief latest: an article's body could not be read", slog.Any("err", err))
	}
	rep := Reply{Content: latestHeading(len(articles), topic, source)}
	for _, a := range articles {
		rep.Cards = append(rep.Cards, articleCard(a, summarize.Summarize(a.Text(), summarize.Short)))
	}
	return rep, nil
}

func latestHeading(n int, topic, source string) string {
	s := fmt.Sprintf("The %d newest articles", n)
	if n == 1 {
		s = "The newest article"
	}
	if source != "" {
		s += " from " + source
	}
	if topic != "" {
		s += fmt.Sprintf(" about %q", topic)
	}
	return s + ":"
}

func (h briefHandlers) read(ctx context.Context, req Request) (Reply, error) {
	length := summarize.Standard
	if v := req.String("length"); v != "" {
		l, err := summarize.ParseLength(v)
		if err != nil {
			return Reply{}, Userf("Length must be short, standard or long, not %q.", v)
		}
		length = l
	}
	query := strings.TrimSpace(req.String("article"))
	if query == "" {
		return Reply{}, Userf("Name an article: start typing its title and pick one from the list.")
	}
	a, ok := h.find(query)
	if !ok {
		return Reply{}, h.notFound(query)
	}
	a, err := h.lib.Full(ctx, a)
	if err != nil {
		h.log.Warn("brief read: the article's body could not be read", slog.Any("err", err))
		return Reply{}, Userf("%s can't be read right now: its source did not give it back. Try again in a minute.", EscapeMarkdown(a.Title))
	}
	s := summarize.Summarize(a.Text(), length)
	card := articleCard(a, s)
	if len(s.Keywords) > 0 {
		card.Fields = append(card.Fields, Field{Name: "Keywords", Value: EscapeMarkdown(strings.Join(s.Keywords, ", ")), Inline: true})
	}
	card.Fields = append(card.Fields, Field{Name: "Reading time", Value: readingTime(a), Inline: true})
	return Reply{Cards: []Card{card}}, nil
}

// find resolves an article option: an ID from autocomplete, or else what
// the user typed, read as a title the way autocomplete matches titles.
// Search terms are no answer here: the best-ranked article for words that
// name none is a guess, which notFound offers as one.
func (h briefHandlers) find(query string) (briefs.Article, bool) {
	if a, ok := h.lib.Get(query); ok {
		return a, true
	}
	if m := h.lib.Complete(query, 1); len(m) > 0 {
		return m[0], true
	}
	return briefs.Article{}, false
}

// maxGuesses is how many search matches notFound offers.
const maxGuesses = 3

// notFound refuses an article option that is no ID or title, offering the
// best search matches for its words, each with the ID that reads it.
func (h briefHandlers) notFound(query string) error {
	hits := h.lib.Search(query, maxGuesses)
	if len(hits) == 0 {
		return Userf("No article matches %q as a title or ID, and no article contains its words. Start typing a title and pick one from the list, or try /brief search.", query)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "No article matches %q as a title or ID. The best %s for its words:",
		query, plural(len(hits), "match", "matches"))
	for _, hit := range hits {
		fmt.Fprintf(&b, "\n• %s: `%s`", EscapeMarkdown(choiceName(hit.Article)), hit.Article.ID)
	}
	fmt.Fprintf(&b, "\nGive %s as the article, or start typing a title and pick one from the list.",
		plural(len(hits), "this ID", "one of these IDs"))
	return Userf("%s", b.String())
}

func (h briefHandlers) completeArticle(_ context.Context, req Request) (Reply, error) {
	var rep Reply
	for _, a := range h.lib.Complete(req.String("article"), MaxChoices) {
		rep.Choices = append(rep.Choices, Choice{Name: choiceName(a), Value: a.ID})
	}
	return rep, nil
}

// choiceName shows the title with its date, cut to Discord's 100 characters.
func choiceName(a briefs.Article) string {
	date := " (" + a.Date.Format("2 Jan 2006") + ")"
	return Truncate(a.Title, MaxChoiceName-runeLen(date)) + date
}

func (h briefHandlers) search(_ context.Context, req Request) (Reply, error) {
	query := strings.TrimSpace(req.String("query"))
	if query == "" {
		return Reply{}, Userf("Give some words to search for, such as /brief search query:climate.")
	}
	hits := h.lib.Search(query, maxSearchResults)
	if len(hits) == 0 {
		return Reply{}, Userf("Nothing matches %q. Try other or fewer words.", query)
	}
	rep := Reply{Content: fmt.Sprintf("Best matches for %q:", query)}
	for i, hit := range hits {
		a := hit.Article
		rep.Cards = append(rep.Cards, Card{
			Title:       fmt.Sprintf("%d. %s", i+1, EscapeMarkdown(a.Title)),
			Description: EscapeMarkdown(hit.Snippet),
			Time:        a.Date,
			Footer:      footer(a),
			URL:         a.URL,
		})
	}
	return rep, nil
}

// articleCard is the one way an article with a summary is shown: its
// title links to the article's page and its picture is the thumbnail, when
// it has them (feed items do, files do not). Its title and text are
// escaped (EscapeMarkdown): they are strangers' words, never markup.
func articleCard(a briefs.Article, s summarize.Summary) Card {
	return Card{
		Title:       EscapeMarkdown(a.Title),
		Description: EscapeMarkdown(strings.Join(s.Sentences, " ")),
		Time:        a.Date,
		Footer:      footer(a),
		URL:         a.URL,
		Thumbnail:   a.Image,
	}
}

// footer names where the article came from, its origin (the folder or a
// feed) and, for an article file, the file's name only: its path would show
// the operator's folders to every reader. Then the ID, which /brief read
// takes, and the other sources that carry the same story ("also: AP").
func footer(a briefs.Article) string {
	s := "Source: "
	if a.Origin != "" {
		s += a.Origin + " · "
	}
	if a.File != "" {
		s += path.Base(a.File) + " · "
	}
	s += a.ID
	if !a.Dated {
		if a.File != "" {
			s += " · date from file time"
		} else {
			s += " · date not given"
		}
	}
	if len(a.Also) > 0 {
		s += " · also: " + alsoNames(a.Also)
	}
	return s
}

// alsoShown is how many other sources a footer names before it counts the
// rest: a wire story may be carried by thousands, and a footer is 2,048
// characters.
const alsoShown = 2

// alsoNames names the other sources of a story in bounded space: all of
// them up to alsoShown+1, else the first alsoShown and how many more
// ("AP, Reuters and 63 more").
func alsoNames(names []string) string {
	if len(names) <= alsoShown+1 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:alsoShown], ", "), len(names)-alsoShown)
}

func readingTime(a briefs.Article) string {
	m := int(a.ReadingTime() / time.Minute)
	return fmt.Sprintf("%d min (%d words)", m, a.Words)
}
