package feed

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// ReadList reads and parses the feeds file at path: the feeds of its good
// lines, one error per bad line (see ParseList), and an error when the file
// cannot be read at all.
func ReadList(path string) ([]Feed, []error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("feeds file: %w", err)
	}
	defer f.Close()
	feeds, lineErrs := ParseList(f)
	return feeds, lineErrs, nil
}

// listSettle is how long the feeds file must stay unchanged before it is
// read again: an editor saving it may write, rename and chmod in a burst.
const listSettle = 200 * time.Millisecond

// WatchList applies changes to the feeds file at path without a restart,
// until ctx ends: each time the file settles after a change it is read
// again and its good lines replace the feeds (SetFeeds); its bad lines are
// logged with their numbers, and a file that cannot be read leaves the
// feeds as they were. It watches the file's folder, not the file, so that
// an editor replacing the file (write to a temporary file, then rename) is
// seen too. The file is read once when the watch starts, which covers a
// change made before it.
func (s *Source) WatchList(ctx context.Context, path string) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch feeds file %s: %w", path, err)
	}
	defer w.Close()
	if err := w.Add(filepath.Dir(path)); err != nil {
		return fmt.Errorf("watch feeds file %s: %w", path, err)
	}
	abs, _ := filepath.Abs(path)
	apply := func() {
		feeds, lineErrs, err := ReadList(path)
		if err != nil {
			s.opts.logger.Warn("feeds file unreadable: keeping the feeds as they were", slog.Any("err", err))
			return
		}
		for _, e := range lineErrs {
			s.opts.logger.Warn("feeds file: line skipped", slog.String("file", path), slog.Any("err", e))
		}
		if err := s.SetFeeds(ctx, feeds); err != nil && ctx.Err() == nil {
			s.opts.logger.Warn("feeds file applied with errors", slog.Any("err", err))
			return
		}
		s.opts.logger.Info("feeds file applied", slog.String("file", path), slog.Int("feeds", len(feeds)))
	}
	apply()
	var settle <-chan time.Time
	var timer *time.Timer
	for {
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if p, _ := filepath.Abs(ev.Name); p != abs {
				continue
			}
			if timer != nil {
				timer.Stop()
			}
			timer = time.NewTimer(listSettle)
			settle = timer.C
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			s.opts.logger.Warn("watching the feeds file", slog.Any("err", err))
		case <-settle:
			settle = nil
			apply()
		}
	}
}

// KeepPruned prunes items older than retention (FEED_RETENTION) at once and
// then every interval, until ctx ends.
func (s *Source) KeepPruned(ctx context.Context, retention, every time.Duration) {
	for {
		if n, err := s.Prune(ctx, retention); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.opts.logger.Warn("pruning feed items", slog.Any("err", err))
		} else if n > 0 {
			s.opts.logger.Info("feed items pruned", slog.Int64("items", n), slog.Duration("retention", retention))
		}
		select {
		case <-ctx.Done():
			return
		case <-s.opts.clock.At(s.opts.clock.Now().Add(every)):
		}
	}
}
