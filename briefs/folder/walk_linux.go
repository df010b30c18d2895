//go:build linux

package folder

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// direntBuf is the size of the buffer a folder's entries are read into:
// a few system calls for a folder of 100,000 files.
const direntBuf = 256 << 10

// fdDir is a folder opened for the walk with plain system calls: its
// entries are read with getdents, its files stat'ed relative to its
// descriptor, so that the kernel does not resolve the folder's path again
// for each.
type fdDir struct {
	fd   int
	path string
}

// openDir opens the folder at path for a walk.
func openDir(path string) (folderDir, error) {
	for {
		fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err == nil {
			return &fdDir{fd, path}, nil
		}
		if err != syscall.EINTR {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
	}
}

func (d *fdDir) close() { syscall.Close(d.fd) }

func (d *fdDir) descriptor() (int, bool) { return d.fd, true }

// maxHeldDirs bounds how many folders a walk keeps open for reading their
// files (see heldDirs): the files of the others are opened by their path.
const maxHeldDirs = 1024

// heldDirLimit is how many folders a walk may keep open: maxHeldDirs, or
// an eighth of the descriptors the process may have.
func heldDirLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return int(min(maxHeldDirs, rl.Cur/8))
}

// entries reads the entries with getdents into a large buffer, and
// copies out the names of those kept.
func (d *fdDir) entries(r *dirReader) error {
	if r.buf == nil {
		r.buf = make([]byte, direntBuf)
	}
	for {
		n, err := syscall.ReadDirent(d.fd, r.buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &os.PathError{Op: "readdirent", Path: d.path, Err: err}
		}
		if n <= 0 {
			return nil
		}
		for b := r.buf[:n]; len(b) > 0; {
			// struct linux_dirent64: ino (8), off (8), reclen (2), type
			// (1), then the name, ended by a NUL.
			if len(b) < 19 {
				break
			}
			reclen := int(binary.NativeEndian.Uint16(b[16:]))
			if reclen < 19 || reclen > len(b) {
				break
			}
			ino, typ, name := binary.NativeEndian.Uint64(b), b[18], b[19:reclen]
			b = b[reclen:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if ino == 0 || len(name) == 0 || name[0] == '.' {
				continue // deleted, or hidden (with . and ..)
			}
			var kind entKind
			switch typ {
			case syscall.DT_DIR:
				kind = entDir
			case syscall.DT_REG:
				kind = entFile
			case syscall.DT_LNK:
				kind = entLink
			case syscall.DT_UNKNOWN:
				// The file system does not say: ask it.
				var ok bool
				if kind, ok = d.kindOf(name); !ok {
					continue
				}
			default:
				continue
			}
			if keepEntry(name, kind) {
				addEntry(r, name, kind)
			}
		}
	}
}

// kindOf is the kind of the entry name, for a file system whose entries
// do not say; false for one that is not kept whatever its name, or gone.
// One that cannot be asked is taken for a link: followed, it says why.
func (d *fdDir) kindOf(name []byte) (entKind, bool) {
	var st unix.Stat_t
	err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW) })
	if err == syscall.ENOENT {
		return 0, false
	}
	if err != nil {
		return entLink, true
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return entDir, true
	case syscall.S_IFREG:
		return entFile, true
	case syscall.S_IFLNK:
		return entLink, true
	}
	return 0, false
}

func (d *fdDir) stat(name string) (int64, time.Time, bool, error) {
	var st unix.Stat_t
	if err := ignoringEINTR(func() error { return unix.Fstatat(d.fd, name, &st, 0) }); err != nil {
		return 0, time.Time{}, false, &os.PathError{Op: "stat", Path: filepath.Join(d.path, name), Err: err}
	}
	sec, nsec := st.Mtim.Unix()
	return st.Size, time.Unix(sec, nsec), st.Mode&syscall.S_IFMT == syscall.S_IFREG, nil
}

func ignoringEINTR(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
