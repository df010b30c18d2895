package discordtest

import (
	"os"
	"testing"

	"newsbrief/bot/discord/internal/testparallel"
)

// TestMain runs up to 8 tests at once (unless -parallel says otherwise):
// most tests here wait on discordgo, see testparallel.
func TestMain(m *testing.M) {
	testparallel.Widen(8)
	os.Exit(m.Run())
}
