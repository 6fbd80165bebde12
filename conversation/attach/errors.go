package attach

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Error categories. A Source's errors wrap exactly one of these (usually through an *Error), so
// callers decide with errors.Is and never by reading error text.
var (
	// ErrNotFound: no such file (or the reference names a folder, or the file was deleted).
	// Not retryable.
	ErrNotFound = errors.New("attach: file not found")
	// ErrForbidden: the source refused access: no permission on the file, or the token was missing,
	// expired, revoked or refused. Not retryable until the user grants access or reconnects.
	ErrForbidden = errors.New("attach: access forbidden")
	// ErrTooLarge: the file is larger than the caller's limit (or than the source can export).
	// Not retryable with the same limit.
	ErrTooLarge = errors.New("attach: file too large")
	// ErrUnavailable: the source is down, timed out or asked us to slow down. Retryable, after
	// Error.RetryAfter when the source said.
	ErrUnavailable = errors.New("attach: source unavailable")
)

// ErrUnknownSource: a Ref names a source the Registry does not have.
var ErrUnknownSource = errors.New("attach: unknown source")

// Error is a failure of a source, naming it. It unwraps to its category (Kind) and to its cause,
// so both errors.Is(err, ErrNotFound) and errors.As(err, &e) work.
//
// Its fields and text never hold a token, a temporary URL, the file's content or the reference:
// providers copy only their API's error code (such as "path/not_found" or "rateLimitExceeded"),
// never its message, which may echo a path.
type Error struct {
	Source     string        // the name the source is registered under (set by the Registry); "" outside one
	Provider   string        // the kind of source, e.g. "dropbox", "gdrive"; "" for a host's own
	Op         string        // "resolve", "open", "read" or "url"
	Status     int           // the provider's HTTP status; 0 when no answer came
	Code       string        // the provider's error code, when it gave one
	RequestID  string        // the provider's request ID, for its support
	RetryAfter time.Duration // how long the source asked us to wait; 0 when it did not say
	Size       int64         // for ErrTooLarge: the size the source stated, or -1 when found while reading
	Limit      int64         // for ErrTooLarge: the caller's limit
	Kind       error         // ErrNotFound, ErrForbidden, ErrTooLarge or ErrUnavailable; nil for ctx errors
	Err        error         // the cause, if any (a network error with any URL redacted, a token error)
}

// Error describes the failure without data: source, operation, status, category, code.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("attach")
	for _, s := range []string{e.Source, e.Provider} {
		if s != "" {
			b.WriteString(" " + s)
		}
	}
	if e.Op != "" {
		b.WriteString(" " + e.Op)
	}
	if e.Status != 0 {
		b.WriteString(": status " + strconv.Itoa(e.Status))
	}
	if e.Kind != nil {
		b.WriteString(": " + strings.TrimPrefix(e.Kind.Error(), "attach: "))
	}
	if e.Code != "" {
		b.WriteString(" (" + e.Code + ")")
	}
	if errors.Is(e.Kind, ErrTooLarge) {
		if e.Size >= 0 {
			b.WriteString(": " + strconv.FormatInt(e.Size, 10) + " bytes")
		} else {
			b.WriteString(": more than")
		}
		b.WriteString(" over the limit of " + strconv.FormatInt(e.Limit, 10))
	}
	if e.RetryAfter > 0 {
		b.WriteString(" [retry after " + e.RetryAfter.String() + "]")
	}
	if e.RequestID != "" {
		b.WriteString(" [request " + e.RequestID + "]")
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the category and the cause, whichever are set.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	for _, err := range []error{e.Kind, e.Err} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// IsRetryable reports whether trying again later may succeed: ErrUnavailable is retryable; the other
// categories, ctx errors and nil are not. RetryAfter says how long to wait when the source said.
func IsRetryable(err error) bool {
	return err != nil && errors.Is(err, ErrUnavailable) && !errors.Is(err, context.Canceled)
}

// RetryAfter returns how long the source asked the caller to wait, and whether it said.
func RetryAfter(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter, true
	}
	return 0, false
}

// kindOf returns the category err wraps, or nil.
func kindOf(err error) error {
	for _, k := range []error{ErrNotFound, ErrForbidden, ErrTooLarge, ErrUnavailable} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}
