package discord

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseScheduleAccepts(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	berlin, _ := loadZone("Europe/Berlin")
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
	cases := []struct{ spec, want string }{
		{"", "Give a schedule"},
		{"every day", "not a schedule"},
		{"0 9 * *", "not a schedule"},
		{"0 9 * * * *", "not a schedule"},
		{"61 9 * * *", "not a schedule"},
		{"@fortnightly", "not a schedule"},
		{"@every banana", "not a schedule"},
		{"CRON_TZ=Europe/Berlin 0 9 * * *", "timezone option"},
		{"TZ=Europe/Berlin 0 9 * * *", "timezone option"},
		{"TZ=", "timezone option"},
		{"CRON_TZ=", "timezone option"},
		{"cron_tz=x", "timezone option"},
		{"* * * * *", "too often"},
		{"*/30 * * * *", "too often"},
		{"0,1 9 * * *", "too often"}, // the text looks daily; the gap is a minute
		{"0 9,10 * * *", ""},         // an hour apart: allowed at a 1h minimum
		{"@every 59m", "too often"},
		{"@every 0s", "too often"},
		{"0 0 30 2 *", "never fires"},
		{"0 0 31 4 *", "never fires"},
	}
	for _, tc := range cases {
		_, err := ParseSchedule(tc.spec, time.UTC, time.Hour, now)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ParseSchedule(%q) = %v, want ok", tc.spec, err)
			}
			continue
		}
		var ue *UserError
		if !errors.As(err, &ue) {
			t.Errorf("ParseSchedule(%q) = %v, want a UserError", tc.spec, err)
			continue
		}
		if !strings.Contains(ue.Msg, tc.want) || !strings.Contains(ue.Msg, "0 9 * * 1-5") {
			t.Errorf("ParseSchedule(%q) = %q, want it to contain %q and an example", tc.spec, ue.Msg, tc.want)
		}
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
