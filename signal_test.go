package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
)

// TestMain lets a test run the real main in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("NEWSBRIEF_RUN_MAIN") == "1" {
		os.Args = []string{"newsbrief"}
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSIGTERMShutsDownGracefully runs the real binary against the fake
// Discord, sends it SIGTERM and expects a clean shutdown and exit 0.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	srv := discordtest.New(t)
	dir := t.TempDir()
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(5, 1)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NEWSBRIEF_RUN_MAIN=1",
		"DISCORD_TOKEN="+discordtest.Token, "DISCORD_API_URL="+srv.URL(), "DISCORD_GUILD_ID="+discordtest.DefaultGuildID,
		"BRIEFS_DIR=articles", "DATABASE_PATH="+filepath.Join(dir, "data", "nb.db"), "LOG_LEVEL=info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := srv.WaitCommands(ctx, discordtest.DefaultGuildID); err != nil {
		cmd.Process.Kill()
		t.Fatalf("the bot never registered its commands: %v\n%s", err, stderr.String())
	}
	rep, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 2))))
	if err != nil || len(rep.Data.Embeds) != 2 {
		t.Errorf("the running binary did not answer: %v %+v", err, rep)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatalf("no exit after SIGTERM:\n%s", stderr.String())
	}
	logs := stderr.String()
	for _, want := range []string{"msg=ready", "msg=\"shutting down: finishing interactions in flight\"", "msg=\"shut down\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, discordtest.Token) {
		t.Error("the token appears in the logs")
	}
}
