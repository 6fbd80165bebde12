package postgres_test

import (
	"context"
	"log"
	"os"

	"github.com/msgkit/msgkit/store/postgres"
)

// Open a store in its own schema of an existing database. (Not run by go test: it needs a server.)
func ExampleOpen() {
	ctx := context.Background()
	s, err := postgres.Open(ctx, os.Getenv("MSGKIT_POSTGRES_DSN"), &postgres.Options{Schema: "msgkit"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	if err := s.Ping(ctx); err != nil {
		log.Fatal(err)
	}
}
