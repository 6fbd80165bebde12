package main

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"

	"github.com/msgkit/msgkit/conversation/attach"
)

//go:embed demodata
var demoData embed.FS

// demoFile is a file of the demo's CRM or cloud drive.
type demoFile struct {
	id, name string
	data     []byte
}

func (f demoFile) file() attach.File {
	return attach.File{ID: f.id, Name: f.name, ContentType: mime.TypeByExtension(path.Ext(f.name)), Size: int64(len(f.data))}
}

func mustDemoFile(id, name, embedded string) demoFile {
	b, err := demoData.ReadFile("demodata/" + embedded)
	if err != nil {
		panic(err) // embedded at build time
	}
	return demoFile{id: id, name: name, data: b}
}

// matching returns the files whose name contains query (all for an empty query).
func matching(files []demoFile, query string) []attach.File {
	out := []attach.File{}
	for _, f := range files {
		if strings.Contains(strings.ToLower(f.name), strings.ToLower(strings.TrimSpace(query))) {
			out = append(out, f.file())
		}
	}
	return out
}

// crmFiles is the demo CRM's own file store, as an attachment source (attach.Source) and its picker: a
// catalog image and a price list.
type crmFiles struct{ files []demoFile }

func newCRMFiles() *crmFiles {
	return &crmFiles{files: []demoFile{
		mustDemoFile("file-101", "catalog-blue.png", "catalog-blue.png"),
		mustDemoFile("file-102", "price-list.pdf", "price-list.pdf"),
	}}
}

// Resolve implements attach.Source.
func (c *crmFiles) Resolve(ctx context.Context, id string) (attach.File, error) {
	f, err := c.find(ctx, "resolve", id)
	return f.file(), err
}

// Open implements attach.Source.
func (c *crmFiles) Open(ctx context.Context, id string, limit int64) (io.ReadCloser, attach.File, error) {
	f, err := c.find(ctx, "open", id)
	if err != nil {
		return nil, attach.File{}, err
	}
	if int64(len(f.data)) > limit {
		return nil, attach.File{}, &attach.Error{Op: "open", Kind: attach.ErrTooLarge, Size: int64(len(f.data)), Limit: limit}
	}
	return io.NopCloser(bytes.NewReader(f.data)), f.file(), nil
}

// Files lists the files whose name contains query: the reply box's picker.
func (c *crmFiles) Files(_ context.Context, query string) ([]attach.File, error) {
	return matching(c.files, query), nil
}

func (c *crmFiles) find(ctx context.Context, op, id string) (demoFile, error) {
	if err := ctx.Err(); err != nil {
		return demoFile{}, err
	}
	for _, f := range c.files {
		if f.id == id {
			return f, nil
		}
	}
	return demoFile{}, &attach.Error{Op: op, Kind: attach.ErrNotFound, Code: "no such file"}
}

// demoDropboxToken is the access token the demo's Dropbox fake accepts.
const demoDropboxToken = "demo-dropbox-token"

// driveFake is an in-process fake of the part of Dropbox's HTTP API that package dropbox calls
// (files/get_metadata, files/download, files/get_temporary_link), serving a store map and a returns
// policy: the demo's cloud drive, read through the real Dropbox source.
type driveFake struct {
	files []demoFile
	srv   *httptest.Server
}

func newDriveFake() *driveFake {
	d := &driveFake{files: []demoFile{
		mustDemoFile("id:demoAAAAstoremap", "store-map.png", "store-map.png"),
		mustDemoFile("id:demoAAAAreturns", "returns-policy.pdf", "returns-policy.pdf"),
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2/files/get_metadata", d.metadata)
	mux.HandleFunc("POST /2/files/get_temporary_link", d.temporaryLink)
	mux.HandleFunc("POST /2/files/download", d.download)
	mux.HandleFunc("GET /link/{id}", d.link)
	d.srv = httptest.NewServer(mux)
	return d
}

func (d *driveFake) Close() { d.srv.Close() }

// Files lists the drive's files whose name contains query: the picker the reply box shows (a real
// drive's picker runs in the browser, with the drive's own UI).
func (d *driveFake) Files(_ context.Context, query string) ([]attach.File, error) {
	return matching(d.files, query), nil
}

// lookup finds the file a path argument names: its ID, or "/" and its name.
func (d *driveFake) lookup(p string) (demoFile, bool) {
	for _, f := range d.files {
		if p == f.id || strings.EqualFold(p, "/"+f.name) {
			return f, true
		}
	}
	return demoFile{}, false
}

// authorized answers 401 as Dropbox does unless the request carries the demo's token.
func authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") == "Bearer "+demoDropboxToken {
		return true
	}
	dropboxError(w, http.StatusUnauthorized, "invalid_access_token/")
	return false
}

func dropboxError(w http.ResponseWriter, status int, summary string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error_summary": summary, "error": map[string]string{".tag": strings.Split(summary, "/")[0]}})
}

// arg reads the {"path": …} argument from the body (RPC endpoints) or the Dropbox-API-Arg header
// (content endpoints) and finds the file, answering 409 path/not_found when there is none.
func (d *driveFake) arg(w http.ResponseWriter, r *http.Request, raw []byte) (demoFile, bool) {
	var in struct {
		Path string `json:"path"`
	}
	if json.Unmarshal(raw, &in) != nil {
		dropboxError(w, http.StatusBadRequest, "malformed/")
		return demoFile{}, false
	}
	f, ok := d.lookup(in.Path)
	if !ok {
		dropboxError(w, http.StatusConflict, "path/not_found/..")
	}
	return f, ok
}

func metadataOf(f demoFile) map[string]any {
	return map[string]any{".tag": "file", "id": f.id, "name": f.name, "path_display": "/" + f.name, "size": len(f.data)}
}

func (d *driveFake) metadata(w http.ResponseWriter, r *http.Request) {
	if !authorized(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if f, ok := d.arg(w, r, body); ok {
		writeJSON(w, metadataOf(f))
	}
}

func (d *driveFake) temporaryLink(w http.ResponseWriter, r *http.Request) {
	if !authorized(w, r) {
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	if f, ok := d.arg(w, r, body); ok {
		writeJSON(w, map[string]any{"metadata": metadataOf(f), "link": d.srv.URL + "/link/" + strings.TrimPrefix(f.id, "id:")})
	}
}

func (d *driveFake) download(w http.ResponseWriter, r *http.Request) {
	if !authorized(w, r) {
		return
	}
	if f, ok := d.arg(w, r, []byte(r.Header.Get("Dropbox-API-Arg"))); ok {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Dropbox-API-Result", `{"id":"`+f.id+`"}`)
		_, _ = w.Write(f.data)
	}
}

// link serves a temporary link's content, without credentials as Dropbox does.
func (d *driveFake) link(w http.ResponseWriter, r *http.Request) {
	f, ok := d.lookup("id:" + r.PathValue("id"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.file().ContentType)
	_, _ = w.Write(f.data)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
