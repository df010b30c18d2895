package discord

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleExample is shown whenever a schedule is refused.
const scheduleExample = "Examples: `0 9 * * 1-5` (9:00 on weekdays), `30 7 * * *`, `@daily`, `@weekly`, `@every 6h`."

// scheduleParser accepts five-field cron expressions and the descriptors.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// gapSamples is how many upcoming runs ParseSchedule inspects for the
// minimum gap: enough to cover every run of an hour- or day-shaped pattern.
const gapSamples = 400

// ParseSchedule parses a digest schedule in loc and checks that it fires,
// and never twice within minGap. Every error is a UserError that shows valid
// examples; no input panics (robfig/cron's parser can, on some TZ= prefixes,
// so it is guarded too).
func ParseSchedule(spec string, loc *time.Location, minGap time.Duration, now time.Time) (sched cron.Schedule, err error) {
	spec = strings.Join(strings.Fields(spec), " ")
	if spec == "" {
		return nil, Userf("Give a schedule. %s", scheduleExample)
	}
	upper := strings.ToUpper(spec)
	if strings.HasPrefix(upper, "TZ=") || strings.HasPrefix(upper, "CRON_TZ=") {
		return nil, Userf("Leave the time zone out of the schedule and use the timezone option instead. %s", scheduleExample)
	}
	defer func() {
		if p := recover(); p != nil {
			sched, err = nil, Userf("%q is not a schedule I can read. %s", spec, scheduleExample)
		}
	}()
	sched, err = scheduleParser.Parse(spec)
	if err != nil {
		return nil, Userf("%q is not a schedule I can read (%v). %s", spec, err, scheduleExample)
	}
	if s, ok := sched.(*cron.SpecSchedule); ok {
		s.Location = loc
	}
	prev := sched.Next(now)
	if prev.IsZero() {
		return nil, Userf("%q never fires (no such date). %s", spec, scheduleExample)
	}
	for i := 0; i < gapSamples; i++ {
		next := sched.Next(prev)
		if next.IsZero() {
			break
		}
		if gap := next.Sub(prev); gap < minGap {
			return nil, Userf("%q runs too often: %s apart at %s, and digests may run at most once every %s. %s",
				spec, gap, prev.In(loc).Format("Mon 15:04"), minGap, scheduleExample)
		}
		prev = next
	}
	return sched, nil
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

// describeSchedule says a schedule in words for confirmations.
func describeSchedule(spec string) string {
	switch strings.ToLower(strings.TrimSpace(spec)) {
	case "@hourly":
		return "every hour"
	case "@daily", "@midnight":
		return "every day at midnight"
	case "@weekly":
		return "every Sunday at midnight"
	case "@monthly":
		return "on the first of every month at midnight"
	case "@yearly", "@annually":
		return "every 1 January at midnight"
	}
	if rest, ok := strings.CutPrefix(strings.TrimSpace(spec), "@every "); ok {
		return "every " + strings.TrimSpace(rest)
	}
	return fmt.Sprintf("on the schedule `%s`", spec)
}
