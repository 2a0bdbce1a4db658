// Package durable writes files that survive a crash: written and synced
// before they count, replaced by a rename, their directory synced. The
// index store and the entry store both keep their files this way.
package durable

import (
	"io"
	"os"
	"path/filepath"
)

// Create writes path (created, or emptied) with what write writes, and
// syncs it before closing.
func Create(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Replace writes name in dir atomically: data goes to a temporary file in
// dir (named by pattern, as os.CreateTemp names it), synced, which is
// renamed over name, and dir is synced. beforeRename, if not nil, runs
// just before the rename (tests stop there to act a crash); its error
// leaves name as it was.
func Replace(dir, name, pattern string, data []byte, beforeRename func() error) error {
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing is there
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if beforeRename != nil {
		if err := beforeRename(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return SyncDir(dir)
}

// SyncDir syncs a directory, so that the names created, renamed or removed
// in it last.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
