package box_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/msgkit/msgkit/conversation/attach"
	"github.com/msgkit/msgkit/conversation/attach/box"
)

// A host registers a user's Box under a name of its choosing and resolves the reference a reply
// names. (The endpoint points at a stand-in for Box here; a host leaves it empty.)
func ExampleNew() {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"type": "file", "id": "12345", "etag": "1", "name": "Contract.pdf", "size": 629644}`)
	}))
	defer api.Close()

	src, err := box.New(attach.StaticToken("user-token"), &box.Options{APIURL: api.URL})
	if err != nil {
		panic(err)
	}
	reg := attach.NewRegistry()
	_ = reg.Register("box", src)

	file, err := reg.Resolve(context.Background(), attach.Ref{Source: "box", ID: "12345"})
	fmt.Println(file.ID, file.Name, file.ContentType, file.Size, err)
	// Output: 12345 Contract.pdf application/pdf 629644 <nil>
}
