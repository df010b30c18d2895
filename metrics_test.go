package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"newsbrief/bot/discord/discordtest"
	"newsbrief/briefs/briefstest"
	"newsbrief/briefs/folder"
)

// botCommand is the real binary, run as the bot against srv in a folder of
// five articles, with extra environment variables.
func botCommand(t *testing.T, srv *discordtest.Server, extra ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	if err := folder.Write(filepath.Join(dir, "articles"), briefstest.Articles(5, 1)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "NEWSBRIEF_RUN_MAIN=1",
		"DISCORD_TOKEN="+discordtest.Token, "DISCORD_API_URL="+srv.URL(), "DISCORD_GUILD_ID="+discordtest.DefaultGuildID,
		"BRIEFS_DIR=articles", "DATABASE_PATH="+filepath.Join(dir, "data", "nb.db"), "LOG_LEVEL=info"), extra...)
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	return cmd, stderr
}

// TestMetricsListener runs the binary with METRICS_ADDR on a port the
// system picks, finds the address in its log, and scrapes it.
func TestMetricsListener(t *testing.T) {
	srv := discordtest.New(t)
	cmd, stderr := botCommand(t, srv, "METRICS_ADDR=127.0.0.1:0")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	listening := regexp.MustCompile(`msg="metrics listening" addr=(127\.0\.0\.1:[0-9]+)`)
	var base string
	for base == "" {
		if m := listening.FindStringSubmatch(stderr.String()); m != nil {
			base = "http://" + m[1]
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no metrics listener in the log:\n%s", stderr.String())
		case err := <-done:
			t.Fatalf("the bot exited (%v):\n%s", err, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := srv.WaitCommands(ctx, discordtest.DefaultGuildID); err != nil {
		t.Fatalf("the bot never registered its commands: %v\n%s", err, stderr.String())
	}
	if _, err := srv.Interact(ctx, discordtest.Command("brief", discordtest.Sub("latest", discordtest.Opt("count", 2)))); err != nil {
		t.Fatal(err)
	}
	for {
		code, _ := httpGet(t, base+"/readyz")
		if code == http.StatusOK {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz never answered 200:\n%s", stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	_, body := httpGet(t, base+"/metrics")
	for _, want := range []string{
		`newsbrief_interactions_total{command="brief latest",kind="command",outcome="ok"} 1`,
		`newsbrief_library_articles 5`,
		`newsbrief_gateway_connected{shard="0"} 1`,
		`newsbrief_digests_total{outcome="posted"} 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("the scrape lacks %s", want)
		}
	}
	if code, text := httpGet(t, base+"/healthz"); code != http.StatusOK || text != "ok\n" {
		t.Errorf("/healthz = %d %q", code, text)
	}
}

// TestMetricsAddressInUse: a listener that cannot start is a clear startup
// error, before the bot connects.
func TestMetricsAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := discordtest.New(t)
	cmd, stderr := botCommand(t, srv, "METRICS_ADDR="+ln.Addr().String())
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit = %v, want 1:\n%s", err, stderr.String())
	}
	if want := "metrics: listen on METRICS_ADDR " + ln.Addr().String(); !strings.Contains(stderr.String(), want) {
		t.Errorf("the error does not say %q:\n%s", want, stderr.String())
	}
	if n := srv.GatewayConnections(); n != 0 {
		t.Errorf("the bot connected %d times before failing", n)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}
