package line_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	for _, p := range []*prismProcess{&prism, &schemaPrism, &tokenPrism} {
		if p.cmd != nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
	}
	os.Exit(code)
}
