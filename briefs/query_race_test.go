//go:build race

package briefs

// queryChecks scales down the query tests' random queries under the race
// detector, which makes them ten times slower: the references they are
// checked against score and match everything.
const queryChecks = 4
