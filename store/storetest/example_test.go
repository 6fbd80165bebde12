package storetest_test

import (
	"fmt"
	"time"

	"github.com/msgkit/msgkit/store/storetest"
)

// The suite's Clock is a manual clock; backends under test read it through the now function the harness
// receives.
func ExampleNewClock() {
	c := storetest.NewClock(storetest.T0)
	c.Advance(90 * time.Minute)
	fmt.Println(c.Now().Format(time.RFC3339))
	// Output: 2026-11-26T10:30:00Z
}
