package testparallel

import (
	"flag"
	"strconv"
	"testing"
)

func TestWidenKeepsAnExplicitSetting(t *testing.T) {
	f := flag.Lookup("test.parallel")
	before := f.Value.String()
	t.Cleanup(func() { _ = flag.Set("test.parallel", before) })

	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	cur, _ := strconv.Atoi(before)
	Widen(cur + 5)
	want := strconv.Itoa(cur + 5)
	if explicit {
		want = before
	}
	if got := f.Value.String(); got != want {
		t.Errorf("after Widen(%d): -test.parallel = %s, want %s (set on the command line: %v)", cur+5, got, want, explicit)
	}
	Widen(1)
	if got := f.Value.String(); got != want {
		t.Errorf("Widen(1) lowered -test.parallel to %s", got)
	}
}
