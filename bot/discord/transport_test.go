package discord

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

type recordingTransport struct {
	mu    sync.Mutex
	times []time.Time
	paths []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.times = append(r.times, time.Now())
	r.paths = append(r.paths, req.URL.Path)
	r.mu.Unlock()
	return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: req}, nil
}

func TestBaseURLTransportRewrites(t *testing.T) {
	t.Parallel()
	rec := &recordingTransport{}
	rt, err := newBaseURLTransport("http://127.0.0.1:9/proxy/api/v9/", rec)
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "https://discord.com/api/v9/channels/1/messages?limit=2", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if rec.paths[0] != "/proxy/api/v9/channels/1/messages" {
		t.Errorf("rewritten path %q", rec.paths[0])
	}
	if _, err := newBaseURLTransport("discord.com", nil); err == nil {
		t.Error("a base URL without scheme was accepted")
	}
}

// TestGlobalLimitSpacesRequests checks the times the limiter let requests
// leave, as it records them: the times a transport after it reads depend
// on when the goroutines run, which a busy machine delays at random.
func TestGlobalLimitSpacesRequests(t *testing.T) {
	t.Parallel()
	const rate = 40
	rec := &recordingTransport{}
	rt := newGlobalLimitTransport(rate, rec)
	var mu sync.Mutex
	var left []time.Time
	rt.left = func(at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		left = append(left, at)
	}
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", "http://x/api/v9/channels/1/messages", nil)
			if _, err := rt.RoundTrip(req); err != nil {
				t.Error(err)
			}
		})
	}
	// A cancelled request gives up without blocking the line.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://x/api/v9/channels/2/messages", nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Error("a cancelled request went through")
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(rec.times) != 60 || len(left) != 60 {
		t.Fatalf("%d requests sent, %d left the line, want 60", len(rec.times), len(left))
	}
	minGap := time.Second * 9 / (10 * rate)
	for i := 1; i < len(left); i++ {
		if gap := left[i].Sub(left[i-1]); gap < minGap {
			t.Errorf("requests %d and %d left %s apart, want at least %s", i-1, i, gap, minGap)
		}
	}
	// And never more than rate in any second.
	for i := rate; i < len(left); i++ {
		if span := left[i].Sub(left[i-rate]); span < time.Second {
			t.Errorf("requests %d to %d left within %s", i-rate, i, span)
		}
	}
	// Interaction responses are not held back by the line.
	before := len(rec.times)
	req, _ = http.NewRequest("POST", "http://x/api/v9/interactions/1/tok/callback", nil)
	if _, err := rt.RoundTrip(req); err != nil || len(rec.times) != before+1 {
		t.Errorf("interaction callback: %v", err)
	}
}
