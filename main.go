// Command newsbrief is a Discord bot that answers slash commands with
// summaries of news articles and posts scheduled digests to channels. Run
// with no arguments it connects to Discord; its subcommands work offline.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
