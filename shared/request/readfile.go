package request

import (
	"fmt"
	"io"
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

// ReadFileLimited reads the file at path like ReadLimited. Its
// *TooLargeError gives the file's size when the file is a regular file.
func ReadFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := ReadLimited(f, path, limit)
	if tooLarge, ok := err.(*TooLargeError); ok {
		if info, statErr := f.Stat(); statErr == nil && info.Mode().IsRegular() {
			tooLarge.Size = info.Size()
		}
	}
	return data, err
}
