package folder

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watchDebounce is how long the folder must stay quiet after a change before
// Watch reloads: copying a batch of files gives one reload, not hundreds.
const watchDebounce = 250 * time.Millisecond

// watchMaxDelay bounds the wait under a steady stream of changes (a long
// copy): the library still reloads at least this often.
const watchMaxDelay = 3 * time.Second

// Watch reloads the folder whenever something changes in it or in any
// folder below it (new folders are watched as they appear), so the library
// follows the folder without a restart. Bursts of changes are debounced
// into one reload. Changes made since the last Reload, before Watch began,
// are picked up too. It returns nil when ctx is done, and an error only if
// watching cannot start.
func (s *Source) Watch(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	defer w.Close()
	log := s.opts.logger
	if err := w.Add(s.dir); err != nil {
		return fmt.Errorf("watch %s: %w", s.dir, err)
	}
	watched := map[string]bool{s.dir: true}
	watch := func(dirs []string) {
		for _, d := range dirs {
			if watched[d] {
				continue
			}
			if err := w.Add(d); err != nil {
				log.Warn("cannot watch folder", slog.String("dir", d), slog.String("reason", err.Error()))
				continue
			}
			watched[d] = true
		}
	}
	// The folders the last load walked; new ones are added as they appear.
	last := s.last.Load()
	watch(last.dirs)

	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var pendingSince time.Time // first change not yet reloaded; zero if none
	schedule := func() {
		now := time.Now()
		if pendingSince.IsZero() {
			pendingSince = now
		}
		timer.Reset(max(0, min(watchDebounce, watchMaxDelay-now.Sub(pendingSince))))
	}
	// What changed between the load and the watch has sent no event: look.
	if last.walked.IsZero() || changedSince(s.dir, last.walked) {
		schedule()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if ev.Op == fsnotify.Chmod || isHidden(filepath.Base(ev.Name)) {
				continue
			}
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				// The kernel drops the watch of a removed folder; forget it
				// so it is added again if the folder comes back.
				delete(watched, ev.Name)
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
					// Watch the new folder (and any it already holds) at
					// once; files written before that are picked up by the
					// reload below.
					watch(subdirs(ev.Name))
				}
			}
			schedule()
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			// Typically an event queue overflow: events were lost, so reload.
			log.Warn("watch error", slog.String("dir", s.dir), slog.String("reason", err.Error()))
			schedule()
		case <-timer.C:
			pendingSince = time.Time{}
			start := time.Now()
			err := s.Reload()
			if s.opts.onReload != nil {
				s.opts.onReload(err)
			}
			if err != nil {
				log.Error("articles folder reload failed", slog.String("dir", s.dir), slog.String("reason", err.Error()))
				continue
			}
			last := s.last.Load()
			watch(last.dirs)
			log.Info("articles folder reloaded", slog.String("dir", s.dir), slog.Int("articles", s.lib.Count(s.opts.origin)),
				slog.Int("skipped", len(last.skipped)), slog.Duration("took", time.Since(start)))
		}
	}
}

// changedSince reports whether a file or folder below root (hidden ones
// aside) was modified at or after t, less a second for coarse file-system
// clocks: at worst one reload too many. Adding or removing a file changes
// its folder's time.
func changedSince(root string, t time.Time) bool {
	t = t.Add(-time.Second)
	changed := false
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if path != root && isHidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if info, err := d.Info(); err == nil && !info.ModTime().Before(t) {
			changed = true
			return fs.SkipAll
		}
		return nil
	})
	return changed
}

// subdirs lists root and the non-hidden folders below it.
func subdirs(root string) []string {
	var dirs []string
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path != root && isHidden(d.Name()) {
			return fs.SkipDir
		}
		dirs = append(dirs, path)
		return nil
	})
	return dirs
}
