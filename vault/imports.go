package vault

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/vault/fernet"
)

// Imported is one credential read from another tool's files, not yet
// validated or stored.
type Imported struct {
	Provider string
	Profile  string
	Fields   map[string]string
	SignedAt time.Time // Fernet token timestamp; zero for plain files
	Dropped  []string  // names of fields with no place in the schema
}

// providerAliases maps names used by other tools to ours.
var providerAliases = map[string]string{
	"ibm": qguard.ProviderIBMQuantum, "ibmq": qguard.ProviderIBMQuantum, "ibm_quantum": qguard.ProviderIBMQuantum,
	"qiskit": qguard.ProviderIBMQuantum, "ibm_cloud": qguard.ProviderIBMQuantum, "ibm_quantum_platform": qguard.ProviderIBMQuantum,
	"aws": qguard.ProviderAWSBraket, "braket": qguard.ProviderAWSBraket, "aws_braket": qguard.ProviderAWSBraket, "amazon_braket": qguard.ProviderAWSBraket,
	"ionq":    qguard.ProviderIonQ,
	"rigetti": qguard.ProviderRigetti, "qcs": qguard.ProviderRigetti,
	"azure": qguard.ProviderAzureQuantum, "azure_quantum": qguard.ProviderAzureQuantum,
}

// fieldAliases maps other tools' field names to ours, per provider.
var fieldAliases = map[string]map[string]string{
	qguard.ProviderIBMQuantum: {
		"token": "token", "api_token": "token", "apikey": "token", "api_key": "token", "ibmq_token": "token", "qiskit_ibm_token": "token", "ibm_quantum_token": "token",
		"instance": "instance", "crn": "instance", "service_crn": "instance", "qiskit_ibm_instance": "instance",
		"channel": "channel", "region": "region", "url": "url",
	},
	qguard.ProviderAWSBraket: {
		"access_key_id": "access_key_id", "aws_access_key_id": "access_key_id", "access_key": "access_key_id",
		"secret_access_key": "secret_access_key", "aws_secret_access_key": "secret_access_key", "secret_key": "secret_access_key",
		"session_token": "session_token", "aws_session_token": "session_token",
		"region": "region", "aws_region": "region", "aws_default_region": "region",
		"s3_bucket": "s3_bucket", "bucket": "s3_bucket", "s3_prefix": "s3_prefix", "prefix": "s3_prefix", "role_arn": "role_arn",
	},
	qguard.ProviderIonQ: {
		"api_key": "api_key", "apikey": "api_key", "token": "api_key", "ionq_api_key": "api_key", "base_url": "base_url", "url": "base_url",
	},
	qguard.ProviderRigetti: {
		"refresh_token": "refresh_token", "client_id": "client_id", "issuer": "issuer",
	},
	qguard.ProviderAzureQuantum: {
		"resource_id": "resource_id", "location": "location", "connection_string": "connection_string",
		"azure_quantum_connection_string": "connection_string", "key": "key", "api_key": "key", "access_key": "key",
	},
}

// metaKeys name the provider or profile inside another tool's JSON rather
// than a credential field.
var metaKeys = map[string]bool{"provider": true, "profile": true, "name": true, "user": true, "username": true, "created_at": true, "updated_at": true, "timestamp": true, "is_default_account": true}

func canonicalProvider(name string) string {
	return providerAliases[strings.ToLower(strings.TrimSpace(name))]
}

// mapFields turns another tool's fields into ours for provider.
func mapFields(provider string, raw map[string]any) (fields map[string]string, dropped []string) {
	aliases := fieldAliases[provider]
	fields = map[string]string{}
	for k, v := range raw {
		lk := strings.ToLower(k)
		if metaKeys[lk] {
			continue
		}
		s, ok := v.(string)
		name, known := aliases[lk]
		if !ok || !known || s == "" {
			if v != nil && v != "" {
				dropped = append(dropped, k)
			}
			continue
		}
		fields[name] = s
	}
	sort.Strings(dropped)
	return fields, dropped
}

var unsafeProfile = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// profileFrom makes a valid profile name out of another tool's account or
// user name.
func profileFrom(name string) string {
	p := strings.Trim(unsafeProfile.ReplaceAllString(name, "-"), "-._")
	if len(p) > 64 {
		p = p[:64]
	}
	if p == "" {
		return "default"
	}
	return p
}

