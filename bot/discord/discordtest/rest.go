package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const apiPrefix = "/api/v9"

// Request is one REST request seen by the server.
type Request struct {
	Method string
	// Path is the URL path without the "/api/v9" prefix, e.g. "/channels/1/messages".
	Path  string
	Query string
	// Route is the matched route pattern, e.g. "POST /channels/{channel}/messages";
	// empty for unknown routes.
	Route string
	// Body is the JSON body (for multipart requests, the payload_json part).
	Body json.RawMessage
	// Files are the uploaded files of a multipart request.
	Files []File
	// Status is the status of the answer; 0 when none was written.
	Status int
	// Dropped is set when the fake closed the connection instead of
	// answering a request it had handled (DropResponseAfterCreate).
	Dropped bool
	// At is when the request arrived, in real time (not WithClock's).
	At time.Time
}

// File is a file uploaded in a multipart request.
type File struct {
	Field, Name, ContentType string
	Data                     []byte
}

type failRule struct {
	method, prefix string
	status, left   int
}

// FailNext makes the next `times` REST requests whose method equals method
// ("" = any) and whose path (without /api/v9) starts with pathPrefix fail with
// status. 429 gets a realistic per-route rate limit response (retry_after
// 0.05s), 5xx a JSON error body. Auth and the global limit are checked first.
func (s *Server) FailNext(method, pathPrefix string, status int, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = append(s.failures, &failRule{method: strings.ToUpper(method), prefix: pathPrefix, status: status, left: times})
}

// ClearFailures drops what is left of every FailNext: the requests that
// follow are answered normally.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = nil
}

// Requests returns every REST request received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// UnknownRequests returns the requests that matched no known route (404).
func (s *Server) UnknownRequests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Route == "" {
			out = append(out, r)
		}
	}
	return out
}

// PeakRate returns the most valid-token REST requests accepted by the global
// limiter in any 1-second window (so it never exceeds the global limit).
// Interaction routes, which Discord exempts from the global limit, are not counted.
func (s *Server) PeakRate() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// PeakAttemptRate is like PeakRate but also counts requests rejected by the
// global limiter: a value above the limit means the client bursts.
func (s *Server) PeakAttemptRate() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peakAttempts
}

// Count429 returns how many 429 responses were sent (global or injected).
func (s *Server) Count429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count429
}

// InvalidRequests returns how many 401, 403 and 429 responses were sent,
// the responses Discord counts towards its invalid request ban
// (10,000 per 10 minutes).
func (s *Server) InvalidRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.invalid
}

// restCtx is the context of one REST request.
type restCtx struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	rec    *Request
	params map[string]string
	body   []byte
	// recorded is set once rec is in s.requests and counted.
	recorded bool
}

// record adds the request to Requests and its answer to the counters
// (InvalidRequests, Count429). reply calls it before writing the answer:
// a client that holds its answer then always finds the request counted,
// where recording after the write would let a test that checks right after
// a call see the count of the request before, on a busy machine.
// s.mu must not be held.
func (c *restCtx) record() {
	if c.recorded {
		return
	}
	c.recorded = true
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, *c.rec)
	switch c.rec.Status {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusTooManyRequests:
		s.invalid++
	}
	if c.rec.Status == http.StatusTooManyRequests {
		s.count429++
	}
	s.notifyLocked()
}

func (c *restCtx) param(name string) string { return c.params[name] }

// reply records the request and writes v as JSON with the status.
// s.mu must not be held.
func (c *restCtx) reply(status int, v any) {
	var b []byte
	switch x := v.(type) {
	case nil:
	case json.RawMessage:
		b = x
	case []byte:
		b = x
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			status, b = http.StatusInternalServerError, []byte(`{"message":"fake: marshal error","code":0}`)
		}
	}
	c.rec.Status = status
	c.record()
	if b != nil {
		c.w.Header().Set("Content-Type", "application/json")
	}
	c.w.WriteHeader(status)
	if b != nil {
		_, _ = c.w.Write(b)
	}
}

