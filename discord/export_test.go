package discord

import "time"

// LaunchAll starts the digests of ids at once, as cron does when they fall
// due in the same minute, and waits until every one has finished.
func LaunchAll(d *Digests, ids []int64) {
	<-d.started
	now := time.Now()
	for _, id := range ids {
		d.launch(id, now)
	}
	d.wg.Wait()
}

// WaitStarted blocks until d's Start has finished.
func WaitStarted(d *Digests) { <-d.started }
