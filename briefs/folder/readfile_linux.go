//go:build linux

package folder

import (
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// rawFile is an article file opened for reading with plain system calls.
// os.Open would also put the descriptor in non-blocking mode and try to
// register it with the network poller, which regular files never use: on
// machines where system calls are dear that costs as much as the reading.
type rawFile struct {
	fd   int
	path string
}

func openFile(path string) (rawFile, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err == nil {
			return rawFile{fd, path}, nil
		}
		if err != syscall.EINTR {
			return rawFile{}, &os.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

// openFileIn opens f relative to its folder, open as dirFD (see heldDirs),
// unless that is -1. Should that fail it opens f by its path, which says
// what is wrong with the file (or finds it after all: the folder may
// have been replaced since the walk).
func openFileIn(dirFD int32, f File) (rawFile, error) {
	path := f.Path()
	if dirFD >= 0 {
		name := f.Rel[strings.LastIndexByte(f.Rel, '/')+1:]
		for {
			fd, err := unix.Openat(int(dirFD), name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
			if err == nil {
				return rawFile{fd, path}, nil
			}
			if err != syscall.EINTR {
				break
			}
		}
	}
	return openFile(path)
}

// read reads into p, returning 0 and no error at the end of the file.
func (f rawFile) read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(f.fd, p)
		if err == nil {
			return n, nil
		}
		if err != syscall.EINTR {
			return 0, &os.PathError{Op: "read", Path: f.path, Err: err}
		}
	}
}

// stat returns the file's size and modification time.
func (f rawFile) stat() (int64, time.Time, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(f.fd, &st)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return 0, time.Time{}, &os.PathError{Op: "stat", Path: f.path, Err: err}
		}
	}
	sec, nsec := st.Mtim.Unix()
	return int64(st.Size), time.Unix(sec, nsec), nil
}

func (f rawFile) close() { syscall.Close(f.fd) }

// statFile returns the size and modification time of the file at path,
// following links.
func statFile(path string) (int64, time.Time, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Stat(path, &st)
		if err == nil {
			break
		}
		if err != syscall.EINTR {
			return 0, time.Time{}, &os.PathError{Op: "stat", Path: path, Err: err}
		}
	}
	sec, nsec := st.Mtim.Unix()
	return int64(st.Size), time.Unix(sec, nsec), nil
}
