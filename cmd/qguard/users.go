package main

// Every change to users and keys is audited. A change whose audit record
// cannot be written is not made: the record is written first, or, where
// the record needs what the change creates (a user's or key's id), the
// change is undone when the record fails.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/policy"
	"github.com/spf13/cobra"
)

func init() { register(newUsersCmd) }

func newUsersCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Manage qguard's users and their API keys",
	}
	cmd.AddCommand(
		newUsersAddCmd(a), newUsersListCmd(a), newUsersRemoveCmd(a), newUsersSetRoleCmd(a),
		newUsersEnableCmd(a, "disable", true), newUsersEnableCmd(a, "enable", false),
		newUsersKeysCmd(a), newUsersAddKeyCmd(a), newUsersRevokeKeyCmd(a),
	)
	return cmd
}

// withStore opens the store for one command and closes it after fn.
func (a *app) withStore(ctx context.Context, fn func(st qguard.Store) error) error {
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	err = fn(st)
	return errors.Join(err, st.Close())
}

// withUser opens the store for one command and runs fn with the user
// named name.
func (a *app) withUser(ctx context.Context, name string, fn func(st qguard.Store, u *qguard.User) error) error {
	return a.withStore(ctx, func(st qguard.Store) error {
		u, err := findUser(ctx, st, name)
		if err != nil {
			return err
		}
		return fn(st, u)
	})
}

// checkRole fails unless the configured policy defines role.
func (a *app) checkRole(role string) error {
	path, err := a.policyPath()
	if err != nil {
		return err
	}
	e, err := policy.Load(path)
	if err != nil {
		return fmt.Errorf("load the policy to check the role: %w", err)
	}
	if roles := e.Roles(); !slices.Contains(roles, role) {
		return fmt.Errorf("unknown role %q: the policy defines %s", role, strings.Join(roles, ", "))
	}
	return nil
}

// findUser looks a user up with an error that says what to do.
func findUser(ctx context.Context, st qguard.Store, name string) (*qguard.User, error) {
	u, err := st.UserByName(ctx, name)
	if qguard.ErrorCode(err) == qguard.ENOTFOUND {
		return nil, fmt.Errorf("no user %q (see qguard users list)", name)
	}
	return u, err
}

// printKey prints a new API key: the key alone on stdout (so that scripts
// can capture it), the warning on stderr.
func (a *app) printKey(cmd *cobra.Command, u *qguard.User, k *qguard.APIKey, key string) error {
	if a.json {
		return a.printJSON(cmd, struct {
			User   *qguard.User   `json:"user"`
			Key    *qguard.APIKey `json:"key_info"`
			Secret string         `json:"key"`
			Note   string         `json:"note"`
		}{u, k, key, "the key is shown once; store it now"})
	}
	exp := "does not expire"
	if k.ExpiresAt != nil {
		exp = "expires " + k.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "qguard: API key %d of user %s (%s, %s) follows. It is shown once: store it now, it cannot be shown again.\n",
		k.ID, u.Name, u.Role, exp)
	fmt.Fprintln(cmd.OutOrStdout(), key)
	return nil
}

func newUsersAddCmd(a *app) *cobra.Command {
	var role, project string
	cmd := &cobra.Command{
		Use:   "add NAME --role ROLE [--project P]",
		Short: "Create a user and print its first API key, once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if role == "" {
				return errors.New("--role is required (see qguard policy validate for the roles)")
			}
			if err := a.checkRole(role); err != nil {
				return err
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			return a.withStore(ctx, func(st qguard.Store) error {
				svc := auth.New(st, cfg.Auth, a.now)
				u, key, err := svc.CreateUser(ctx, args[0], role, project)
				if qguard.ErrorCode(err) == qguard.ECONFLICT {
					return fmt.Errorf("user %q exists (see qguard users list)", args[0])
				}
				if err != nil {
					return err
				}
				keys, err := st.APIKeys(ctx, u.ID)
				if err != nil || len(keys) != 1 {
					return errors.Join(errors.New("read the new key back"), err, st.DeleteUser(ctx, u.ID))
				}
				err = a.auditLog(ctx, st, qguard.AuditRecord{
					Action: "user.add", Resource: "user:" + u.Name,
					Details: map[string]string{"role": u.Role, "project": u.Project, "key_id": strconv.FormatInt(keys[0].ID, 10)},
				})
				if err != nil {
					return errors.Join(fmt.Errorf("user not created: %w", err), st.DeleteUser(ctx, u.ID))
				}
				return a.printKey(cmd, u, keys[0], key)
			})
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "the user's role in the policy (researcher, developer, admin, auditor, …)")
	cmd.Flags().StringVar(&project, "project", "", "the project whose budget the user's jobs count against")
	return cmd
}

func newUsersListCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.withStore(cmd.Context(), func(st qguard.Store) error {
				users, err := st.Users(cmd.Context())
				if err != nil {
					return err
				}
				if a.json {
					if users == nil {
						users = []*qguard.User{}
					}
					return a.printJSON(cmd, users)
				}
				if len(users) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "qguard: no users yet (add one with qguard users add NAME --role ROLE)")
					return nil
				}
				w := newTable(cmd.OutOrStdout())
				fmt.Fprintln(w, "NAME\tROLE\tPROJECT\tSTATUS\tCREATED")
				for _, u := range users {
					status := "enabled"
					if u.Disabled {
						status = "disabled"
					}
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, dash(u.Project), status, u.CreatedAt.Format(time.DateTime))
				}
				return w.Flush()
			})
		},
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func newUsersRemoveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Delete a user and revoke its keys and sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				if err := a.auditLog(ctx, st, qguard.AuditRecord{Action: "user.remove", Resource: "user:" + u.Name,
					Details: map[string]string{"role": u.Role}}); err != nil {
					return fmt.Errorf("user not removed: %w", err)
				}
				if err := st.DeleteUser(ctx, u.ID); err != nil {
					return err
				}
				return a.done(cmd, u.Name, "removed; its keys and sessions are revoked")
			})
		},
	}
}

