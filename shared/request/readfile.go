package request

import (
	"fmt"
	"io"
	"io/fs"
	"os"
)

// TooLargeError reports a file or stream above a size limit.
type TooLargeError struct {
	// Name is the file's path, or a description such as "standard input".
	Name  string
	Limit int64
	// Size is the file's size in bytes, or 0 when it is unknown, such as
	// for a pipe.
	Size int64
}

func (e *TooLargeError) Error() string {
	if e.Size > 0 {
		return fmt.Sprintf("%s is %d bytes; the limit is %d", e.Name, e.Size, e.Limit)
	}
	return fmt.Sprintf("%s is larger than the limit of %d bytes", e.Name, e.Limit)
}

// NotRegularError reports a path that names something other than a regular
// file, such as a directory, a device or a named pipe. Reading a named pipe
// blocks until a writer opens it, and a device such as /dev/zero never
// ends, so only regular files are read.
type NotRegularError struct {
	Name string
	Mode fs.FileMode
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a regular file; give the path of a regular file", e.Name, e.Kind())
}

// Kind returns the kind of file, such as "a named pipe", with an article.
func (e *NotRegularError) Kind() string {
	mode := e.Mode
	switch {
	case mode.IsDir():
		return "a directory"
	case mode&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&fs.ModeSocket != 0:
		return "a socket"
	case mode&fs.ModeCharDevice != 0:
		return "a character device"
	case mode&fs.ModeDevice != 0:
		return "a device"
	default:
		return "a file of mode " + mode.String()
	}
}

// ReadLimited reads r to its end when it holds at most limit bytes. It
// stops after limit+1 bytes, so a larger input is never read whole, and
// then returns a *TooLargeError for name.
func ReadLimited(r io.Reader, name string, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, &TooLargeError{Name: name, Limit: limit}
	}
	return data, nil
}

// ReadFileLimited reads the regular file at path when it holds at most
// limit bytes. It returns a *NotRegularError for any other kind of file
// without blocking on it, and a *TooLargeError with the file's size for a
// larger file, which it does not read.
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	f, info, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if info.Size() > limit {
		return nil, &TooLargeError{Name: path, Limit: limit, Size: info.Size()}
	}
	// The file may grow after the Stat call, so the read is limited too.
	data, err := ReadLimited(f, path, limit)
	if tooLarge, ok := err.(*TooLargeError); ok {
		if info, statErr := f.Stat(); statErr == nil {
			tooLarge.Size = info.Size()
		}
	}
	return data, err
}

// OpenRegular opens the file at path for reading when it is a regular file
// and returns it with its file info. Other kinds of file get a
// *NotRegularError. It checks the path before it opens it, and then the
// opened file, because the path may be replaced between the two calls.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, nil, &NotRegularError{Name: path, Mode: info.Mode()}
	}
	return openChecked(path)
}

// openChecked opens path with O_NONBLOCK where the platform has that flag,
// so that a named pipe without a writer does not block the open, and
// returns the file when the opened file is a regular file.
func openChecked(path string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	info, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !info.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Name: path, Mode: info.Mode()}
	}
	return f, info, nil
}
