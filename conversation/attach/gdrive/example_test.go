package gdrive_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/gdrive"
)

// A host registers a user's Google Drive under a name of its choosing and resolves the reference a
// reply names: a Google Doc resolves to its PDF export. (The endpoint points at a stand-in for Drive
// here; a host leaves it empty.)
func ExampleNew() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms", "name": "Q3 proposal", "mimeType": "application/vnd.google-apps.document"}`)
	}))
	defer api.Close()

	src, err := gdrive.New(attach.StaticToken("ya29.user-token"), &gdrive.Options{APIURL: api.URL})
	if err != nil {
		panic(err)
	}
	reg := attach.NewRegistry()
	_ = reg.Register("gdrive", src)

	file, err := reg.Resolve(context.Background(), attach.Ref{Source: "gdrive", ID: "1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms"})
	fmt.Println(file.Name, file.ContentType, file.Size, err)
	// Output: Q3 proposal.pdf application/pdf -1 <nil>
}
