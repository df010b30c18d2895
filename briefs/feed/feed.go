// Package feed is the news-feed source: it reads the operator's list of
// feeds, polls each one politely (conditional GET, its own interval,
// backoff when it fails, one request at a time per host, never a private
// address unless allowed) and fairly (a slow host delays only its own
// feeds; see getter.turn and hosts), parses RSS, Atom and JSON Feed,
// fetches the full text of items that carry only a teaser, gives every
// item an identity so a story is stored once, stores the items through the
// Store it declares, at most a cap of them per feed (WithMaxItems), and
// hands each feed's kept items to the briefs.Library as articles under the
// feed's name.
package feed

import "time"

// Feed is one line of the feeds file: a feed to poll.
type Feed struct {
	// Name is the feed's origin in the library and in the footer of its
	// items; from the line, else the URL's host.
	Name string
	URL  string
	// Every is how often to poll it; zero means the default interval.
	Every time.Duration
	// Line is the line of the feeds file it came from, for messages.
	Line int
}
