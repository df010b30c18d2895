package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"newsbrief/briefs"
)

// indexCacheEvery is how often the running bot writes the index cache
// again when its library changed (feeds polled, files edited): a crash
// then costs a start at most this much re-indexing, and a write, which
// reads the whole index, stays rare.
const indexCacheEvery = 10 * time.Minute

// readIndexCache reads the index cache at path (INDEX_CACHE) for this
// start. It returns nil, and the start indexes every article, when the
// cache is off, not written yet, or unusable; an unusable one is logged.
func readIndexCache(path string, log *slog.Logger) *briefs.IndexCache {
	if path == "" {
		return nil
	}
	c, _, err := loadIndexCache(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		log.Info("index cache: none yet; this start indexes every article and writes one", slog.String("file", path))
	case err != nil:
		log.Warn("index cache unusable; this start indexes every article and writes it again", slog.String("file", path), slog.Any("err", err))
	}
	return c
}

// loadIndexCache reads and checks the index cache file at path, and says
// when it was written. A missing file is an error wrapping
// fs.ErrNotExist. The cache keeps the file open, to read each article as
// a source asks for it, until its Release.
func loadIndexCache(path string) (*briefs.IndexCache, time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, time.Time{}, err
	}
	src := openCacheFile(f, info.Size())
	c, err := briefs.OpenIndexCache(src, info.Size())
	if err != nil {
		src.(io.Closer).Close()
		return nil, time.Time{}, err
	}
	return c, info.ModTime(), nil
}

// writeIndexCache writes lib's index cache to path through a temporary
// file in the same folder, renamed over the old one once complete: a
// crash mid-write leaves the previous cache, never half of one.
func writeIndexCache(lib *briefs.Library, path string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := lib.WriteIndexCache(f); err != nil {
		return fmt.Errorf("index cache %s: write: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("index cache %s: write: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("index cache %s: %w", path, err)
	}
	return nil
}

// keepIndexCache keeps the index cache at path up to date until stop is
// closed: at once when the start indexed anything (stale is true), then
// every interval (indexCacheEvery in the bot) when the library changed, and a last time when
// stop closes (once the sources have stopped), so that the next start
// reads only what changed after. It returns when that last write is done.
func keepIndexCache(stop <-chan struct{}, lib *briefs.Library, path string, every time.Duration, stale bool, log *slog.Logger) {
	if path == "" {
		return
	}
	written := lib.Version()
	write := func() {
		v := lib.Version()
		start := time.Now()
		if err := writeIndexCache(lib, path); err != nil {
			log.Warn("index cache not written; the next start indexes more", slog.Any("err", err))
			return
		}
		written = v
		log.Debug("index cache written", slog.String("file", path), slog.Int("articles", lib.Len()), slog.Duration("took", time.Since(start)))
	}
	if stale {
		write()
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			if lib.Version() != written {
				write()
			}
			return
		case <-tick.C:
			if lib.Version() != written {
				write()
			}
		}
	}
}

// describeIndexCache says, for newsbrief check, what the index cache at
// path holds. A cache that is missing or unusable is no error: the next
// start indexes every article and writes it again.
func describeIndexCache(path string) string {
	if path == "" {
		return "off (INDEX_CACHE=off): every start indexes every article"
	}
	c, written, err := loadIndexCache(path)
	defer c.Release()
	if errors.Is(err, fs.ErrNotExist) {
		return path + ": none yet (the bot writes it after its first start)"
	}
	if err != nil {
		return fmt.Sprintf("%s: unusable, the next start indexes every article and writes it again: %v", path, err)
	}
	noun := "articles"
	if c.Len() == 1 {
		noun = "article"
	}
	return fmt.Sprintf("%s: %d %s, written %s", path, c.Len(), noun, written.UTC().Format(time.RFC3339))
}
