package attach

import (
	"context"
	"io"
	"time"
)

// Ref names a file in a source: the name the Source was registered under and the source's own
// reference to the file (a file ID, or a path where the provider addresses files by path).
//
// A Ref is what a reply carries. ID is opaque to msgkit; it may be personal data (a Dropbox path can
// hold a customer's name), so msgkit never puts it in an error or a log line.
type Ref struct {
	Source string `json:"source"`
	ID     string `json:"id"`
}

// File is what a source says about a file.
type File struct {
	// ID is the source's stable ID for the file, which may differ from the reference it was resolved
	// from (Dropbox resolves a path to "id:…"). Ref{Source, ID} names the same file after a rename.
	ID string `json:"id"`
	// Name is the file's name, without any folder.
	Name string `json:"name"`
	// ContentType is the type the source states, or one guessed from the name; "" when neither says.
	// It is a claim, not a fact: the blob store types content by sniffing it.
	ContentType string `json:"contentType,omitempty"`
	// Size is the size in bytes, or -1 when the source cannot tell before the content is read (a
	// Google Docs export). A source's size is a claim too: Open enforces the limit while reading.
	Size int64 `json:"size"`
}

// Source is a place files come from: a cloud drive, the CRM's own file store, msgkit's uploads.
// A host implements it for its own files; the sub-packages implement it for cloud drives.
//
// Every method must be safe for concurrent use, honour ctx (return promptly, with ctx's error, once
// it is done) and report failures as errors that wrap exactly one of ErrNotFound, ErrForbidden,
// ErrTooLarge or ErrUnavailable (usually through an *Error), or ctx's error. Errors never hold a
// token, a temporary URL, the file's content, or the reference itself.
type Source interface {
	// Resolve returns the file that id names. It returns ErrNotFound when there is none (or when id
	// names something that is not a file, such as a folder), ErrForbidden when the source refuses
	// access (no permission, a token refused or revoked), ErrUnavailable when the source is down or
	// rate limited.
	Resolve(ctx context.Context, id string) (File, error)

	// Open returns the content of the file that id names, and the file as the source described it when
	// opening. limit is the most bytes the caller will take (it is positive): when the source states
	// a size over limit, Open returns ErrTooLarge before downloading anything, and the returned
	// reader's Read returns an error wrapping ErrTooLarge as soon as the content turns out longer
	// than limit (LimitReader does this). ctx governs the download as well as the opening: the reader
	// fails once ctx is done. The caller closes the reader.
	Open(ctx context.Context, id string, limit int64) (io.ReadCloser, File, error)
}

// URLer is an optional capability of a Source: a temporary direct URL to a file's content, which
// anyone holding it can fetch without credentials until it expires (a Dropbox temporary link, a
// OneDrive pre-authenticated download URL, Box's download redirect). It is a bearer credential:
// never log it or store it beyond its use.
//
// URL must be safe for concurrent use and follows the error rules of Source.
type URLer interface {
	URL(ctx context.Context, id string) (Link, error)
}

// Link is a temporary direct URL to a file's content.
type Link struct {
	URL string
	// Expires is when the source said the URL stops working; zero when it does not say (OneDrive's
	// and Box's are documented only as short-lived: use them at once).
	Expires time.Time
}
