package provider

import (
	"regexp"
	"strings"
)

// Redacted replaces a secret in text.
const Redacted = "[REDACTED]"

// maxMessage bounds a provider message quoted in an error.
const maxMessage = 300

// secretPatterns match credential shapes a provider might echo back (see
// reference/providers.md §6): header values, JWTs, AWS keys, IBM API keys.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(bearer|apikey|api-key|token)([ =:"']+)[A-Za-z0-9._~+/=-]{16,}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b`),
	regexp.MustCompile(`(?i)(secret[_ -]?access[_ -]?key|aws_secret_access_key|session[_ -]?token)([ =:"']+)[A-Za-z0-9+/=]{16,}`),
	regexp.MustCompile(`(^|[^A-Za-z0-9+/])[A-Za-z0-9+/]{40}([^A-Za-z0-9+/=]|$)`), // AWS secret access key
	regexp.MustCompile(`\b[A-Za-z0-9_-]{44}\b`),                                  // IBM Cloud API key
	regexp.MustCompile(`\b[0-9a-f]{128}\b`),                                      // legacy IBM Quantum token
	regexp.MustCompile(`Credential=[A-Z0-9]+/`),                                  // a SigV4 Authorization header
	regexp.MustCompile(`Signature=[0-9a-f]{64}`),
}

// Redact removes secrets from a provider message before it reaches an
// error, a log line or an audit record: first the exact values the caller
// knows (the credential in use), then anything shaped like a credential.
// The result is one line of at most 300 bytes.
func Redact(msg string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= 4 {
			msg = strings.ReplaceAll(msg, s, Redacted)
		}
	}
	for i, re := range secretPatterns {
		switch i {
		case 0, 3:
			msg = re.ReplaceAllString(msg, "${1}${2}"+Redacted)
		case 4:
			msg = re.ReplaceAllString(msg, "${1}"+Redacted+"${2}")
		default:
			msg = re.ReplaceAllString(msg, Redacted)
		}
	}
	msg = strings.Join(strings.Fields(msg), " ")
	if len(msg) > maxMessage {
		msg = strings.ToValidUTF8(msg[:maxMessage], "") + "…"
	}
	return msg
}
