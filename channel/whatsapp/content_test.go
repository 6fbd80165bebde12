package whatsapp_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/channel"
	"github.com/msgkit/msgkit/channel/whatsapp"
	"github.com/msgkit/msgkit/channel/whatsapp/watest"
)

// A customer's photo: its media ID from the webhook, its URL from the Graph API, its bytes downloaded
// with the token.
func TestFetchContent(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	a := f.adapter(whatsappConfig(), nil)
	body := f.Webhook(watest.Inbound{From: customer, Name: "Sheena Nelson",
		Media: &watest.Media{Type: "image", MimeType: "image/jpeg", Data: []byte("JPEG bytes"), Caption: "Taj Mahal"}})
	events, err := a.ParseWebhook(signedRequest(appSecret, body))
	require.NoError(t, err)
	m := events[0].Message
	require.Equal(t, channel.TypeImage, m.Type)
	id := channel.ContentRef(*m)
	require.Equal(t, m.Media.ID, id, "the content is named by its media ID, not the wamid")
	require.NotEqual(t, m.ID, id)

	c, err := channel.FetchContent(t.Context(), a, id)
	require.NoError(t, err)
	data, err := io.ReadAll(c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.Equal(t, "JPEG bytes", string(data))
	require.Equal(t, "image/jpeg", c.ContentType)
	require.EqualValues(t, len("JPEG bytes"), c.Length)
	reqs := f.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, watest.OpMedia, reqs[0].Op)
	require.Contains(t, reqs[0].Query, "phone_number_id="+watest.DefaultPhoneNumberID)
	require.Equal(t, watest.OpDownload, reqs[1].Op)
	require.Equal(t, "Bearer "+accessToken, reqs[1].Header.Get("Authorization"), "the download needs the token")

	_, err = a.FetchContent(t.Context(), m.ID)
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "a wamid is not a media ID")
	_, err = a.FetchContent(t.Context(), "../phone")
	require.ErrorIs(t, err, channel.ErrInvalidRequest)

	f.RemoveMedia(id)
	_, err = a.FetchContent(t.Context(), id)
	require.ErrorIs(t, err, channel.ErrNotFound, "media WhatsApp no longer keeps")

	f.Fail(watest.OpDownload, watest.Fault{Kind: watest.Answer, Status: http.StatusNotFound, Body: "gone"})
	id = f.AddMedia(watest.Media{Type: "document", MimeType: "application/pdf", Data: []byte("PDF")})
	_, err = a.FetchContent(t.Context(), id)
	require.ErrorIs(t, err, channel.ErrNotFound)
}

func TestFetchContentIsSizeLimited(t *testing.T) {
	t.Parallel()
	f := newFake(t, nil)
	a := f.adapter(whatsappConfig(), &whatsapp.Options{MaxContentBytes: 8})
	id := f.AddMedia(watest.Media{Type: "video", MimeType: "video/mp4", Data: []byte(strings.Repeat("v", 9))})
	_, err := a.FetchContent(t.Context(), id)
	require.ErrorIs(t, err, channel.ErrInvalidRequest, "the Graph API says how large it is: refused before downloading")
	require.Len(t, f.Requests(), 1)

	// A size the media endpoint does not tell: the stream fails past the limit.
	f.Fail(watest.OpMedia, watest.Fault{Kind: watest.Answer, Status: http.StatusOK,
		Header: http.Header{"Content-Type": {"application/json"}},
		Body:   `{"url":"` + f.URL + `/whatsapp_business/attachments/?mid=` + id + `","mime_type":"video/mp4","id":"` + id + `"}`})
	c, err := a.FetchContent(t.Context(), id)
	if err == nil {
		_, err = io.ReadAll(c)
		c.Close()
	}
	require.ErrorIs(t, err, channel.ErrInvalidRequest)
}