func (c *restCtx) noContent() { c.reply(http.StatusNoContent, nil) }

// dropConnection records the request as Dropped and closes the client's
// TCP connection without writing an answer. The client cannot tell whether
// the request was handled: net/http reports an error (it does not resend a
// POST, which is not idempotent) and discordgo returns it. s.mu must not be
// held.
func (c *restCtx) dropConnection() {
	c.rec.Dropped = true
	c.record()
	if hj, ok := c.w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): abort, which also resets without an answer.
	panic(http.ErrAbortHandler)
}

// apiError replies with a Discord JSON error.
func (c *restCtx) apiError(status, code int, msg string) {
	c.reply(status, map[string]any{"message": msg, "code": code})
}

// formError replies 400 Invalid Form Body (50035) with a Discord-style errors map.
func (c *restCtx) formError(errs map[string]string) {
	e := map[string]any{}
	for field, msg := range errs {
		e[field] = map[string]any{"_errors": []map[string]string{{"code": "BASE_TYPE_INVALID", "message": msg}}}
	}
	c.reply(http.StatusBadRequest, map[string]any{"message": "Invalid Form Body", "code": 50035, "errors": e})
}

type route struct {
	method  string
	pattern []string // segments; "{x}" captures
	name    string
	handler func(*Server, *restCtx)
	// exempt routes are not subject to the global rate limit (interactions).
	exempt bool
}

func (rt *route) match(method string, segs []string) (map[string]string, bool) {
	if rt.method != method || len(segs) != len(rt.pattern) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range rt.pattern {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			params[strings.Trim(p, "{}")] = segs[i]
		} else if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

var routes []*route

func handle(method, pattern string, h func(*Server, *restCtx)) *route {
	rt := &route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), name: method + " " + pattern, handler: h}
	routes = append(routes, rt)
	return rt
}

func init() {
	handle("GET", "/gateway", (*Server).getGateway)
	handle("GET", "/gateway/bot", (*Server).getGatewayBot)
	handle("GET", "/users/@me", (*Server).getMe)
	handle("GET", "/users/{user}", (*Server).getUser)
	handle("GET", "/applications/@me", (*Server).getApplication)
	handle("GET", "/oauth2/applications/@me", (*Server).getApplication)

	for _, p := range []string{"/applications/{app}/commands", "/applications/{app}/guilds/{guild}/commands"} {
		handle("GET", p, (*Server).listCommands)
		handle("PUT", p, (*Server).overwriteCommands)
		handle("POST", p, (*Server).createCommand)
		handle("GET", p+"/{command}", (*Server).getCommand)
		handle("PATCH", p+"/{command}", (*Server).editCommand)
		handle("DELETE", p+"/{command}", (*Server).deleteCommand)
	}

	handle("POST", "/interactions/{interaction}/{token}/callback", (*Server).interactionCallback).exempt = true
	handle("POST", "/webhooks/{app}/{token}", (*Server).createFollowup).exempt = true
	handle("GET", "/webhooks/{app}/{token}/messages/{message}", (*Server).getWebhookMessage).exempt = true
	handle("PATCH", "/webhooks/{app}/{token}/messages/{message}", (*Server).editWebhookMessage).exempt = true
	handle("DELETE", "/webhooks/{app}/{token}/messages/{message}", (*Server).deleteWebhookMessage).exempt = true

	handle("GET", "/channels/{channel}", (*Server).getChannel)
	handle("GET", "/channels/{channel}/messages", (*Server).listMessages)
	handle("POST", "/channels/{channel}/messages", (*Server).createMessage)
	handle("GET", "/channels/{channel}/messages/{message}", (*Server).getMessage)
	handle("PATCH", "/channels/{channel}/messages/{message}", (*Server).editMessage)
	handle("DELETE", "/channels/{channel}/messages/{message}", (*Server).deleteMessage)
	handle("POST", "/channels/{channel}/typing", (*Server).typing)
	handle("GET", "/guilds/{guild}/channels", (*Server).guildChannels)
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/gateway" || r.URL.Path == "/gateway/" {
		if !websocketUpgrade(r) {
			http.Error(w, "websocket upgrade required", http.StatusBadRequest)
			return
		}
		s.serveGateway(w, r)
		return
	}
	now := time.Now()
	path := r.URL.Path
	rec := &Request{Method: r.Method, Path: strings.TrimPrefix(path, apiPrefix), Query: r.URL.RawQuery, At: now}
	c := &restCtx{s: s, w: w, r: r, rec: rec}
	defer c.record() // for a request that got no answer

	body, err := io.ReadAll(io.LimitReader(r.Body, 32<<20))
	if err != nil {
		c.apiError(http.StatusBadRequest, 0, "fake: cannot read body")
		return
	}
	c.body = body
	if err := c.parseBody(); err != nil {
		c.apiError(http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}

	if !strings.HasPrefix(path, apiPrefix+"/") {
		c.apiError(http.StatusNotFound, 0, "404: Not Found")
		return
	}
	segs := strings.Split(strings.Trim(rec.Path, "/"), "/")
	var rt *route
	for _, cand := range routes {
		if p, ok := cand.match(r.Method, segs); ok {
			rt, c.params = cand, p
			break
		}
	}
	if rt != nil {
		rec.Route = rt.name
	}

	authed := r.Header.Get("Authorization") == "Bot "+Token
	isGateway := rt != nil && rt.name == "GET /gateway"
	if !authed && !isGateway {
		c.apiError(http.StatusUnauthorized, 0, "401: Unauthorized")
		return
	}

	if authed && (rt == nil || !rt.exempt) {
		if retry, ok := s.admitGlobal(now); !ok {
			c.globalRateLimited(retry)
			return
		}
	}

	if status, ok := s.takeFailure(r.Method, rec.Path); ok {
		c.injectedFailure(status, rec.Path)
		return
	}

	if rt == nil {
		c.apiError(http.StatusNotFound, 0, "404: Not Found")
		return
	}
	c.rateLimitHeaders(rt.name)
	rt.handler(s, c)
}

func websocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// parseBody extracts the JSON payload (and files) of the request.
func (c *restCtx) parseBody() error {
	ct, params, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if strings.HasPrefix(ct, "multipart/") {
		mr := multipart.NewReader(bytes.NewReader(c.body), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			data, err := io.ReadAll(part)
			if err != nil {
				return err
			}
			if part.FormName() == "payload_json" {
				c.rec.Body = data
				continue
			}
			c.rec.Files = append(c.rec.Files, File{Field: part.FormName(), Name: part.FileName(), ContentType: part.Header.Get("Content-Type"), Data: data})
		}
		c.body = c.rec.Body
	} else if len(bytes.TrimSpace(c.body)) > 0 {
		c.rec.Body = c.body
	}
	if len(c.rec.Body) > 0 && !json.Valid(c.rec.Body) {
		return fmt.Errorf("invalid JSON")
	}
	return nil
}

// admitGlobal applies the global rate limit (sliding 1-second window over
// accepted valid-token requests). It returns the retry delay when refused.
func (s *Server) admitGlobal(now time.Time) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := now.Add(-time.Second)
	prune := func(ts []time.Time) []time.Time {
		i := 0
		for i < len(ts) && !ts[i].After(cut) {
			i++
		}
		return ts[i:]
	}
	s.attempts = append(prune(s.attempts), now)
	s.peakAttempts = max(s.peakAttempts, len(s.attempts))
	s.window = prune(s.window)
	if s.globalLimit > 0 && len(s.window) >= s.globalLimit {
		retry := s.window[len(s.window)-s.globalLimit].Add(time.Second).Sub(now)
		return max(retry, time.Millisecond), false
	}
	s.window = append(s.window, now)
	s.peak = max(s.peak, len(s.window))
	return 0, true
}

