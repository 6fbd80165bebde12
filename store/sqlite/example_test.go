package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msgkit/msgkit/store"
	"github.com/msgkit/msgkit/store/sqlite"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "msgkit")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	s, err := sqlite.Open(ctx, filepath.Join(dir, "msgkit.db"), nil)
	if err != nil {
		panic(err)
	}
	ch, _ := s.CreateChannel(ctx, store.Channel{Name: "Tokyo shop", Kind: "line", ExternalID: "1650000000", Active: true})
	s.Close()

	// The data survives a restart.
	s, _ = sqlite.Open(ctx, filepath.Join(dir, "msgkit.db"), nil)
	defer s.Close()
	again, _ := s.GetChannel(ctx, ch.ID)
	fmt.Println(again.Name, again.Version)
	// Output: Tokyo shop 1
}
