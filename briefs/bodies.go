package briefs

import (
	"context"
	"fmt"
	"strings"
)

// Bodies reads an article's body again from where its source keeps it: the
// article file, or the feed item in the database. A library given Bodies
// (WithBodies) keeps no bodies in memory: it indexes each article's body
// when the article is added and then lets it go, so that a library of a
// hundred thousand articles holds their index and not their text, which
// is most of their size. Commands read the few bodies they show through
// Library.Full.
type Bodies interface {
	// Body returns a's paragraphs, as its source gave them when a was
	// added. a is an article of the library, without its Paragraphs.
	Body(ctx context.Context, a Article) ([]string, error)
}

// Option configures a Library.
type Option func(*Library)

// WithBodies makes the library keep no article bodies: each is read again
// through b when it is needed (Full, search snippets). Without it the
// library keeps every body it is given.
func WithBodies(b Bodies) Option { return func(l *Library) { l.bodies = b } }

// BodiesFunc adapts a function to Bodies.
type BodiesFunc func(ctx context.Context, a Article) ([]string, error)

// Body calls f(ctx, a).
func (f BodiesFunc) Body(ctx context.Context, a Article) ([]string, error) { return f(ctx, a) }

// Full returns a with its body: as it is when it has one, else read
// through the library's Bodies. An article read back without a body (its
// file emptied since it was indexed) gets its title as its body, as feed
// link posts do, so that a summary always has something to show.
func (l *Library) Full(ctx context.Context, a Article) (Article, error) {
	if len(a.Paragraphs) > 0 || l.bodies == nil {
		return a, nil
	}
	paras, err := l.bodies.Body(ctx, a)
	if err != nil {
		return a, fmt.Errorf("read the body of %s (%s): %w", a.ID, a.Origin, err)
	}
	if len(paras) == 0 {
		paras = []string{a.Title}
	}
	a.Paragraphs = paras
	return a, nil
}

// FullAll is Full for each article, in place. An article whose body cannot
// be read is left without one and the first such error is returned: the
// rest are still filled, so a digest is not lost for one unreadable file.
func (l *Library) FullAll(ctx context.Context, arts []Article) error {
	var first error
	for i := range arts {
		a, err := l.Full(ctx, arts[i])
		if err != nil && first == nil {
			first = err
		}
		arts[i] = a
	}
	return first
}

// dropBodies lets the bodies of arts go once they are indexed, when the
// library reads them again through its Bodies. The title of an article
// that came with its body is copied: a source that parsed it out of the
// whole text (an article file) would otherwise keep all of the text
// alive through it. One without (from an index cache) has a title of its
// own.
func (l *Library) dropBodies(arts []Article) {
	if l.bodies == nil {
		return
	}
	for i := range arts {
		if arts[i].Paragraphs == nil {
			continue
		}
		arts[i].Paragraphs = nil
		arts[i].Title = strings.Clone(arts[i].Title)
	}
}
