// Command recall scores secret scanners against qguard's labelled corpus.
//
//	recall -export monitor/testdata/corpus.jsonl.gz -lines L -labels J   # write the corpus as a plain log + labels
//	recall -lines L -labels J -qguard Q.json -gitleaks G.json            # score `qguard scan --json` and gitleaks reports
//
// A planted secret counts as found when a finding on its line overlaps it
// (qguard: by byte span; gitleaks: its Secret is a substring of the planted
// one, at least 8 bytes long, or contains it). Every other finding is a
// false positive. Labels are JSON lines {"n": line, "kind", "secrets":[{rule,start,end}]},
// as written by monitor/internal/gencorpus -labels.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
)

type planted struct {
	Rule  string `json:"rule"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

type label struct {
	N       int       `json:"n"`
	Line    string    `json:"line,omitempty"`
	Kind    string    `json:"kind"`
	Secrets []planted `json:"secrets"`
}

func main() {
	export := flag.String("export", "", "labelled corpus (gzip JSON lines) to convert")
	linesPath := flag.String("lines", "", "plain log")
	labelsPath := flag.String("labels", "", "labels (JSON lines)")
	qPath := flag.String("qguard", "", "output of qguard scan --json")
	gPath := flag.String("gitleaks", "", "gitleaks JSON report")
	flag.Parse()
	var err error
	if *export != "" {
		err = doExport(*export, *linesPath, *labelsPath)
	} else {
		err = score(*linesPath, *labelsPath, *qPath, *gPath)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "recall:", err)
		os.Exit(1)
	}
}

func doExport(in, linesPath, labelsPath string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	lf, err := os.Create(linesPath)
	if err != nil {
		return err
	}
	jf, err := os.Create(labelsPath)
	if err != nil {
		return err
	}
	lw, jw := bufio.NewWriter(lf), bufio.NewWriter(jf)
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	enc := json.NewEncoder(jw)
	for n := 1; sc.Scan(); n++ {
		var l label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return err
		}
		if strings.Contains(l.Line, "\n") {
			return fmt.Errorf("record %d spans lines", n)
		}
		fmt.Fprintln(lw, l.Line)
		l.N, l.Line = n, ""
		if l.Kind != "benign" {
			if err := enc.Encode(l); err != nil {
				return err
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if err := lw.Flush(); err != nil {
		return err
	}
	if err := jw.Flush(); err != nil {
		return err
	}
	lf.Close()
	return jf.Close()
}

type finding struct {
	line, start, end int    // qguard: byte span (0-based, end exclusive)
	secret           string // gitleaks: the secret text
	rule             string
}

func score(linesPath, labelsPath, qPath, gPath string) error {
	data, err := os.ReadFile(linesPath)
	if err != nil {
		return err
	}
	lines := strings.Split(string(data), "\n")
	labels := map[int]label{}
	lf, err := os.Open(labelsPath)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(lf)
	sc.Buffer(nil, 1<<20)
	total := 0
	for sc.Scan() {
		var l label
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return err
		}
		labels[l.N] = l
		total += len(l.Secrets)
	}
	lf.Close()
	fmt.Printf("%d lines, %d planted secrets\n", len(lines)-1, total)
	if qPath != "" {
		var q struct {
			Findings []struct {
				Rule   string `json:"rule"`
				Line   int    `json:"line"`
				Column int    `json:"column"`
				End    int    `json:"end"`
			} `json:"findings"`
		}
		b, err := os.ReadFile(qPath)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &q); err != nil {
			return fmt.Errorf("%s: %w", qPath, err)
		}
		var fs []finding
		for _, f := range q.Findings {
			fs = append(fs, finding{line: f.Line, start: f.Column - 1, end: f.End - 1, rule: f.Rule})
		}
		report("qguard", fs, lines, labels, total)
	}
	if gPath != "" {
		var g []struct {
			RuleID    string
			StartLine int
			Secret    string
		}
		b, err := os.ReadFile(gPath)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &g); err != nil {
			return fmt.Errorf("%s: %w", gPath, err)
		}
		var fs []finding
		for _, f := range g {
			fs = append(fs, finding{line: f.StartLine, secret: f.Secret, rule: f.RuleID, start: -1})
		}
		report("gitleaks", fs, lines, labels, total)
	}
	return nil
}

func report(name string, fs []finding, lines []string, labels map[int]label, total int) {
	byLine := map[int][]finding{}
	for _, f := range fs {
		byLine[f.line] = append(byLine[f.line], f)
	}
	found, fp := 0, 0
	perRule := map[string][2]int{}
	for n, fl := range byLine {
		l := labels[n]
		used := make([]bool, len(fl))
		for _, p := range l.Secrets {
			c := perRule[p.Rule]
			for i, f := range fl {
				if matches(f, p, lines[n-1]) {
					used[i] = true
					c[1]++
					found++
					break
				}
			}
			perRule[p.Rule] = c
		}
		for _, u := range used {
			if !u {
				fp++
			}
		}
	}
	for _, l := range labels {
		for _, p := range l.Secrets {
			c := perRule[p.Rule]
			c[0]++
			perRule[p.Rule] = c
		}
	}
	fmt.Printf("%-8s recall %.4f (%d/%d)  false positives %d  findings %d\n", name, float64(found)/float64(total), found, total, fp, len(fs))
	var rules []string
	for r := range perRule {
		rules = append(rules, r)
	}
	sort.Strings(rules)
	for _, r := range rules {
		c := perRule[r]
		fmt.Printf("    %-28s %5d/%-5d %.3f\n", r, c[1], c[0], float64(c[1])/float64(max(c[0], 1)))
	}
}

func matches(f finding, p planted, line string) bool {
	if f.start >= 0 {
		return f.start < p.End && p.Start < f.end
	}
	if p.End > len(line) {
		return false
	}
	s := line[p.Start:p.End]
	return (len(f.secret) >= 8 && strings.Contains(s, f.secret)) || (f.secret != "" && strings.Contains(f.secret, s))
}
