package main

// qguard aws: cloud-side controls for AWS Braket. Nothing here calls AWS:
// braket-policy prints a policy, lint-policy reads one, and spending-limit
// and budget PRINT the AWS CLI commands for an administrator to run.

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func init() { register(newAWSCmd) }

func newAWSCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "aws",
		Short: "AWS Braket controls: least-privilege IAM policy, policy lint, spending limits, budgets",
	}
	cmd.AddCommand(newAWSBraketPolicyCmd(a), newAWSLintPolicyCmd(a), newAWSSpendingLimitCmd(a), newAWSBudgetCmd(a))
	return cmd
}

// braketNoShotsKeyNote is printed wherever a reader might expect IAM to cap shots.
const braketNoShotsKeyNote = "IAM cannot limit shots, qubits or cost: Braket has no such condition keys (the braket:maxShots key some older tooling writes does not exist, so a condition on it never matches). qguard enforces shots and cost itself; as a server-side backstop, set a Braket spending limit per device (qguard aws spending-limit)."

// iamPolicy is an IAM policy document.
type iamPolicy struct {
	Version   string         `json:"Version"`
	Statement []iamStatement `json:"Statement"`
}

type iamStatement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

var (
	s3BucketName    = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	awsAccountID    = regexp.MustCompile(`^\d{12}$`)
	braketDeviceARN = regexp.MustCompile(`^arn:aws[a-z-]*:braket:([a-z0-9-]*)::device/(qpu|quantum-simulator)/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$`)
	awsRegion       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
)

