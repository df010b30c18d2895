package briefs

import (
	"io/fs"
	"path/filepath"
	"strings"
)

// IsArticleFile reports whether name is a file the library loads: .txt or
// .md, in any case, and not hidden.
func IsArticleFile(name string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".txt" || ext == ".md"
}

// WalkArticleFiles calls fn for every article file below dir, in lexical
// order, skipping hidden files and folders. It returns an error only when
// dir itself cannot be read; unreadable subfolders are passed over.
func WalkArticleFiles(dir string, fn func(path string, d fs.DirEntry)) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && IsArticleFile(d.Name()) {
			fn(path, d)
		}
		return nil
	})
}
