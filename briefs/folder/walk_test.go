package folder

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"newsbrief/briefs"
)

// mkfifo makes a named pipe at path, where the system has them.
var mkfifo func(path string) error

// walkReference is the walk done the plain way, one entry at a time
// through filepath.WalkDir, that walkFolder must agree with: the files in
// its order, the skips and the folders walked. With stat, every file has
// its size and modification time.
func walkReference(dir string, stat bool) (files []File, skipped []Skip, dirs []string, err error) {
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
			return err
		}
		if info == nil && stat {
			if info, err = os.Stat(path); err != nil {
				return err
			}
		}
		f := File{Dir: dir, Rel: filepath.ToSlash(rel)}
		if info != nil {
			f.Size, f.ModTime = info.Size(), info.ModTime()
		}
		files = append(files, f)
		return nil
	})
	return files, skipped, dirs, err
}

// checkWalk compares walkFolder of dir, and the walk through package os
// it falls back on, with walkReference, with and without stats.
func checkWalk(t *testing.T, dir string) []File {
	t.Helper()
	var files []File
	for _, stat := range []bool{false, true} {
		wantFiles, wantSkipped, wantDirs, err := walkReference(dir, stat)
		if err != nil {
			t.Fatal(err)
		}
		gotFiles, gotSkipped, gotDirs, _, err := walkWith(dir, stat, openPortableDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, fmt.Sprintf("portable, stat %v", stat), gotFiles, gotSkipped, gotDirs, wantFiles, wantSkipped, wantDirs)
		gotFiles, gotSkipped, gotDirs, err = walkFolder(dir, stat)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, fmt.Sprintf("stat %v", stat), gotFiles, gotSkipped, gotDirs, wantFiles, wantSkipped, wantDirs)
		files = gotFiles
	}
	return files
}

// checkSame compares the results of two walks, got and want.
func checkSame(t *testing.T, what string, gotFiles []File, gotSkipped []Skip, gotDirs []string, wantFiles []File, wantSkipped []Skip, wantDirs []string) {
	t.Helper()
	if !slices.EqualFunc(gotFiles, wantFiles, func(a, b File) bool {
		return a.Dir == b.Dir && a.Rel == b.Rel && a.Size == b.Size && a.ModTime.Equal(b.ModTime)
	}) {
		t.Errorf("%s: files\n%s\nwant\n%s", what, fileList(gotFiles), fileList(wantFiles))
	}
	if !slices.EqualFunc(gotSkipped, wantSkipped, func(a, b Skip) bool {
		return a.Path == b.Path && a.Err.Error() == b.Err.Error()
	}) {
		t.Errorf("%s: skipped %v, want %v", what, gotSkipped, wantSkipped)
	}
	if !slices.Equal(gotDirs, wantDirs) {
		t.Errorf("%s: dirs %q, want %q", what, gotDirs, wantDirs)
	}
}

func fileList(files []File) string {
	var b strings.Builder
	for _, f := range files {
		fmt.Fprintf(&b, "  %s %d %v\n", f.Rel, f.Size, !f.ModTime.IsZero())
	}
	return b.String()
}

func rels(files []File) string {
	var r []string
	for _, f := range files {
		r = append(r, f.Rel)
	}
	return strings.Join(r, " ")
}