// done reports a change: JSON {"user":…,"result":…} or a line on stdout.
func (a *app) done(cmd *cobra.Command, user, result string) error {
	return printOutcome(a, cmd, map[string]string{"user": user, "result": result}, "user %s %s\n", user, result)
}

func newUsersSetRoleCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "set-role NAME ROLE",
		Short: "Change a user's role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			role := args[1]
			if err := a.checkRole(role); err != nil {
				return err
			}
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				if err := a.auditLog(ctx, st, qguard.AuditRecord{Action: "user.set_role", Resource: "user:" + u.Name,
					Details: map[string]string{"from": u.Role, "to": role}}); err != nil {
					return fmt.Errorf("role not changed: %w", err)
				}
				u.Role = role
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
				return a.done(cmd, u.Name, "now has role "+role)
			})
		},
	}
}

func newUsersEnableCmd(a *app, verb string, disable bool) *cobra.Command {
	short := "Allow a disabled user to authenticate again"
	if disable {
		short = "Refuse every request of a user, keeping its keys"
	}
	return &cobra.Command{
		Use:   verb + " NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				if u.Disabled == disable {
					return a.done(cmd, u.Name, "is already "+verb+"d")
				}
				if err := a.auditLog(ctx, st, qguard.AuditRecord{Action: "user." + verb, Resource: "user:" + u.Name}); err != nil {
					return fmt.Errorf("user not %sd: %w", verb, err)
				}
				u.Disabled = disable
				if err := st.UpdateUser(ctx, u); err != nil {
					return err
				}
				return a.done(cmd, u.Name, verb+"d")
			})
		},
	}
}

func keyStatus(k *qguard.APIKey, now time.Time) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return "expired"
	}
	return "active"
}

func newUsersKeysCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "keys NAME",
		Short: "List a user's API keys (hints only; keys are never stored)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				keys, err := st.APIKeys(ctx, u.ID)
				if err != nil {
					return err
				}
				now := a.now()
				if a.json {
					type keyJSON struct {
						*qguard.APIKey
						Status string `json:"status"`
					}
					out := []keyJSON{}
					for _, k := range keys {
						out = append(out, keyJSON{k, keyStatus(k, now)})
					}
					return a.printJSON(cmd, out)
				}
				w := newTable(cmd.OutOrStdout())
				fmt.Fprintln(w, "ID\tHINT\tSTATUS\tCREATED\tEXPIRES\tLAST USED")
				for _, k := range keys {
					fmt.Fprintf(w, "%d\t%s…\t%s\t%s\t%s\t%s\n", k.ID, k.Hint, keyStatus(k, now),
						k.CreatedAt.Format(time.DateTime), timeOrDash(k.ExpiresAt), timeOrDash(k.LastUsed))
				}
				return w.Flush()
			})
		},
	}
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.DateTime)
}

func newUsersAddKeyCmd(a *app) *cobra.Command {
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "add-key NAME [--expires 720h]",
		Short: "Issue another API key for a user and print it, once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if expires < 0 {
				return errors.New("--expires must not be negative")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				key, k, err := auth.New(st, cfg.Auth, a.now).IssueKey(ctx, u.Name, expires)
				if err != nil {
					return err
				}
				details := map[string]string{"key_id": strconv.FormatInt(k.ID, 10)}
				if k.ExpiresAt != nil {
					details["expires"] = k.ExpiresAt.Format(time.RFC3339)
				}
				if err := a.auditLog(ctx, st, qguard.AuditRecord{Action: "key.add", Resource: "user:" + u.Name, Details: details}); err != nil {
					return errors.Join(fmt.Errorf("key not issued: %w", err), st.RevokeAPIKey(ctx, k.ID, a.now()))
				}
				return a.printKey(cmd, u, k, key)
			})
		},
	}
	cmd.Flags().DurationVar(&expires, "expires", 0, "lifetime of the key, e.g. 720h (default: no expiry)")
	return cmd
}

func newUsersRevokeKeyCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke-key NAME KEYID",
		Short: "Revoke one of a user's API keys and the sessions issued for it",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil {
				return fmt.Errorf("KEYID %q is not a number (see qguard users keys %s)", args[1], args[0])
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			return a.withUser(ctx, args[0], func(st qguard.Store, u *qguard.User) error {
				keys, err := st.APIKeys(ctx, u.ID)
				if err != nil {
					return err
				}
				i := slices.IndexFunc(keys, func(k *qguard.APIKey) bool { return k.ID == id })
				if i < 0 {
					return fmt.Errorf("user %s has no API key %d (see qguard users keys %s)", u.Name, id, u.Name)
				}
				if keys[i].RevokedAt != nil {
					return a.done(cmd, u.Name, fmt.Sprintf("key %d is already revoked", id))
				}
				if err := a.auditLog(ctx, st, qguard.AuditRecord{Action: "key.revoke", Resource: "user:" + u.Name,
					Details: map[string]string{"key_id": args[1]}}); err != nil {
					return fmt.Errorf("key not revoked: %w", err)
				}
				if err := auth.New(st, cfg.Auth, a.now).RevokeKey(ctx, u.Name, id); err != nil {
					return err
				}
				return a.done(cmd, u.Name, fmt.Sprintf("key %d revoked", id))
			})
		},
	}
}
