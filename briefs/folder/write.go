package folder

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"newsbrief/briefs"
)

// Format returns the article in the article file format, as Parse reads
// it: a date line ("Monday, January 2, 2006", only for dated articles), the
// title, a blank line and the paragraphs separated by blank lines.
func Format(a briefs.Article) []byte {
	var b strings.Builder
	if a.Dated && !a.Date.IsZero() {
		b.WriteString(a.Date.Format("Monday, January 2, 2006"))
		b.WriteByte('\n')
	}
	b.WriteString(a.Title)
	for _, p := range a.Paragraphs {
		b.WriteString("\n\n")
		b.WriteString(p)
	}
	b.WriteByte('\n')
	return []byte(b.String())
}

// Write writes the articles into dir as article files (see Format), for
// tests, benchmarks and sample folders. An article whose File is a local
// .txt or .md path is written there (folders created), so it loads with its
// ID; any other gets a name made of its position and title.
func Write(dir string, articles []briefs.Article) error {
	for i, a := range articles {
		name := filepath.FromSlash(a.File)
		if name == "" || !filepath.IsLocal(name) || !IsArticleFile(name) {
			name = fmt.Sprintf("%05d-%s.txt", i, briefs.Slug(a.Title, 40))
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("write articles to %s: %w", dir, err)
		}
		if err := os.WriteFile(path, Format(a), 0o644); err != nil {
			return fmt.Errorf("write articles to %s: %w", dir, err)
		}
	}
	return nil
}
