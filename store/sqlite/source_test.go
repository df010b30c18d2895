package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestUpgradeKeepsSubscriptionsOnEverySource: a subscription stored before
// 0004_subscription_source draws from every source after the upgrade, and
// keeps the rest of what it was.
func TestUpgradeKeepsSubscriptionsOnEverySource(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	before := -1
	for i, m := range migrations {
		if m.Name == "0004_subscription_source.sql" {
			before = i
		}
	}
	if before < 0 {
		t.Fatal("no 0004_subscription_source.sql among the migrations")
	}
	saved := migrations
	migrations = saved[:before:before]
	s, err := Open(ctx, path)
	migrations = saved
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO subscriptions (id, guild_id, channel_id, schedule, timezone, count, topic, created_at)
		VALUES (7, 'g', 'c', '@daily', 'UTC', 3, 'rates', '2025-01-01T00:00:00.000000000Z')`); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openAt(t, path)
	sub, err := s.SubscriptionByID(ctx, 7)
	if err != nil || sub.Source != "" || sub.Topic != "rates" || sub.Count != 3 {
		t.Errorf("upgraded subscription: %+v, %v", sub, err)
	}
	sub.Source = "Wire"
	if put, err := s.PutSubscription(ctx, sub); err != nil || put.Source != "Wire" || put.ID != 7 {
		t.Errorf("put a source after the upgrade: %+v, %v", put, err)
	}
}
