package dropbox_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/dropbox"
)

// A host registers a user's Dropbox under a name of its choosing and resolves the reference a reply
// names. (The endpoints point at a stand-in for Dropbox here; a host leaves them empty.)
func ExampleNew() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{".tag": "file", "name": "q1.pdf", "id": "id:a4ayc_80_OEAAAAAAAAAXw", "size": 7212}`)
	}))
	defer api.Close()

	src, err := dropbox.New(attach.StaticToken("sl.user-token"), &dropbox.Options{APIURL: api.URL, ContentURL: api.URL})
	if err != nil {
		panic(err)
	}
	reg := attach.NewRegistry()
	_ = reg.Register("dropbox", src)

	file, err := reg.Resolve(context.Background(), attach.Ref{Source: "dropbox", ID: "/Quotes/q1.pdf"})
	fmt.Println(file.ID, file.Name, file.ContentType, file.Size, err)
	// Output: id:a4ayc_80_OEAAAAAAAAAXw q1.pdf application/pdf 7212 <nil>
}