func newAWSBraketPolicyCmd(a *app) *cobra.Command {
	var bucket, prefix, region, account string
	var devices []string
	var noTags bool
	cmd := &cobra.Command{
		Use:   "braket-policy --bucket B [--prefix P] [--region R] [--account ID] [--device ARN]...",
		Short: "Print the least-privilege IAM policy qguard needs for Braket",
		Long: `Print the IAM policy of the identity qguard signs Braket calls with: read devices, create,
read and cancel quantum tasks that carry qguard's tags, and read and write task results under one S3 prefix.

` + braketNoShotsKeyNote,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !s3BucketName.MatchString(bucket) {
				return fmt.Errorf("--bucket: %q is not an S3 bucket name", bucket)
			}
			if region != "*" && !awsRegion.MatchString(region) {
				return fmt.Errorf("--region: %q is not an AWS region (for example us-east-1)", region)
			}
			if account != "*" && !awsAccountID.MatchString(account) {
				return fmt.Errorf("--account: %q is not a 12-digit AWS account id", account)
			}
			prefix = strings.Trim(prefix, "/")
			if prefix == "" || strings.ContainsAny(prefix, "*?") {
				return fmt.Errorf("--prefix must be a non-empty key prefix without wildcards")
			}
			for _, d := range devices {
				if !braketDeviceARN.MatchString(d) {
					return fmt.Errorf("--device: %q is not a Braket device ARN", d)
				}
			}
			p := braketIAMPolicy(bucket, prefix, region, account, devices, !noTags)
			if err := writeJSON(cmd.OutOrStdout(), p); err != nil {
				return err
			}
			if !a.json {
				fmt.Fprintln(cmd.ErrOrStderr(), "qguard: note:", braketNoShotsKeyNote)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&bucket, "bucket", "", "S3 bucket for task results (Braket requires names starting amazon-braket- for its console)")
	f.StringVar(&prefix, "prefix", "qguard", "S3 key prefix for task results")
	f.StringVar(&region, "region", "us-east-1", "AWS region of the quantum tasks, or * for all")
	f.StringVar(&account, "account", "*", "AWS account id that owns the quantum tasks")
	f.StringSliceVar(&devices, "device", nil, "device ARN qguard may run tasks on (repeatable; default: any device)")
	f.BoolVar(&noTags, "no-tag-conditions", false, "drop the aws:RequestTag/aws:ResourceTag conditions that tie tasks to qguard's tags")
	cmd.MarkFlagRequired("bucket")
	return cmd
}

// Braket actions with no resource-level permissions: they need Resource "*".
var braketListActions = map[string]bool{
	"braket:searchdevices": true, "braket:getdevice": true, "braket:searchquantumtasks": true,
	"braket:searchjobs": true, "braket:searchspendinglimits": true,
}

func braketIAMPolicy(bucket, prefix, region, account string, devices []string, tags bool) iamPolicy {
	task := fmt.Sprintf("arn:aws:braket:%s:%s:quantum-task/*", region, account)
	createRes := []string{task}
	if len(devices) > 0 {
		createRes = append(createRes, devices...)
	} else {
		createRes = append(createRes, "arn:aws:braket:*::device/*")
	}
	create := iamStatement{Sid: "QguardCreateTaggedTasks", Effect: "Allow",
		Action: []string{"braket:CreateQuantumTask", "braket:TagResource"}, Resource: createRes}
	use := iamStatement{Sid: "QguardFollowOwnTasks", Effect: "Allow",
		Action: []string{"braket:CancelQuantumTask", "braket:GetQuantumTask"}, Resource: []string{task}}
	if tags {
		create.Condition = map[string]map[string]any{
			"Null":                      {"aws:RequestTag/qguard:job-id": "false"},
			"ForAllValues:StringEquals": {"aws:TagKeys": []string{"qguard:job-id", "qguard:user"}},
		}
		use.Condition = map[string]map[string]any{"Null": {"aws:ResourceTag/qguard:job-id": "false"}}
	}
	return iamPolicy{Version: "2012-10-17", Statement: []iamStatement{
		{Sid: "QguardReadDevices", Effect: "Allow", Action: []string{"braket:GetDevice", "braket:SearchDevices"}, Resource: []string{"*"}},
		create,
		use,
		{Sid: "QguardTaskResults", Effect: "Allow", Action: []string{"s3:GetObject", "s3:PutObject"},
			Resource: []string{fmt.Sprintf("arn:aws:s3:::%s/%s/*", bucket, prefix)}},
		{Sid: "QguardListResultPrefix", Effect: "Allow", Action: []string{"s3:ListBucket"},
			Resource:  []string{"arn:aws:s3:::" + bucket},
			Condition: map[string]map[string]any{"StringLike": {"s3:prefix": []string{prefix + "/*"}}}},
	}}
}

// iamFinding is one problem lint-policy reports.
type iamFinding struct {
	Severity  string `json:"severity"` // high, medium, low
	Statement int    `json:"statement"`
	Sid       string `json:"sid,omitempty"`
	Message   string `json:"message"`
}

func newAWSLintPolicyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "lint-policy FILE|-",
		Short: "Flag wildcard actions and resources and risky grants in an IAM policy (exit 1 on findings)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if args[0] == "-" {
				data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20))
			} else {
				data, err = os.ReadFile(args[0])
			}
			if err != nil {
				return fmt.Errorf("read policy: %w", err)
			}
			fs, err := lintIAMPolicy(data)
			if err != nil {
				return err
			}
			if a.json {
				if fs == nil {
					fs = []iamFinding{}
				}
				if err := a.printJSON(cmd, fs); err != nil {
					return err
				}
			} else {
				for _, f := range fs {
					where := "statement " + strconv.Itoa(f.Statement)
					if f.Sid != "" {
						where += " (" + f.Sid + ")"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "%-6s %s: %s\n", f.Severity, where, f.Message)
				}
			}
			if len(fs) > 0 {
				return denied(fmt.Errorf("%d finding(s) in %s", len(fs), args[0]))
			}
			if !a.json {
				fmt.Fprintln(cmd.OutOrStdout(), "no findings")
			}
			return nil
		},
	}
}

// iamRiskyActions are grants that need a reason (lower case).
var iamRiskyActions = map[string]string{
	"iam:passrole":               "iam:PassRole lets the holder hand a role to a service; scope it to one role ARN and add iam:PassedToService",
	"braket:createjob":           "braket:CreateJob starts hybrid jobs that bill EC2 instance time, which Braket spending limits do not cover",
	"braket:deletespendinglimit": "braket:DeleteSpendingLimit removes the server-side spend cap",
	"braket:updatespendinglimit": "braket:UpdateSpendingLimit can raise the server-side spend cap",
	"braket:untagresource":       "braket:UntagResource can strip the tags other grants depend on",
	"s3:putbucketpolicy":         "s3:PutBucketPolicy can open the results bucket to anyone",
	"s3:putbucketacl":            "s3:PutBucketAcl can open the results bucket to anyone",
	"s3:putobjectacl":            "s3:PutObjectAcl can make task results public",
	"s3:deleteobject":            "s3:DeleteObject can destroy task results",
	"s3:deletebucket":            "s3:DeleteBucket can destroy the results bucket",
	"sts:assumerole":             "sts:AssumeRole lets the holder become other roles",
	"iam:createaccesskey":        "iam:CreateAccessKey mints new long-lived credentials",
	"iam:attachuserpolicy":       "iam:AttachUserPolicy lets the holder grant itself more",
	"iam:putuserpolicy":          "iam:PutUserPolicy lets the holder grant itself more",
	"iam:attachrolepolicy":       "iam:AttachRolePolicy lets the holder grant itself more",
	"iam:putrolepolicy":          "iam:PutRolePolicy lets the holder grant itself more",
	"budgets:modifybudget":       "budgets:ModifyBudget can raise or remove the cost alarm",
	"budgets:deletebudgetaction": "budgets:DeleteBudgetAction can remove the automatic response to overspend",
}

