package digesttest

import (
	"testing"
	"time"
)

func fired(ch <-chan time.Time) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestClock(t *testing.T) {
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(start)
	if !fired(c.At(start)) || !fired(c.At(start.Add(-time.Hour))) {
		t.Error("a wait for now or the past does not fire at once")
	}
	soon, later := c.At(start.Add(time.Minute)), c.At(start.Add(time.Hour))
	if fired(soon) || fired(later) {
		t.Fatal("a wait fired before the clock moved")
	}
	if got := c.Advance(time.Minute); !got.Equal(start.Add(time.Minute)) || !c.Now().Equal(got) {
		t.Errorf("Advance = %v, Now = %v", got, c.Now())
	}
	if !fired(soon) || fired(later) {
		t.Error("Advance to a wait's time must fire it, and only it")
	}
	c.Set(start) // backwards: ignored
	if !c.Now().Equal(start.Add(time.Minute)) {
		t.Errorf("Set moved the clock back to %v", c.Now())
	}
	c.Set(start.Add(2 * time.Hour))
	select {
	case at := <-later:
		if !at.Equal(start.Add(2 * time.Hour)) {
			t.Errorf("a wait received %v, want the time the clock moved to", at)
		}
	default:
		t.Error("Set past a wait's time did not fire it")
	}
}
