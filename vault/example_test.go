package vault_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/vault"
)

// The gateway opens the vault with the configured key source and asks for a
// provider credential at call time.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "qguard-example")
	defer os.RemoveAll(dir)
	home := filepath.Join(dir, "home")

	if err := vault.Init(home, vault.InitOptions{KeySource: "file"}); err != nil {
		log.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join(home, config.FileName))
	if err != nil {
		log.Fatal(err)
	}
	v, err := vault.Open(context.Background(), home, cfg.Vault)
	if err != nil {
		log.Fatal(err)
	}
	_, err = v.Put(context.Background(), &qguard.Credential{
		Provider: qguard.ProviderIonQ, Profile: "default",
		Fields: map[string]string{"api_key": "example-ionq-key-0123456789"},
	})
	if err != nil {
		log.Fatal(err)
	}

	var src qguard.CredentialSource = v
	c, err := src.Credential(context.Background(), qguard.ProviderIonQ, "default")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Provider, c.Profile, c.Version, len(c.Fields["api_key"]))

	_, err = src.Credential(context.Background(), qguard.ProviderIonQ, "missing")
	fmt.Println(qguard.ErrorCode(err))
	// Output:
	// ionq default 1 27
	// not_found
}
