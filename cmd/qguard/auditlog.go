package main

import (
	"context"
	"fmt"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/audit"
	"github.com/qguard/qguard/vault"
	"github.com/spf13/cobra"
)

// auditLog appends rec to the audit log in st (see appendAudit). An empty
// actor is the person running the CLI; an empty decision is "info".
func (a *app) auditLog(ctx context.Context, st qguard.AuditStore, rec qguard.AuditRecord) error {
	_, err := a.appendAudit(ctx, st, rec)
	return err
}

// appendAudit appends rec and returns its index. With a vault in the home
// it unlocks it for the audit keys: secret details are HMAC-ed and a
// checkpoint covering the record is signed before returning. A home
// without a vault (users managed before `qguard init` or the first `qguard
// serve`) has no keys yet: the record is appended unsigned, a secret
// detail is refused, and the server signs the log when it first starts.
// Any failure to append is an error: the command must then fail.
func (a *app) appendAudit(ctx context.Context, st qguard.AuditStore, rec qguard.AuditRecord) (int64, error) {
	if rec.Actor == "" {
		rec.Actor = cliActor()
	}
	if rec.Decision == "" {
		rec.Decision = qguard.DecisionInfo
	}
	if rec.Time.IsZero() {
		rec.Time = a.now()
	}
	if !vault.Exists(a.home) {
		return audit.New(st, nil, nil, nil, audit.Options{}).Append(ctx, rec)
	}
	c := &cobra.Command{}
	c.SetContext(ctx)
	v, err := a.openVault(c)
	if err != nil {
		return 0, fmt.Errorf("unlock the vault for the audit keys: %w", err)
	}
	alog, err := a.openAuditLog(ctx, v, st)
	if err != nil {
		return 0, err
	}
	idx, err := alog.Append(ctx, rec)
	if err != nil {
		return 0, err
	}
	// The record is stored; a checkpoint that fails (a stored checkpoint
	// that no longer matches the log) is for `audit verify` to report.
	if err := alog.Close(ctx); err != nil {
		a.log.Warn("audit checkpoint failed; run qguard audit verify", "err", err)
	}
	return idx, nil
}