// ParseFernetFile reads one file of the Python tool this replaces: either
// ~/.qiskit/encrypted_credentials.json (a Fernet token, or a JSON object
// whose string values are tokens, keyed by provider or account) or
// ~/.quantum-mlops/credentials/<provider>_<user>.enc (one token). Each
// token's plaintext is the JSON of the fields, possibly keyed by provider.
// Tokens are read without a TTL: old files must still migrate.
func ParseFernetFile(name string, data []byte, key *fernet.Key) ([]Imported, error) {
	hintProvider, hintProfile := hintsFromFileName(name)
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, fmt.Errorf("%s is empty", name)
	}
	type token struct{ hint, value string }
	var tokens []token
	if data[0] == '{' {
		var obj map[string]any
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, fmt.Errorf("%s is neither a Fernet token nor JSON: %v", name, err)
		}
		var walk func(hint string, v any)
		walk = func(hint string, v any) {
			switch v := v.(type) {
			case string:
				if strings.HasPrefix(v, "gAAAAA") {
					tokens = append(tokens, token{hint, v})
				}
			case map[string]any:
				for k, sub := range v {
					h := k
					if canonicalProvider(k) == "" && hint != "" {
						h = hint // keep the provider from the outer key
					}
					walk(h, sub)
				}
			}
		}
		walk("", obj)
		sort.Slice(tokens, func(i, j int) bool { return tokens[i].hint < tokens[j].hint })
		if len(tokens) == 0 {
			return nil, fmt.Errorf("%s holds no Fernet tokens", name)
		}
	} else {
		tokens = []token{{"", string(data)}}
	}
	var out []Imported
	for _, t := range tokens {
		tok, err := fernet.Verify(t.value, key, time.Now(), 0)
		if err != nil {
			where := name
			if t.hint != "" {
				where += " (" + t.hint + ")"
			}
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		prov, prof := hintProvider, hintProfile
		if p := canonicalProvider(t.hint); p != "" {
			prov = p
		} else if t.hint != "" && prof == "" {
			prof = profileFrom(t.hint)
		}
		items, err := parseFieldsJSON(tok.Plaintext, prov, prof)
		if err != nil {
			return nil, fmt.Errorf("%s: token signed %s: %w", name, tok.SignedAt.Format(time.RFC3339), err)
		}
		for i := range items {
			items[i].SignedAt = tok.SignedAt
		}
		out = append(out, items...)
	}
	return out, nil
}

// hintsFromFileName reads <provider>_<user>.enc.
func hintsFromFileName(name string) (provider, profile string) {
	base := strings.TrimSuffix(filepath.Base(name), ".enc")
	if base == filepath.Base(name) {
		return "", ""
	}
	for i := len(base) - 1; i > 0; i-- { // provider names contain '_' too: try the longest
		if base[i] == '_' {
			if p := canonicalProvider(base[:i]); p != "" {
				return p, profileFrom(base[i+1:])
			}
		}
	}
	return canonicalProvider(base), ""
}

// parseFieldsJSON reads a token's plaintext: the fields of one credential,
// or an object of them keyed by provider.
func parseFieldsJSON(plain []byte, provider, profile string) ([]Imported, error) {
	var obj map[string]any
	if err := json.Unmarshal(plain, &obj); err != nil {
		return nil, fmt.Errorf("the decrypted token is not a JSON object of fields")
	}
	if p, ok := obj["provider"].(string); ok && canonicalProvider(p) != "" {
		provider = canonicalProvider(p)
	}
	for _, k := range []string{"profile", "name", "user", "username"} {
		if p, ok := obj[k].(string); ok && p != "" && profile == "" {
			profile = profileFrom(p)
		}
	}
	if profile == "" {
		profile = "default"
	}
	// Keyed by provider?
	var nested []Imported
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if sub, ok := obj[k].(map[string]any); ok && canonicalProvider(k) != "" {
			p := canonicalProvider(k)
			fields, dropped := mapFields(p, sub)
			nested = append(nested, Imported{Provider: p, Profile: profile, Fields: fields, Dropped: dropped})
		}
	}
	if len(nested) > 0 {
		return nested, nil
	}
	if provider == "" {
		return nil, fmt.Errorf("cannot tell which provider the credential is for: name the file <provider>_<user>.enc or pass --provider")
	}
	fields, dropped := mapFields(provider, obj)
	return []Imported{{Provider: provider, Profile: profile, Fields: fields, Dropped: dropped}}, nil
}

// ParseQiskitAccounts reads ~/.qiskit/qiskit-ibm.json: plain JSON accounts
// keyed by name, as qiskit-ibm-runtime's save_account writes them. Accounts
// on the sunset ibm_quantum channel are reported in skipped, not returned.
func ParseQiskitAccounts(data []byte) (items []Imported, skipped []string, err error) {
	var accounts map[string]map[string]any
	if err := json.Unmarshal(data, &accounts); err != nil {
		return nil, nil, fmt.Errorf("qiskit-ibm.json is not a JSON object of accounts: %v", err)
	}
	names := make([]string, 0, len(accounts))
	for n := range accounts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		acc := accounts[n]
		if acc == nil {
			skipped = append(skipped, fmt.Sprintf("%s: empty account", n))
			continue
		}
		if ch, _ := acc["channel"].(string); ch == "ibm_quantum" {
			skipped = append(skipped, fmt.Sprintf("%s: channel ibm_quantum (IBM Quantum Platform Classic) was sunset in 2025", n))
			continue
		}
		fields, dropped := mapFields(qguard.ProviderIBMQuantum, acc)
		items = append(items, Imported{Provider: qguard.ProviderIBMQuantum, Profile: profileFrom(n), Fields: fields, Dropped: dropped})
	}
	return items, skipped, nil
}
