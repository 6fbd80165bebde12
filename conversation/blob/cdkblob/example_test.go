package cdkblob_test

import (
	"context"
	"fmt"
	"strings"

	gcblob "gocloud.dev/blob"
	_ "gocloud.dev/blob/memblob" // a host imports its driver: s3blob, gcsblob, azureblob, fileblob

	"github.com/msgkit/msgkit/conversation/blob"
	"github.com/msgkit/msgkit/conversation/blob/cdkblob"
)

// A host opens its Go CDK bucket by URL and gives it to the Store.
func ExampleNew() {
	ctx := context.Background()
	gb, err := gcblob.OpenBucket(ctx, "mem://") // e.g. "s3://msgkit-media?region=eu-west-1"
	if err != nil {
		panic(err)
	}
	defer gb.Close()
	bucket, err := cdkblob.New(gb)
	if err != nil {
		panic(err)
	}
	store, _ := blob.New(bucket)
	obj, err := store.Put(ctx, strings.NewReader("%PDF-1.4 quote"), 1<<20, &blob.PutOptions{Key: "uploads/quote", Name: "quote.pdf"})
	fmt.Println(obj.ContentType, err)
	got, err := store.Stat(ctx, "uploads/quote")
	fmt.Println(got.Name, got.Size, err)
	// Output:
	// application/pdf <nil>
	// quote.pdf 14 <nil>
}