func (c *restCtx) globalRateLimited(retry time.Duration) {
	secs := retry.Seconds()
	h := c.w.Header()
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
	h.Set("X-RateLimit-Global", "true")
	h.Set("X-RateLimit-Scope", "global")
	c.reply(http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": roundSecs(secs), "global": true, "code": 0})
}

func roundSecs(s float64) float64 { return math.Ceil(s*1000) / 1000 }

func (s *Server) takeFailure(method, path string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.failures {
		if (f.method == "" || f.method == method) && strings.HasPrefix(path, f.prefix) {
			f.left--
			if f.left <= 0 {
				s.failures = append(s.failures[:i:i], s.failures[i+1:]...)
			}
			return f.status, true
		}
	}
	return 0, false
}

func (c *restCtx) injectedFailure(status int, path string) {
	switch {
	case status == http.StatusTooManyRequests:
		h := c.w.Header()
		h.Set("Retry-After", "1")
		h.Set("X-RateLimit-Limit", "5")
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset-After", "0.050")
		h.Set("X-RateLimit-Reset", resetEpoch(50*time.Millisecond))
		h.Set("X-RateLimit-Bucket", bucketHash(c.r.Method+" "+path))
		h.Set("X-RateLimit-Scope", "user")
		c.reply(status, map[string]any{"message": "You are being rate limited.", "retry_after": 0.05, "global": false, "code": 0})
	case status >= 500:
		c.apiError(status, 0, fmt.Sprintf("%d: %s", status, http.StatusText(status)))
	case status == http.StatusUnauthorized:
		c.apiError(status, 0, "401: Unauthorized")
	case status == http.StatusForbidden:
		c.apiError(status, 50001, "Missing Access")
	case status == http.StatusNotFound:
		c.apiError(status, 0, "404: Not Found")
	default:
		c.apiError(status, 0, fmt.Sprintf("%d: %s", status, http.StatusText(status)))
	}
}

// rateLimitHeaders sets generous per-route rate limit headers on success.
func (c *restCtx) rateLimitHeaders(routeName string) {
	h := c.w.Header()
	h.Set("X-RateLimit-Limit", "1000")
	h.Set("X-RateLimit-Remaining", "999")
	h.Set("X-RateLimit-Reset-After", "1.000")
	h.Set("X-RateLimit-Reset", resetEpoch(time.Second))
	h.Set("X-RateLimit-Bucket", bucketHash(routeName))
}

func resetEpoch(after time.Duration) string {
	return strconv.FormatFloat(float64(time.Now().Add(after).UnixMilli())/1000, 'f', 3, 64)
}

func bucketHash(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return strconv.FormatUint(h.Sum64(), 16)
}

// --- identity / gateway routes ---

func (s *Server) getGateway(c *restCtx) {
	c.reply(http.StatusOK, map[string]any{"url": s.GatewayURL()})
}

func (s *Server) getGatewayBot(c *restCtx) {
	s.mu.Lock()
	shards, l := s.recommendedShards, s.startLimit
	s.mu.Unlock()
	c.reply(http.StatusOK, map[string]any{
		"url":    s.GatewayURL(),
		"shards": shards,
		"session_start_limit": map[string]any{
			"total": l.Total, "remaining": l.Remaining, "reset_after": l.ResetAfter.Milliseconds(), "max_concurrency": l.MaxConcurrency,
		},
	})
}

func (s *Server) getMe(c *restCtx) { c.reply(http.StatusOK, botUser()) }

func (s *Server) getUser(c *restCtx) {
	id := c.param("user")
	if id == BotUserID {
		c.reply(http.StatusOK, botUser())
		return
	}
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		c.apiError(http.StatusNotFound, 10013, "Unknown User")
		return
	}
	c.reply(http.StatusOK, map[string]any{"id": id, "username": "user" + id, "discriminator": "0", "global_name": nil, "avatar": nil})
}

func (s *Server) getApplication(c *restCtx) {
	c.reply(http.StatusOK, map[string]any{
		"id": AppID, "name": BotUsername, "description": "", "icon": nil,
		"bot_public": false, "bot_require_code_grant": false, "flags": 0,
		"bot": botUser(), "verify_key": strings.Repeat("0", 64),
	})
}
