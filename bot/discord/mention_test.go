package discord

import (
	"slices"
	"strings"
	"testing"

	"newsbrief/bot/digest"
)

const (
	openRole   = "500000000000000001"
	closedRole = "500000000000000002"
)

// TestPostMentionRole: each message of the digest opens with the role,
// allowed_mentions names exactly it, and Discord pings it; a role that is
// not mentionable is not pinged (without Mention Everyone), which a note
// says, and is with it.
func TestPostMentionRole(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	f.srv.AddRole(guild, openRole, true)
	f.srv.AddRole(guild, closedRole, false)
	p := f.poster()

	d := newPost(textCh, longArticles(10, 51))
	d.Mention = openRole
	if got := mustPost(t, p, d); len(got.Notes) != 0 {
		t.Errorf("notes %q", got.Notes)
	}
	msgs := f.srv.Messages(textCh)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for i, m := range msgs {
		if !strings.HasPrefix(m.Content, "<@&"+openRole+">") {
			t.Errorf("part %d content %q does not open with the role", i+1, m.Content)
		}
		if am := allowedMentionsOf(t, m); am != `{"parse":[],"roles":["`+openRole+`"]}` {
			t.Errorf("part %d allowed_mentions %s", i+1, am)
		}
		if !slices.Equal(m.MentionRoles, []string{openRole}) || m.MentionEveryone {
			t.Errorf("part %d pinged roles %v, everyone %v", i+1, m.MentionRoles, m.MentionEveryone)
		}
	}

	// Not mentionable: not pinged, and a note.
	d = newPost(forumCh, longArticles(1, 52))
	d.Mention = closedRole
	got := mustPost(t, p, d)
	if !slices.Equal(got.Notes, []string{noteRoleNotPinged}) {
		t.Errorf("notes %q, want %q", got.Notes, noteRoleNotPinged)
	}
	th := f.srv.Threads(forumCh)[0]
	starter := f.srv.Messages(th.ID)[0]
	if am := allowedMentionsOf(t, starter); am != `{"parse":[],"roles":["`+closedRole+`"]}` || len(starter.MentionRoles) != 0 {
		t.Errorf("forum starter allowed_mentions %s, pinged %v", am, starter.MentionRoles)
	}
	if !strings.HasPrefix(starter.Content, "<@&"+closedRole+"> News digest") {
		t.Errorf("forum starter content %q", starter.Content)
	}

	// With Mention Everyone the bot pings it.
	f.srv.SetMentionEveryone(true)
	d = newPost(textCh, longArticles(1, 53))
	d.Mention = closedRole
	if got := mustPost(t, p, d); len(got.Notes) != 0 {
		t.Errorf("notes with Mention Everyone: %q", got.Notes)
	}
	msgs = f.srv.Messages(textCh)
	if last := msgs[len(msgs)-1]; !slices.Equal(last.MentionRoles, []string{closedRole}) {
		t.Errorf("pinged %v with Mention Everyone", last.MentionRoles)
	}
}

// TestPostMentionHere: @here opens the message, allowed_mentions parses
// everyone and nothing else, and it pings only with Mention Everyone.
func TestPostMentionHere(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	p := f.poster()
	d := newPost(textCh, longArticles(1, 54))
	d.Mention = digest.MentionHere
	got := mustPost(t, p, d)
	m := f.srv.Messages(textCh)[0]
	if !strings.HasPrefix(m.Content, "@here News digest") || allowedMentionsOf(t, m) != `{"parse":["everyone"]}` {
		t.Errorf("content %q, allowed_mentions %s", m.Content, allowedMentionsOf(t, m))
	}
	if m.MentionEveryone || !slices.Equal(got.Notes, []string{noteHereNotPinged}) {
		t.Errorf("without Mention Everyone: pinged %v, notes %q", m.MentionEveryone, got.Notes)
	}
	f.srv.SetMentionEveryone(true)
	got = mustPost(t, p, newPostMention(textCh, digest.MentionHere, 55))
	msgs := f.srv.Messages(textCh)
	if !msgs[len(msgs)-1].MentionEveryone || len(got.Notes) != 0 {
		t.Errorf("with Mention Everyone: pinged %v, notes %q", msgs[len(msgs)-1].MentionEveryone, got.Notes)
	}
}

func newPostMention(channel, mention string, seed int64) digest.Post {
	d := newPost(channel, longArticles(1, seed))
	d.Mention = mention
	return d
}

// TestPostArticleTextPingsNobody: an article titled with @everyone and a
// role mention, and a topic saying @everyone, ping nobody, whatever the
// digest mentions itself, even with a mentionable role and Mention
// Everyone.
func TestPostArticleTextPingsNobody(t *testing.T) {
	t.Parallel()
	f := newDeliveryFixture(t)
	f.srv.AddRole(guild, "123", true)
	f.srv.AddRole(guild, openRole, true)
	f.srv.SetMentionEveryone(true)
	p := f.poster()
	for _, mention := range []string{"", openRole, digest.MentionHere} {
		d := newPost(textCh, longArticles(2, 56))
		for i := range d.Articles {
			d.Articles[i].Title = "@everyone <@&123> @here " + d.Articles[i].Title
			d.Articles[i].Paragraphs[0] = "@everyone look: <@&123>. " + d.Articles[i].Paragraphs[0]
		}
		d.Topic, d.Mention = "@everyone <@&123>", mention
		mustPost(t, p, d)
		msgs := f.srv.Messages(textCh)
		m := msgs[len(msgs)-1]
		wantRoles := []string(nil)
		if mention == openRole {
			wantRoles = []string{openRole}
		}
		if !slices.Equal(m.MentionRoles, wantRoles) {
			t.Errorf("mention %q: pinged roles %v, want %v", mention, m.MentionRoles, wantRoles)
		}
		if m.MentionEveryone != (mention == digest.MentionHere) {
			t.Errorf("mention %q: mention_everyone %v", mention, m.MentionEveryone)
		}
		// With @here, allowed_mentions parses everyone: the content must
		// say nothing else that Discord reads as @everyone or @here.
		if mention == digest.MentionHere && (strings.Contains(m.Content, "@everyone") || strings.Count(m.Content, "@here") != 1) {
			t.Errorf("mention %q: content %q can ping more than the mention", mention, m.Content)
		}
	}
}
