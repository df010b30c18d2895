package command

import (
	"errors"
	"strings"
	"testing"
	"time"

	"newsbrief/digest"
)

// TestScheduleRefusalsAreWordedForUsers: every schedule the digest package
// refuses reaches the user as a UserError that says why and shows valid
// examples, as the schedule parser's own messages did before it returned
// plain errors.
func TestScheduleRefusalsAreWordedForUsers(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for spec, want := range map[string]string{
		"":                "Give a schedule",
		"every day":       "not a schedule",
		"TZ=":             "timezone option",
		"0,1 9 * * *":     "runs too often: 1m0s apart at Wed 09:00, and digests may run at most once every 1h0m0s",
		"0 0 30 2 *":      "never fires",
		"CRON_TZ=Europe/": "timezone option",
	} {
		_, err := digest.ParseSchedule(spec, time.UTC, time.Hour, now)
		var ue *UserError
		if !errors.As(subscribeError(err, ""), &ue) {
			t.Errorf("%q: %v is not a UserError", spec, err)
			continue
		}
		if !strings.Contains(ue.Msg, want) || !strings.Contains(ue.Msg, "0 9 * * 1-5") {
			t.Errorf("%q: %q, want it to contain %q and an example", spec, ue.Msg, want)
		}
	}
	_, err := digest.LoadZone("Mars/Olympus")
	if msg := subscribeError(err, "Mars/Olympus").Error(); !strings.Contains(msg, `Unknown time zone "Mars/Olympus"`) {
		t.Errorf("unknown zone: %q", msg)
	}
	if other := errors.New("disk on fire"); subscribeError(other, "") != other {
		t.Error("an error that is no refusal was reworded")
	}
}
