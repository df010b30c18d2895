package command

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"newsbrief/bot/digest"
)

// ConsoleHelp is printed by the console's "help".
const ConsoleHelp = `Type a slash command as you would in Discord, options as name:value
(quote values with spaces), for example:
  /brief latest count:2
  /brief latest topic:"interest rates"
  /brief read article:tram length:long
  /brief search query:moon ice
  /brief latest source:articles
  /brief sources
  /digest preview
Start a line with ? to see autocomplete choices for its last option:
  ?/brief read article:lunar
"help" shows this, "quit" or end of input leaves.`

// ParseCommandLine reads a console line such as
// `/brief latest count:2 topic:"climate change"` into a Request. Option
// values stay strings; Request.Int parses them as Discord would have.
func ParseCommandLine(line string) (Request, error) {
	line = strings.TrimSpace(line)
	req := Request{Options: map[string]any{}}
	if strings.HasPrefix(line, "?") {
		req.Autocomplete = true
		line = strings.TrimSpace(line[1:])
	}
	if !strings.HasPrefix(line, "/") {
		return Request{}, fmt.Errorf("commands start with /, as in /brief latest")
	}
	words, err := splitQuoted(line[1:])
	if err != nil {
		return Request{}, err
	}
	var path []string
	for _, w := range words {
		name, value, ok := strings.Cut(w, ":")
		if !ok {
			if len(req.Options) > 0 {
				// A bare word after options continues the last value:
				// "query:moon ice" means "moon ice".
				last := req.Focused
				req.Options[last] = req.Options[last].(string) + " " + w
				continue
			}
			path = append(path, w)
			continue
		}
		if name == "" {
			return Request{}, fmt.Errorf("option %q has no name: write name:value", w)
		}
		req.Options[name] = value
		req.Focused = name
	}
	if len(path) == 0 {
		return Request{}, fmt.Errorf("no command given: try /brief latest")
	}
	req.Path = strings.Join(path, " ")
	if !req.Autocomplete {
		req.Focused = ""
	}
	return req, nil
}

func splitQuoted(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQuote = !inQuote
			has = true
		case unicode.IsSpace(r) && !inQuote:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("unterminated quote")
	}
	if has {
		out = append(out, cur.String())
	}
	return out, nil
}

// Console runs r's handlers on lines read from in, printing each reply as
// text to out, until in ends, "quit" is typed or ctx is done. The console
// user is treated as a server admin in a channel named "console", of the
// guild digest.PreviewGuild: its digest subscriptions are previews, never
// posted. Times in
// replies are shown in the process's local zone (time.Local).
func Console(ctx context.Context, r *Router, in io.Reader, out io.Writer, prompt bool) error {
	return consoleClock{now: time.Now, loc: time.Local}.run(ctx, r, in, out, prompt)
}

// consoleClock is the console's present time and zone, which its tests fix.
type consoleClock struct {
	now func() time.Time
	loc *time.Location
}

func (c consoleClock) run(ctx context.Context, r *Router, in io.Reader, out io.Writer, prompt bool) error {
	sc := bufio.NewScanner(in)
	for {
		if prompt {
			fmt.Fprint(out, "newsbrief> ")
		}
		if !sc.Scan() || ctx.Err() != nil {
			if prompt {
				fmt.Fprintln(out)
			}
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		switch line {
		case "":
			continue
		case "quit", "exit":
			return nil
		case "help":
			fmt.Fprintln(out, ConsoleHelp)
			continue
		}
		req, err := ParseCommandLine(line)
		if err != nil {
			fmt.Fprintf(out, "error: %v (type help)\n", err)
			continue
		}
		req.GuildID, req.ChannelID, req.UserID = digest.PreviewGuild, "console", "console"
		req.Permissions = ^int64(0)
		rep, err := r.Serve(ctx, req)
		fmt.Fprint(out, textAt(ReplyFor(rep, err), c.now(), c.loc))
	}
}
