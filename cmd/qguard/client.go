package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/qguard/qguard/gateway/client"
)

// gatewayClient returns a client for QGUARD_URL with QGUARD_TOKEN: an API
// key or a session token, never taken from a flag (argv is visible to
// every user of the machine).
func (a *app) gatewayClient() (*client.Client, error) {
	u := os.Getenv("QGUARD_URL")
	if u == "" {
		u = "http://127.0.0.1:8080"
	}
	tok := strings.TrimSpace(os.Getenv("QGUARD_TOKEN"))
	if tok == "" {
		return nil, errors.New("QGUARD_TOKEN is not set: export the API key that `qguard users add` printed (or a session token)")
	}
	return client.New(u, tok, nil), nil
}

// apiErr turns a gateway refusal into exit code 1 and keeps other errors
// at exit code 2.
func apiErr(err error) error {
	var ae *client.APIError
	if errors.As(err, &ae) {
		if ae.Denied() {
			return denied(fmt.Errorf("denied: %s", ae.Message))
		}
		return fmt.Errorf("%s: %s", ae.Code, ae.Message)
	}
	return err
}
