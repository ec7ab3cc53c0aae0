package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/vault/securefile"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/term"
)

// auditPubFile holds the public verifier key of the audit signing key in
// the home, so that verification needs no vault.
const auditPubFile = "audit.pub"

// progressThreshold is the log size from which a terminal shows progress.
const progressThreshold = 10_000

func init() { register(newAuditCmd) }

func newAuditCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, report on and export the tamper-evident audit log",
		Long: `The audit log records every decision and change in a Merkle tree whose signed
checkpoints prove it was not rewritten. Keep a copy of audit.pub (the verifier key) and of
checkpoints from "qguard audit checkpoint" outside this machine: with them, "qguard audit
verify --checkpoint FILE" catches a rewritten history even if the database and home were changed.`,
	}
	cmd.AddCommand(newAuditVerifyCmd(a), newAuditCheckpointCmd(a), newAuditReportCmd(a), newAuditExportCmd(a), newAuditNoteCmd(a))
	return cmd
}

// auditVerifier reads the verifier key from file, or from the home.
func (a *app) auditVerifier(file string) (note.Verifier, error) {
	path := file
	if path == "" {
		path = filepath.Join(a.home, auditPubFile)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && file == "" {
		return nil, fmt.Errorf("no audit verifier key in %s\nhint: it is written when qguard first records an audit event; or pass --key FILE with your copy", path)
	}
	if err != nil {
		return nil, fmt.Errorf("read audit verifier key: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, fmt.Errorf("%s: not a verifier key (want name+hash+key): %w", path, err)
	}
	return v, nil
}

// saveVerifierKey writes vkey to audit.pub, or checks that the file
// already holds it: a different key means the vault was replaced, and the
// old checkpoints would no longer verify.
func (a *app) saveVerifierKey(vkey string) error {
	path := filepath.Join(a.home, auditPubFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return securefile.WriteFile(path, []byte(vkey+"\n"))
	case err != nil:
		return fmt.Errorf("read audit verifier key: %w", err)
	case strings.TrimSpace(string(data)) != vkey:
		return fmt.Errorf("%s holds another audit key than the vault's: the vault was replaced\nhint: restore the vault, or move %s aside to start a new key (older checkpoints then verify only with the old key)", path, auditPubFile)
	}
	return nil
}

// progress returns a callback that advances a progress bar on stderr when
// it is a terminal and total is large, and a function to finish it.
func progress(cmd *cobra.Command, total int64, what string) (func(int), func()) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || total < progressThreshold {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(), progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
	return func(n int) { bar.Add(n) }, func() { bar.Finish() }
}

func newAuditVerifyCmd(a *app) *cobra.Command {
	var checkpointFile, keyFile string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check every record, the Merkle tree and the signed checkpoints (exit 1 if tampered)",
		Long: `Re-encode every record and compare it with the stored bytes, check that indexes run
without gaps, rebuild the Merkle tree and check the latest signed checkpoint against it. With
--checkpoint FILE (a checkpoint printed earlier by "qguard audit checkpoint" and kept elsewhere)
also prove that today's log extends it. Only the public key is needed: audit.pub in the home,
or --key FILE. Exit 0 when the log is intact, 1 when it was tampered with (naming the first bad
record or the broken checkpoint) or cannot be read, 2 when the store, key or checkpoint file
cannot be opened.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var opts audit.VerifyOptions
			var err error
			if checkpointFile != "" {
				if opts.Saved, err = os.ReadFile(checkpointFile); err != nil {
					return fmt.Errorf("read --checkpoint: %w", err)
				}
			}
			return a.withStore(ctx, func(st qguard.Store) error {
				size, err := st.AuditSize(ctx)
				if err != nil {
					return err
				}
				verifier, err := a.auditVerifier(keyFile)
				if err != nil {
					// A fresh home: nothing recorded, so no key yet either.
					if _, _, cpErr := st.LatestCheckpoint(ctx); size == 0 && opts.Saved == nil && keyFile == "" && qguard.ErrorCode(cpErr) == qguard.ENOTFOUND {
						return printOutcome(a, cmd, map[string]any{"ok": true, "records": 0}, "ok: the audit log is empty\n")
					}
					return err
				}
				var done func()
				opts.Progress, done = progress(cmd, size, "verifying")
				rep, err := audit.Verify(ctx, st, verifier, opts)
				done()
				if err != nil {
					// Any failure, tampering or a log that cannot be read, means
					// the log is not verified: exit 1.
					if a.json {
						out := map[string]any{"ok": false, "error": err.Error()}
						var ve *audit.VerifyError
						if errors.As(err, &ve) {
							out["index"], out["checkpoint"], out["reason"] = ve.Index, ve.Checkpoint, ve.Reason
						}
						a.printJSON(cmd, out)
					}
					return denied(fmt.Errorf("audit log verification failed: %w", err))
				}
				if a.json {
					return a.printJSON(cmd, struct {
						OK bool `json:"ok"`
						*audit.Report
					}{true, rep})
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "ok: %d records, latest checkpoint at %d signed by %s\n", rep.Records, rep.Checkpoint, rep.Key)
				if rep.Saved != nil {
					fmt.Fprintf(w, "ok: the log extends the saved checkpoint at %d\n", *rep.Saved)
				}
				if rep.Unsigned > 0 {
					fmt.Fprintf(w, "note: the last %d records are not yet covered by a checkpoint\n", rep.Unsigned)
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&checkpointFile, "checkpoint", "", "a checkpoint saved earlier that the log must extend")
	cmd.Flags().StringVar(&keyFile, "key", "", "verifier key file (default audit.pub in the home)")
	return cmd
}

func newAuditCheckpointCmd(a *app) *cobra.Command {
	var sign bool
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "Print the latest signed checkpoint, to keep a copy elsewhere",
		Long: `Print the latest signed checkpoint (tree size and root hash, signed with the audit key)
in the Go checksum-database note format. Store it outside this machine; later,
"qguard audit verify --checkpoint FILE" proves the log still extends it. With --sign, first
unlock the vault and sign a checkpoint that covers every record (records appended before the
vault existed are otherwise signed when the server next runs).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st qguard.Store) error {
				if sign {
					v, err := a.openVault(cmd)
					if err != nil {
						return err
					}
					alog, err := a.openAuditLog(ctx, v, st)
					if err != nil {
						return err
					}
					if _, err := alog.Checkpoint(ctx); err != nil && qguard.ErrorCode(err) != qguard.ENOTFOUND {
						return fmt.Errorf("sign a checkpoint: %w\nhint: run qguard audit verify", err)
					}
				}
				size, msg, err := st.LatestCheckpoint(ctx)
				if qguard.ErrorCode(err) == qguard.ENOTFOUND {
					return errors.New("no audit checkpoint yet: the log is empty or no checkpoint was signed")
				}
				if err != nil {
					return err
				}
				if a.json {
					return a.printJSON(cmd, map[string]any{"size": size, "checkpoint": string(msg)})
				}
				_, err = cmd.OutOrStdout().Write(msg)
				return err
			})
		},
	}
	cmd.Flags().BoolVar(&sign, "sign", false, "sign a new checkpoint covering the whole log first (unlocks the vault)")
	return cmd
}

