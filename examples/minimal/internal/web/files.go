package web

import (
	"net/http"
	"net/url"
	"strings"
)

// Attachments (FEATURES F16): the reply box offers an upload and the file sources the API lists; a
// source's picker is a fragment listing its files. The script uploads to the API and sends the files
// chosen with the reply, named by source and reference.

type sourceOption struct {
	Name, Label string
	Picker      bool
}

// attachView is what the reply box offers to attach from.
type attachView struct {
	Uploads bool
	Sources []sourceOption
}

type apiFile struct {
	Source      string `json:"source"`
	Ref         string `json:"ref"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// loadSources reads the attachment sources the API offers.
func (h *Handler) loadSources(r *http.Request) (attachView, error) {
	var out struct {
		Sources []struct {
			Name   string `json:"name"`
			Label  string `json:"label"`
			Picker bool   `json:"picker"`
		} `json:"sources"`
		Uploads bool `json:"uploads"`
	}
	if _, err := h.get(r, "/api/sources", &out); err != nil {
		return attachView{}, err
	}
	v := attachView{Uploads: out.Uploads}
	for _, s := range out.Sources {
		if s.Picker {
			v.Sources = append(v.Sources, sourceOption{Name: s.Name, Label: cmpOr(s.Label, s.Name), Picker: true})
		}
	}
	return v, nil
}

type fileView struct {
	Source, Ref, Name, Type, Size string
	Kind                          string // image, video, audio, file: the icon
}

type pickerView struct {
	Source, Label, Q string
	Files            []fileView
}

// filesFragment is a source's picker: the files it offers for ?q=.
func (h *Handler) filesFragment(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("source")
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	srcs, err := h.loadSources(r)
	if err != nil {
		return err
	}
	v := pickerView{Source: name, Q: q}
	for _, s := range srcs.Sources {
		if s.Name == name {
			v.Label = s.Label
		}
	}
	if v.Label == "" {
		return &apiError{Status: http.StatusNotFound, Code: "not_found", Message: "There is no such file source."}
	}
	var out struct{ Files []apiFile }
	path := pathf("/api/sources/%s/files", name)
	if q != "" {
		path += "?q=" + url.QueryEscape(q)
	}
	if _, err := h.get(r, path, &out); err != nil {
		return err
	}
	for _, f := range out.Files {
		fv := fileView{Source: f.Source, Ref: f.Ref, Name: cmpOr(f.Name, f.Ref), Type: f.ContentType, Kind: "file"}
		if f.Size >= 0 {
			fv.Size = byteSize(f.Size)
		}
		for _, k := range []string{"image", "video", "audio"} {
			if strings.HasPrefix(f.ContentType, k+"/") {
				fv.Kind = k
			}
		}
		v.Files = append(v.Files, fv)
	}
	return h.renderFragment(w, r, "picker", v)
}
