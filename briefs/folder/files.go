package folder

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"newsbrief/briefs"
)

// File is an article file found below a folder.
type File struct {
	Dir string // the folder
	Rel string // slash-separated path relative to Dir; it seeds the ID
	// Size and ModTime may be zero: Files leaves them so to save a
	// stat per file, and Read takes them from the open file when they are.
	Size    int64
	ModTime time.Time
}

// Path is the file's path.
func (f File) Path() string { return filepath.Join(f.Dir, filepath.FromSlash(f.Rel)) }

// IsArticleFile reports whether name has an article extension.
func IsArticleFile(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".txt" || ext == ".md"
}

func isHidden(name string) bool { return strings.HasPrefix(name, ".") }

// Files lists the article files below dir in lexical order: .txt
// and .md files, hidden files and folders left out, links to files followed
// and links to folders not. What cannot be read is listed in the skips. It
// fails only when dir itself cannot be read.
func Files(dir string) ([]File, []Skip, error) {
	files, skipped, _, err := walkFolder(dir)
	return files, skipped, err
}

// walkFolder is Files, also returning the folders walked (for Watch).
func walkFolder(dir string) (files []File, skipped []Skip, dirs []string, err error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read articles folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, nil, fmt.Errorf("read articles folder %s: not a directory", dir)
	}
	skip := func(path string, err error) {
		skipped = append(skipped, Skip{Path: path, Err: err})
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir {
				return err
			}
			skip(path, err)
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path != dir && isHidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			dirs = append(dirs, path)
			return nil
		}
		if !IsArticleFile(d.Name()) {
			return nil
		}
		// The directory entry tells regular files apart without a stat:
		// their size and modification time are left for Read to find on
		// the open file. Links are followed to files, not to folders.
		var info fs.FileInfo
		if d.Type()&fs.ModeSymlink != 0 {
			if info, err = os.Stat(path); err != nil {
				skip(path, err)
				return nil
			}
			if !info.Mode().IsRegular() {
				return nil
			}
		} else if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			skip(path, err)
			return nil
		}
		// A copy: rel is a slice of path, which would otherwise stay
		// in memory as long as the article (40 MB at 500,000 files).
		f := File{Dir: dir, Rel: strings.Clone(filepath.ToSlash(rel))}
		if info != nil {
			f.Size, f.ModTime = info.Size(), info.ModTime()
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read articles folder %s: %w", dir, err)
	}
	return files, skipped, dirs, nil
}

// Read reads and parses the file, refusing more than max bytes. The ID is
// seeded by Rel, so it is the same wherever the folder lives; an undated
// article gets the file's modification time. Size and ModTime, when the
// walk left them unset (ModTime zero), come from the open file.
func (f File) Read(max int64) (briefs.Article, error) {
	if f.Size > max {
		return briefs.Article{}, fmt.Errorf("%s: %d bytes, over the %d-byte limit: %w", f.Rel, f.Size, max, ErrTooLarge)
	}
	return readArticleFile(f, max)
}