func newAuditReportCmd(a *app) *cobra.Command {
	var days int
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Summarise the audit log over the last days",
		Long: `Count events, unique users and resources, granted and denied decisions (denied by
reason) over the last --days days, and the sessions active now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 {
				return fmt.Errorf("--days must be at least 1, not %d", days)
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st qguard.Store) error {
				now := time.Now()
				s, err := audit.Summarize(ctx, st, st, now.AddDate(0, 0, -days), now)
				if err != nil {
					return err
				}
				if a.json {
					return a.printJSON(cmd, s)
				}
				return printSummary(cmd.OutOrStdout(), s, days)
			})
		},
	}
	cmd.Flags().IntVar(&days, "days", 7, "report on the last N days")
	return cmd
}

func printSummary(out io.Writer, s *audit.Summary, days int) error {
	w := newTable(out)
	fmt.Fprintf(w, "audit report, last %d days (since %s)\n", days, s.Since.Format(time.RFC3339))
	for _, row := range []struct {
		name string
		n    int
	}{{"events", s.Events}, {"unique users", s.UniqueUsers}, {"unique resources", s.UniqueResources},
		{"granted", s.Granted}, {"denied", s.Denied}, {"active sessions", s.ActiveSessions}} {
		fmt.Fprintf(w, "%s\t%d\n", row.name, row.n)
	}
	reasons := make([]string, 0, len(s.DeniedByReason))
	for r := range s.DeniedByReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if ni, nj := s.DeniedByReason[reasons[i]], s.DeniedByReason[reasons[j]]; ni != nj {
			return ni > nj
		}
		return reasons[i] < reasons[j]
	})
	if len(reasons) > 0 {
		fmt.Fprintln(w, "denied by reason:")
	}
	for _, r := range reasons {
		if r == "" {
			r = "(no reason)"
		}
		fmt.Fprintf(w, "  %d\t%s\n", s.DeniedByReason[r], r)
	}
	return w.Flush()
}

func newAuditExportCmd(a *app) *cobra.Command {
	var since, output string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write audit records as JSON lines",
		Long: `Write the audit log as JSON lines, one record per line, each exactly the bytes
hashed into the Merkle tree. --since limits it to records from a time (RFC 3339, a date
YYYY-MM-DD, or a duration ago such as 24h). Secret details are HMAC-ed in the log, so the
export holds no secret. A progress bar shows on a terminal for big logs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			from, err := parseSince(since, time.Now())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			return a.withStore(ctx, func(st qguard.Store) error {
				size, err := st.AuditSize(ctx)
				if err != nil {
					return err
				}
				w := cmd.OutOrStdout()
				var buf *bytes.Buffer
				if output != "" {
					buf = &bytes.Buffer{}
					w = buf
				}
				step, done := progress(cmd, size, "exporting")
				_, err = audit.Export(ctx, st, w, from, step)
				done()
				if err != nil {
					return err
				}
				if buf != nil {
					return securefile.WriteFile(output, buf.Bytes())
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "only records from this time: RFC 3339, YYYY-MM-DD or a duration ago (24h)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file (0600) instead of stdout")
	return cmd
}

// parseSince reads --since: empty (everything), RFC 3339, a date or a
// duration before now.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("--since %q: want RFC 3339 (2026-12-01T00:00:00Z), a date (2026-12-01) or a duration (24h)", s)
}

func newAuditNoteCmd(a *app) *cobra.Command {
	var resource string
	cmd := &cobra.Command{
		Use:   "note TEXT",
		Short: "Record an operator's note in the audit log (unlocks the vault)",
		Long: `Append an "audit.note" record by cli:<os user> with TEXT as its reason, for events
that happened outside qguard (a credential rotated at the provider, an incident ticket), and
sign a checkpoint (the vault is unlocked for the key). Do not put secrets in TEXT: notes are
stored in clear.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withStore(ctx, func(st qguard.Store) error {
				idx, err := a.appendAudit(ctx, st, qguard.AuditRecord{Action: "audit.note", Resource: resource, Reason: args[0]})
				if err != nil {
					return err
				}
				return printOutcome(a, cmd, map[string]int64{"index": idx}, "recorded as audit record %d\n", idx)
			})
		},
	}
	cmd.Flags().StringVar(&resource, "resource", "", "what the note is about (e.g. provider:ibm)")
	return cmd
}

// cliActor names the person running the CLI in audit records.
func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli:unknown"
}
