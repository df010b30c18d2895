//go:build !linux

package folder

import (
	"io"
	"os"
	"time"
)

// rawFile is an article file opened for reading.
type rawFile struct{ f *os.File }

func openFile(path string) (rawFile, error) {
	f, err := os.Open(path)
	return rawFile{f}, err
}

// openFileIn opens f by its path: no folder is held open here.
func openFileIn(dirFD int32, f File) (rawFile, error) { return openFile(f.Path()) }

// read reads into p, returning 0 and no error at the end of the file.
func (f rawFile) read(p []byte) (int, error) {
	n, err := f.f.Read(p)
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// stat returns the file's size and modification time.
func (f rawFile) stat() (int64, time.Time, error) {
	info, err := f.f.Stat()
	if err != nil {
		return 0, time.Time{}, err
	}
	return info.Size(), info.ModTime(), nil
}

func (f rawFile) close() { f.f.Close() }

// statFile returns the size and modification time of the file at path,
// following links.
func statFile(path string) (int64, time.Time, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, time.Time{}, err
	}
	return info.Size(), info.ModTime(), nil
}

// newFileReader returns a reader of up to chunk files at a time.
func newFileReader(chunk int) fileReader { return plainReader{} }
