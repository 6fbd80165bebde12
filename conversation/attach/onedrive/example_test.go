package onedrive_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/onedrive"
)

// A host registers a user's OneDrive under a name of its choosing and resolves the reference a reply
// names. (The endpoint points at a stand-in for Graph here; a host leaves it empty.)
func ExampleNew() {
	graph := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K", "name": "q1.pdf", "size": 7212,
			"file": {"mimeType": "application/pdf"}, "@microsoft.graph.downloadUrl": "https://example.invalid/dl"}`)
	}))
	defer graph.Close()

	src, err := onedrive.New(attach.StaticToken("user-token"), &onedrive.Options{GraphURL: graph.URL + "/v1.0"})
	if err != nil {
		panic(err)
	}
	reg := attach.NewRegistry()
	_ = reg.Register("onedrive", src)

	file, err := reg.Resolve(context.Background(), attach.Ref{Source: "onedrive", ID: "/Quotes/q1.pdf"})
	fmt.Println(file.ID, file.Name, file.ContentType, file.Size, err)
	// Output: 01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K q1.pdf application/pdf 7212 <nil>
}
