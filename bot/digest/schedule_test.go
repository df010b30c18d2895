package digest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseScheduleAccepts(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	berlin, _ := LoadZone("Europe/Berlin")
	cases := []struct {
		spec string
		loc  *time.Location
		next time.Time
	}{
		{"0 9 * * 1-5", time.UTC, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)},
		{"0 9 * * 1-5", berlin, time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)},
		{"@hourly", time.UTC, time.Date(2026, 11, 24, 11, 0, 0, 0, time.UTC)},
		{"@daily", time.UTC, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)},
		{"@midnight", berlin, time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)},
		{"@weekly", time.UTC, time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)},
		{"@monthly", time.UTC, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		{"@every 2h", time.UTC, now.Add(2 * time.Hour)},
		{"  30   7 * * *  ", time.UTC, time.Date(2026, 11, 25, 7, 30, 0, 0, time.UTC)},
	}
	for _, tc := range cases {
		s, err := ParseSchedule(tc.spec, tc.loc, time.Hour, now)
		if err != nil {
			t.Errorf("ParseSchedule(%q) = %v", tc.spec, err)
			continue
		}
		if got := s.Next(now); !got.Equal(tc.next) {
			t.Errorf("ParseSchedule(%q, %s).Next = %s, want %s", tc.spec, tc.loc, got.UTC(), tc.next)
		}
	}
}

func TestParseScheduleRefuses(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		spec string
		want error // nil: accepted
	}{
		{"", ErrScheduleEmpty},
		{"every day", ErrScheduleSyntax},
		{"0 9 * *", ErrScheduleSyntax},
		{"0 9 * * * *", ErrScheduleSyntax},
		{"61 9 * * *", ErrScheduleSyntax},
		{"@fortnightly", ErrScheduleSyntax},
		{"@every banana", ErrScheduleSyntax},
		{"CRON_TZ=Europe/Berlin 0 9 * * *", ErrScheduleZone},
		{"TZ=Europe/Berlin 0 9 * * *", ErrScheduleZone},
		{"TZ=", ErrScheduleZone},
		{"CRON_TZ=", ErrScheduleZone},
		{"cron_tz=x", ErrScheduleZone},
		{"* * * * *", ErrScheduleTooOften},
		{"*/30 * * * *", ErrScheduleTooOften},
		{"0,1 9 * * *", ErrScheduleTooOften}, // the text looks daily; the gap is a minute
		{"0 9,10 * * *", nil},                // an hour apart: allowed at a 1h minimum
		{"@every 59m", ErrScheduleTooOften},
		{"@every 0s", ErrScheduleEvery},
		{"@every -1h", ErrScheduleEvery},
		{"@every 1h0.5s", ErrScheduleEvery},
		{"0 0 30 2 *", ErrScheduleNever},
		{"0 0 31 4 *", ErrScheduleNever},
	}
	for _, tc := range cases {
		_, err := ParseSchedule(tc.spec, time.UTC, time.Hour, now)
		if tc.want == nil {
			if err != nil {
				t.Errorf("ParseSchedule(%q) = %v, want ok", tc.spec, err)
			}
			continue
		}
		var se *ScheduleError
		if !errors.As(err, &se) || !errors.Is(err, tc.want) {
			t.Errorf("ParseSchedule(%q) = %v, want a ScheduleError for %v", tc.spec, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("%q", se.Spec)) {
			t.Errorf("ParseSchedule(%q) = %q, want it to name the schedule", tc.spec, err)
		}
	}
	_, err := ParseSchedule("0,1 9 * * *", time.UTC, time.Hour, now)
	if se := (*ScheduleError)(nil); !errors.As(err, &se) || se.Gap != time.Minute || se.MinGap != time.Hour || se.At.Format("15:04") != "09:00" {
		t.Errorf("too often: %+v", err)
	}
}

