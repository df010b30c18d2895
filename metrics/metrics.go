// Package metrics exposes newsbrief's metrics for Prometheus, and its
// health and readiness checks, over HTTP. It is the only package that
// imports the Prometheus client: the domain packages declare small hooks
// (a command middleware, a REST observer, a digest observer, fetch and
// reload callbacks) and read-only queries (shard states, the digest
// backlog, the library's size), and Metrics implements or reads them.
//
// Every series is named newsbrief_..., with its unit in the name, and its
// labels take values from a small fixed set (command paths, route
// templates, status codes, outcomes, shard numbers, feed names from the
// operator's list), never from user input or IDs.
package metrics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"newsbrief/bot/command"
	"newsbrief/bot/digest"
	"newsbrief/bot/discord"
	"newsbrief/briefs/feed"
)

// Label values of the outcome of an interaction.
const (
	OutcomeOK        = "ok"         // answered
	OutcomeUserError = "user_error" // refused with a message for the user
	OutcomeError     = "error"      // the bot failed (a bug, the database)
)

// queryTimeout bounds a query a scrape makes (the digest backlog), so
// that a stuck database makes the scrape report an error, not hang.
const queryTimeout = 2 * time.Second

// Metrics holds newsbrief's series in a registry of its own (not
// Prometheus' global one), so that tests and several bots in one process
// never share counts. Build it with New; its methods are safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	interactions        *prometheus.CounterVec
	interactionDuration *prometheus.HistogramVec
	restRequests        *prometheus.CounterVec
	rateLimited         *prometheus.CounterVec
	digests             *prometheus.CounterVec
	digestArticles      prometheus.Counter
	reloads             *prometheus.CounterVec
	feedFetches         *prometheus.CounterVec
}

// New returns the metrics, registered with the Go runtime's and the
// process's collectors in a new registry.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_interactions_total",
			Help: "Slash commands and autocomplete requests handled, by command path, kind (command or autocomplete) and outcome (ok, user_error, error).",
		}, []string{"command", "kind", "outcome"}),
		interactionDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "newsbrief_interaction_duration_seconds",
			Help:    "Time the handler took to answer, by command path and kind (sending the reply to Discord not included).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 1.5, 3, 10},
		}, []string{"command", "kind"}),
		restRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_discord_rest_requests_total",
			Help: "REST requests to Discord, retries included, by method, route template and HTTP status (0: no response).",
		}, []string{"method", "route", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_discord_rate_limited_total",
			Help: "429 answers from Discord, by route template and scope (global or route).",
		}, []string{"route", "scope"}),
		digests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_digests_total",
			Help: "Digest posts by outcome: posted, failed (kept pending for the next run) or paused (channel gone or forbidden).",
		}, []string{"outcome"}),
		digestArticles: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newsbrief_digest_articles_posted_total",
			Help: "Articles in digests Discord took.",
		}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_folder_reloads_total",
			Help: "Reloads of the articles folder after a change, by outcome (ok or error).",
		}, []string{"outcome"}),
		feedFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newsbrief_feed_fetches_total",
			Help: "Polls of news feeds, by feed name and outcome (ok, not_modified or error).",
		}, []string{"feed", "outcome"}),
	}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.interactions, m.interactionDuration, m.restRequests, m.rateLimited, m.digests, m.digestArticles,
		m.reloads, m.feedFetches)
	// Series an alert compares over time exist from the start, at 0, so
	// that the first failure is an increase and not a new series.
	for _, o := range []digest.Outcome{digest.Posted, digest.Failed, digest.Paused} {
		m.digests.WithLabelValues(string(o))
	}
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("error")
	return m
}

// Registry is the registry holding every series, for the handler and for
// tests that gather it directly.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Middleware counts and times every request the router hands a handler,
// by its command path, kind and outcome. Give it to command.New with
// command.WithMiddleware; unknown commands never reach it, so the command
// label takes only registered paths.
func (m *Metrics) Middleware() command.Middleware {
	return func(_ string, next command.Handler) command.Handler {
		return func(ctx context.Context, req command.Request) (command.Reply, error) {
			start := time.Now()
			rep, err := next(ctx, req)
			kind := "command"
			if req.Autocomplete {
				kind = "autocomplete"
			}
			outcome := OutcomeOK
			switch {
			case command.IsUserError(err):
				outcome = OutcomeUserError
			case err != nil:
				outcome = OutcomeError
			}
			m.interactions.WithLabelValues(req.Path, kind, outcome).Inc()
			m.interactionDuration.WithLabelValues(req.Path, kind).Observe(time.Since(start).Seconds())
			return rep, err
		}
	}
}