// TestWalkOrder: files come in the order of filepath.WalkDir, each
// folder's entries sorted by name and a subfolder's files where its name
// sorts (a/ before a-b.md and a.md, though "a.md" < "a/x.md"), at any
// depth, hidden files and folders and other files left out.
func TestWalkOrder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	for _, rel := range []string{
		"a.md", "a-b.md", "a/x.md", "a/b/z.txt", "a/b/Y.TXT", "a/c.md/inside.md", "b.txt", "B.txt",
		"2024/01/one.txt", "2024/01/two.txt", "2024/02/three.md", "2023/12/last.txt", "2023/notes.doc",
		"é.txt", "z/.hidden.md", ".git/HEAD.txt", ".draft.txt", "x.txt.bak", "txt", ".md", "readme.Md",
	} {
		writeFile(t, dir, rel, articleText("2023-11-03", "Story "+rel, "Body."))
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := checkWalk(t, dir)
	want := "2023/12/last.txt 2024/01/one.txt 2024/01/two.txt 2024/02/three.md B.txt " +
		"a/b/Y.TXT a/b/z.txt a/c.md/inside.md a/x.md a-b.md a.md b.txt readme.Md é.txt"
	if got := rels(files); got != want {
		t.Errorf("files %s\nwant  %s", got, want)
	}
	_, _, dirs, err := walkFolder(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	var wantDirs []string
	for _, d := range []string{"", "2023", "2023/12", "2024", "2024/01", "2024/02", "a", "a/b", "a/c.md", "empty", "z"} {
		wantDirs = append(wantDirs, filepath.Join(dir, d))
	}
	wantDirs[0] = dir
	if !slices.Equal(dirs, wantDirs) {
		t.Errorf("dirs %q\nwant %q", dirs, wantDirs)
	}
	// The folder as given, unclean, is kept as the first folder, and the
	// files are below it.
	unclean := dir + string(filepath.Separator)
	files, _, dirs, err = walkFolder(unclean, true)
	if err != nil || len(files) != 14 || dirs[0] != unclean || dirs[1] != filepath.Join(dir, "2023") || files[0].Dir != unclean {
		t.Errorf("walk of %q: %d files, dirs %q, %v", unclean, len(files), dirs, err)
	}
	for _, f := range files {
		if f.ModTime.IsZero() || f.Size == 0 {
			t.Errorf("%s: not stat'ed", f.Rel)
		}
	}
}

// TestWalkLargeFolder: the stats of a folder larger than a core's share
// are spread over the cores, and a subfolder among many files keeps its
// place.
func TestWalkLargeFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 3,000 files")
	}
	dir := t.TempDir()
	for i := range 3000 {
		writeFile(t, dir, fmt.Sprintf("%04d.txt", i), strings.Repeat("x", i%7))
	}
	writeFile(t, dir, "1500/in.txt", "x")
	writeFile(t, dir, "1500.5/in.txt", "x")
	if err := os.Symlink("0001.txt", filepath.Join(dir, "2000a.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("missing.txt", filepath.Join(dir, "2000b.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("1500", filepath.Join(dir, "2000c.txt")); err != nil {
		t.Fatal(err)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
	files := checkWalk(t, dir)
	if len(files) != 3003 || files[1500].Rel != "1500/in.txt" || files[1501].Rel != "1500.5/in.txt" || files[2003].Rel != "2000a.txt" {
		t.Errorf("%d files: %s ...", len(files), rels(files[1499:1504]))
	}
}

// TestWalkLinks: a link to a file is a file, with the link's name and the
// file's size and time; a link to a folder, or to something else, is
// nothing, and a broken link is a skip with its path.
func TestWalkLinks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	outside := filepath.Join(filepath.Dir(dir), "outside")
	writeFile(t, dir, "real.txt", articleText("2023-11-03", "Real", "Body."))
	writeFile(t, outside, "far.txt", articleText("2023-11-03", "Far away", "A longer body."))
	writeFile(t, outside, "dir/in.txt", articleText("2023-11-03", "Inside", "Body."))
	for link, target := range map[string]string{
		"link.txt":     "real.txt",
		"far.md":       filepath.Join(outside, "far.txt"),
		"folder.md":    filepath.Join(outside, "dir"),
		"folder":       filepath.Join(outside, "dir"),
		"broken.txt":   "missing.txt",
		"sub/up.txt":   "../real.txt",
		"sub/loop.txt": "loop.txt",
		"notes":        "real.txt",
	} {
		path := filepath.Join(dir, link)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
	}
	if mkfifo != nil {
		if err := mkfifo(filepath.Join(dir, "pipe.txt")); err != nil {
			t.Fatal(err)
		}
	}
	files := checkWalk(t, dir)
	if got, want := rels(files), "far.md link.txt real.txt sub/up.txt"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	far, err := os.Stat(filepath.Join(outside, "far.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if files[0].Size != far.Size() || !files[0].ModTime.Equal(far.ModTime()) {
		t.Errorf("far.md: size %d time %v, want the file's %d %v", files[0].Size, files[0].ModTime, far.Size(), far.ModTime())
	}
	_, skipped, _, err := walkFolder(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 || skipped[0].Path != filepath.Join(dir, "broken.txt") || skipped[1].Path != filepath.Join(dir, "sub", "loop.txt") {
		t.Errorf("skipped %v, want broken.txt and sub/loop.txt", skipped)
	}
	// The library gets the files the links lead to, under the links' names.
	l, src := loadDir(t, dir)
	if l.Len() != 4 || len(src.Skipped()) != 2 {
		t.Errorf("loaded %d, skipped %v", l.Len(), src.Skipped())
	}
}

// TestWalkUnreadableFolder: a folder that cannot be read is a skip with
// its path, listed among the folders (for Watch to watch it when it
// becomes readable), and the rest of the walk goes on.
func TestWalkUnreadableFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", "x")
	writeFile(t, dir, "b/locked/c.txt", "x")
	writeFile(t, dir, "b/open/d.txt", "x")
	writeFile(t, dir, "e.txt", "x")
	locked := filepath.Join(dir, "b", "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Skip("a folder without permissions can still be read (running as root?)")
	}
	files := checkWalk(t, dir)
	if got, want := rels(files), "a.txt b/open/d.txt e.txt"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	_, skipped, dirs, err := walkFolder(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].Path != locked || !os.IsPermission(skipped[0].Err) {
		t.Errorf("skipped %v, want %s for its permissions", skipped, locked)
	}
	if !slices.Contains(dirs, locked) {
		t.Errorf("dirs %q lack %s", dirs, locked)
	}
}

// TestWalkFolderTooDeep: a folder whose path is too long to open (which
// root, unlike permissions, cannot get past) is a skip with its path, and
// the rest of the walk goes on.
func TestWalkFolderTooDeep(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("path limits differ")
	}
	dir := t.TempDir()
	writeFile(t, dir, "deep/a.txt", "x")
	writeFile(t, dir, "z.txt", "x")
	// Create a chain of folders longer than PATH_MAX, going down one at
	// a time.
	t.Chdir(filepath.Join(dir, "deep"))
	name := strings.Repeat("d", 200)
	var deepest string
	path := filepath.Join(dir, "deep")
	for range 25 {
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chdir(name); err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(path, name)
		if deepest == "" && len(path) >= 4096 {
			deepest = path
		}
		if err := os.WriteFile("in.txt", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := checkWalk(t, dir)
	if len(files) < 3 || files[0].Rel != "deep/a.txt" || files[len(files)-1].Rel != "z.txt" {
		t.Fatalf("files %s", rels(files))
	}
	_, skipped, _, err := walkFolder(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || skipped[0].Path != deepest {
		t.Errorf("skipped %v, want the first folder too deep", skipped)
	}
}

func TestIsArticleName(t *testing.T) {
	for _, name := range []string{"a.txt", "a.md", "A.TXT", "b.Md", ".txt", "x.y.tXt", "é.md", "a..md"} {
		if !isArticleName([]byte(name)) || !IsArticleFile(name) {
			t.Errorf("%q is an article name", name)
		}
	}
	for _, name := range []string{"a.tx", "a.txtt", "a.m", "md", "txt", "a.doc", "a.", "", "a.mD~", "a.tx\xd4", "a.m\xc4", "a.\x14\x18\x14"} {
		if isArticleName([]byte(name)) || IsArticleFile(name) {
			t.Errorf("%q is not an article name", name)
		}
	}
}

// TestReloadFromIndexCache: a reload with an index cache takes from it
// every file the walk found as it was cached, at any depth and through
// links, and reads those changed or added since; the library is the one
// a reload without the cache builds.
func TestReloadFromIndexCache(t *testing.T) {
	dir := t.TempDir()
	for i, rel := range []string{"a.txt", "2024/01/b.txt", "2024/01/c.md", "2024/02/d.txt", "z/e.txt"} {
		writeFile(t, dir, rel, articleText("2023-11-03", fmt.Sprintf("Story %d", i), "Body."))
	}
	if err := os.Symlink("a.txt", filepath.Join(dir, "link.txt")); err != nil {
		t.Fatal(err)
	}
	load := func(cache *briefs.IndexCache) (*briefs.Library, *Source) {
		var src *Source
		l := briefs.New(briefs.WithBodies(briefs.BodiesFunc(func(ctx context.Context, a briefs.Article) ([]string, error) {
			return src.Body(ctx, a)
		})))
		src = New(l, dir, WithIndexCache(cache))
		if err := src.Reload(); err != nil {
			t.Fatal(err)
		}
		return l, src
	}
	first, _ := load(nil)
	var buf bytes.Buffer
	if err := first.WriteIndexCache(&buf); err != nil {
		t.Fatal(err)
	}
	cache, err := briefs.ReadIndexCache(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// One file rewritten (another size and time), one added, one removed.
	path := writeFile(t, dir, "2024/01/c.md", articleText("2023-11-04", "Story 2 rewritten", "A new body."))
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "2024/03/f.txt", articleText("2023-11-05", "Story 5", "Body."))
	if err := os.Remove(filepath.Join(dir, "z", "e.txt")); err != nil {
		t.Fatal(err)
	}
	cached, src := load(cache)
	if got := cache.Hits(); got != 4 {
		t.Errorf("%d articles from the cache, want 4 (a, link, b, d)", got)
	}
	if len(src.Skipped()) != 0 {
		t.Errorf("skipped %v", src.Skipped())
	}
	fresh, _ := load(nil)
	summary := func(l *briefs.Library) string {
		var b strings.Builder
		for _, a := range l.All() {
			fmt.Fprintf(&b, "%s %s %s %v %v\n", a.ID, a.File, a.Title, a.Date, a.Stamp)
		}
		return b.String()
	}
	if got, want := summary(cached), summary(fresh); got != want {
		t.Errorf("from the cache:\n%s\nwithout:\n%s", got, want)
	}
	if cached.Len() != 6 {
		t.Errorf("%d articles, want 6", cached.Len())
	}
}