// TestParseScheduleEveryRunsAsWritten: robfig/cron runs @every in whole
// seconds, at least one, so at a one-second minimum "@every 100ms" would
// be accepted, shown as every 100ms and run every second. Only durations
// it runs as written are accepted.
func TestParseScheduleEveryRunsAsWritten(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 500_000_000, time.UTC)
	for _, tc := range []struct {
		spec        string
		every, runs time.Duration // zero: accepted
	}{
		{"@every 100ms", 100 * time.Millisecond, time.Second},
		{"@every 999ms", 999 * time.Millisecond, time.Second},
		{"@every 1.5s", 1500 * time.Millisecond, time.Second},
		{"@every 1m0.25s", time.Minute + 250*time.Millisecond, time.Minute},
		{"@every 0s", 0, time.Second},
		{"@every 1s", 0, 0},
		{"@every 2000ms", 0, 0}, // whole seconds, written in ms
		{"@every 3000ms", 0, 0},
		{"@every 1.5h", 0, 0},
		{"@every   90m", 0, 0},
	} {
		s, err := ParseSchedule(tc.spec, time.UTC, time.Second, now)
		if tc.every == 0 && tc.runs == 0 {
			if err != nil {
				t.Errorf("ParseSchedule(%q) = %v, want ok", tc.spec, err)
				continue
			}
			written, runs, ok := EveryDelay(tc.spec)
			if !ok || written != runs {
				t.Errorf("EveryDelay(%q) = %s, %s, %v: accepted but runs at another pace", tc.spec, written, runs, ok)
			}
			if gap := s.Next(s.Next(now)).Sub(s.Next(now)); gap != runs {
				t.Errorf("ParseSchedule(%q) runs %s apart, want %s", tc.spec, gap, runs)
			}
			continue
		}
		var se *ScheduleError
		if !errors.As(err, &se) || !errors.Is(err, ErrScheduleEvery) {
			t.Errorf("ParseSchedule(%q) = %v, want ErrScheduleEvery", tc.spec, err)
			continue
		}
		if se.Every != tc.every || se.Runs != tc.runs {
			t.Errorf("ParseSchedule(%q): Every %s, Runs %s, want %s, %s", tc.spec, se.Every, se.Runs, tc.every, tc.runs)
		}
		if want := fmt.Sprintf("would run every %s", tc.runs); !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchedule(%q) = %q, want it to say %q", tc.spec, err, want)
		}
	}
	if _, _, ok := EveryDelay("0 9 * * *"); ok {
		t.Error("EveryDelay took a cron expression for @every")
	}
	if _, _, ok := EveryDelay("@every banana"); ok {
		t.Error("EveryDelay took a bad duration")
	}
}

func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0 9 * * 1-5", "@every 1h", "TZ=", "CRON_TZ=Europe/Berlin", "@", "* * * * * *", "0 0 30 2 *", "1-5/0 * * * *"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := ParseSchedule(spec, time.UTC, time.Minute, now)
		if err == nil && s.Next(now).IsZero() {
			t.Errorf("accepted %q, which never fires", spec)
		}
		if written, runs, ok := EveryDelay(spec); err == nil && ok && written != runs {
			t.Errorf("accepted %q, which runs every %s", spec, runs)
		}
	})
}

func TestLatestMissed(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 30, 0, 0, time.UTC)
	s, err := ParseSchedule("0 * * * *", time.UTC, time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := latestMissed(s, now.Add(-5*time.Hour), now)
	if !ok || !got.Equal(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("latestMissed = %s %v, want 10:00", got, ok)
	}
	if _, ok := latestMissed(s, time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC), now); ok {
		t.Error("a run already made counted as missed")
	}
	every, _ := ParseSchedule("@every 1h", time.UTC, time.Hour, now)
	got, ok = latestMissed(every, now.Add(-150*time.Minute), now)
	if !ok || !got.Equal(now.Add(-30*time.Minute)) {
		t.Errorf("latestMissed(@every) = %s %v", got, ok)
	}
}
