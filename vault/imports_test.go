package vault

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	fernetgo "github.com/fernet/fernet-go"
	"github.com/qguard/qguard/vault/fernet"
)

const testFernetKey = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func fernetToken(t testing.TB, plain string, at time.Time) string {
	t.Helper()
	tok, err := fernetgo.EncryptAndSignAtTime([]byte(plain), fernetgo.MustDecodeKeys(testFernetKey)[0], at)
	if err != nil {
		t.Fatal(err)
	}
	return string(tok)
}

func testKey(t testing.TB) *fernet.Key {
	k, err := fernet.DecodeKey(testFernetKey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParseFernetEncFile(t *testing.T) {
	at := time.Date(2023, 5, 1, 12, 0, 0, 0, time.UTC)
	tok := fernetToken(t, `{"api_token":"`+ibmToken+`","instance":"crn:v1:x","hub":"h"}`, at)
	items, err := ParseFernetFile("/home/u/.quantum-mlops/credentials/ibm_quantum_alice.enc", []byte(tok+"\n"), testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Fatalf("items %v", items)
	}
	it := items[0]
	if it.Provider != "ibm_quantum" || it.Profile != "alice" || it.Fields["token"] != ibmToken || it.Fields["instance"] != "crn:v1:x" {
		t.Errorf("item %+v", it)
	}
	if !it.SignedAt.Equal(at) {
		t.Errorf("SignedAt %v, want %v (old tokens must import without a TTL)", it.SignedAt, at)
	}
	if strings.Join(it.Dropped, ",") != "hub" {
		t.Errorf("dropped %v", it.Dropped)
	}
	// aws_braket_bob.enc: provider names containing '_'.
	tok = fernetToken(t, `{"aws_access_key_id":"`+testAWSKeyID+`","aws_secret_access_key":"`+testAWSSecret+`"}`, at)
	items, err = ParseFernetFile("aws_braket_bob.enc", []byte(tok), testKey(t))
	if err != nil || items[0].Provider != "aws_braket" || items[0].Profile != "bob" || items[0].Fields["secret_access_key"] != testAWSSecret {
		t.Errorf("aws: %+v %v", items, err)
	}
}

func TestParseFernetJSONFile(t *testing.T) {
	at := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC)
	doc, _ := json.Marshal(map[string]string{
		"ibm_quantum": fernetToken(t, `{"token":"`+ibmToken+`"}`, at),
		"ionq":        fernetToken(t, `{"api_key":"`+ionqKey+`"}`, at.Add(time.Hour)),
	})
	items, err := ParseFernetFile("encrypted_credentials.json", doc, testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Provider != "ibm_quantum" || items[1].Provider != "ionq" || items[1].Fields["api_key"] != ionqKey || !items[1].SignedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("items %+v", items)
	}
	// One token holding all providers.
	tok := fernetToken(t, `{"ibm_quantum":{"token":"`+ibmToken+`"},"aws":{"access_key_id":"`+testAWSKeyID+`","secret_access_key":"`+testAWSSecret+`"}}`, at)
	items, err = ParseFernetFile("encrypted_credentials.json", []byte(tok), testKey(t))
	if err != nil || len(items) != 2 || items[0].Provider != "aws_braket" || items[1].Fields["token"] != ibmToken {
		t.Errorf("nested: %+v %v", items, err)
	}
}

func TestParseFernetFileErrors(t *testing.T) {
	tok := fernetToken(t, `{"token":"x"}`, time.Now())
	other, _ := fernet.DecodeKey(strings.Repeat("B", 43) + "=")
	if _, err := ParseFernetFile("ibm_quantum_a.enc", []byte(tok), other); !errors.Is(err, fernet.ErrMAC) {
		t.Errorf("wrong key: %v", err)
	}
	if _, err := ParseFernetFile("mystery.enc", []byte(tok), testKey(t)); err == nil || !strings.Contains(err.Error(), "which provider") {
		t.Errorf("unknown provider: %v", err)
	}
	if _, err := ParseFernetFile("x.json", []byte(`{"a":1}`), testKey(t)); err == nil || !strings.Contains(err.Error(), "no Fernet tokens") {
		t.Errorf("no tokens: %v", err)
	}
	bad := fernetToken(t, `not json`, time.Now())
	if _, err := ParseFernetFile("ionq_a.enc", []byte(bad), testKey(t)); err == nil || strings.Contains(err.Error(), "not json") {
		t.Errorf("bad plaintext: %v", err)
	}
}

func TestParseQiskitAccounts(t *testing.T) {
	data, err := os.ReadFile("testdata/qiskit-ibm.json")
	if err != nil {
		t.Fatal(err)
	}
	items, skipped, err := ParseQiskitAccounts(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].Profile != "default-ibm-cloud" || items[1].Profile != "default-ibm-quantum-platform" {
		t.Fatalf("items %+v", items)
	}
	if items[1].Fields["token"] != ibmToken || items[1].Fields["channel"] != "ibm_quantum_platform" || items[1].Fields["instance"] == "" {
		t.Errorf("fields %v", items[1].Fields)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "legacy-open: channel ibm_quantum") {
		t.Errorf("skipped %v", skipped)
	}
	if _, _, err := ParseQiskitAccounts([]byte(`[1,2]`)); err == nil {
		t.Error("array accepted")
	}
}

func TestParseFields(t *testing.T) {
	got, err := ParseFields([]byte("# comment\nexport token=\"" + ibmToken + "\"\n\nchannel = ibm_cloud\n"))
	if err != nil || got["token"] != ibmToken || got["channel"] != "ibm_cloud" {
		t.Errorf("k=v: %v %v", got, err)
	}
	got, err = ParseFields([]byte(`{"token":"` + ibmToken + `","region":null}`))
	if err != nil || got["token"] != ibmToken || len(got) != 1 {
		t.Errorf("json: %v %v", got, err)
	}
	_, err = ParseFields([]byte("token=ok\n" + ibmToken + "\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), ibmToken) {
		t.Errorf("bad line: %v", err)
	}
	_, err = ParseFields([]byte(`{"token": "` + ibmToken + `" "x"}`))
	if err == nil || strings.Contains(err.Error(), ibmToken) {
		t.Errorf("bad json: %v", err)
	}
	s, _ := SchemaFor("aws_braket")
	env := map[string]string{"AWS_ACCESS_KEY_ID": testAWSKeyID}
	f := FieldsFromEnv(s, func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		map[string]string{"AWS_ACCESS_KEY_ID": "ignored", "AWS_SECRET_ACCESS_KEY": testAWSSecret})
	if f["access_key_id"] != testAWSKeyID || f["secret_access_key"] != testAWSSecret {
		t.Errorf("env: %v", f)
	}
}
