package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultPingTimeout is how long the readiness check waits for the
// database: a database slower than this to answer SELECT 1 cannot run
// digests on time either.
const DefaultPingTimeout = 2 * time.Second

// Pinger is the database as the readiness check needs it;
// *sqlite.Store and *postgres.Store are ones.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Readiness decides whether the process is ready to serve: every gateway
// shard connected, and the database answering within PingTimeout.
type Readiness struct {
	Shards      ShardLister
	DB          Pinger
	PingTimeout time.Duration // DefaultPingTimeout when zero
}

// Check returns nil when the process is ready, else an error saying what
// is not: no shard yet, which shards are down, or the database's error.
func (r Readiness) Check(ctx context.Context) error {
	var problems []string
	if r.Shards != nil {
		shards := r.Shards.Shards()
		if len(shards) == 0 {
			problems = append(problems, "gateway: not connected yet")
		}
		for _, s := range shards {
			if !s.Connected {
				problems = append(problems, fmt.Sprintf("gateway: shard %d not connected", s.ID))
			}
		}
	}
	if r.DB != nil {
		timeout := r.PingTimeout
		if timeout <= 0 {
			timeout = DefaultPingTimeout
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		err := r.DB.Ping(ctx)
		cancel()
		if err != nil {
			problems = append(problems, fmt.Sprintf("database: %v", err))
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Handler serves /metrics (every series of m, in Prometheus' text format),
// /healthz (200 "ok" while the process runs: it answers, so it is alive)
// and /readyz (200 "ok" when ready.Check passes, else 503 with the reason
// as plain text). A series that fails to collect (the database down for
// the backlog) is left out and logged, and the others are still served.
func (m *Metrics) Handler(ready Readiness, log *slog.Logger) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      slogErrorLog{log},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := ready.Check(r.Context()); err != nil {
			plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
		plain(w, http.StatusOK, "ok")
	})
	return mux
}

func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

// slogErrorLog routes promhttp's collection errors to the logger.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) {
	l.log.Warn("metrics: collecting", slog.String("err", strings.TrimSpace(fmt.Sprintln(v...))))
}

// shutdownGrace bounds how long a scrape in flight may delay the exit.
const shutdownGrace = 2 * time.Second

// Server is the metrics listener: Listen opens it, Run serves on it.
type Server struct {
	ln  net.Listener
	srv *http.Server
	log *slog.Logger
}

// Listen listens on addr (host:port; port 0 picks a free one) at once, so
// that a bad address or a port in use is an error at start; Run serves h
// on it.
func Listen(addr string, h http.Handler, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on METRICS_ADDR %s: %w", addr, err)
	}
	return &Server{ln: ln, log: log,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}}, nil
}

// Addr is the address listened on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Run serves until ctx is done, then shuts the server down, letting the
// scrapes in flight finish for a moment (shutdownGrace), and returns. A
// server that stops serving on its own is logged, and Run still returns
// only when ctx is done.
func (s *Server) Run(ctx context.Context) {
	served := make(chan struct{})
	go func() {
		defer close(served)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics: serving stopped", slog.String("addr", s.ln.Addr().String()), slog.Any("err", err))
		}
	}()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = s.srv.Shutdown(sctx)
	<-served
}
