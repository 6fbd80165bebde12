package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
)

// postFile uploads data as user and returns the raw answer and its status.
func (w *world) postFile(t *testing.T, user, name string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write(data)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, w.srv.URL+"/api/uploads", &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+w.tokens[user])
	res, err := w.srv.Client().Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, raw
}

func smallPNG(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16))))
	return buf.Bytes()
}

// An agent attaches an upload and a CRM file: both go out through the blob store's signed URLs.
func TestAttachmentFlow(t *testing.T) {
	w := newWorld(t)
	conv := w.customer(t, "U1", "Can you send the photo and the quote?")

	var sources struct {
		Sources []struct {
			Name   string
			Picker bool
		}
		Uploads bool
	}
	w.call(t, "ben", http.MethodGet, "/api/sources", "", http.StatusOK, &sources)
	require.True(t, sources.Uploads)
	require.Equal(t, "crm", sources.Sources[0].Name)
	var picked struct {
		Files []struct{ Source, Ref, Name string }
	}
	w.call(t, "ben", http.MethodGet, "/api/sources/crm/files", "", http.StatusOK, &picked)
	require.Equal(t, "quote-118.pdf", picked.Files[0].Name)
	w.call(t, "ben", http.MethodGet, "/api/sources/gdrive/files", "", http.StatusNotFound, nil)

	status, raw := w.postFile(t, "ben", "photo.png", smallPNG(t))
	require.Equal(t, http.StatusOK, status, "%s", raw)
	var up struct{ Source, Ref, ContentType string }
	require.NoError(t, jsonUnmarshal(raw, &up))
	require.Equal(t, "uploads", up.Source)
	require.Equal(t, "image/png", up.ContentType, "typed by its bytes")

	var sent struct {
		Parts []struct {
			Outcome string
			Content struct {
				Type  string
				Media *struct{ URL string }
				Link  *struct{ URL string }
			}
		}
	}
	w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply",
		fmt.Sprintf(`{"attachments": [{"source": %q, "ref": %q}, {"source": "crm", "ref": "quote-118"}]}`, up.Source, up.Ref),
		http.StatusOK, &sent)
	require.Len(t, sent.Parts, 2)
	require.Equal(t, "image", sent.Parts[0].Content.Type)
	require.True(t, strings.HasPrefix(sent.Parts[0].Content.Media.URL, "https://inbox.test/media/"), "re-hosted under a signed URL")
	require.Equal(t, "link", sent.Parts[1].Content.Type, "a PDF goes as a link")
	require.Equal(t, "degraded", sent.Parts[1].Outcome)

	raw = w.call(t, "ben", http.MethodPost, "/api/conversations/"+conv+"/reply", `{"attachments": [{"source": "crm", "ref": "nope"}]}`,
		http.StatusUnprocessableEntity, nil)
	require.Equal(t, "attachment_refused", errorCode(t, raw))

	status, raw = w.postFile(t, "ben", "huge.bin", bytes.Repeat([]byte{1}, 2<<20))
	require.Equal(t, http.StatusRequestEntityTooLarge, status, "%s", raw)
	status, _ = w.postFile(t, "", "photo.png", smallPNG(t))
	require.Equal(t, http.StatusUnauthorized, status)
}

// An inbound image is shown through a signed URL to msgkit's copy, never the channel's.
func TestInboundMediaThroughSignedURLs(t *testing.T) {
	w := newWorld(t)
	fake := fakeOf(t, w)
	fake.SetContent("img-1", "image/png", smallPNG(t))
	img := channel.Message{Type: channel.TypeImage, ID: "img-1"}
	require.NoError(t, w.svc.Ingest(t.Context(), w.ch.ID, []channel.Event{{ID: "ev-img", Kind: channel.EventMessage,
		Time: w.clock.Now(), Mode: channel.ModeActive, Source: channel.User("U9"), Message: &img}}))
	_, err := w.svc.Flush(t.Context())
	require.NoError(t, err)
	conv := w.customer(t, "U9", "that one")
	var thread struct {
		Messages []struct {
			Media *struct{ Status, URL, ContentType string }
		}
	}
	w.call(t, "ben", http.MethodGet, "/api/conversations/"+conv+"/messages", "", http.StatusOK, &thread)
	require.NotNil(t, thread.Messages[0].Media)
	require.Equal(t, "ready", thread.Messages[0].Media.Status)
	require.Equal(t, "image/png", thread.Messages[0].Media.ContentType)
	require.True(t, strings.HasPrefix(thread.Messages[0].Media.URL, "https://inbox.test/media/inbound/"))
	require.Contains(t, thread.Messages[0].Media.URL, "sig=")
	require.Nil(t, thread.Messages[1].Media, "a text has none")
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
