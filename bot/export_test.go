package bot

import "time"

// LaunchAll starts the digests of ids at once, as cron does when they fall
// due in the same minute, and waits until every one has finished.
func LaunchAll(d *Digests, ids []int64) {
	now := time.Now()
	for _, id := range ids {
		d.launch(id, now)
	}
	d.wg.Wait()
}
