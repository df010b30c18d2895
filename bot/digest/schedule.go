package digest

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "time/tzdata" // IANA zones even on machines without a zoneinfo database

	"github.com/robfig/cron/v3"
)

// Why ParseSchedule refused a schedule: a ScheduleError unwraps to one of
// these, so the command layer can word each for users.
var (
	ErrScheduleEmpty    = errors.New("no schedule given")
	ErrScheduleZone     = errors.New("time zone prefix in the schedule")
	ErrScheduleSyntax   = errors.New("not a cron expression or descriptor")
	ErrScheduleNever    = errors.New("never fires")
	ErrScheduleTooOften = errors.New("runs too often")
	// ErrScheduleEvery: an @every duration that is not a whole number of
	// seconds, at least one. robfig/cron runs such a schedule at another
	// pace (it truncates to whole seconds and raises anything shorter to
	// 1s), and the subscription would show the pace written, not the one
	// that runs.
	ErrScheduleEvery = errors.New("@every needs whole seconds, at least 1s")
)

// ScheduleError is a schedule ParseSchedule refused, with what a message
// to the user needs.
type ScheduleError struct {
	// Spec is the schedule as given, with runs of spaces made one.
	Spec string
	// Reason is one of the ErrSchedule* errors.
	Reason error
	// Cause is the cron parser's complaint, for ErrScheduleSyntax; nil when
	// the parser panicked instead.
	Cause error
	// Gap is the shortest gap found between two runs, At the run it follows
	// (in the schedule's zone) and MinGap the allowed minimum, for
	// ErrScheduleTooOften.
	Gap, MinGap time.Duration
	At          time.Time
	// Every is the @every duration as written and Runs the one robfig/cron
	// would run instead, for ErrScheduleEvery.
	Every, Runs time.Duration
}

func (e *ScheduleError) Error() string {
	msg := fmt.Sprintf("digest: schedule %q: %v", e.Spec, e.Reason)
	switch {
	case e.Cause != nil:
		msg += ": " + e.Cause.Error()
	case errors.Is(e.Reason, ErrScheduleTooOften):
		msg += fmt.Sprintf(": %s apart at %s, minimum %s", e.Gap, e.At.Format("Mon 15:04"), e.MinGap)
	case errors.Is(e.Reason, ErrScheduleEvery):
		msg += fmt.Sprintf(": %s would run every %s", e.Every, e.Runs)
	}
	return msg
}

func (e *ScheduleError) Unwrap() error { return e.Reason }

// Instant is the schedule of a digest that posts each new story as it
// arrives: within one poll of its feed (or one change of the articles
// folder), as one message of up to its count of stories when several
// arrive together. DIGEST_MIN_INTERVAL does not apply; Discord's limits
// on a channel pace it, and nothing is dropped.
const Instant = "instant"

// IsInstant reports whether spec is Instant, in any case.
func IsInstant(spec string) bool { return strings.EqualFold(strings.TrimSpace(spec), Instant) }

// instantSchedule never fires on the clock: an instant digest is run when
// the library changes (see Service).
type instantSchedule struct{}

func (instantSchedule) Next(time.Time) time.Time { return time.Time{} }

// scheduleParser accepts five-field cron expressions and the descriptors.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// gapSamples is how many upcoming runs ParseSchedule inspects for the
// minimum gap: enough to cover every run of an hour- or day-shaped pattern.
const gapSamples = 400

// ParseSchedule parses a digest schedule in loc and checks that it fires
// after now, never twice within minGap (not checked when minGap is 0), and,
// for @every, at exactly the pace written (so what a subscription shows is
// what runs). Every error is a *ScheduleError; no input panics
// (robfig/cron's parser can, on some TZ= prefixes, so it is guarded too).
func ParseSchedule(spec string, loc *time.Location, minGap time.Duration, now time.Time) (sched cron.Schedule, err error) {
	spec = strings.Join(strings.Fields(spec), " ")
	refuse := func(reason error) *ScheduleError { return &ScheduleError{Spec: spec, Reason: reason} }
	if spec == "" {
		return nil, refuse(ErrScheduleEmpty)
	}
	if IsInstant(spec) {
		return instantSchedule{}, nil
	}
	upper := strings.ToUpper(spec)
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return nil, refuse(ErrScheduleZone)
	}
	defer func() {
		if p := recover(); p != nil {
			sched, err = nil, refuse(ErrScheduleSyntax)
		}
	}()
	sched, err = scheduleParser.Parse(spec)
	if err != nil {
		e := refuse(ErrScheduleSyntax)
		e.Cause = err
		return nil, e
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	if written, runs, ok := EveryDelay(spec); ok && written != runs {
		e := refuse(ErrScheduleEvery)
		e.Every, e.Runs = written, runs
		return nil, e
	}
	prev := sched.Next(now)
	if prev.IsZero() {
		return nil, refuse(ErrScheduleNever)
	}
	for i := 0; minGap > 0 && i < gapSamples; i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); gap < minGap {
			e := refuse(ErrScheduleTooOften)
			e.Gap, e.MinGap, e.At = gap, minGap, prev.In(loc)
			return nil, e
		}
		prev = next
	}
	return sched, nil
}

// EveryDelay reports, for an "@every <duration>" schedule, the duration as
// written and the pace robfig/cron runs it at: whole seconds, at least one.
// They differ only for schedules ParseSchedule refuses, or that were stored
// before it refused them; ok is false for any other schedule.
func EveryDelay(spec string) (written, runs time.Duration, ok bool) {
	rest, ok := strings.CutPrefix(strings.Join(strings.Fields(spec), " "), "@every ")
	if !ok {
		return 0, 0, false
	}
	written, err := time.ParseDuration(rest)
	if err != nil {
		return 0, 0, false
	}
	return written, cron.Every(written).Delay, true
}

// ErrUnknownZone: a subscription names a time zone that is not an IANA
// name this system knows.
var ErrUnknownZone = errors.New("unknown time zone")

// LoadZone loads an IANA zone; an unknown one is an error wrapping
// ErrUnknownZone that names it. Unlike time.LoadLocation it refuses "Local"
// (which would follow the host's setting) and path-like names (which would
// read files).
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || strings.Contains(name, "..") || filepath.IsAbs(name) || strings.ContainsAny(name, "\\ \x00") {
		return nil, fmt.Errorf("digest: %w %q", ErrUnknownZone, name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("digest: %w %q", ErrUnknownZone, name)
	}
	return loc, nil
}

// nextRuns lists the next n run times after now.
func nextRuns(s cron.Schedule, now time.Time, n int) []time.Time {
	var out []time.Time
	t := now
	for len(out) < n {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}

// latestMissed returns the latest run time in (after, now], if any. It is
// bounded, so a fast schedule after a long outage cannot spin: past the
// bound, the answer is the last run found, which is still within the grace
// check's reach only if the outage was short.
func latestMissed(s cron.Schedule, after, now time.Time) (time.Time, bool) {
	if c, ok := s.(cron.ConstantDelaySchedule); ok {
		if now.Sub(after) < c.Delay {
			return time.Time{}, false
		}
		n := now.Sub(after) / c.Delay
		return after.Add(n * c.Delay), true
	}
	var last time.Time
	t := after
	for i := 0; i < 100000; i++ {
		next := s.Next(t)
		if next.IsZero() || next.After(now) {
			break
		}
		last, t = next, next
	}
	return last, !last.IsZero()
}
