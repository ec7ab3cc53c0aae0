package vault

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// fuzzIdentity is fixed so that fuzz seeds encrypted to it stay valid.
var fuzzIdentity = func() *age.HybridIdentity {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		panic(err)
	}
	return id
}()

func FuzzDecode(f *testing.F) {
	home := f.TempDir()
	if err := Init(home, InitOptions{KeySource: "file"}); err != nil {
		f.Fatal(err)
	}
	v := &Vault{home: home, id: fuzzIdentity, now: time.Now}
	for _, doc := range []*Document{
		{Format: Format},
		{Format: Format, Credentials: nil, Internal: map[string][]byte{"audit-hmac": make([]byte, 32)}},
		{Format: "other"},
	} {
		if err := v.write(doc, fuzzIdentity); err != nil {
			f.Fatal(err)
		}
		data, _ := os.ReadFile(v.path())
		f.Add(data)
	}
	f.Add([]byte("age-encryption.org/v1\n-> X25519 abc\n--- 123\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Decode(data, fuzzIdentity)
		if err != nil {
			if !errors.Is(err, ErrDamaged) {
				t.Fatalf("error without ErrDamaged: %v", err)
			}
			return
		}
		if doc.Format != Format {
			t.Fatalf("accepted format %q", doc.Format)
		}
	})
}

func FuzzParseFernetFile(f *testing.F) {
	at := time.Unix(1600000000, 0)
	tok := fernetToken(f, `{"token":"`+ibmToken+`"}`, at)
	f.Add("ibm_quantum_alice.enc", []byte(tok))
	doc, _ := json.Marshal(map[string]string{"ionq": fernetToken(f, `{"api_key":"`+ionqKey+`"}`, at)})
	f.Add("encrypted_credentials.json", doc)
	f.Add("x.json", []byte(`{"a":{"b":"gAAAAA"}}`))
	key := testKey(f)
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		items, err := ParseFernetFile(name, data, key)
		if err != nil {
			return
		}
		for _, it := range items {
			if _, err := SchemaFor(it.Provider); err != nil {
				t.Fatalf("unknown provider %q", it.Provider)
			}
			if checkProfile(it.Profile) != nil {
				t.Fatalf("invalid profile %q", it.Profile)
			}
		}
	})
}

func FuzzParseQiskitAccounts(f *testing.F) {
	data, err := os.ReadFile("testdata/qiskit-ibm.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`{"a":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		items, _, err := ParseQiskitAccounts(data)
		if err != nil {
			return
		}
		for _, it := range items {
			if it.Provider != "ibm_quantum" || checkProfile(it.Profile) != nil {
				t.Fatalf("bad item %+v", it)
			}
		}
	})
}

func FuzzParseFields(f *testing.F) {
	f.Add([]byte("token=abc\n# c\nexport channel='ibm_cloud'\n"))
	f.Add([]byte(`{"token":"abc"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fields, err := ParseFields(data)
		if err != nil {
			// Errors name the line, never echo input longer than a word.
			if len(data) > 40 && strings.Contains(err.Error(), string(data)) {
				t.Fatalf("error echoes the input: %v", err)
			}
			return
		}
		for k := range fields {
			if k == "" {
				t.Fatal("empty key")
			}
		}
	})
}
