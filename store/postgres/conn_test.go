package postgres

import (
	"sync"
	"testing"
)

// TestNumberParameters: the store's ? parameters become $1, $2, ... in
// order, and a ? in a quoted string or name stays.
func TestNumberParameters(t *testing.T) {
	c := conn{numbered: new(sync.Map)}
	for _, tc := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`UPDATE t SET a = ? WHERE id = ? AND b = ''`, `UPDATE t SET a = $1 WHERE id = $2 AND b = ''`},
		{`SELECT unnest(?::text[]) WHERE x = '?' AND "a?b" = ?`, `SELECT unnest($1::text[]) WHERE x = '?' AND "a?b" = $2`},
		{`SELECT 'it''s ?', ?`, `SELECT 'it''s ?', $1`},
		{`VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
	} {
		for range 2 { // the second time from the cache
			if got := c.number(tc.in); got != tc.want {
				t.Errorf("number(%q) = %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}
