package feed

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"newsbrief/briefs/feed/feedstore"
)

// TeaserWords is the length under which an item's text is taken for a
// teaser ("Read more...") and its page is fetched for the full text: news
// stories run to hundreds of words, summaries in feeds to a few dozen.
const TeaserWords = 80

// fullText fetches it's page and, when readability finds more text there
// than the item has, makes that the item's text. It takes the page's
// og:image as the picture when the item has none. Failures leave the item
// as it was: a teaser is better than nothing, and the error is returned
// only to be logged.
func (s *Source) fullText(ctx context.Context, it *feedstore.Item) error {
	if it.URL == "" {
		return nil
	}
	resp, err := s.get.get(ctx, it.URL, pageAccept, "", "")
	if err != nil {
		return fmt.Errorf("page of %q: %w", it.Title, err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.ContentType); mt != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		return fmt.Errorf("page of %q: %s is %s, not HTML", it.Title, it.URL, mt)
	}
	art, err := readability.FromReader(bytes.NewReader(resp.Body), resp.FinalURL)
	if err != nil {
		return fmt.Errorf("page of %q: %s: %w", it.Title, it.URL, err)
	}
	if it.Image == "" {
		it.Image = absURL(art.ImageURL(), resp.FinalURL)
	}
	if art.Node == nil {
		return nil
	}
	var html strings.Builder
	if err := art.RenderHTML(&html); err != nil {
		return nil
	}
	paras := plainParagraphs(html.String())
	if countWords(paras) > countWords(strings.Split(it.Text, "\n\n")) {
		it.Text = strings.Join(paras, "\n\n")
	}
	return nil
}

// isTeaser reports whether text is short enough to look for the full text.
func isTeaser(text string) bool {
	return countWords(strings.Split(text, "\n\n")) < TeaserWords
}
