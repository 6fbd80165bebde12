package attach_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/conversation/attach"
)

// liar states a size it does not keep and never limits its reader: the Registry enforces the limit.
type liar struct{ content string }

func (l liar) Resolve(context.Context, string) (attach.File, error) {
	return attach.File{ID: "x", Name: "x.bin", Size: 1}, nil
}

func (l liar) Open(context.Context, string, int64) (io.ReadCloser, attach.File, error) {
	return io.NopCloser(strings.NewReader(l.content)), attach.File{ID: "x", Name: "x.bin", Size: 1}, nil
}

type failing struct{ err error }

func (f failing) Resolve(context.Context, string) (attach.File, error) { return attach.File{}, f.err }
func (f failing) Open(context.Context, string, int64) (io.ReadCloser, attach.File, error) {
	return nil, attach.File{}, f.err
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	r := attach.NewRegistry()
	require.NoError(t, r.Register("b", liar{}))
	require.NoError(t, r.Register("a", liar{}))
	require.Error(t, r.Register("a", liar{}), "a name is taken once")
	require.Error(t, r.Register("", liar{}))
	require.Error(t, r.Register("c", nil))
	require.Equal(t, []string{"a", "b"}, r.Names())

	_, err := r.Resolve(t.Context(), attach.Ref{Source: "nope", ID: "1"})
	require.ErrorIs(t, err, attach.ErrUnknownSource)

	r.Remove("a")
	_, ok := r.Source("a")
	require.False(t, ok)
}

func TestRegistryEnforcesTheLimit(t *testing.T) {
	t.Parallel()
	r := attach.NewRegistry()
	require.NoError(t, r.Register("liar", liar{content: "0123456789"}))
	_, _, err := r.Open(t.Context(), attach.Ref{Source: "liar", ID: "x"}, 0)
	require.Error(t, err, "a limit is required")

	rc, _, err := r.Open(t.Context(), attach.Ref{Source: "liar", ID: "x"}, 4)
	require.NoError(t, err)
	b, err := io.ReadAll(rc)
	require.Equal(t, "0123", string(b), "the bytes up to the limit come first")
	require.ErrorIs(t, err, attach.ErrTooLarge)
	var e *attach.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "liar", e.Source)
	require.Equal(t, "read", e.Op)
	require.NoError(t, rc.Close())

	rc, _, err = r.Open(t.Context(), attach.Ref{Source: "liar", ID: "x"}, 10)
	require.NoError(t, err)
	b, err = io.ReadAll(rc)
	require.NoError(t, err, "exactly the limit is fine")
	require.Len(t, b, 10)
}

func TestRegistryNamesErrors(t *testing.T) {
	t.Parallel()
	r := attach.NewRegistry()
	require.NoError(t, r.Register("bare", failing{attach.ErrForbidden}))
	require.NoError(t, r.Register("typed", failing{&attach.Error{Provider: "dropbox", Status: 429, Kind: attach.ErrUnavailable, RetryAfter: time.Minute}}))
	require.NoError(t, r.Register("ctx", failing{context.Canceled}))

	_, err := r.Resolve(t.Context(), attach.Ref{Source: "bare", ID: "/Customers/Jane Doe/id.jpg"})
	require.ErrorIs(t, err, attach.ErrForbidden)
	require.Equal(t, "attach bare resolve: access forbidden", err.Error())
	require.NotContains(t, err.Error(), "Jane")

	_, _, err = r.Open(t.Context(), attach.Ref{Source: "typed", ID: "1"}, 10)
	require.ErrorIs(t, err, attach.ErrUnavailable)
	require.True(t, attach.IsRetryable(err))
	d, ok := attach.RetryAfter(err)
	require.True(t, ok)
	require.Equal(t, time.Minute, d)
	require.Equal(t, "attach typed dropbox open: status 429: source unavailable [retry after 1m0s]", err.Error())

	_, err = r.Resolve(t.Context(), attach.Ref{Source: "ctx", ID: "1"})
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, attach.IsRetryable(err))
}

func TestLimitReader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		content string
		limit   int64
		tooBig  bool
	}{{"", 1, false}, {"abc", 3, false}, {"abcd", 3, true}, {strings.Repeat("x", 10000), 4096, true}} {
		rc := attach.LimitReader(io.NopCloser(iotest.OneByteReader(strings.NewReader(tc.content))), tc.limit)
		b, err := io.ReadAll(rc)
		if tc.tooBig {
			require.ErrorIs(t, err, attach.ErrTooLarge)
			require.Len(t, b, int(tc.limit))
			_, err = rc.Read(make([]byte, 1))
			require.ErrorIs(t, err, attach.ErrTooLarge, "the error sticks")
		} else {
			require.NoError(t, err)
			require.Equal(t, tc.content, string(b))
		}
	}
}

func TestStaticTokenDoesNotPrint(t *testing.T) {
	t.Parallel()
	tok := attach.StaticToken("sl.very-secret")
	var buf strings.Builder
	slog.New(slog.NewTextHandler(&buf, nil)).Info("x", "token", tok)
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%v %+v %#v %s", tok, tok, tok, tok), buf.String()} {
		require.NotContains(t, s, "very-secret")
	}
	got, err := tok.Token(t.Context())
	require.NoError(t, err)
	require.Equal(t, "sl.very-secret", got)
}

// counting is a Source whose Resolve may be called from many goroutines.
type counting struct {
	mu sync.Mutex
	n  int
}

func (c *counting) Resolve(context.Context, string) (attach.File, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return attach.File{ID: "1"}, nil
}

func (c *counting) Open(context.Context, string, int64) (io.ReadCloser, attach.File, error) {
	return nil, attach.File{}, errors.ErrUnsupported
}

func TestRegistryConcurrent(t *testing.T) {
	t.Parallel()
	r := attach.NewRegistry()
	src := &counting{}
	require.NoError(t, r.Register("c", src))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Go(func() {
			name := fmt.Sprint("tmp", i)
			if err := r.Register(name, src); err != nil {
				errs <- err
			}
			if _, err := r.Resolve(context.Background(), attach.Ref{Source: "c", ID: "1"}); err != nil {
				errs <- err
			}
			r.Remove(name)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, 32, src.n)
	require.Equal(t, []string{"c"}, r.Names())
}