// ObserveREST counts a REST request to Discord; it makes Metrics a
// discord.RESTObserver (discord.WithRESTObserver).
func (m *Metrics) ObserveREST(r discord.RESTRequest) {
	m.restRequests.WithLabelValues(r.Method, r.Route, strconv.Itoa(r.Status)).Inc()
	if r.Status == 429 {
		scope := "route"
		if r.Global {
			scope = "global"
		}
		m.rateLimited.WithLabelValues(r.Route, scope).Inc()
	}
}

// DigestPosted counts a digest post's outcome; it makes Metrics a
// digest.Observer (digest.WithObserver).
func (m *Metrics) DigestPosted(o digest.Outcome, articles int) {
	m.digests.WithLabelValues(string(o)).Inc()
	if o == digest.Posted {
		m.digestArticles.Add(float64(articles))
	}
}

// FolderReloaded counts a reload of the articles folder, for
// folder.WithReloadObserver.
func (m *Metrics) FolderReloaded(err error) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.reloads.WithLabelValues(outcome).Inc()
}

// FeedFetched counts a poll of a feed, for feed.WithFetchObserver.
func (m *Metrics) FeedFetched(name string, o feed.FetchOutcome) {
	m.feedFetches.WithLabelValues(name, string(o)).Inc()
}

// ShardLister reports the gateway shards; *discord.Bot is one.
type ShardLister interface {
	Shards() []discord.ShardState
}

// BacklogReader reports the due digest runs waiting; *digest.Service is one.
type BacklogReader interface {
	Backlog(ctx context.Context) (digest.Backlog, error)
	Now() time.Time
}

// Counter reports a count read at scrape time; *briefs.Library's Len is one.
type Counter func() int

// Watch registers the series read at scrape time from the running parts:
// the library's article count, the digest backlog and the gateway shards.
// A nil part has no series.
func (m *Metrics) Watch(articles Counter, backlog BacklogReader, shards ShardLister) {
	if articles != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "newsbrief_library_articles",
			Help: "Articles in the library, from every source (the folder and the feeds).",
		}, func() float64 { return float64(articles()) }))
	}
	if backlog != nil {
		m.reg.MustRegister(&backlogCollector{r: backlog})
	}
	if shards != nil {
		m.reg.MustRegister(&shardCollector{l: shards})
	}
}

var (
	waitingDesc = prometheus.NewDesc("newsbrief_digest_runs_waiting",
		"Digest runs due and not yet made (active subscriptions whose next run has passed).", nil, nil)
	oldestDesc = prometheus.NewDesc("newsbrief_digest_oldest_waiting_run_age_seconds",
		"How long the oldest digest run waiting has been due; 0 when none waits.", nil, nil)
	connectedDesc = prometheus.NewDesc("newsbrief_gateway_connected",
		"1 while the gateway shard is connected and ready (READY or RESUMED seen), else 0.", []string{"shard"}, nil)
	latencyDesc = prometheus.NewDesc("newsbrief_gateway_latency_seconds",
		"Time between the gateway shard's last heartbeat and its acknowledgement.", []string{"shard"}, nil)
)

// backlogCollector asks the digest service for its backlog at each scrape:
// the database is the truth, shared by every process, so each reports the
// same backlog.
type backlogCollector struct{ r BacklogReader }

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) { ch <- waitingDesc; ch <- oldestDesc }

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	b, err := c.r.Backlog(ctx)
	if err != nil {
		err = fmt.Errorf("metrics: digest backlog: %w", err)
		ch <- prometheus.NewInvalidMetric(waitingDesc, err)
		ch <- prometheus.NewInvalidMetric(oldestDesc, err)
		return
	}
	age := 0.0
	if !b.Oldest.IsZero() {
		age = max(0, c.r.Now().Sub(b.Oldest).Seconds())
	}
	ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(b.Waiting))
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

// shardCollector reads the shards' states at each scrape.
type shardCollector struct{ l ShardLister }

func (c *shardCollector) Describe(ch chan<- *prometheus.Desc) { ch <- connectedDesc; ch <- latencyDesc }

func (c *shardCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.l.Shards() {
		id := strconv.Itoa(s.ID)
		connected := 0.0
		if s.Connected {
			connected = 1
		}
		ch <- prometheus.MustNewConstMetric(connectedDesc, prometheus.GaugeValue, connected, id)
		ch <- prometheus.MustNewConstMetric(latencyDesc, prometheus.GaugeValue, s.Latency.Seconds(), id)
	}
}
