package attach

import (
	"errors"
	"io"
)

// LimitReader returns a reader of rc that fails with an *Error wrapping ErrTooLarge as soon as rc
// turns out to hold more than limit bytes (it reads one byte past limit to tell); the bytes up to
// limit are delivered first. Closing it closes rc. A Source's Open uses it to enforce the caller's
// limit while reading, whatever size the provider stated.
func LimitReader(rc io.ReadCloser, limit int64) io.ReadCloser {
	return &limitReader{rc: rc, limit: limit}
}

type limitReader struct {
	rc    io.ReadCloser
	limit int64
	n     int64 // bytes read from rc
	err   error // sticky
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if rest := l.limit + 1 - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	k, err := l.rc.Read(p)
	l.n += int64(k)
	if l.n > l.limit {
		k -= int(l.n - l.limit)
		l.err = &Error{Op: "read", Kind: ErrTooLarge, Size: -1, Limit: l.limit}
		return k, l.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		l.err = err
	}
	return k, err
}

func (l *limitReader) Close() error { return l.rc.Close() }
