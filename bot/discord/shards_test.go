package discord

import (
	"fmt"
	"strconv"
	"testing"
)

func TestIdentifyBatches(t *testing.T) {
	cases := []struct {
		ids            []int
		maxConcurrency int
		want           string
	}{
		{[]int{0}, 1, "[[0]]"},
		{[]int{0, 1, 2, 3}, 1, "[[0] [1] [2] [3]]"},
		{[]int{0, 1, 2, 3}, 2, "[[0 1] [2 3]]"},
		{[]int{0, 1, 2, 3}, 16, "[[0 1 2 3]]"},
		// 0 and 2 share bucket 0 of 2: never in one batch.
		{[]int{0, 2}, 2, "[[0] [2]]"},
		{[]int{4, 5, 6}, 4, "[[4 5 6]]"},
		{[]int{1, 3, 5, 6}, 2, "[[6 1] [3] [5]]"},
	}
	for _, tc := range cases {
		got := fmt.Sprint(identifyBatches(tc.ids, tc.maxConcurrency))
		if got != tc.want {
			t.Errorf("identifyBatches(%v, %d) = %s, want %s", tc.ids, tc.maxConcurrency, got, tc.want)
		}
	}
}

func TestShardOf(t *testing.T) {
	// A guild created at the same millisecond lands on one shard whatever
	// its low bits; the next millisecond moves it one shard on.
	base := uint64(46977624770) << 22
	cases := []struct {
		guild string
		count int
		want  int
	}{
		{strconv.FormatUint(base|12345, 10), 1, 0},
		{strconv.FormatUint(base|12345, 10), 5, 0},
		{strconv.FormatUint(base+1<<22, 10), 5, 1},
		{strconv.FormatUint(base+3<<22, 10), 2, 1},
		{"", 4, 0},        // a DM
		{"general", 4, 0}, // no snowflake
		{"123456", 0, 0},  // a count of zero is not divided by
	}
	for _, tc := range cases {
		if got := ShardOf(tc.guild, tc.count); got != tc.want {
			t.Errorf("ShardOf(%q, %d) = %d, want %d", tc.guild, tc.count, got, tc.want)
		}
	}
}
