package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/policy"
	"github.com/spf13/cobra"
)

func init() { register(newPolicyCmd) }

func newPolicyCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check requests against the policy, and validate policy files",
		Long: `The policy (policy.yaml in the home, see docs/policy.md) says which role may read,
write, execute or delete on which class of resource, within which limits. It is
compiled to Cedar; custom .cedar files in policy.d/ beside it are added.`,
	}
	cmd.AddCommand(newPolicyCheckCmd(a), newPolicyValidateCmd(a))
	return cmd
}

// policyPath is the policy file the configuration names.
func (a *app) policyPath() (string, error) {
	cfg, err := a.config()
	if err != nil {
		return "", err
	}
	return cfg.Policy.Path(a.home), nil
}

func newPolicyCheckCmd(a *app) *cobra.Command {
	var (
		r    qguard.Request
		file string
	)
	cmd := &cobra.Command{
		Use:   "check USER RESOURCE ACTION",
		Short: "Decide whether USER may do ACTION on RESOURCE, and say why",
		Long: `Decide a request as the gateway would, and print the decision and its reason.
RESOURCE is a resource class (simulator, qpu_small, qpu_medium, qpu_large,
algorithm_library, training_data); ACTION is read, write, execute or delete.
The user's role is looked up in the store; --role checks a role instead.
Exit status: 0 allowed, 1 denied, 2 error.`,
		Example: `  qguard policy check alice simulator execute --shots 20000 --qubits 12
  qguard policy check alice qpu_small execute --shots 500 --cost 9.50
  qguard policy check bob training_data read --role researcher --classification internal`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.User, r.Resource, r.Action = args[0], args[1], args[2]
			if file == "" {
				var err error
				if file, err = a.policyPath(); err != nil {
					return err
				}
			}
			e, err := policy.Load(file)
			if err != nil {
				return fmt.Errorf("load policy: %w", err)
			}
			if !cmd.Flags().Changed("role") {
				u, err := a.lookupUser(cmd, r.User)
				if err != nil {
					return err
				}
				r.Role = u.Role
				if !cmd.Flags().Changed("project") {
					r.Project = u.Project
				}
			}
			d := e.Decide(r)
			if a.json {
				if err := a.printJSON(cmd, d); err != nil {
					return err
				}
			} else {
				verdict := "denied"
				if d.Allowed {
					verdict = "allowed"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", verdict, d.Reason)
				if d.Policy != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "policy: %s\n", d.Policy)
				}
			}
			if !d.Allowed {
				return denied(errors.New("")) // the decision is already printed
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&r.Shots, "shots", 0, "shots the job would run")
	f.IntVar(&r.Qubits, "qubits", 0, "qubits the circuit uses")
	f.StringVar(&r.Classification, "classification", "", "data classification: public, internal, confidential or restricted")
	f.Float64Var(&r.CostToday, "cost", 0, "US dollars spent today, including this request")
	f.StringVar(&r.Role, "role", "", "check this role instead of looking the user up")
	f.StringVar(&r.Project, "project", "", "the user's project (default: from the store)")
	f.StringVar(&file, "policy", "", "policy file to check against (default: the configured policy.yaml)")
	return cmd
}

// lookupUser finds a user in the store, for their role and project.
func (a *app) lookupUser(cmd *cobra.Command, name string) (*qguard.User, error) {
	ctx := cmd.Context()
	var u *qguard.User
	err := a.withStore(ctx, func(st qguard.Store) error {
		var err error
		u, err = st.UserByName(ctx, name)
		return err
	})
	if qguard.ErrorCode(err) == qguard.ENOTFOUND {
		return nil, fmt.Errorf("no user %q (see qguard users list)\nhint: pass --role ROLE to check a role instead", name)
	}
	if err != nil {
		return nil, fmt.Errorf("look up user %q: %w", name, err)
	}
	if u.Disabled {
		fmt.Fprintf(cmd.ErrOrStderr(), "qguard: note: user %s is disabled; the gateway refuses all their requests\n", name)
	}
	return u, nil
}

// policyValidation is what `policy validate --json` prints.
type policyValidation struct {
	File    string          `json:"file"`
	Valid   bool            `json:"valid"`
	Default bool            `json:"default,omitempty"` // no file: the built-in default applies
	Summary *policy.Summary `json:"summary,omitempty"`
	Errors  []policyError   `json:"errors,omitempty"`
}

type policyError struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func newPolicyValidateCmd(a *app) *cobra.Command {
	var printCedar, printSchema bool
	cmd := &cobra.Command{
		Use:   "validate [FILE]",
		Short: "Check a policy file and its custom Cedar files; report errors with file:line",
		Long: `Load FILE (default: the configured policy.yaml) as qguard would, with the .cedar
files it names and those in policy.d/ beside it, and report every error with its
file and line. Custom Cedar policies are validated against qguard's Cedar schema
(--schema prints it). Exit status: 0 valid, 1 errors found, 2 the file cannot be read.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			v := policyValidation{}
			if len(args) == 1 {
				v.File = args[0]
				if _, err := os.Stat(v.File); errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("policy file %s does not exist", v.File)
				} else if err != nil {
					return err
				}
			} else {
				var err error
				if v.File, err = a.policyPath(); err != nil {
					return err
				}
				if _, err := os.Stat(v.File); errors.Is(err, fs.ErrNotExist) {
					v.Default = true
				}
			}
			e, err := policy.Load(v.File)
			var list policy.ErrorList
			switch {
			case errors.As(err, &list):
				for _, pe := range list {
					v.Errors = append(v.Errors, policyError{File: pe.File, Line: pe.Line, Column: pe.Column, Message: pe.Msg})
				}
			case err != nil:
				return err
			default:
				v.Valid = true
				s := e.Summary()
				v.Summary = &s
			}
			out := cmd.OutOrStdout()
			switch {
			case a.json:
				if err := a.printJSON(cmd, v); err != nil {
					return err
				}
			case !v.Valid:
				for _, pe := range list {
					fmt.Fprintln(out, pe)
				}
			default:
				if v.Default {
					fmt.Fprintf(out, "%s does not exist: the built-in default policy applies\n", v.File)
				}
				s := v.Summary
				fmt.Fprintf(out, "ok: %s (%s), %s, %s\n", policyCount(len(s.Roles), "role", "roles"), strings.Join(s.Roles, ", "),
					policyCount(s.Permissions, "permission", "permissions"), policyCount(s.CustomPolicies, "custom Cedar policy", "custom Cedar policies"))
				if printCedar {
					fmt.Fprintf(out, "\n%s", e.Cedar())
				}
				if printSchema {
					fmt.Fprintf(out, "\n%s", policy.Schema())
				}
			}
			if !v.Valid {
				return denied(fmt.Errorf("%s: %s", v.File, policyCount(len(v.Errors), "error", "errors")))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&printCedar, "cedar", false, "also print the Cedar policies compiled from the YAML")
	cmd.Flags().BoolVar(&printSchema, "schema", false, "also print the Cedar schema that policies are validated against")
	return cmd
}

// policyCount writes "1 error", "2 errors".
func policyCount(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
