//go:build race

package main

// raceEnabled shortens the process-level vault tests: a race-instrumented
// qguard takes about a second to start.
const raceEnabled = true
