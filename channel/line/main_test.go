package line_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if prism.cmd != nil {
		_ = prism.cmd.Process.Kill()
		_ = prism.cmd.Wait()
	}
	os.Exit(code)
}
