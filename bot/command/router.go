package command

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sort"
	"time"

	"newsbrief/bot/digest"
	"newsbrief/briefs"
)

// PermissionManageChannels is Discord's Manage Channels bit in
// Request.Permissions, which /digest requires.
const PermissionManageChannels int64 = 1 << 4

// New returns the router answering newsbrief's commands: /brief over lib,
// and /digest over digests unless it is nil, behind the Recover, Logging and
// Manage Channels middleware. log may be nil to discard.
func New(lib *briefs.Library, digests *digest.Service, log *slog.Logger, opts ...Option) *Router {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.sources == nil {
		o.sources = LibrarySources(lib)
	}
	// The extra middleware goes outermost, so that an observer sees every
	// request's final outcome, a handler's panic already turned into an
	// error by Recover and a refusal for a missing permission included.
	mw := append(o.middleware, Recover(log), Logging(log),
		RequirePermission("digest", PermissionManageChannels, "Manage Channels"))
	r := NewRouter(mw...)
	briefHandlers{lib: lib, sources: o.sources, log: log}.register(r)
	if digests != nil {
		DigestHandlers{Service: digests, Sources: o.sources, Channels: o.channels}.Register(r)
	}
	return r
}

// Option changes what New wires.
type Option func(*options)

type options struct {
	sources    Sources
	channels   Channels
	middleware []Middleware
}

// WithChannels lets /digest look channels up (their kind, a forum's
// tags), to check a subscription's delivery options and offer tags.
func WithChannels(c Channels) Option { return func(o *options) { o.channels = c } }

// WithMiddleware adds middleware around every handler, outside the
// standard ones: for metrics, which must not live in this package.
func WithMiddleware(mw ...Middleware) Option {
	return func(o *options) { o.middleware = append(o.middleware, mw...) }
}

// WithSources gives the commands the sources' names and health, for the
// source option and /brief sources. Without it they come from the library
// alone (LibrarySources): no feed that has no articles yet, no health.
func WithSources(s Sources) Option { return func(o *options) { o.sources = s } }

// Handler answers one request.
type Handler func(ctx context.Context, req Request) (Reply, error)

// Middleware wraps a handler; Router applies them outermost first.
type Middleware func(path string, next Handler) Handler

// Router dispatches requests by command path. Autocomplete requests go to a
// separate table, keyed the same way.
type Router struct {
	handlers     map[string]Handler
	autocomplete map[string]Handler
	middleware   []Middleware
}

// NewRouter returns an empty router using the given middleware.
func NewRouter(mw ...Middleware) *Router {
	return &Router{handlers: map[string]Handler{}, autocomplete: map[string]Handler{}, middleware: mw}
}

// Handle registers h for path.
func (r *Router) Handle(path string, h Handler) { r.handlers[path] = r.wrap(path, h) }

// HandleAutocomplete registers h for autocomplete requests on path.
func (r *Router) HandleAutocomplete(path string, h Handler) {
	r.autocomplete[path] = r.wrap(path+" (autocomplete)", h)
}

func (r *Router) wrap(path string, h Handler) Handler {
	for i := len(r.middleware) - 1; i >= 0; i-- {
		h = r.middleware[i](path, h)
	}
	return h
}

// Paths lists the registered command paths, sorted.
func (r *Router) Paths() []string { return sortedKeys(r.handlers) }

// AutocompletePaths lists the command paths with an autocomplete handler,
// sorted.
func (r *Router) AutocompletePaths() []string { return sortedKeys(r.autocomplete) }

func sortedKeys(m map[string]Handler) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Serve answers req. It never panics (given the Recover middleware) and
// returns an error only for what the caller should show or log.
func (r *Router) Serve(ctx context.Context, req Request) (Reply, error) {
	table := r.handlers
	if req.Autocomplete {
		table = r.autocomplete
	}
	h, ok := table[req.Path]
	if !ok {
		if req.Autocomplete {
			return Reply{}, nil
		}
		return Reply{}, Userf("Unknown command /%s. Try /brief latest.", req.Path)
	}
	return h(ctx, req)
}

// Recover turns a panic in a handler into an error, logged with its stack,
// so that the interaction is still answered and the process survives.
func Recover(log *slog.Logger) Middleware {
	return func(path string, next Handler) Handler {
		return func(ctx context.Context, req Request) (rep Reply, err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error("handler panicked", slog.String("command", path),
						slog.String("interaction", req.InteractionID),
						slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
					rep, err = Reply{}, fmt.Errorf("%s: panic: %v", path, p)
				}
			}()
			return next(ctx, req)
		}
	}
}

// IsUserError reports whether err is a refusal meant for the user (a
// UserError: bad input, a missing permission) rather than a failure of the
// bot, so that observers can count the two apart.
func IsUserError(err error) bool {
	_, user := userMessage(err)
	return err != nil && user
}

// Logging logs every request at debug level and failures at warn or error.
func Logging(log *slog.Logger) Middleware {
	return func(path string, next Handler) Handler {
		return func(ctx context.Context, req Request) (Reply, error) {
			start := time.Now()
			rep, err := next(ctx, req)
			attrs := []any{slog.String("command", path), slog.String("interaction", req.InteractionID),
				slog.String("guild", req.GuildID), slog.String("user", req.UserID), slog.Duration("took", time.Since(start))}
			switch _, userErr := userMessage(err); {
			case err == nil:
				log.Debug("handled", attrs...)
			case userErr:
				log.Debug("refused", append(attrs, slog.String("reason", err.Error()))...)
			default:
				log.Error("handler failed", append(attrs, slog.Any("err", err))...)
			}
			return rep, err
		}
	}
}

// RequirePermission refuses requests on paths under prefix from members
// lacking perm. Discord's default_member_permissions hides the command from
// them, but server admins can override that, so the handler checks too.
func RequirePermission(prefix string, perm int64, name string) Middleware {
	return func(path string, next Handler) Handler {
		if !PathUnder(path, prefix) {
			return next
		}
		return func(ctx context.Context, req Request) (Reply, error) {
			if req.Permissions&perm != perm {
				if req.Autocomplete {
					return Reply{}, nil
				}
				return Reply{}, Userf("You need the %s permission to use /%s.", name, path)
			}
			return next(ctx, req)
		}
	}
}

// PathUnder reports whether path is prefix or a subcommand path below it:
// "digest list" is under "digest", "digester" is not.
func PathUnder(path, prefix string) bool {
	return path == prefix || len(path) > len(prefix) && path[:len(prefix)] == prefix && path[len(prefix)] == ' '
}
