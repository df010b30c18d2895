//go:build !linux

package folder

// openDir opens the folder at path for a walk.
func openDir(path string) (folderDir, error) { return openPortableDir(path) }

// heldDirLimit is 0: files are opened by their path.
func heldDirLimit() int { return 0 }

// statRings is empty here: files are stat'ed one after the other.
type statRings struct{}

func (*statRings) statEach(folderDir, []File, []int, int, func(int, fileStat)) bool { return false }

func (*statRings) close() {}
