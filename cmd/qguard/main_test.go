package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// Tests that need a separate qguard process (kill -9, replicas)
	// re-execute this binary with QGUARD_TEST_AS_MAIN=1.
	if os.Getenv("QGUARD_TEST_AS_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	testscript.Main(m, map[string]func(){
		"qguard": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScript runs the CLI scripts in testdata/script: each is a sequence of
// real qguard commands against a fresh QGUARD_HOME.
func TestScript(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("QGUARD_HOME", env.WorkDir+"/home")
			env.Setenv("HOME", env.WorkDir)
			return nil
		},
	})
}
