package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs/feed/feedstore"
	"newsbrief/store/sqlstore"
	"newsbrief/store/storetest"
)

// recorder is a Conn that notes the text of each query run through it.
type recorder struct {
	sqlstore.Conn
	queries []string
}

func (r *recorder) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	r.queries = append(r.queries, query)
	return r.Conn.Query(ctx, query, args...)
}

func (r *recorder) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	r.queries = append(r.queries, query)
	return r.Conn.QueryRow(ctx, query, args...)
}

// queryPlan is what EXPLAIN QUERY PLAN says of query, one step a line.
func queryPlan(t *testing.T, s *Store, query string, args ...any) string {
	t.Helper()
	rows, err := s.r.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, notUsed int
		var detail string
		if err := rows.Scan(&id, &parent, &notUsed, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(steps, "\n")
}

// TestItemKeysReadOnlyIndexes: the listing of a feed's item keys (its
// select, and for every feed's items a count first: the
// store's own query texts, recorded as it runs them) is answered from
// indexes alone, never reaching the rows, which hold full texts. The
// select reads the covering feed_items_age; the count, any index the
// planner finds smallest.
func TestItemKeysReadOnlyIndexes(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	if _, err := s.SaveItems(ctx, benchItems("plan", 200, 4), 0); err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]int{"feed-001": 50, "": 200} {
		t.Run(fmt.Sprintf("origin=%q", origin), func(t *testing.T) {
			rec := &recorder{Conn: sqlstore.FromSQL(s.r)}
			st := sqlstore.New(sqlstore.Config{Dialect: dialect{}, Write: sqlstore.FromSQL(s.w), Read: rec})
			items, err := st.ItemKeys(ctx, origin)
			if err != nil {
				t.Fatal(err)
			}
			if len(items) != want {
				t.Errorf("%d items, want %d", len(items), want)
			}
			// All items are counted first; one feed's are not.
			var args []any
			queries := 2
			if origin != "" {
				args, queries = []any{origin}, 1
			}
			if len(rec.queries) != queries {
				t.Fatalf("queries %q, want %d", rec.queries, queries)
			}
			for i, q := range rec.queries {
				plan := queryPlan(t, s, q, args...)
				t.Logf("%s\n  %s", strings.Join(strings.Fields(q), " "), strings.ReplaceAll(plan, "\n", "\n  "))
				want := "USING COVERING INDEX "
				if i == len(rec.queries)-1 {
					want += "feed_items_age"
				}
				if !strings.Contains(plan, want) {
					t.Errorf("plan of %q is\n%s\nwant %q", q, plan, want)
				}
			}
		})
	}
}

// TestOpenLeavesFeedItemsIndexesUnchecked: the integrity check at open
// leaves out feed_items' indexes with its table (quick_check of a table
// reads its indexes whole too, and the covering feed_items_age is some
// 35 MB at 100,000 items). A file whose only damage is that index's pages
// opens.
func TestOpenLeavesFeedItemsIndexesUnchecked(t *testing.T) {
	openDamaged(t, benchItems("check", 400, 2), "feed_items_age")
}

// TestUpgradeBuildsListingIndex opens a file at the schema before the
// covering feed_items_age, holding items, and checks the upgrade: the
// index holds every row, and the items read the same with and without it.
func TestUpgradeBuildsListingIndex(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "newsbrief.db")
	const version = 8
	if migrations[version-1].Name != "0008_feed_items_listing.sql" {
		t.Fatalf("migration %d is %s", version, migrations[version-1].Name)
	}
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[: version-1 : version-1]
	s := openAt(t, path)
	items := benchItems("up", 300, 3)
	items[7].Published = time.Time{} // undated: ordered by its fetch time
	items[8].Link, items[8].TitleKey, items[8].GUID = "", "", ""
	if _, err := s.SaveItems(ctx, items, 0); err != nil {
		t.Fatal(err)
	}
	before, err := s.ItemKeys(ctx, "feed-001")
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	migrations = saved

	s = openAt(t, path)
	if got, want := pragma(t, s, "user_version"), latestVersion(); got != want {
		t.Errorf("user_version = %s, want %s", got, want)
	}
	if n := count(t, s, `SELECT count(*) FROM feed_items INDEXED BY feed_items_age WHERE origin IS NOT NULL`); n != len(items) {
		t.Errorf("feed_items_age holds %d rows, want %d", n, len(items))
	}
	after, err := s.ItemKeys(ctx, "feed-001")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("items after the upgrade differ:\n%v\nwant\n%v", after, before)
	}
	// Beyond the cap, the oldest go, as before.
	if _, err := s.SaveItems(ctx, []feedstore.Item{storetest.Item("feed-001", "newest", 10_000)}, 50); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT count(*) FROM feed_items WHERE origin = 'feed-001'`); n != 50 {
		t.Errorf("%d items of feed-001 after a save with cap 50, want 50", n)
	}
}
