package fernet

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	fernetgo "github.com/fernet/fernet-go"
)

type vector struct {
	Desc   string `json:"desc"`
	Token  string `json:"token"`
	Now    string `json:"now"`
	TTL    int    `json:"ttl_sec"`
	Src    string `json:"src"`
	Secret string `json:"secret"`
}

func loadVectors(t testing.TB, name string) []vector {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	if err := json.Unmarshal(data, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return vs
}

func (v vector) verify(t *testing.T) (*Token, error) {
	t.Helper()
	now, err := time.Parse(time.RFC3339, v.Now)
	if err != nil {
		t.Fatal(err)
	}
	key, err := DecodeKey(v.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return Verify(v.Token, key, now, time.Duration(v.TTL)*time.Second)
}

func TestVerifyAcceptsSpecVectors(t *testing.T) {
	for _, v := range append(loadVectors(t, "verify.json"), loadVectors(t, "generate.json")...) {
		tok, err := v.verify(t)
		if err != nil {
			t.Fatalf("%s: %v", v.Token, err)
		}
		if string(tok.Plaintext) != v.Src {
			t.Errorf("plaintext = %q, want %q", tok.Plaintext, v.Src)
		}
		now, _ := time.Parse(time.RFC3339, v.Now)
		if d := now.Sub(tok.SignedAt); d < 0 || d > time.Minute {
			t.Errorf("SignedAt %v is not just before now %v", tok.SignedAt, now)
		}
		// fernet-go agrees.
		if got := fernetgo.VerifyAndDecrypt([]byte(v.Token), 0, fernetgo.MustDecodeKeys(v.Secret)); string(got) != v.Src {
			t.Errorf("fernet-go disagrees: %q", got)
		}
	}
}

func TestVerifyRejectsInvalidVectorsNamingTheCause(t *testing.T) {
	want := map[string]error{
		"incorrect mac":  ErrMAC,
		"too short":      ErrTooShort,
		"invalid base64": ErrBase64,
		"payload size not multiple of block size": ErrBlockSize,
		"payload padding error":                   ErrPadding,
		"far-future TS (unacceptable clock skew)": ErrFuture,
		"expired TTL":                         ErrExpired,
		"incorrect IV (causes padding error)": ErrPadding,
	}
	vs := loadVectors(t, "invalid.json")
	for _, v := range vs {
		_, err := v.verify(t)
		if err == nil {
			t.Errorf("%s: accepted", v.Desc)
			continue
		}
		cause, ok := want[v.Desc]
		if !ok {
			t.Errorf("%s: no expected cause in the table; got %v", v.Desc, err)
			continue
		}
		if !errors.Is(err, cause) {
			t.Errorf("%s: error %q, want cause %q", v.Desc, err, cause)
		}
	}
	if len(vs) != len(want) {
		t.Errorf("%d invalid vectors, %d causes in the table", len(vs), len(want))
	}
}

func TestVerifyNoTTLAcceptsOldTokens(t *testing.T) {
	v := loadVectors(t, "verify.json")[0]
	key, _ := DecodeKey(v.Secret)
	tok, err := Verify(v.Token, key, time.Now(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if tok.SignedAt.Year() != 1985 {
		t.Errorf("SignedAt = %v", tok.SignedAt)
	}
}

func TestVerifyWrongKeyAndVersion(t *testing.T) {
	v := loadVectors(t, "verify.json")[0]
	other, _ := DecodeKey(strings.Repeat("A", 43) + "=")
	if _, err := Verify(v.Token, other, time.Now(), 0); !errors.Is(err, ErrMAC) {
		t.Errorf("wrong key: %v", err)
	}
	bad := "A" + v.Token[1:] // changes the version byte
	key, _ := DecodeKey(v.Secret)
	if _, err := Verify(bad, key, time.Now(), 0); !errors.Is(err, ErrVersion) {
		t.Errorf("bad version: %v", err)
	}
	if _, err := DecodeKey("short"); !errors.Is(err, ErrKey) {
		t.Errorf("short key: %v", err)
	}
}

func FuzzVerify(f *testing.F) {
	for _, name := range []string{"verify.json", "invalid.json", "generate.json"} {
		for _, v := range loadVectors(f, name) {
			f.Add(v.Token)
		}
	}
	key, _ := DecodeKey("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")
	f.Fuzz(func(t *testing.T, tok string) {
		got, err := Verify(tok, key, time.Unix(499162801, 0), 0)
		// fernet-go accepts only padded, untrimmed base64; compare there.
		if err == nil && len(tok)%4 == 0 && strings.TrimSpace(tok) == tok {
			want := fernetgo.VerifyAndDecrypt([]byte(tok), 0, []*fernetgo.Key{(*fernetgo.Key)(key)})
			if string(want) != string(got.Plaintext) {
				t.Fatalf("disagrees with fernet-go: %q vs %q", got.Plaintext, want)
			}
		}
	})
}
