package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/api"
	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/backend"
	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/shared"
)

const apiKeyModeHelp = `Where the command acts, in this order:
  --database-url URL        opens that database directly (local mode)
  --api URL                 calls that API with PREFECT_API_KEY (an admin key)
  ORRERY_DATABASE_URL set   local mode on it
  PREFECT_API_URL set       calls that API with PREFECT_API_KEY
  neither                   local mode on the default database (~/.orrery/orrery.db)
Local mode needs no key: it is how the first key is made, e.g.
  ORRERY_DATABASE_URL='dynamodb://TABLE?region=R' orrery api-key create --name admin --scope admin`

// apiKeyCLI holds the flags of the api-key commands.
type apiKeyCLI struct {
	apiFlags
	databaseURL string
}

// apiKeyCreated is what create prints with --output json.
type apiKeyCreated struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Scope   core.Scope `json:"scope"`
	Key     string     `json:"key"`
	Expires *core.Time `json:"expires"`
}

// mode returns the store to use (local mode) or the API client.
func (f *apiKeyCLI) mode(ctx context.Context, cmd *cobra.Command) (store.Store, *client.Client, error) {
	flags := cmd.Flags()
	dbFlag, apiFlag := flags.Changed("database-url"), flags.Changed("api")
	if dbFlag && apiFlag {
		return nil, nil, errUsage("give --database-url or --api, not both")
	}
	local := dbFlag || (!apiFlag && (os.Getenv(shared.EnvDatabaseURL) != "" || os.Getenv("PREFECT_API_URL") == ""))
	if !local {
		return nil, f.client(), nil
	}
	cfg, err := shared.Load()
	if err != nil {
		return nil, nil, err
	}
	if dbFlag {
		cfg.DatabaseURL = f.databaseURL
	}
	// Key records are a few hundred bytes: no results store is needed, so
	// the command works with only the database URL (and its credentials).
	st, err := backend.Open(ctx, cfg.DatabaseURL, "")
	if err != nil {
		return nil, nil, fmt.Errorf("opening %s: %w", shared.RedactURL(cfg.DatabaseURL), err)
	}
	return st, nil, nil
}

// auditLocal records an admin action done directly on the database.
func auditLocal(ctx context.Context, st store.Store, method, path string, status int) {
	_ = st.CreateAuditRecord(ctx, &core.AuditRecord{ID: uuid.Must(uuid.NewV7()), Timestamp: core.T(time.Now()),
		KeyID: "cli", KeyName: "orrery api-key (local database)", Method: method, Path: path, Status: status})
}

