package lifecycle_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"newsbrief/internal/lifecycle"
)

// probe records what the components of a test do, in the order they do
// it, and the contexts they run with.
type probe struct {
	t    *testing.T
	mu   sync.Mutex
	log  []string
	ran  []string                   // names, in the order they ran
	ctxs map[string]context.Context // each component's context
	gone map[string]bool            // components that failed and returned
	note chan string                // every event, for the test to wait on
}

func newProbe(t *testing.T) *probe {
	return &probe{t: t, ctxs: map[string]context.Context{}, gone: map[string]bool{}, note: make(chan string, 100)}
}

func (p *probe) add(event string) {
	p.mu.Lock()
	p.log = append(p.log, event)
	p.mu.Unlock()
	p.note <- event
}

func (p *probe) events() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.log)
}

// await waits for event; the events before it are passed over.
func (p *probe) await(event string) {
	p.t.Helper()
	for e := range p.note {
		if e == event {
			return
		}
	}
}

func (p *probe) begin(ctx context.Context, name string) {
	p.mu.Lock()
	p.ran = append(p.ran, name)
	p.ctxs[name] = ctx
	p.mu.Unlock()
	p.add("run " + name)
}

// stopping records that name stops, and checks that every component that
// ran before it and has not failed still runs: its context is not
// cancelled yet.
func (p *probe) stopping(name string) {
	p.mu.Lock()
	for _, before := range p.ran {
		if before == name {
			break
		}
		if !p.gone[before] && p.ctxs[before].Err() != nil {
			p.t.Errorf("%s stops after %s was told to stop", name, before)
		}
	}
	p.mu.Unlock()
	p.add("stop " + name)
}

// failed records that name fails.
func (p *probe) failed(name string) {
	p.mu.Lock()
	p.gone[name] = true
	p.mu.Unlock()
	p.add("failed " + name)
}

// comp is a component that starts at once and runs until it is stopped.
func (p *probe) comp(name string) lifecycle.Run {
	return func(ctx context.Context, started func()) error {
		p.begin(ctx, name)
		p.add("started " + name)
		started()
		<-ctx.Done()
		p.stopping(name)
		return nil
	}
}

// gated is a component that starts once gate is closed, and fails with
// fail's error if it is closed first.
func (p *probe) gated(name string, gate, fail <-chan struct{}, err error) lifecycle.Run {
	return func(ctx context.Context, started func()) error {
		p.begin(ctx, name)
		select {
		case <-gate:
		case <-ctx.Done():
			p.stopping(name)
			return nil
		case <-fail:
			p.failed(name)
			return err
		}
		p.add("started " + name)
		started()
		select {
		case <-ctx.Done():
			p.stopping(name)
			return nil
		case <-fail:
			p.failed(name)
			return err
		}
	}
}

// run runs g in the background; the channel gets what Run returned.
func run(ctx context.Context, g *lifecycle.Group) <-chan error {
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	return done
}

func wantEvents(t *testing.T, p *probe, want ...string) {
	t.Helper()
	if got := p.events(); !slices.Equal(got, want) {
		t.Errorf("events:\n  %q\nwant\n  %q", got, want)
	}
}

var errBoom = errors.New("boom")

