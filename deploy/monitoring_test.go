// Tests of the monitoring files in deploy/: the Prometheus rules pass
// promtool's unit tests, and every metric (and label) the rules and the
// Grafana dashboard query is one the gateway exports.
package deploy_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/qguard/qguard/metrics"
	"gopkg.in/yaml.v3"
)

// exported returns metric name → label names for every collector
// registered in metrics.New()'s registry.
func exported(t *testing.T) map[string][]string {
	t.Helper()
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	vl := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	out := map[string][]string{}
	ch := make(chan *prometheus.Desc, 64)
	go func() { metrics.New().Registry.Describe(ch); close(ch) }()
	for d := range ch {
		s := d.String()
		name := fq.FindStringSubmatch(s)
		if name == nil {
			t.Fatalf("cannot read metric name from %s", s)
		}
		var labels []string
		if l := vl.FindStringSubmatch(s); l != nil && l[1] != "" {
			labels = strings.Split(l[1], ",")
		}
		out[name[1]] = labels
	}
	if _, ok := out["qguard_security_events_total"]; !ok || len(out) < 10 {
		t.Fatalf("metrics.New() registers only %d metrics", len(out))
	}
	return out
}

var (
	selector = regexp.MustCompile(`\b(qguard_[a-z0-9_]+)\s*(\{[^}]*\})?`)
	matcher  = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)`)
	grouping = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
)

// checkExpr reports metrics or labels in expr that the gateway does not
// export, and returns how many qguard metrics expr queries.
func checkExpr(errorf func(string, ...any), where, expr string, have map[string][]string) int {
	n := 0
	for _, m := range selector.FindAllStringSubmatch(expr, -1) {
		name := m[1]
		base := name
		for _, suf := range []string{"_bucket", "_sum", "_count"} {
			if _, ok := have[name]; !ok && strings.HasSuffix(name, suf) {
				base = strings.TrimSuffix(name, suf)
			}
		}
		labels, ok := have[base]
		if !ok {
			errorf("%s: metric %s is not exported by metrics.New()", where, name)
			continue
		}
		n++
		allowed := append([]string{"le", "job", "instance"}, labels...)
		for _, l := range matcher.FindAllStringSubmatch(m[2], -1) {
			if !contains(allowed, l[1]) {
				errorf("%s: metric %s has no label %q (labels: %v)", where, name, l[1], labels)
			}
		}
		for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
			for _, l := range strings.Split(g[1], ",") {
				if l = strings.TrimSpace(l); l != "" && !contains(allowed, l) && !anyHas(have, expr, l) {
					errorf("%s: grouping by %q, which no queried metric has", where, l)
				}
			}
		}
	}
	return n
}

func anyHas(have map[string][]string, expr, label string) bool {
	for _, m := range selector.FindAllStringSubmatch(expr, -1) {
		if contains(have[m[1]], label) || contains(have[strings.TrimSuffix(m[1], "_bucket")], label) {
			return true
		}
	}
	return false
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestMonitoringMetricsExist(t *testing.T) {
	have := exported(t)

	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile("prometheus/qguard-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	nrules := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			nrules++
			if checkExpr(t.Errorf, "rule "+r.Alert, r.Expr, have) == 0 {
				t.Errorf("rule %s queries no qguard metric", r.Alert)
			}
		}
	}
	if nrules < 5 {
		t.Errorf("only %d rules", nrules)
	}

	b, err = os.ReadFile("grafana/qguard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatal(err)
	}
	titles := ""
	for _, p := range dash.Panels {
		titles += p.Title + "\n"
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			if checkExpr(t.Errorf, "panel "+p.Title, tg.Expr, have) == 0 {
				t.Errorf("panel %q queries no qguard metric: %s", p.Title, tg.Expr)
			}
		}
	}
	for _, v := range dash.Templating.List {
		checkExpr(t.Errorf, "variable", v.Definition, have)
	}
	for _, want := range []string{"Authentication", "Jobs submitted by provider", "Security events by type", "Cost by provider"} {
		if !strings.Contains(titles, want) {
			t.Errorf("dashboard lacks a %q panel", want)
		}
	}
}

// TestCheckExprCatchesMistakes makes sure the checker above can fail.
func TestCheckExprCatchesMistakes(t *testing.T) {
	have := exported(t)
	for _, bad := range []string{`rate(qguard_jobs_total_typo[5m])`, `qguard_jobs_total{colour="red"}`, `sum by (route) (qguard_jobs_total)`} {
		failed := false
		checkExpr(func(string, ...any) { failed = true }, "test", bad, have)
		if !failed {
			t.Errorf("checker accepted %s", bad)
		}
	}
}

func TestPrometheusRulesPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus); .ci/run installs it")
	}
	for _, args := range [][]string{{"check", "rules", "qguard-rules.yml"}, {"test", "rules", "qguard-rules.test.yml", "qguard-rules-usage.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
