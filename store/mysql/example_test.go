package mysql_test

import (
	"context"
	"log"
	"os"

	"github.com/msgkit/msgkit/store/mysql"
)

// Open a store in an existing database. (Not run by go test: it needs a server.)
func ExampleOpen() {
	ctx := context.Background()
	s, err := mysql.Open(ctx, os.Getenv("MSGKIT_MYSQL_DSN"), nil) // e.g. "msgkit:secret@tcp(db:3306)/crm"
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		log.Fatal(err)
	}
}
