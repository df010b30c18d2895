//go:build !race

package briefs

// queryChecks scales the query tests' random queries (see query_race_test.go).
const queryChecks = 1
