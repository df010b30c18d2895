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
		{"@every 0s", ErrScheduleTooOften},
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
