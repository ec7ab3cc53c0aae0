package policy

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	cedar "github.com/cedar-policy/cedar-go"
	"github.com/cedar-policy/cedar-go/types"
	xast "github.com/cedar-policy/cedar-go/x/exp/ast"
	"github.com/cedar-policy/cedar-go/x/exp/schema"
	"github.com/cedar-policy/cedar-go/x/exp/schema/validate"
)

// Cedar entity types and context attributes of a request. Custom .cedar
// files use these names (docs/policy.md).
const (
	typeUser     = types.EntityType("User")
	typeRole     = types.EntityType("Role")
	typeAction   = types.EntityType("Action")
	typeResource = types.EntityType("ResourceClass")

	ctxShots          = types.String("shots")
	ctxQubits         = types.String("qubits")
	ctxCostTodayMicro = types.String("cost_today_micros")
	ctxClass          = types.String("classification")
	ctxProject        = types.String("project")
)

// Annotations a custom Cedar policy may carry to explain itself.
const (
	annotationID         = "id"
	annotationReason     = "reason"     // the explanation shown to the user
	annotationConstraint = "constraint" // sets Decision.Constraint on a forbid
)

// compiledName is the file name Cedar positions of compiled policies carry.
func compiledName(yamlFile string) string { return yamlFile + " (compiled)" }

// cedarText compiles the permissions of doc to Cedar source: one permit per
// permission and action, so that Cedar compares actions by equality rather
// than building a set on every request. It is what
// `qguard policy validate --cedar` prints.
func cedarText(doc *document) []byte {
	var b strings.Builder
	for _, r := range doc.roles {
		for _, p := range r.perms {
			for _, a := range p.actions {
				writePermit(&b, p, a)
			}
		}
	}
	return []byte(b.String())
}

// cedarID is the Cedar policy id of permission p's permit for action.
func (p *permission) cedarID(action string) cedar.PolicyID {
	return cedar.PolicyID(p.id + "[" + action + "]")
}

func writePermit(b *strings.Builder, p *permission, action string) {
	fmt.Fprintf(b, "@id(%s)\npermit (\n    principal in %s::%s,\n", quote(string(p.cedarID(action))), typeRole, quote(p.role))
	fmt.Fprintf(b, "    action == %s::%s,\n", typeAction, quote(action))
	if p.resource == AnyResource {
		fmt.Fprintf(b, "    resource is %s\n)", typeResource)
	} else {
		fmt.Fprintf(b, "    resource == %s::%s\n)", typeResource, quote(p.resource))
	}
	var conds []string
	l := p.limits
	if l.maxShots >= 0 {
		conds = append(conds, fmt.Sprintf("context.%s <= %d", ctxShots, l.maxShots))
	}
	if l.maxQubits >= 0 {
		conds = append(conds, fmt.Sprintf("context.%s <= %d", ctxQubits, l.maxQubits))
	}
	if l.maxCostMicros >= 0 {
		conds = append(conds, fmt.Sprintf("context.%s <= %d", ctxCostTodayMicro, l.maxCostMicros))
	}
	if l.classifications != nil {
		qs := make([]string, len(l.classifications))
		for i, c := range l.classifications {
			qs[i] = quote(c)
		}
		conds = append(conds, fmt.Sprintf("[%s].contains(context.%s)", strings.Join(qs, ", "), ctxClass))
	}
	if len(conds) > 0 {
		fmt.Fprintf(b, "\nwhen { %s }", strings.Join(conds, " && "))
	}
	b.WriteString(";\n\n")
}

// quote writes s as a Cedar string literal. Names reaching here are
// validated, but escape anyway.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u{%x}`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// schemaText is the Cedar schema of qguard's requests. Every policy, compiled
// or custom, is validated against it, so that a misspelt attribute or
// entity in a custom policy is an error at load time rather than a rule
// that silently never applies.
const schemaText = `
entity Role;
entity User in [Role];
entity ResourceClass enum ["simulator", "qpu_small", "qpu_medium", "qpu_large", "algorithm_library", "training_data"];
type RequestContext = {
  shots: Long,
  qubits: Long,
  cost_today_micros: Long,
  classification: String,
  project: String,
};
action "read", "write", "execute", "delete" appliesTo {
  principal: User,
  resource: ResourceClass,
  context: RequestContext,
};
`

// Schema returns the Cedar schema that policies are validated against.
func Schema() string { return schemaText[1:] }

var validator = func() *validate.Validator {
	var s schema.Schema
	if err := s.UnmarshalCedar([]byte(schemaText)); err != nil {
		panic("policy: invalid schema: " + err.Error())
	}
	r, err := s.Resolve()
	if err != nil {
		panic("policy: invalid schema: " + err.Error())
	}
	return validate.New(r)
}()

var perAction = regexp.MustCompile(` for Action::"[^"]*"`)

// validatePolicy checks a policy against the schema. Cedar reports a
// problem once per action; each is reported once.
func validatePolicy(id cedar.PolicyID, p *cedar.Policy) []string {
	err := validator.Policy(string(id), (*xast.Policy)(p.AST()))
	if err == nil {
		return nil
	}
	var msgs []string
	prefix := fmt.Sprintf("for policy `%s`, ", id)
	for _, line := range strings.Split(err.Error(), "\n") {
		line = perAction.ReplaceAllString(strings.TrimPrefix(line, prefix), "")
		if line != "" && !slices.Contains(msgs, line) {
			msgs = append(msgs, line)
		}
	}
	return msgs
}

// customPolicy is what an explanation needs to know about a policy from a
// .cedar file.
type customPolicy struct {
	file       string
	line       int
	reason     string
	constraint string
}

// cedarSource is the text of one custom .cedar file.
type cedarSource struct {
	name string
	data []byte
}

var cedarErrPos = regexp.MustCompile(`<input>:(\d+):(\d+):? ?(.*)$`)

// parseCedar parses one custom file into policies named by their @id
// annotation or by file:line.
func parseCedar(src cedarSource) (cedar.PolicyList, []cedar.PolicyID, *Error) {
	if len(src.data) > maxFileSize {
		return nil, nil, &Error{File: src.name, Msg: fmt.Sprintf("file is larger than %d bytes", maxFileSize)}
	}
	list, err := cedar.NewPolicyListFromBytes(src.name, src.data)
	if err != nil {
		e := &Error{File: src.name, Msg: strings.TrimPrefix(err.Error(), "parser error: ")}
		if m := cedarErrPos.FindStringSubmatch(e.Msg); m != nil {
			e.Line, _ = strconv.Atoi(m[1])
			e.Column, _ = strconv.Atoi(m[2])
			e.Msg = "invalid Cedar: " + m[3]
		}
		return nil, nil, e
	}
	ids := make([]cedar.PolicyID, len(list))
	for i, p := range list {
		if id, ok := p.Annotations()[annotationID]; ok && id != "" {
			ids[i] = cedar.PolicyID(id)
		} else {
			ids[i] = cedar.PolicyID(fmt.Sprintf("%s:%d", src.name, p.Position().Line))
		}
	}
	return list, ids, nil
}
