// Package lifecycle runs the long-lived parts of a process as one group: it
// starts them in order, each once the one before has said it is started,
// and stops them in reverse order, on a signal (its context ending) or on
// the first fatal error, whichever comes first. A component that fails to
// start stops those already started.
//
// Each component gets a context of its own, cancelled when its turn to
// stop comes, and the group waits for its Run to return before stopping
// the one started before it. So a component may rely on every component
// started before it for as long as it runs (the digest runner on the
// gateway it posts through), and one started before others outlives
// them (the index cache keeper writes what the sources stored once they
// have stopped).
package lifecycle

import (
	"context"
	"errors"
	"sync"
)

// Run is a component's life. It starts the component, calls started once
// it is started (listening, connected, loaded: what the next component
// may rely on), and runs until ctx is done; then it stops the component
// and returns.
//
// An error is fatal: the group stops every component and returns it. A
// Run that returns nil before ctx is done has finished on its own (a
// watcher that could not watch, say, and logged why): the others go on,
// and when it returns before calling started the group starts the next
// component all the same. A Run stopped by its context should return nil;
// context.Canceled returned then counts as nil.
type Run func(ctx context.Context, started func()) error

// Func is a component that is started as soon as it runs: run until ctx
// is done.
func Func(run func(ctx context.Context) error) Run {
	return func(ctx context.Context, started func()) error {
		started()
		return run(ctx)
	}
}

// StartStop is a component with a Start that returns once it is started
// (an error if it could not) and a Stop that returns once it has stopped.
// Stop is called only after a successful start.
func StartStop(start func(ctx context.Context) error, stop func()) Run {
	return func(ctx context.Context, started func()) error {
		if err := start(ctx); err != nil {
			return err
		}
		started()
		<-ctx.Done()
		stop()
		return nil
	}
}

// Error is the first fatal error of a group: which component failed, and
// how.
type Error struct {
	Component string
	Err       error
}

func (e *Error) Error() string { return e.Component + ": " + e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// Group is the components of a process, in the order they start. The
// zero Group is empty and ready to use; add every component before Run.
type Group struct {
	components []component
}

type component struct {
	name string
	run  Run
}

// Add adds a component named name (for the error that names it) after
// those added before it: it starts after them and stops before them.
func (g *Group) Add(name string, run Run) {
	g.components = append(g.components, component{name: name, run: run})
}

// Run starts the components in the order they were added, each once the
// one before is started (or has finished), and then waits. When ctx is
// done, or a component fails, it stops them in reverse order, each after
// the one started after it has returned, and returns once every
// component has. It returns the first error a component returned, as an
// *Error, whether it stopped the group or came while stopping; nil when
// none did. The components' contexts carry ctx's values, not its
// cancellation: each is cancelled on its turn to stop.
func (g *Group) Run(ctx context.Context) error {
	r := &running{exits: make(chan exit, len(g.components))}
	r.start(ctx, g.components)
	for r.err == nil && ctx.Err() == nil && r.live > 0 {
		select {
		case e := <-r.exits:
			r.exited(e)
		case <-ctx.Done():
		}
	}
	r.stop()
	return r.err
}

// running is one Run of a group: the components launched, in order.
type running struct {
	members []*member
	exits   chan exit // each member's return, buffered for all
	live    int       // members launched and not returned
	err     error     // the first fatal error
}

type member struct {
	name      string
	cancel    context.CancelFunc
	started   chan struct{} // closed by the started callback
	cancelled bool          // its context was cancelled by the group
	done      bool          // its Run returned
}

type exit struct {
	i   int
	err error
}

// start launches the components in order, each once the one before is
// started or has returned, until ctx ends or one fails.
func (r *running) start(ctx context.Context, components []component) {
	for i, c := range components {
		if r.err != nil || ctx.Err() != nil {
			return
		}
		if !r.awaitStart(ctx, r.launch(ctx, i, c)) {
			return
		}
	}
}

// awaitStart waits until m is started or has returned, and reports
// whether the next component may start: not when ctx ended or a member
// failed first.
func (r *running) awaitStart(ctx context.Context, m *member) bool {
	for {
		select {
		case <-m.started:
			return true
		case e := <-r.exits:
			r.exited(e)
			if r.err != nil {
				return false
			}
			if m.done {
				return true
			}
		case <-ctx.Done():
			return false
		}
	}
}

// launch runs component i with a context of its own.
func (r *running) launch(ctx context.Context, i int, c component) *member {
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m := &member{name: c.name, cancel: cancel, started: make(chan struct{})}
	r.members = append(r.members, m)
	r.live++
	var once sync.Once
	started := func() { once.Do(func() { close(m.started) }) }
	go func() {
		err := c.run(cctx, started)
		r.exits <- exit{i: i, err: err}
	}()
	return m
}

// exited records a member's return, and its error if it is the first.
func (r *running) exited(e exit) {
	m := r.members[e.i]
	m.done = true
	r.live--
	m.cancel()
	if e.err == nil || r.err != nil {
		return
	}
	if m.cancelled && errors.Is(e.err, context.Canceled) {
		return
	}
	r.err = &Error{Component: m.name, Err: e.err}
}

// stop stops the members in reverse order, each once the one after it has
// returned.
func (r *running) stop() {
	for i := len(r.members) - 1; i >= 0; i-- {
		m := r.members[i]
		m.cancelled = true
		m.cancel()
		for !m.done {
			r.exited(<-r.exits)
		}
	}
}
