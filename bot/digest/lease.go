package digest

import "context"

// Lease is a right that one process at a time holds among those sharing a
// store. The service takes one (WithLease) so that a single process posts
// every digest: Discord's global rate limit belongs to the bot token, not
// to a process, so several processes posting at once would each spend it.
// The others serve interactions and stand by, taking the lease over
// within seconds when its holder dies.
//
// store/postgres implements it with a session advisory lock, store/sqlite
// with a row that expires unless renewed; store/storetest.RunLease is the
// contract both run.
type Lease interface {
	// Acquire takes the lease when it is free, or keeps it (renewing it
	// where that is needed) when this holder has it, and reports whether
	// this holder holds it now. It never waits for another holder. With
	// an error, it does not hold it.
	Acquire(ctx context.Context) (bool, error)
	// Release gives the lease up, so that another holder can take it at
	// once; without it a dead holder's lease is free when its connection
	// closes or its time runs out. Releasing a lease not held does nothing.
	Release(ctx context.Context) error
}
