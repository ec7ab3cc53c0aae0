// Package corpus generates labelled log lines for measuring the secret
// scanner: random credentials of every built-in kind planted in realistic
// contexts (JSON log entries, plain-text logs, HTTP dumps, shell traces,
// TOML and notebook fragments), near-misses that must not be reported
// (hashes, UUIDs, commit ids, redacted values, documentation examples), and
// ordinary log lines. Output is deterministic for a seed.
package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"time"
)

// Record is one log line and what is planted in it.
type Record struct {
	Line    string    `json:"line"`
	Kind    string    `json:"kind"` // secret, near-miss, benign
	Secrets []Planted `json:"secrets,omitempty"`
}

// Planted is one secret: the rule that should find it and its byte span.
type Planted struct {
	Rule  string `json:"rule"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Kinds of record.
const (
	KindSecret   = "secret"
	KindNearMiss = "near-miss"
	KindBenign   = "benign"
)

// Gen produces records from a seeded random source.
type Gen struct {
	r *rand.Rand
	t time.Time
}

// New returns a generator for seed.
func New(seed uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), t: time.Date(2026, 11, 30, 22, 0, 0, 0, time.UTC)}
}

// Labelled returns perKind secret records for every rule, then
// nearMisses near-miss and benign ordinary records, shuffled.
func (g *Gen) Labelled(perKind, nearMisses, benign int) []Record {
	var out []Record
	for _, k := range secretKinds {
		for i := 0; i < perKind; i++ {
			out = append(out, g.secret(k))
		}
	}
	for i := 0; i < nearMisses; i++ {
		out = append(out, g.NearMiss())
	}
	for i := 0; i < benign; i++ {
		out = append(out, g.Benign())
	}
	g.r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// Rules lists the rule ids the generator plants.
func Rules() []string {
	var ids []string
	for _, k := range secretKinds {
		ids = append(ids, k.rule)
	}
	return ids
}

// Stream writes about size bytes of log lines to w (and their labels as
// JSON lines with a "n" line number to labels, if not nil): secretRate and
// nearRate are the fractions of secret and near-miss lines.
func (g *Gen) Stream(w, labels io.Writer, size int64, secretRate, nearRate float64) error {
	var written int64
	enc := (*json.Encoder)(nil)
	if labels != nil {
		enc = json.NewEncoder(labels)
	}
	for n := 1; written < size; n++ {
		var rec Record
		switch p := g.r.Float64(); {
		case p < secretRate:
			rec = g.Secret()
		case p < secretRate+nearRate:
			rec = g.NearMiss()
		default:
			rec = g.Benign()
		}
		k, err := io.WriteString(w, rec.Line+"\n")
		if err != nil {
			return err
		}
		written += int64(k)
		if enc != nil && rec.Kind != KindBenign {
			if err := enc.Encode(struct {
				N int `json:"n"`
				Record
			}{n, rec}); err != nil {
				return err
			}
		}
	}
	return nil
}

// Secret returns a record with a secret of a random kind.
func (g *Gen) Secret() Record { return g.secret(secretKinds[g.r.IntN(len(secretKinds))]) }

func (g *Gen) secret(k secretKind) Record {
	secret, ctx := k.make(g)
	tmpl := ctx[g.r.IntN(len(ctx))]
	line := tmpl(g, secret.value)
	i := strings.Index(line, secret.label)
	if i < 0 {
		panic(fmt.Sprintf("corpus: %s: label not in line %q", k.rule, line))
	}
	return Record{Line: line, Kind: KindSecret, Secrets: []Planted{{Rule: k.rule, Start: i, End: i + len(secret.label)}}}
}

// NearMiss returns a line that looks like it holds a secret but does not.
func (g *Gen) NearMiss() Record {
	return Record{Line: nearMisses[g.r.IntN(len(nearMisses))](g), Kind: KindNearMiss}
}

// Benign returns an ordinary log line.
func (g *Gen) Benign() Record {
	return Record{Line: benign[g.r.IntN(len(benign))](g), Kind: KindBenign}
}

// --- building blocks ---

const (
	upper    = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerABC = "abcdefghijklmnopqrstuvwxyz"
	digits   = "0123456789"
	alnum    = upper + lowerABC + digits
	b64      = alnum + "+/"
	b64url   = alnum + "-_"
	hexdig   = "0123456789abcdef"
	b32      = upper + "234567"
)

func (g *Gen) str(alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[g.r.IntN(len(alphabet))]
	}
	return string(b)
}

func (g *Gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

func (g *Gen) uuid() string {
	h := g.str(hexdig, 32)
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:]
}

func (g *Gen) ts() string {
	g.t = g.t.Add(time.Duration(g.r.IntN(4000)) * time.Millisecond)
	return g.t.Format("2006-01-02T15:04:05.000Z07:00")
}

func (g *Gen) user() string {
	return g.pick("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj")
}

func (g *Gen) provider() string { return g.pick("ibm_quantum", "aws_braket", "ionq", "local") }

func (g *Gen) ip() string {
	return fmt.Sprintf("10.%d.%d.%d", g.r.IntN(256), g.r.IntN(256), 1+g.r.IntN(254))
}

// jsonLine renders an ordered JSON object: kv alternates keys and values.
func jsonLine(kv ...any) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, kv[i])
		b.WriteByte(':')
		writeJSON(&b, kv[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	b.Truncate(b.Len() - 1) // Encode's newline
}

func (g *Gen) entry(level, source, msg string, kv ...any) string {
	base := []any{"timestamp", g.ts(), "level", level, "source", source, "message", msg}
	return jsonLine(append(base, kv...)...)
}

func (g *Gen) plain(level, source, msg string) string {
	return fmt.Sprintf("%s %-5s [%s] %s", g.ts(), level, source, msg)
}

// Parameters of the checked-in corpus.
const (
	Seed       = 20261204
	PerKind    = 60
	NearMisses = 1500
	Benign     = 600
)
