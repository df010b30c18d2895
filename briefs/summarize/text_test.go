package summarize

import (
	"strings"
)

// parseText reads text as the evaluation data and the tests write it: the
// title on the first non-blank line, then one paragraph a non-blank line.
// Text that is not UTF-8 is read as Latin-1.
func parseText(data []byte) Text {
	var t Text
	for _, line := range strings.Split(latin1(data), "\n") {
		line = FoldSpace(strings.TrimPrefix(line, "\ufeff"))
		if line == "" {
			continue
		}
		if t.Title == "" {
			t.Title = line
			continue
		}
		t.Paragraphs = append(t.Paragraphs, line)
	}
	return t
}
