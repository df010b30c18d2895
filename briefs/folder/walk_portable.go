package folder

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// portableDir is a folder opened for the walk through package os, on
// systems without openDir's system calls: its entries are read unsorted,
// and its files stat'ed by their path.
type portableDir struct {
	f    *os.File
	path string
}

// openPortableDir opens the folder at path for a walk through package os.
func openPortableDir(path string) (folderDir, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &portableDir{f, path}, nil
}

func (d *portableDir) close() { d.f.Close() }

func (d *portableDir) descriptor() (int, bool) { return 0, false }

func (d *portableDir) entries(r *dirReader) error {
	des, err := d.f.ReadDir(-1)
	if err != nil {
		return err
	}
	for _, de := range des {
		var kind entKind
		switch t := de.Type(); {
		case t.IsDir():
			kind = entDir
		case t.IsRegular():
			kind = entFile
		case t&fs.ModeSymlink != 0:
			kind = entLink
		default:
			continue
		}
		name := de.Name()
		if keepEntry(name, kind) {
			addEntry(r, name, kind)
		}
	}
	return nil
}

func (d *portableDir) stat(name string) (int64, time.Time, bool, error) {
	info, err := os.Stat(filepath.Join(d.path, name))
	if err != nil {
		return 0, time.Time{}, false, err
	}
	return info.Size(), info.ModTime(), info.Mode().IsRegular(), nil
}