func newAPIKeyCmd() *cobra.Command {
	var f apiKeyCLI
	root := &cobra.Command{
		Use:   "api-key",
		Short: "Create, list and revoke API keys",
		Long:  "API keys authenticate clients when the server checks them (always in the serverless stack;\nlocally with --auth, ORRERY_AUTH=true or a non-loopback --host).\n\n" + apiKeyModeHelp,
	}
	f.add(root)
	root.PersistentFlags().StringVar(&f.databaseURL, "database-url", "", "open this database directly (default $"+shared.EnvDatabaseURL+")")

	var name, scope, expires string
	create := &cobra.Command{
		Use:   "create --name NAME --scope read|write|admin [--expires 90d]",
		Short: "Create an API key; the key is printed once and never stored",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			sc, err := core.ParseScope(scope)
			if err != nil {
				return fmt.Errorf("--scope: %s", core.ErrorMessage(err))
			}
			var lifetime time.Duration
			if expires != "" {
				if lifetime, err = api.ParseExpiry(expires); err != nil {
					return fmt.Errorf("--expires: %s", core.ErrorMessage(err))
				}
			}
			ctx := cmd.Context()
			st, c, err := f.mode(ctx, cmd)
			if err != nil {
				return err
			}
			var out apiKeyCreated
			if st != nil {
				defer st.Close()
				p := auth.CreateParams{Name: name, Scope: sc, CreatedBy: "cli"}
				if expires != "" {
					t := time.Now().Add(lifetime)
					p.Expires = &t
				}
				key, k, err := auth.Create(ctx, st, p, time.Now())
				if err != nil {
					return err
				}
				auditLocal(ctx, st, http.MethodPost, "/api/api_keys/", http.StatusCreated)
				out = apiKeyCreated{ID: k.ID, Name: k.Name, Scope: k.Scope, Key: key, Expires: k.Expires}
			} else {
				body := map[string]any{"name": name, "scope": sc}
				if expires != "" {
					body["expires_in"] = expires
				}
				if err := c.Do(ctx, http.MethodPost, "/api_keys/", body, &out); err != nil {
					return err
				}
			}
			if f.output == "json" {
				return f.print(cmd.OutOrStdout(), out, nil, nil)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Created API key %s (%s, scope %s", out.ID, out.Name, out.Scope)
			if out.Expires != nil {
				fmt.Fprintf(w, ", expires %s", out.Expires.Format(time.RFC3339))
			}
			fmt.Fprintf(w, ").\nThe key is shown only now; store it safely:\n\n  %s\n\nUse it with: export PREFECT_API_KEY=<the key>\n", out.Key)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name for the key (who or what uses it)")
	create.Flags().StringVar(&scope, "scope", "", "read, write or admin")
	create.Flags().StringVar(&expires, "expires", "", "lifetime: days (90d) or a duration (12h); default never")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("scope")

	var all bool
	ls := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List API keys (never the keys themselves)",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, c, err := f.mode(ctx, cmd)
			if err != nil {
				return err
			}
			var keys []auth.View
			if st != nil {
				defer st.Close()
				ks, err := st.ListAPIKeys(ctx, &store.APIKeyQuery{IncludeRevoked: all})
				if err != nil {
					return err
				}
				for _, k := range ks {
					keys = append(keys, auth.ViewOf(k))
				}
			} else {
				// The API pages; read every page.
				for offset := 0; ; offset += api.DefaultLimit {
					var page []auth.View
					if err := c.Do(ctx, http.MethodPost, "/api_keys/filter", map[string]any{"include_revoked": all, "offset": offset}, &page); err != nil {
						return err
					}
					keys = append(keys, page...)
					if len(page) < api.DefaultLimit {
						break
					}
				}
			}
			if keys == nil {
				keys = []auth.View{}
			}
			return f.print(cmd.OutOrStdout(), keys, []string{"ID", "NAME", "SCOPE", "CREATED", "EXPIRES", "LAST USED", "REVOKED"}, func() [][]string {
				var rows [][]string
				for _, k := range keys {
					rows = append(rows, []string{k.ID, k.Name, string(k.Scope), k.Created.Format(time.RFC3339), when(k.Expires), when(k.LastUsed), when(k.Revoked)})
				}
				return rows
			})
		},
	}
	ls.Flags().BoolVar(&all, "all", false, "include revoked keys")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key (at once on the server that revokes it, within 30 s on others)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			st, c, err := f.mode(ctx, cmd)
			if err != nil {
				return err
			}
			var k auth.View
			if st != nil {
				defer st.Close()
				rk, err := st.RevokeAPIKey(ctx, &store.RevokeAPIKeyParams{ID: args[0], At: time.Now()})
				if err != nil {
					return err
				}
				auditLocal(ctx, st, http.MethodDelete, "/api/api_keys/"+args[0], http.StatusOK)
				k = auth.ViewOf(rk)
			} else if err := c.Do(ctx, http.MethodDelete, "/api_keys/"+url.PathEscape(args[0]), nil, &k); err != nil {
				return err
			}
			if f.output == "json" {
				return f.print(cmd.OutOrStdout(), k, nil, nil)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked API key %s (%s) at %s.\n", k.ID, k.Name, when(k.Revoked))
			return nil
		},
	}
	root.AddCommand(create, ls, revoke)
	return root
}

func when(t *core.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
