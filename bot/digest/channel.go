package digest

// ChannelKind is what kind of channel a subscription posts to: it decides
// how a digest is delivered (messages, a forum post, a crosspost).
type ChannelKind int

// The kinds of channel a digest can go to (Discord's channel types 0, 5,
// 15, 16, and 10-12 for threads).
const (
	KindText ChannelKind = iota
	KindAnnouncement
	KindForum
	KindMedia
	KindThread
)

// String names the kind as a server admin sees it.
func (k ChannelKind) String() string {
	switch k {
	case KindAnnouncement:
		return "announcement channel"
	case KindForum:
		return "forum"
	case KindMedia:
		return "media channel"
	case KindThread:
		return "thread"
	default:
		return "text channel"
	}
}

// Posts reports whether a digest to a channel of this kind is a new post
// (a thread with its first message) rather than messages.
func (k ChannelKind) Posts() bool { return k == KindForum || k == KindMedia }

// Channel is what subscribing needs to know of a channel.
type Channel struct {
	ID      string
	GuildID string
	Name    string
	Kind    ChannelKind
	// Tags are a forum's or media channel's tag names, in its order.
	Tags []string
}
