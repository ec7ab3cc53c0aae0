package vault

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/qguard/qguard"
)

// Field describes one field of a provider's credential.
type Field struct {
	Name     string
	Secret   bool   // never printed unless asked (--reveal), never in logs
	Required bool   // must be present (see also Schema.Check)
	Env      string // the provider's own environment variable, for --from-env
	Help     string // shown by the prompt and in errors
	check    func(string) error
}

// Schema is the set of fields of one provider.
type Schema struct {
	Provider string
	Fields   []Field
	// Check validates combinations of fields (for example one of two
	// alternatives); nil when only per-field rules apply.
	Check func(fields map[string]string) error
}

// Field returns the named field.
func (s *Schema) Field(name string) (Field, bool) {
	for _, f := range s.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// IsSecret reports whether the named field is secret. Unknown fields count
// as secret, so that nothing unexpected is printed.
func (s *Schema) IsSecret(name string) bool {
	f, ok := s.Field(name)
	return !ok || f.Secret
}

func (s *Schema) names() []string {
	var n []string
	for _, f := range s.Fields {
		n = append(n, f.Name)
	}
	return n
}

var (
	ibmAPIKey    = regexp.MustCompile(`^[A-Za-z0-9_-]{44}$`)
	ibmLegacyHex = regexp.MustCompile(`^[0-9a-f]{128}$`)
	awsKeyID     = regexp.MustCompile(`^(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}$`)
	awsSecret    = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
	awsRegion    = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	awsRoleARN   = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)
	s3Bucket     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	azureID      = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.Quantum/Workspaces/[^/]+$`)
	plainToken   = regexp.MustCompile(`^[\x21-\x7e]+$`) // printable, no spaces
	profileName  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

func checkIBMToken(v string) error {
	if ibmAPIKey.MatchString(v) || ibmLegacyHex.MatchString(v) {
		return nil
	}
	return fmt.Errorf("is not an IBM Quantum API key: expected the 44-character IBM Cloud API key (letters, digits, _ and -) or a legacy 128-character hex token, got %d characters", len(v))
}

func checkHTTPS(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return fmt.Errorf("must be an https:// URL")
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" && u.Hostname() != "127.0.0.1" {
		return fmt.Errorf("must use https:// (plain http only for localhost)")
	}
	return nil
}

func matches(re *regexp.Regexp, what string) func(string) error {
	return func(v string) error {
		if !re.MatchString(v) {
			return fmt.Errorf("is not %s", what)
		}
		return nil
	}
}

func oneOf(vals ...string) func(string) error {
	return func(v string) error {
		if !slices.Contains(vals, v) {
			return fmt.Errorf("must be one of %s", strings.Join(vals, ", "))
		}
		return nil
	}
}

func minLen(n int) func(string) error {
	return func(v string) error {
		if len(v) < n || !plainToken.MatchString(v) {
			return fmt.Errorf("must be at least %d printable characters without spaces", n)
		}
		return nil
	}
}

var schemas = map[string]*Schema{
	qguard.ProviderIBMQuantum: {
		Provider: qguard.ProviderIBMQuantum,
		Fields: []Field{
			{Name: "token", Secret: true, Required: true, Env: "QISKIT_IBM_TOKEN", Help: "IBM Cloud API key (44 characters)", check: checkIBMToken},
			{Name: "instance", Env: "QISKIT_IBM_INSTANCE", Help: "instance CRN (crn:v1:…) or name", check: func(v string) error {
				if strings.HasPrefix(v, "crn:") && !strings.HasPrefix(v, "crn:v1:") {
					return fmt.Errorf("is not a CRN: expected crn:v1:…")
				}
				return nil
			}},
			{Name: "channel", Env: "QISKIT_IBM_CHANNEL", Help: "ibm_quantum_platform (default) or ibm_cloud", check: func(v string) error {
				if v == "ibm_quantum" {
					return fmt.Errorf("ibm_quantum (IBM Quantum Platform Classic) was sunset in 2025: use ibm_quantum_platform or ibm_cloud")
				}
				return oneOf("ibm_quantum_platform", "ibm_cloud")(v)
			}},
			{Name: "region", Help: "us-east or eu-de", check: matches(regexp.MustCompile(`^[a-z]{2}-[a-z]+$`), "a region such as us-east or eu-de")},
			{Name: "url", Env: "QISKIT_IBM_URL", Help: "API URL override", check: checkHTTPS},
		},
	},
	qguard.ProviderAWSBraket: {
		Provider: qguard.ProviderAWSBraket,
		Fields: []Field{
			{Name: "access_key_id", Required: true, Env: "AWS_ACCESS_KEY_ID", Help: "AKIA… or ASIA… (20 characters)", check: matches(awsKeyID, "an AWS access key ID (AKIA or ASIA followed by 16 upper-case letters or digits)")},
			{Name: "secret_access_key", Secret: true, Required: true, Env: "AWS_SECRET_ACCESS_KEY", Help: "40 characters", check: matches(awsSecret, "an AWS secret access key (40 characters of letters, digits, + and /)")},
			{Name: "session_token", Secret: true, Env: "AWS_SESSION_TOKEN", Help: "for temporary (ASIA…) keys", check: minLen(16)},
			{Name: "region", Env: "AWS_REGION", Help: "for example us-east-1", check: matches(awsRegion, "an AWS region such as us-east-1")},
			{Name: "s3_bucket", Help: "bucket for results", check: matches(s3Bucket, "an S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)")},
			{Name: "s3_prefix", Help: "key prefix for results"},
			{Name: "role_arn", Help: "role to assume", check: matches(awsRoleARN, "an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")},
		},
		Check: func(f map[string]string) error {
			if strings.HasPrefix(f["access_key_id"], "ASIA") && f["session_token"] == "" {
				return fmt.Errorf("aws_braket: access_key_id starts with ASIA (temporary credentials): session_token is required")
			}
			return nil
		},
	},
	qguard.ProviderIonQ: {
		Provider: qguard.ProviderIonQ,
		Fields: []Field{
			{Name: "api_key", Secret: true, Required: true, Env: "IONQ_API_KEY", Help: "IonQ API key", check: minLen(16)},
			{Name: "base_url", Help: "API URL override", check: checkHTTPS},
		},
	},
	qguard.ProviderRigetti: {
		Provider: qguard.ProviderRigetti,
		Fields: []Field{
			{Name: "refresh_token", Secret: true, Required: true, Help: "QCS OAuth2 refresh token", check: minLen(16)},
			{Name: "client_id", Help: "OAuth2 client id", check: matches(regexp.MustCompile(`^[A-Za-z0-9_-]{4,64}$`), "an OAuth2 client id (letters, digits, _ and -)")},
			{Name: "issuer", Help: "OAuth2 issuer URL", check: checkHTTPS},
		},
	},
	qguard.ProviderAzureQuantum: {
		Provider: qguard.ProviderAzureQuantum,
		Fields: []Field{
			{Name: "resource_id", Help: "/subscriptions/…/providers/Microsoft.Quantum/Workspaces/NAME", check: matches(azureID, "a workspace resource ID (/subscriptions/ID/resourceGroups/RG/providers/Microsoft.Quantum/Workspaces/NAME)")},
			{Name: "location", Help: "for example eastus", check: matches(regexp.MustCompile(`^[a-z0-9]{3,32}$`), "an Azure location such as eastus")},
			{Name: "connection_string", Secret: true, Env: "AZURE_QUANTUM_CONNECTION_STRING", Help: "workspace connection string", check: func(v string) error {
				for _, part := range []string{"SubscriptionId=", "ResourceGroupName=", "WorkspaceName=", "ApiKey="} {
					if !strings.Contains(v, part) {
						return fmt.Errorf("is not a workspace connection string: it lacks %s", strings.TrimSuffix(part, "="))
					}
				}
				return nil
			}},
			{Name: "key", Secret: true, Help: "workspace access key", check: minLen(16)},
		},
		Check: func(f map[string]string) error {
			if f["connection_string"] != "" {
				return nil
			}
			for _, n := range []string{"resource_id", "location", "key"} {
				if f[n] == "" {
					return fmt.Errorf("azure_quantum: give connection_string, or resource_id, location and key (%s is missing)", n)
				}
			}
			return nil
		},
	},
}

// Providers lists the provider names the vault knows, sorted.
func Providers() []string {
	var p []string
	for name := range schemas {
		p = append(p, name)
	}
	sort.Strings(p)
	return p
}

// SchemaFor returns the schema of provider, or an EINVALID error naming the
// known providers.
func SchemaFor(provider string) (*Schema, error) {
	s, ok := schemas[provider]
	if !ok {
		return nil, qguard.Errorf(qguard.EINVALID, "unknown provider %q: known providers are %s", provider, strings.Join(Providers(), ", "))
	}
	return s, nil
}

// Validate trims the fields, drops empty ones and checks them against the
// schema. Its messages name the field and never contain its value.
func (s *Schema) Validate(fields map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(fields))
	for name, v := range fields {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		f, ok := s.Field(name)
		if !ok {
			return nil, qguard.Errorf(qguard.EINVALID, "%s has no field %q; its fields are %s", s.Provider, name, strings.Join(s.names(), ", "))
		}
		if f.check != nil {
			if err := f.check(v); err != nil {
				return nil, qguard.Errorf(qguard.EINVALID, "%s %s %v", s.Provider, name, err)
			}
		}
		out[name] = v
	}
	for _, f := range s.Fields {
		if f.Required && out[f.Name] == "" {
			return nil, qguard.Errorf(qguard.EINVALID, "%s: required field %s is missing (%s)", s.Provider, f.Name, f.Help)
		}
	}
	if s.Check != nil {
		if err := s.Check(out); err != nil {
			return nil, qguard.Errorf(qguard.EINVALID, "%v", err)
		}
	}
	return out, nil
}

// checkProfile validates a profile name.
func checkProfile(p string) error {
	if !profileName.MatchString(p) {
		return qguard.Errorf(qguard.EINVALID, "invalid profile name %q: use up to 64 letters, digits, '.', '_' and '-'", p)
	}
	return nil
}
