package vault

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/qguard/qguard"
	"pgregory.net/rapid"
)

// TestVaultStateMachine checks the vault against a map model through random
// sequences of Put, Delete, InternalKey and reopen.
func TestVaultStateMachine(t *testing.T) {
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == "100" {
		f.Value.Set("10") // every step writes and fsyncs a file
	}
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		home := filepath.Join(t.TempDir(), "home")
		if err := Init(home, InitOptions{KeySource: "file"}); err != nil {
			rt.Fatal(err)
		}
		v, err := Open(ctx, home, fileConfig())
		if err != nil {
			rt.Fatal(err)
		}
		model := map[string]string{}    // provider/profile → api_key
		versions := map[string]int{}    // provider/profile → version
		internal := map[string][]byte{} // name → key
		profile := rapid.SampledFrom([]string{"a", "b", "c", "prod"})
		rt.Repeat(map[string]func(*rapid.T){
			"put": func(rt *rapid.T) {
				p := profile.Draw(rt, "profile")
				key := fmt.Sprintf("ionq-key-%016d", rapid.IntRange(0, 1e6).Draw(rt, "key"))
				c, err := v.Put(ctx, &qguard.Credential{Provider: "ionq", Profile: p, Fields: map[string]string{"api_key": key}})
				if err != nil {
					rt.Fatal(err)
				}
				versions["ionq/"+p]++
				model["ionq/"+p] = key
				if c.Version != versions["ionq/"+p] {
					rt.Fatalf("version %d, want %d", c.Version, versions["ionq/"+p])
				}
			},
			"delete": func(rt *rapid.T) {
				p := profile.Draw(rt, "profile")
				err := v.Delete(ctx, "ionq", p)
				if _, ok := model["ionq/"+p]; ok != (err == nil) {
					rt.Fatalf("delete %s: %v (present in model: %v)", p, err, ok)
				}
				delete(model, "ionq/"+p)
				delete(versions, "ionq/"+p)
			},
			"internal": func(rt *rapid.T) {
				name := rapid.SampledFrom([]string{"audit-signing", "audit-hmac", "store-seal"}).Draw(rt, "name")
				k, err := v.InternalKey(ctx, name)
				if err != nil {
					rt.Fatal(err)
				}
				if old, ok := internal[name]; ok && !bytes.Equal(old, k) {
					rt.Fatalf("internal key %s changed", name)
				}
				internal[name] = k
			},
			"reopen": func(rt *rapid.T) {
				if v, err = Open(ctx, home, fileConfig()); err != nil {
					rt.Fatal(err)
				}
			},
			"": func(rt *rapid.T) {
				list, err := v.List(ctx)
				if err != nil {
					rt.Fatal(err)
				}
				if len(list) != len(model) {
					rt.Fatalf("%d credentials, model has %d", len(list), len(model))
				}
				for _, c := range list {
					want, ok := model[c.Provider+"/"+c.Profile]
					if !ok {
						rt.Fatalf("unexpected %s/%s", c.Provider, c.Profile)
					}
					got, err := v.Credential(ctx, c.Provider, c.Profile)
					if err != nil || got.Fields["api_key"] != want {
						rt.Fatalf("%s/%s: %v", c.Provider, c.Profile, err)
					}
				}
			},
		})
	})
}
