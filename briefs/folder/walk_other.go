//go:build !linux

package folder

// openDir opens the folder at path for a walk.
func openDir(path string) (folderDir, error) { return openPortableDir(path) }
