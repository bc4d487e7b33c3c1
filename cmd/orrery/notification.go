package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"github.com/orrery-dev/orrery/internal/client"
	"github.com/orrery-dev/orrery/internal/core"
)

// newNotificationCmd manages flow-run notification policies through the
// 2.7 routes (/flow_run_notification_policies); the stock prefect 2.7 CLI
// has no such command, only the UI.
func newNotificationCmd() *cobra.Command {
	var flags apiFlags
	root := &cobra.Command{Use: "notification", Short: "Manage flow-run notification policies"}
	flags.add(root)

	root.AddCommand(&cobra.Command{
		Use: "ls", Short: "List notification policies", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := flags.client()
			var policies []*core.FlowRunNotificationPolicy
			if err := c.Do(cmd.Context(), http.MethodPost, "/flow_run_notification_policies/filter", map[string]any{}, &policies); err != nil {
				return err
			}
			if flags.output == "json" {
				return flags.print(cmd.OutOrStdout(), policies, nil, nil)
			}
			blocks := map[uuid.UUID]string{}
			for _, p := range policies {
				if _, ok := blocks[p.BlockDocumentID]; ok {
					continue
				}
				var d core.BlockDocument
				err := c.Do(cmd.Context(), http.MethodGet, "/block_documents/"+p.BlockDocumentID.String(), nil, &d)
				switch {
				case client.IsNotFound(err):
					blocks[p.BlockDocumentID] = "(deleted) " + p.BlockDocumentID.String()
				case err != nil:
					return err
				case d.BlockType != nil:
					blocks[p.BlockDocumentID] = d.BlockType.Slug + "/" + d.Name
				default:
					blocks[p.BlockDocumentID] = d.Name
				}
			}
			return flags.print(cmd.OutOrStdout(), policies, []string{"ID", "ACTIVE", "STATES", "TAGS", "BLOCK", "TEMPLATE"}, func() [][]string {
				var rows [][]string
				for _, p := range policies {
					tags := strings.Join(p.Tags, ",")
					if tags == "" {
						tags = "(any)"
					}
					states := strings.Join(p.StateNames, ",")
					if states == "" {
						states = "(any)"
					}
					tmpl := "(default)"
					if p.MessageTemplate != nil {
						tmpl = oneLine(*p.MessageTemplate, 40)
					}
					rows = append(rows, []string{p.ID.String(), fmt.Sprint(p.IsActive), states, tags, blocks[p.BlockDocumentID], tmpl})
				}
				return rows
			})
		},
	})

	var (
		block, template string
		states, tags    []string
		inactive        bool
	)
	create := &cobra.Command{
		Use:   "create --block BLOCK --state NAME [--state NAME...] [--tag TAG...] [--template TEXT] [--inactive]",
		Short: "Create a notification policy",
		Long: `Create a notification policy: when a flow run enters one of the --state names
(e.g. Failed, Crashed, Completed, Late) and carries one of the --tag tags (or any
run when no tag is given), a message is sent through the --block notification
block document, given as its id or as BLOCK_TYPE_SLUG/NAME (slack-webhook/alerts).

--template is a Python str.format template; its variables are
flow_run_notification_policy_id, flow_id, flow_name, flow_run_url, flow_run_id,
flow_run_name, flow_run_parameters, flow_run_state_type, flow_run_state_name,
flow_run_state_timestamp and flow_run_state_message.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := flags.client()
			blockID, err := resolveBlock(cmd, c, block)
			if err != nil {
				return err
			}
			body := map[string]any{
				"is_active": !inactive, "state_names": nonNil(states), "tags": nonNil(tags), "block_document_id": blockID,
			}
			if cmd.Flags().Changed("template") {
				body["message_template"] = template
			}
			var p core.FlowRunNotificationPolicy
			if err := c.Do(cmd.Context(), http.MethodPost, "/flow_run_notification_policies/", body, &p); err != nil {
				return withDetail(err)
			}
			return flags.print(cmd.OutOrStdout(), p, []string{"ID", "ACTIVE", "STATES", "TAGS"}, func() [][]string {
				return [][]string{{p.ID.String(), fmt.Sprint(p.IsActive), strings.Join(p.StateNames, ","), strings.Join(p.Tags, ",")}}
			})
		},
	}
	create.Flags().StringVar(&block, "block", "", "notification block document: ID or BLOCK_TYPE_SLUG/NAME")
	create.Flags().StringArrayVar(&states, "state", nil, "state name that triggers a message (repeatable)")
	create.Flags().StringArrayVar(&tags, "tag", nil, "only runs with this tag (repeatable; none: every run)")
	create.Flags().StringVar(&template, "template", "", "message template (default: Prefect 2.7's)")
	create.Flags().BoolVar(&inactive, "inactive", false, "create the policy switched off")
	_ = create.MarkFlagRequired("block")
	_ = create.MarkFlagRequired("state")
	root.AddCommand(create)

	root.AddCommand(&cobra.Command{
		Use: "delete ID [ID...]", Short: "Delete notification policies", Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := flags.client()
			for _, a := range args {
				id, err := uuid.Parse(a)
				if err != nil {
					return fmt.Errorf("%q is not a policy id", a)
				}
				if err := c.Do(cmd.Context(), http.MethodDelete, "/flow_run_notification_policies/"+id.String(), nil, nil); err != nil {
					return notFoundHint(err, "notification policy", a)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted notification policy %s\n", id)
			}
			return nil
		},
	})
	return root
}

// resolveBlock turns --block (an id, or BLOCK_TYPE_SLUG/NAME) into a block
// document id, checking that it exists.
func resolveBlock(cmd *cobra.Command, c *client.Client, ref string) (uuid.UUID, error) {
	var d core.BlockDocument
	if id, err := uuid.Parse(ref); err == nil {
		if err := c.Do(cmd.Context(), http.MethodGet, "/block_documents/"+id.String(), nil, &d); err != nil {
			return uuid.Nil, notFoundHint(err, "block document", ref)
		}
		return d.ID, nil
	}
	slug, name, ok := strings.Cut(ref, "/")
	if !ok || slug == "" || name == "" {
		return uuid.Nil, fmt.Errorf("--block %q: want a block document id or BLOCK_TYPE_SLUG/NAME such as slack-webhook/alerts", ref)
	}
	path := "/block_types/slug/" + url.PathEscape(slug) + "/block_documents/name/" + url.PathEscape(name)
	if err := c.Do(cmd.Context(), http.MethodGet, path, nil, &d); err != nil {
		return uuid.Nil, notFoundHint(err, "block document", ref)
	}
	return d.ID, nil
}

// withDetail adds a 422's field errors ("message_template: Invalid template
// variable provided: 'x'") to the client's one-line error.
func withDetail(err error) error {
	var e *client.Error
	if !errors.As(err, &e) || e.Status != http.StatusUnprocessableEntity {
		return err
	}
	var body struct {
		Detail []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		} `json:"exception_detail"`
	}
	if json.Unmarshal([]byte(e.Body), &body) != nil || len(body.Detail) == 0 {
		return err
	}
	var parts []string
	for _, d := range body.Detail {
		loc := make([]string, 0, len(d.Loc))
		for _, l := range d.Loc {
			if l != "body" {
				loc = append(loc, fmt.Sprint(l))
			}
		}
		parts = append(parts, strings.Join(loc, ".")+": "+d.Msg)
	}
	return fmt.Errorf("%w: %s", err, strings.Join(parts, "; "))
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// oneLine shortens s to one line of at most n characters for a table.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
