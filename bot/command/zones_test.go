package command

import (
	"slices"
	"testing"
	"time"
)

// TestZoneNamesLoad: every zone timezone autocomplete offers is one a
// subscription can use.
func TestZoneNamesLoad(t *testing.T) {
	if !slices.IsSorted(zoneNames) || len(slices.Compact(slices.Clone(zoneNames))) != len(zoneNames) {
		t.Error("zoneNames is not sorted and unique")
	}
	for _, want := range []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"} {
		if !slices.Contains(zoneNames, want) {
			t.Errorf("zoneNames lacks %s", want)
		}
	}
	for _, z := range zoneNames {
		if _, err := time.LoadLocation(z); err != nil {
			t.Errorf("zone %s: %v", z, err)
		}
	}
}
