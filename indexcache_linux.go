package main

import "golang.org/x/sys/unix"

// populate maps the pages of b, a page-aligned part of a mapped file, in
// one system call (MADV_POPULATE_READ, Linux 5.14), where reading them
// faults them in a few at a time: a segment's block is megabytes. An
// older kernel refuses it, and the pages fault in as they are read.
func populate(b []byte) { unix.Madvise(b, unix.MADV_POPULATE_READ) }