// TestStartInOrderStopInReverse: each component starts once the one before
// it is started, and on a signal they stop last first, each after the
// one started after it has returned. A signal is no error.
func TestStartInOrderStopInReverse(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	gate := make(chan struct{})
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	g.Add("b", p.gated("b", gate, nil, nil))
	g.Add("c", p.comp("c"))
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := run(ctx, &g)
	p.await("run b")
	close(gate) // c may not run before this
	p.await("started c")
	signal()
	if err := <-done; err != nil {
		t.Errorf("Run after a signal = %v, want nil", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "started b", "run c", "started c", "stop c", "stop b", "stop a")
}

// TestFirstErrorStopsTheRest: a component that fails once every one has
// started stops the others, last first, and its error is Run's.
func TestFirstErrorStopsTheRest(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	open, fail := make(chan struct{}), make(chan struct{})
	close(open)
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	g.Add("b", p.gated("b", open, fail, errBoom))
	g.Add("c", p.comp("c"))
	g.Add("d", p.comp("d"))
	done := run(context.Background(), &g)
	p.await("started d")
	close(fail)
	err := <-done
	var ce *lifecycle.Error
	if !errors.As(err, &ce) || ce.Component != "b" || !errors.Is(err, errBoom) || err.Error() != "b: boom" {
		t.Fatalf("Run = %v, want b's error", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "started b", "run c", "started c", "run d", "started d",
		"failed b", "stop d", "stop c", "stop a")
}

// TestFailedStartStopsThoseStarted: a component that fails before it is
// started stops those started before it, last first, and the ones after it
// never run.
func TestFailedStartStopsThoseStarted(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	fail := make(chan struct{})
	close(fail)
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	g.Add("b", p.comp("b"))
	g.Add("c", p.gated("c", nil, fail, errBoom))
	g.Add("d", p.comp("d"))
	err := g.Run(context.Background())
	var ce *lifecycle.Error
	if !errors.As(err, &ce) || ce.Component != "c" || !errors.Is(err, errBoom) {
		t.Fatalf("Run = %v, want c's error", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "started b", "run c", "failed c", "stop b", "stop a")
}

// TestEarlierFailsWhileOneStarts: a component started earlier that fails
// while a later one is starting stops that one too, and the rest never
// run.
func TestEarlierFailsWhileOneStarts(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	open, fail := make(chan struct{}), make(chan struct{})
	close(open)
	var g lifecycle.Group
	g.Add("a", p.gated("a", open, fail, errBoom))
	g.Add("b", p.gated("b", nil, nil, nil)) // starts only when stopped
	g.Add("c", p.comp("c"))
	done := run(context.Background(), &g)
	p.await("run b")
	close(fail)
	if err := <-done; !errors.Is(err, errBoom) {
		t.Fatalf("Run = %v, want a's error", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "failed a", "stop b")
}

// TestSignalWhileStarting: a signal while a component is starting stops
// it and those before it; the rest never run, and Run returns nil.
func TestSignalWhileStarting(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	g.Add("b", p.gated("b", nil, nil, nil))
	g.Add("c", p.comp("c"))
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := run(ctx, &g)
	p.await("run b")
	signal()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "stop b", "stop a")
}

// TestSignalBeforeRun: nothing starts.
func TestSignalBeforeRun(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	ctx, signal := context.WithCancel(context.Background())
	signal()
	if err := g.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	wantEvents(t, p)
}

// TestFinishedIsNoFailure: a component that returns nil on its own, before
// or after saying it is started, is done; the others start and run on, and
// when every one has finished Run returns nil.
func TestFinishedIsNoFailure(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	finished := make(chan struct{})
	var g lifecycle.Group
	g.Add("early", func(context.Context, func()) error { return nil })
	g.Add("a", p.comp("a"))
	g.Add("late", lifecycle.Func(func(context.Context) error { close(finished); return nil }))
	g.Add("b", p.comp("b"))
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := run(ctx, &g)
	p.await("started b")
	<-finished
	signal()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	wantEvents(t, p, "run a", "started a", "run b", "started b", "stop b", "stop a")

	var all lifecycle.Group
	all.Add("x", lifecycle.Func(func(context.Context) error { return nil }))
	all.Add("y", lifecycle.Func(func(context.Context) error { return nil }))
	if err := all.Run(context.Background()); err != nil {
		t.Errorf("Run of components that all finish = %v, want nil", err)
	}
}

// TestCanceledWhenStopped: context.Canceled from a component the group
// stopped is no error; from one that was not stopped it is.
func TestCanceledWhenStopped(t *testing.T) {
	t.Parallel()
	var g lifecycle.Group
	started := make(chan struct{})
	g.Add("a", lifecycle.Func(func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}))
	ctx, signal := context.WithCancel(context.Background())
	done := run(ctx, &g)
	<-started
	signal()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}

	var h lifecycle.Group
	h.Add("b", lifecycle.Func(func(context.Context) error { return context.Canceled }))
	if err := h.Run(context.Background()); !errors.Is(err, context.Canceled) {
		t.Errorf("Run = %v, want b's context.Canceled", err)
	}
}

// TestStartStop: Stop follows a successful Start when the component's turn
// to stop comes; a failed Start is the component's error, with no Stop.
func TestStartStop(t *testing.T) {
	t.Parallel()
	p := newProbe(t)
	var g lifecycle.Group
	g.Add("a", p.comp("a"))
	g.Add("service", lifecycle.StartStop(
		func(ctx context.Context) error { p.begin(ctx, "service"); return nil },
		func() { p.stopping("service") }))
	g.Add("b", p.comp("b"))
	ctx, signal := context.WithCancel(context.Background())
	defer signal()
	done := run(ctx, &g)
	p.await("started b")
	signal()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	wantEvents(t, p, "run a", "started a", "run service", "run b", "started b", "stop b", "stop service", "stop a")

	stopped := false
	var h lifecycle.Group
	h.Add("service", lifecycle.StartStop(func(context.Context) error { return errBoom }, func() { stopped = true }))
	if err := h.Run(context.Background()); !errors.Is(err, errBoom) || stopped {
		t.Errorf("Run = %v (stopped %v), want the start's error and no stop", err, stopped)
	}
}

// TestContextValues: a component's context carries Run's values.
func TestContextValues(t *testing.T) {
	t.Parallel()
	type key struct{}
	var got any
	var g lifecycle.Group
	g.Add("a", func(ctx context.Context, _ func()) error { got = ctx.Value(key{}); return nil })
	if err := g.Run(context.WithValue(context.Background(), key{}, "v")); err != nil || got != "v" {
		t.Errorf("Run = %v, value %v; want nil, v", err, got)
	}
}
