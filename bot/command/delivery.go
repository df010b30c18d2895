package command

import (
	"context"
	"strconv"
	"strings"
	"time"

	"newsbrief/bot/digest"
)

// Delivery is how a digest would be delivered beyond its text: a forum
// post, a thread, a crosspost, a ping. Discord shows these as what it
// makes of the message; a terminal cannot, so Text shows a Delivery as
// lines above the reply (see deliveryLines). Discord's rendering leaves
// it out.
type Delivery struct {
	// Post names the forum post the digest would be, "" when it is not one.
	Post string
	// Tag is the forum post's tag, "" for none.
	Tag string
	// Thread names the thread started from the digest's first message, ""
	// when none is.
	Thread string
	// Publish: each message is crossposted to following servers.
	Publish bool
	// Mention opens each message: a role ID, or digest.MentionHere.
	Mention string
}

// DeliveryOf is how sub's digest of a run at `at` would be delivered to a
// channel of kind (kindKnown false when the channel could not be looked
// up, as in the console: a tag then means a forum), or nil when it would
// be plain messages. Forum posts and threads are named as the digest
// service names them: "News, 7 December 2026", the topic's words in place
// of News when there is a topic, on the run's day in the subscription's
// zone.
func DeliveryOf(sub digest.Subscription, kind digest.ChannelKind, kindKnown bool, at time.Time) *Delivery {
	d := Delivery{Publish: sub.Publish, Mention: sub.Mention}
	name := postName(sub, at)
	switch {
	case kindKnown && kind.Posts(), !kindKnown && sub.Tag != "":
		d.Post, d.Tag = name, sub.Tag
	case sub.Thread && (!kindKnown || kind == digest.KindText || kind == digest.KindAnnouncement):
		d.Thread = name
	}
	if kindKnown && kind != digest.KindAnnouncement {
		d.Publish = false // the poster cannot publish there
	}
	if d == (Delivery{}) {
		return nil
	}
	return &d
}

// postName is the name the digest service gives a run's forum post or
// thread, in the subscription's zone (UTC when it does not load).
func postName(sub digest.Subscription, at time.Time) string {
	loc, err := digest.LoadZone(sub.Timezone)
	if err != nil || sub.Timezone == "" {
		loc = time.UTC
	}
	return digest.PostName(sub, nil, at, loc)
}

// deliveryLines renders d for a terminal: a first line saying where the
// digest goes (`[forum post "News, 7 December 2026", tag Science]`,
// `[thread "News, 7 December 2026"]`, `[published]`), then the mention
// that opens each message (@here, or the role as Text shows a role
// mention). "" for nil.
func deliveryLines(d *Delivery) string {
	if d == nil {
		return ""
	}
	var where []string
	switch {
	case d.Post != "":
		s := "[forum post " + strconv.Quote(d.Post)
		if d.Tag != "" {
			s += ", tag " + d.Tag
		}
		where = append(where, s+"]")
	case d.Thread != "":
		where = append(where, "[thread "+strconv.Quote(d.Thread)+"]")
	}
	if d.Publish {
		where = append(where, "[published]")
	}
	var b strings.Builder
	if len(where) > 0 {
		b.WriteString(strings.Join(where, " ") + "\n")
	}
	switch d.Mention {
	case "":
	case digest.MentionHere:
		b.WriteString("@here\n")
	default:
		b.WriteString("<@&" + d.Mention + ">\n")
	}
	return b.String()
}

// deliveryOf is sub's Delivery at its next run (the schedule's next time
// for a console subscription, which has none stored), looking its channel
// up when the handlers can.
func (h DigestHandlers) deliveryOf(ctx context.Context, sub digest.Subscription) *Delivery {
	now := h.Service.Now()
	at := sub.NextRun
	if at.IsZero() {
		at = now
		if next := h.Service.NextRuns(sub, now, 1); len(next) > 0 {
			at = next[0]
		}
	}
	var kind digest.ChannelKind
	known := false
	if h.Channels != nil {
		if ch, err := h.Channels.Channel(ctx, sub.ChannelID); err == nil {
			kind, known = ch.Kind, true
		}
	}
	return DeliveryOf(sub, kind, known, at)
}
