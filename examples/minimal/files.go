package main

import (
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/dropbox"
	"github.com/msgkit/msgkit/conversation/attach/upload"
	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/examples/minimal/internal/api"
)

// files is where the inbox keeps file content — agents' uploads, attachments re-hosted for the
// channels, copies of inbound media — in the data directory, served under signed URLs at /media/; and
// the sources agents attach files from.
type files struct {
	blobs   *blob.Store
	media   *blob.Server // mounted at /media/
	uploads *upload.Source
	sources *attach.Registry // uploads, and in the demo the CRM's files and a drive
	pickers []api.Source     // the sources the reply box offers, with their pickers
	// inboxURL maps a file's URL as channels fetch it to the one the inbox shows.
	inboxURL func(string) string
	close    func()
}

// openFiles opens the data directory's files and the attachment sources. Close them with close.
func openFiles(cfg config, public string, sessionKey []byte, d *demo, logger *slog.Logger) (*files, error) {
	bucket, err := blob.NewDir(filepath.Join(cfg.dataDir, "files"))
	if err != nil {
		return nil, err
	}
	f := &files{close: func() { bucket.Close() }, inboxURL: func(u string) string { return u }}
	if err := f.open(bucket, cfg.dataDir, public, sessionKey, d, logger); err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

func (f *files) open(bucket *blob.Dir, dataDir, public string, sessionKey []byte, d *demo, logger *slog.Logger) error {
	blobs, err := blob.New(bucket)
	if err != nil {
		return err
	}
	f.blobs = blobs
	// Channels take media by HTTPS URLs only. The demo serves over plain HTTP, so it serves its files
	// to the channels on a second, TLS listener of its own (its certificate is made up for the run: the
	// fakes never fetch), on the same port each run (see demoMediaListener); the inbox shows the same
	// signed URLs on the public URL, since a signature covers the path and the expiry, not the host.
	mediaBase := public + "/media"
	if d != nil {
		l, err := demoMediaListener(dataDir)
		if err != nil {
			return err
		}
		d.media = httptest.NewUnstartedServer(nil) // it serves once its handler is set
		d.media.Listener.Close()
		d.media.Listener = l
		mediaBase = "https://" + l.Addr().String() + "/media"
		f.inboxURL = func(u string) string { return demoInboxURL(public, u) }
	}
	if f.media, err = blob.NewServer(blobs, mediaBase, [][]byte{derive(sessionKey, "media")}, &blob.ServerOptions{
		OnError: func(error) { logger.Warn("serving a file failed") }}); err != nil {
		return err
	}
	if d != nil {
		d.media.Config.Handler = f.media
		d.media.StartTLS()
	}
	if f.uploads, err = upload.New(blobs, &upload.Options{Server: f.media}); err != nil {
		return err
	}
	f.sources = attach.NewRegistry()
	if err := f.sources.Register("uploads", f.uploads); err != nil {
		return err
	}
	if d == nil {
		return nil
	}
	drive, err := dropbox.New(attach.StaticToken(demoDropboxToken), &dropbox.Options{APIURL: d.drive.srv.URL, ContentURL: d.drive.srv.URL})
	if err != nil {
		return err
	}
	for _, s := range []struct {
		name, label string
		src         attach.Source
		picker      api.Picker
	}{{"crm", "CRM files", d.files, d.files}, {"dropbox", "Dropbox", drive, d.drive}} {
		if err := f.sources.Register(s.name, s.src); err != nil {
			return err
		}
		f.pickers = append(f.pickers, api.Source{Name: s.name, Label: s.label, Picker: s.picker})
	}
	return nil
}

// demoMediaPortFile is the file, in the demo's data directory, that keeps its media listener's port.
const demoMediaPortFile = "media-port"

// demoMediaListener listens on the loopback port the demo's media listener had in its earlier runs, so
// that the URLs of the files it sent then still work; the first run, or when that port is taken, it takes
// a free one and keeps it for the next runs.
func demoMediaListener(dataDir string) (net.Listener, error) {
	path := filepath.Join(dataDir, demoMediaPortFile)
	if b, err := os.ReadFile(path); err == nil {
		if port, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && port > 0 && port < 65536 {
			if l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
				return l, nil
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := writeFileAtomic(path, []byte(strconv.Itoa(port)+"\n"), 0o600); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// demoInboxURL maps a URL of the demo's media listener — of this run or of any earlier one, whatever
// its port — to the same path and signature on the public URL, where the inbox shows it.
func demoInboxURL(public, u string) string {
	rest, ok := strings.CutPrefix(u, "https://127.0.0.1:")
	if !ok {
		return u
	}
	port := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if port <= 0 || !strings.HasPrefix(rest[port:], "/media/") {
		return u
	}
	return public + rest[port:]
}
