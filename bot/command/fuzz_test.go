package command

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"newsbrief/bot/digest"
	"newsbrief/store/sqlite"
)

// FuzzServe sends arbitrary option values to every command: no input may
// make a handler panic (the Recover middleware would turn a panic into an
// error naming it, so the test looks for that).
func FuzzServe(f *testing.F) {
	f.Add("brief latest", "topic", "climate", int64(3), "count")
	f.Add("brief read", "article", "", int64(-1), "length")
	f.Add("brief search", "query", "\x00\xff", int64(0), "query")
	f.Add("digest subscribe", "schedule", "TZ=", int64(11), "count")
	f.Add("digest subscribe", "timezone", "../../etc/passwd", int64(5), "timezone")
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	lib := testLibrary(f, 30)
	b := New(lib, digest.New(lib, st), nil)
	paths := b.Paths()
	f.Fuzz(func(t *testing.T, path, name, value string, n int64, intName string) {
		for _, p := range append(paths, path) {
			for _, auto := range []bool{false, true} {
				req := Request{
					Path: p, Autocomplete: auto, Focused: name, GuildID: "1", ChannelID: "2", UserID: "3",
					Permissions: ^int64(0),
					Options:     map[string]any{name: value, intName: n, "channel": value, "schedule": value},
				}
				_, err := b.Serve(context.Background(), req)
				if err != nil && strings.Contains(err.Error(), "panic") {
					t.Fatalf("%s %+v: %v", p, req.Options, err)
				}
			}
		}
	})
}
