// Package command is newsbrief's commands without a transport: Request and
// Reply, the Router and its middleware, the /brief and /digest handlers, and
// the console that runs them on typed lines. Handlers see only Request and
// Reply, so the same code answers Discord interactions (package discord),
// the terminal console and the command line.
package command

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Request is one command invocation, stripped of its transport.
type Request struct {
	// Path is the command path: "brief latest", "digest subscribe".
	Path string
	// Options holds the option values by name: string, int64, bool, or a
	// channel ID (string) for channel options.
	Options map[string]any
	// Focused names the option being typed, for autocomplete requests.
	Focused string
	// Autocomplete is set when the user is typing, not submitting.
	Autocomplete bool

	InteractionID string
	GuildID       string
	ChannelID     string
	UserID        string
	// Permissions are the invoking member's permissions in the channel.
	Permissions int64
	// BotPermissions are the bot's own permissions in the channel the
	// command was used in (Discord's app_permissions); 0 when unknown.
	BotPermissions int64
	// Roles are the roles that role options name, by ID, as Discord
	// resolved them.
	Roles map[string]Role
}

// Role is a role an option names.
type Role struct {
	Name        string
	Mentionable bool
}

// PermissionMentionEveryone is Discord's Mention Everyone bit (see
// PermissionManageChannels for why the command layer has its own copy).
const PermissionMentionEveryone = 1 << 17

// String returns the option as a string, or "" when absent.
func (r Request) String(name string) string {
	switch v := r.Options[name].(type) {
	case string:
		return v
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return ""
}

// Bool returns a boolean option and whether it was given: Discord sends
// a bool, the console the words true or false (anything else counts as
// not given).
func (r Request) Bool(name string) (value, given bool) {
	switch v := r.Options[name].(type) {
	case bool:
		return v, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
			return b, true
		}
	}
	return false, false
}

// Int returns an integer option, or def when absent.
func (r Request) Int(name string, def int64) (int64, error) {
	switch v := r.Options[name].(type) {
	case nil:
		return def, nil
	case int64:
		return v, nil
	case float64:
		if v != float64(int64(v)) {
			return 0, Userf("%s must be a whole number, not %v.", name, v)
		}
		return int64(v), nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, Userf("%s must be a whole number, not %q.", name, v)
		}
		return n, nil
	}
	return 0, Userf("%s must be a whole number.", name)
}

// IntIn returns an integer option that must lie in [lo, hi].
func (r Request) IntIn(name string, def, lo, hi int64) (int, error) {
	n, err := r.Int(name, def)
	if err != nil {
		return 0, err
	}
	if n < lo || n > hi {
		return 0, Userf("%s must be between %d and %d (you gave %d).", name, lo, hi, n)
	}
	return int(n), nil
}

// Reply is what a handler answers: rendered to embeds for Discord and to
// plain text for the console.
type Reply struct {
	Content string
	Cards   []Card
	// Choices answer an autocomplete request.
	Choices []Choice
	// Ephemeral replies are shown only to the user who asked.
	Ephemeral bool
	// Delivery, on a digest preview, is how the digest would be delivered
	// (a forum post, a thread, published, a mention): Text shows it above
	// the reply; Discord's rendering leaves it out.
	Delivery *Delivery
}

// Card is one article-like block; Discord shows it as an embed.
type Card struct {
	Title       string
	Description string
	Fields      []Field
	Footer      string
	// Time, when set, is shown as a Discord timestamp.
	Time time.Time
	// URL is the page the card is about: Discord links the title to it,
	// the console prints it. Empty for article files, which have no page.
	URL string
	// Thumbnail is the address of a picture Discord shows beside the card;
	// the console leaves it out, since a terminal cannot show it.
	Thumbnail string
}

// Field is a named value on a card.
type Field struct {
	Name, Value string
	Inline      bool
}

// Choice is an autocomplete suggestion.
type Choice struct {
	Name, Value string
}

// UserError is a problem with what the user asked for. Its message is shown
// to them (ephemerally) and should say what to do instead.
type UserError struct{ Msg string }

func (e *UserError) Error() string { return e.Msg }

// Userf formats a UserError.
func Userf(format string, args ...any) error {
	return &UserError{Msg: fmt.Sprintf(format, args...)}
}

// ReplyFor is what the user sees for a handler's answer: rep, or for an
// error an ephemeral reply with the UserError's text or an apology (the
// error itself is logged by the Logging middleware, never shown).
func ReplyFor(rep Reply, err error) Reply {
	if err == nil {
		return rep
	}
	msg, _ := userMessage(err)
	return Reply{Content: msg, Ephemeral: true}
}

// userMessage returns the text to show for err and whether it was the
// user's to fix.
func userMessage(err error) (string, bool) {
	var ue *UserError
	if errors.As(err, &ue) {
		return ue.Msg, true
	}
	return "Something went wrong on our side; the error was logged. Please try again in a moment.", false
}