// lintIAMPolicy parses an IAM policy and returns its findings.
func lintIAMPolicy(data []byte) ([]iamFinding, error) {
	var doc struct {
		Version   string          `json:"Version"`
		Statement json.RawMessage `json:"Statement"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not an IAM policy: %w", err)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(doc.Statement, &stmts); err != nil {
		var one map[string]json.RawMessage
		if err := json.Unmarshal(doc.Statement, &one); err != nil || one == nil {
			return nil, errors.New("not an IAM policy: Statement must be an object or a list of objects")
		}
		stmts = []map[string]json.RawMessage{one}
	}
	var fs []iamFinding
	if doc.Version != "2012-10-17" {
		fs = append(fs, iamFinding{Severity: "low", Statement: 0, Message: fmt.Sprintf("Version is %q; use 2012-10-17 (older versions do not expand policy variables)", doc.Version)})
	}
	for i, st := range stmts {
		n := i + 1
		var sid, effect string
		json.Unmarshal(st["Sid"], &sid)
		json.Unmarshal(st["Effect"], &effect)
		add := func(sev, format string, args ...any) {
			fs = append(fs, iamFinding{Severity: sev, Statement: n, Sid: sid, Message: fmt.Sprintf(format, args...)})
		}
		if effect != "Allow" && effect != "Deny" {
			add("high", "Effect must be Allow or Deny, not %q", effect)
			continue
		}
		actions, err := iamStringList(st["Action"])
		if err != nil {
			return nil, fmt.Errorf("statement %d: Action: %w", n, err)
		}
		resources, err := iamStringList(st["Resource"])
		if err != nil {
			return nil, fmt.Errorf("statement %d: Resource: %w", n, err)
		}
		lintIAMConditions(st["Condition"], effect, add)
		if effect == "Deny" {
			continue // a broad Deny only takes away
		}
		if _, ok := st["NotAction"]; ok {
			add("high", "Allow with NotAction grants every action not listed, including ones added to AWS later; list the actions instead")
		}
		if _, ok := st["NotResource"]; ok {
			add("high", "Allow with NotResource grants every resource not listed; list the resources instead")
		}
		if _, ok := st["Principal"]; ok {
			var p string
			if json.Unmarshal(st["Principal"], &p) == nil && p == "*" {
				add("high", `Principal "*" allows anyone`)
			}
		}
		onlyList := len(actions) > 0
		for _, act := range actions {
			low := strings.ToLower(act)
			if strings.ContainsAny(act, "*?") {
				add("high", "wildcard action %q grants more than qguard needs, including actions AWS adds later; list the actions", act)
				onlyList = false
				continue
			}
			if !braketListActions[low] {
				onlyList = false
			}
			if why, ok := iamRiskyActions[low]; ok {
				add("medium", "%s", why)
			}
		}
		for _, r := range resources {
			switch {
			case r == "*" && !onlyList:
				add("medium", `Resource "*" applies the actions to every resource; name the bucket, prefix and task ARNs (only %s need "*")`, braketListActionNames())
			case r != "*" && strings.HasPrefix(r, "arn:aws:s3:::") && !strings.Contains(strings.TrimPrefix(r, "arn:aws:s3:::"), "/") && strings.Contains(r, "*"):
				add("medium", "wildcard bucket %q matches other teams' buckets; name the bucket", r)
			case r == "arn:aws:s3:::*/*" || r == "arn:aws:s3:::*":
				add("medium", "resource %q is every bucket", r)
			}
		}
	}
	return fs, nil
}

// lintIAMConditions flags condition keys IAM does not have for Braket. In an
// Allow, a condition on a missing key never matches (the grant is dead) and
// with …IfExists it always matches (the limit is not enforced).
func lintIAMConditions(raw json.RawMessage, effect string, add func(string, string, ...any)) {
	if len(raw) == 0 {
		return
	}
	var cond map[string]map[string]json.RawMessage
	if json.Unmarshal(raw, &cond) != nil {
		add("high", "Condition is not an object of operators")
		return
	}
	ops := make([]string, 0, len(cond))
	for op := range cond {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		keys := make([]string, 0, len(cond[op]))
		for k := range cond[op] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !strings.HasPrefix(strings.ToLower(k), "braket:") {
				continue
			}
			effectOf := "so this statement never applies"
			if strings.HasSuffix(op, "IfExists") {
				effectOf = "and with " + op + " the condition always holds, so nothing is limited"
			}
			if effect == "Deny" {
				effectOf = "so this Deny never applies"
				if strings.HasSuffix(op, "IfExists") {
					effectOf = "and with " + op + " this Deny always applies"
				}
			}
			add("high", "condition key %q does not exist: Braket defines no service condition keys (there is no braket:maxShots), %s. %s", k, effectOf,
				"qguard enforces shots itself; use Braket spending limits per device as the server-side cap")
		}
	}
}

func braketListActionNames() string {
	names := make([]string, 0, len(braketListActions))
	for a := range braketListActions {
		names = append(names, a)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// iamStringList reads an IAM string-or-list field.
func iamStringList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, errors.New("must be a string or a list of strings")
	}
	return l, nil
}

var awsUSD = regexp.MustCompile(`^\d+(\.\d{1,2})?$`)

// awsPrintArgv prints a command line for a POSIX shell, or as JSON.
func awsPrintArgv(a *app, cmd *cobra.Command, argv []string, notes ...string) error {
	if a.json {
		return a.printJSON(cmd, map[string]any{"argv": argv, "notes": notes})
	}
	quoted := make([]string, len(argv))
	for i, s := range argv {
		quoted[i] = awsShellQuote(s)
	}
	for _, n := range notes {
		fmt.Fprintln(cmd.OutOrStdout(), "# "+n)
	}
	fmt.Fprintln(cmd.OutOrStdout(), strings.Join(quoted, " \\\n    "))
	return nil
}

var awsShellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:=,@+-]+$`)

func awsShellQuote(s string) string {
	if strings.HasPrefix(s, "$(") || awsShellSafe.MatchString(s) {
		if strings.HasPrefix(s, "$(") {
			return `"` + s + `"`
		}
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func awsClientToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newAWSSpendingLimitCmd(a *app) *cobra.Command {
	var device, limit, start, end string
	cmd := &cobra.Command{
		Use:   "spending-limit --device ARN --limit USD [--start RFC3339 --end RFC3339]",
		Short: "Print the AWS CLI command that creates a Braket spending limit on one device (it is not run)",
		Long: `Print the aws braket create-spending-limit command for one QPU. Braket checks every task against the
limit and rejects a task whose estimated cost exceeds what is left. Limits are per device (so per region),
cover on-demand and hybrid-job QPU tasks only (not simulators, notebooks, hybrid-job instances or Braket
Direct reservations), and apply only to tasks created while the limit exists. Needs an AWS CLI whose Braket
model has CreateSpendingLimit.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m := braketDeviceARN.FindStringSubmatch(device)
			if m == nil {
				return fmt.Errorf("--device: %q is not a Braket device ARN", device)
			}
			if m[2] == "quantum-simulator" {
				return fmt.Errorf("--device: %s is a simulator; Braket spending limits apply to QPUs only", device)
			}
			if !awsUSD.MatchString(limit) {
				return fmt.Errorf("--limit: %q must be US dollars with at most two decimals, for example 250 or 99.50", limit)
			}
			argv := []string{"aws", "braket", "create-spending-limit", "--region", m[1], "--client-token", awsClientToken(),
				"--device-arn", device, "--spending-limit", limit, "--tags", "managed-by=qguard"}
			if start != "" || end != "" {
				s, err1 := time.Parse(time.RFC3339, start)
				e, err2 := time.Parse(time.RFC3339, end)
				if err1 != nil || err2 != nil || !e.After(s) {
					return errors.New("--start and --end must both be RFC 3339 times, with --end after --start")
				}
				argv = append(argv, "--time-period", fmt.Sprintf("startAt=%d,endAt=%d", s.Unix(), e.Unix()))
			}
			return awsPrintArgv(a, cmd, argv, "creates a Braket spending limit of $"+limit+" on "+device+"; tasks outside the time period are rejected")
		},
	}
	f := cmd.Flags()
	f.StringVar(&device, "device", "", "QPU device ARN, for example arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1")
	f.StringVar(&limit, "limit", "", "limit in USD")
	f.StringVar(&start, "start", "", "start of the limit's period (RFC 3339)")
	f.StringVar(&end, "end", "", "end of the limit's period (RFC 3339)")
	cmd.MarkFlagRequired("device")
	cmd.MarkFlagRequired("limit")
	return cmd
}

func newAWSBudgetCmd(a *app) *cobra.Command {
	var name, limit, account, period, email string
	var threshold float64
	cmd := &cobra.Command{
		Use:   "budget --limit USD [--name N] [--account ID] [--period MONTHLY] [--email ADDR]",
		Short: "Print the AWS CLI command that creates an AWS Budgets cost budget for Braket (it is not run)",
		Long: `Print the aws budgets create-budget command for a cost budget filtered to Amazon Braket, with an e-mail
alert at a share of the limit. AWS Budgets data is refreshed only every 8 to 12 hours, so a burst of tasks
can overrun it: it is an alarm, not a cap. Use Braket spending limits (qguard aws spending-limit) and
qguard's own budgets to stop spending.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !awsUSD.MatchString(limit) {
				return fmt.Errorf("--limit: %q must be US dollars with at most two decimals", limit)
			}
			acct := account
			switch {
			case acct == "":
				acct = "$(aws sts get-caller-identity --query Account --output text)"
			case !awsAccountID.MatchString(acct):
				return fmt.Errorf("--account: %q is not a 12-digit AWS account id", acct)
			}
			switch period {
			case "DAILY", "MONTHLY", "QUARTERLY", "ANNUALLY":
			default:
				return fmt.Errorf("--period must be DAILY, MONTHLY, QUARTERLY or ANNUALLY")
			}
			if threshold <= 0 || threshold > 1000 {
				return fmt.Errorf("--threshold must be a percentage between 0 and 1000")
			}
			if name == "" || len(name) > 100 || strings.ContainsAny(name, ":\\") {
				return fmt.Errorf("--name must be 1 to 100 characters without : or \\")
			}
			budget, _ := json.Marshal(map[string]any{
				"BudgetName":  name,
				"BudgetLimit": map[string]string{"Amount": limit, "Unit": "USD"},
				"BudgetType":  "COST",
				"TimeUnit":    period,
				"CostFilters": map[string][]string{"Service": {"Amazon Braket"}},
			})
			argv := []string{"aws", "budgets", "create-budget", "--account-id", acct, "--budget", string(budget)}
			if email != "" {
				if !strings.Contains(email, "@") {
					return fmt.Errorf("--email: %q is not an e-mail address", email)
				}
				notes, _ := json.Marshal([]any{map[string]any{
					"Notification": map[string]any{"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": threshold, "ThresholdType": "PERCENTAGE"},
					"Subscribers":  []any{map[string]string{"SubscriptionType": "EMAIL", "Address": email}},
				}})
				argv = append(argv, "--notifications-with-subscribers", string(notes))
			}
			return awsPrintArgv(a, cmd, argv, "AWS Budgets refreshes every 8-12 hours: an alarm, not a cap; pair it with Braket spending limits")
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "qguard-braket", "budget name")
	f.StringVar(&limit, "limit", "", "budget in USD per period")
	f.StringVar(&account, "account", "", "AWS account id (default: asked from STS when the command runs)")
	f.StringVar(&period, "period", "MONTHLY", "DAILY, MONTHLY, QUARTERLY or ANNUALLY")
	f.StringVar(&email, "email", "", "address to alert when actual spend passes --threshold percent")
	f.Float64Var(&threshold, "threshold", 80, "alert threshold in percent of the limit")
	cmd.MarkFlagRequired("limit")
	return cmd
}
