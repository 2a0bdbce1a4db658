package corpus

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"syscall"
)

// Limits on what a corpus source reads, so that a wrong or hostile file
// ends as a problem naming it rather than as an exhausted memory or a read
// that never ends. corpus/FORMAT.md documents them.
const (
	// MaxFileBytes is the most one YAML file of a corpus directory
	// (places.yaml or an entry) may hold.
	MaxFileBytes = 1 << 20
	// MaxDirBytes is the most the YAML files of a corpus directory may
	// hold together.
	MaxDirBytes = 64 << 20
	// MaxLineBytes is the most one line of a JSONL corpus may hold, its
	// line break not counted. WriteJSONL refuses to write a longer line,
	// so what it writes can be read back.
	MaxLineBytes = 1 << 20
	// MaxJSONLBytes is the most a JSONL corpus may hold: room for an
	// export of well over 100,000 entries.
	MaxJSONLBytes = 1 << 30
)

// openFlags open a file for reading without waiting for a writer: a named
// pipe put in place of a file that was checked does not hold the open.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// kindOf says what a file that is not a regular file is, or "" for a
// regular file.
func kindOf(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return ""
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeSymlink != 0:
		return "a symbolic link"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeDevice != 0:
		return "a device"
	default:
		return "not a regular file"
	}
}

// sizeText writes a limit the way FORMAT.md does.
func sizeText(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// ctxReader ends reading once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (r ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}

// dirFiles reads the files of a corpus directory for one Load: only
// regular files inside it, each at most MaxFileBytes and all together at
// most MaxDirBytes. Whatever else stands in a file's place is a problem
// naming the file, and is neither opened nor read.
type dirFiles struct {
	fsys fs.FS
	// root, when the directory is on disk, opens files without waiting
	// (see openFlags); its FS refuses any path or symbolic link that
	// leads out of it.
	root   *os.Root
	prefix string
	left   int64 // bytes the directory may still hold
}

// dirFile is a file of a corpus directory that may be read, or the problem
// that says why not.
type dirFile struct {
	name string
	size int64
	prob *Problem
}

// stat looks at a file without opening it.
func (d *dirFiles) stat(name string) (dirFile, error) {
	f := dirFile{name: name}
	refuse := func(format string, args ...any) (dirFile, error) {
		f.prob = &Problem{File: path.Join(d.prefix, name), Line: 1, Message: fmt.Sprintf(format, args...)}
		return f, nil
	}
	info, err := fs.Lstat(d.fsys, name)
	if err != nil {
		return f, err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		// Followed only inside the directory.
		if info, err = fs.Stat(d.fsys, name); err != nil {
			return refuse("a symbolic link that leads out of the corpus directory or to nothing; only files inside it are read")
		}
	}
	if kind := kindOf(info.Mode()); kind != "" {
		return refuse("%s, not a regular file", kind)
	}
	if info.Size() > MaxFileBytes {
		return refuse("the file holds %d bytes, more than the %s a corpus file may", info.Size(), sizeText(MaxFileBytes))
	}
	f.size = info.Size()
	return f, nil
}

// statAll looks at every file before any is read. When the files together
// hold more than MaxDirBytes, the problem names the file that goes over,
// the files after it are not looked at and the directory is full.
func (d *dirFiles) statAll(names []string) ([]dirFile, error) {
	var files []dirFile
	var total int64
	for _, name := range names {
		f, err := d.stat(name)
		if err != nil {
			return nil, err
		}
		if total += f.size; total > MaxDirBytes {
			f.prob = &Problem{File: path.Join(d.prefix, name), Line: 1,
				Message: fmt.Sprintf("with this file the corpus directory holds more than the %s it may", sizeText(MaxDirBytes))}
			d.left = -1
			return append(files, f), nil
		}
		files = append(files, f)
	}
	return files, nil
}

// read reads a file that stat let through, checking again what was opened
// (the file may have been replaced since) and what was read (it may have
// grown). It gives the content, or a problem, or an error when the file
// cannot be read at all.
func (d *dirFiles) read(ctx context.Context, name string) ([]byte, *Problem, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	refuse := func(format string, args ...any) ([]byte, *Problem, error) {
		return nil, &Problem{File: path.Join(d.prefix, name), Line: 1, Message: fmt.Sprintf(format, args...)}, nil
	}
	var f fs.File
	var err error
	if d.root != nil {
		f, err = d.root.OpenFile(name, openFlags, 0)
	} else {
		f, err = d.fsys.Open(name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path.Join(d.prefix, name), err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path.Join(d.prefix, name), err)
	}
	if kind := kindOf(info.Mode()); kind != "" {
		return refuse("%s, not a regular file", kind)
	}
	limit := min(MaxFileBytes, d.left)
	data, err := io.ReadAll(io.LimitReader(ctxReader{ctx, f}, limit+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path.Join(d.prefix, name), err)
	}
	switch {
	case len(data) > MaxFileBytes:
		return refuse("the file holds more than the %s a corpus file may", sizeText(MaxFileBytes))
	case int64(len(data)) > d.left:
		d.left = -1
		return refuse("with this file the corpus directory holds more than the %s it may", sizeText(MaxDirBytes))
	}
	d.left -= int64(len(data))
	return data, nil, nil
}

// full reports whether the directory has gone over MaxDirBytes.
func (d *dirFiles) full() bool { return d.left < 0 }

// openRegular opens a file given by path, following symbolic links, if it
// is a regular file; a device, a named pipe or a directory is refused
// before it is opened, and again if one was put in its place meanwhile.
func openRegular(name string) (*os.File, error) {
	info, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if kind := kindOf(info.Mode()); kind != "" {
		return nil, fmt.Errorf("%s is %s, not a regular file", name, kind)
	}
	f, err := os.OpenFile(name, openFlags, 0)
	if err != nil {
		return nil, err
	}
	if info, err = f.Stat(); err != nil {
		f.Close()
		return nil, err
	}
	if kind := kindOf(info.Mode()); kind != "" {
		f.Close()
		return nil, fmt.Errorf("%s is %s, not a regular file", name, kind)
	}
	return f, nil
}
