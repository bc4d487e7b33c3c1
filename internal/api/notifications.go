package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/notify"
	"github.com/orrery-dev/orrery/internal/store"
)

// Flow-run notification policies: 2.7.12's /flow_run_notification_policies
// routes (api/flow_run_notification_policies.py), and Orrery's
// /flow_run_notifications/filter, which shows the queue the policies fill —
// delivery failures included — since 2.7 has no way to see them.

// notificationPolicyCreate is 2.7.12's FlowRunNotificationPolicyCreate.
// 2.7.12 does not mark block_document_id required: a body without it fails
// at its NOT NULL column with the same 409 as a document that does not
// exist, and so it does here (a 422 would also list it beside the real
// error of a body that has one). Explicit nulls, which 2.7.12 also lets
// through to the database, are 422s here.
type notificationPolicyCreate struct {
	IsActive        *bool      `json:"is_active" nullable:"false" description:"Whether the policy is currently active (default true)"`
	StateNames      *[]string  `json:"state_names" nullable:"false" maxItems:"100" itemMaxLength:"1024" description:"The flow run states that trigger notifications ([] = every state)"`
	Tags            *[]string  `json:"tags" nullable:"false" maxItems:"1000" itemMaxLength:"1024" description:"The flow run tags that trigger notifications ([] = every run)"`
	BlockDocumentID *uuid.UUID `json:"block_document_id" nullable:"false" description:"The notification block document used to send notifications"`
	MessageTemplate *string    `json:"message_template" maxLength:"65536" description:"A message template: Python str.format braces over the notification variables"`
}

func (notificationPolicyCreate) strictAction() {}

// notificationPolicyUpdate is 2.7.12's FlowRunNotificationPolicyUpdate:
// only the keys sent change; message_template may be set to null (the
// default template).
type notificationPolicyUpdate struct {
	IsActive        *bool            `json:"is_active" nullable:"false"`
	StateNames      *[]string        `json:"state_names" nullable:"false" maxItems:"100" itemMaxLength:"1024"`
	Tags            *[]string        `json:"tags" nullable:"false" maxItems:"1000" itemMaxLength:"1024"`
	BlockDocumentID *uuid.UUID       `json:"block_document_id" nullable:"false"`
	MessageTemplate optional[string] `json:"message_template" maxLength:"65536"`
}

func (notificationPolicyUpdate) strictAction() {}

// notificationPolicyFilter is 2.7.12's FlowRunNotificationPolicyFilter.
// Its is_active defaults to {"eq_": false} when the filter object is sent
// without it (2.7.12's default), and matches everything when null.
type notificationPolicyFilter struct {
	IsActive *struct {
		Eq *bool `json:"eq_"`
	} `json:"is_active"`
}

// notificationFilter is the filter of /flow_run_notifications/filter.
type notificationFilter struct {
	FlowRunID *struct {
		Any *[]uuid.UUID `json:"any_" maxItems:"10000"`
	} `json:"flow_run_id"`
	PolicyID *struct {
		Any *[]uuid.UUID `json:"any_" maxItems:"10000"`
	} `json:"flow_run_notification_policy_id"`
	Status *struct {
		Any *[]notificationStatus `json:"any_" maxItems:"3"`
	} `json:"status"`
}

// notificationStatus is core.Notification's status, an enum for the
// checker and the document.
type notificationStatus string

// Enum lists the statuses (jsonschema-go's Enum interface).
func (notificationStatus) Enum() []any {
	out := []any{}
	for _, s := range core.NotificationStatuses() {
		out = append(out, s)
	}
	return out
}

type (
	notificationPolicyFilterBody struct {
		pageBody
		Filter *notificationPolicyFilter `json:"flow_run_notification_policy_filter"`
	}
	notificationFilterBody struct {
		pageBody
		Filter *notificationFilter `json:"flow_run_notifications"`
	}
)

// checkTemplate refuses a template that does not render with the
// notification variables, with 2.7.12's message (for an unknown variable:
// "Invalid template variable provided: 'name'") at its loc.
func checkTemplate(body []byte, tmpl *string) error {
	if tmpl == nil {
		return nil
	}
	if err := notify.ValidateTemplate(*tmpl); err != nil {
		return fieldInvalid(body, err.Error(), "value_error", "message_template")
	}
	return nil
}

// checkBlockDocument answers 2.7.12's 409 for a block document that does
// not exist (its foreign key fails).
func (s *Server) checkBlockDocument(ctx context.Context, id uuid.UUID) error {
	_, err := s.store.GetBlockDocument(ctx, id)
	if core.IsNotFound(err) {
		return errIntegrity
	}
	return err
}

func policyNotFound(err error) error {
	if core.IsNotFound(err) {
		return core.Errorf(core.ENotFound, "flow run notification policy not found")
	}
	return err
}

func (s *Server) registerNotificationRoutes() {
	const tag = "Flow Run Notification Policies"
	s.handle("POST /flow_run_notification_policies/", tag, "Create a flow run notification policy", func(w http.ResponseWriter, r *http.Request) error {
		var in notificationPolicyCreate
		body, err := s.decode(r, &in)
		if err != nil {
			return err
		}
		if err := checkTemplate(body, in.MessageTemplate); err != nil {
			return err
		}
		if in.BlockDocumentID == nil {
			return errIntegrity
		}
		if err := s.checkBlockDocument(r.Context(), *in.BlockDocumentID); err != nil {
			return err
		}
		now := core.T(s.now())
		p := &core.FlowRunNotificationPolicy{ID: newID(), Created: now, Updated: now, IsActive: true,
			StateNames: []string{}, Tags: []string{}, BlockDocumentID: *in.BlockDocumentID, MessageTemplate: in.MessageTemplate}
		if in.IsActive != nil {
			p.IsActive = *in.IsActive
		}
		if in.StateNames != nil {
			p.StateNames = *in.StateNames
		}
		if in.Tags != nil {
			p.Tags = *in.Tags
		}
		out, err := s.store.CreateNotificationPolicy(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, out)
		return nil
	})
	s.handle("PATCH /flow_run_notification_policies/{id}", tag, "Update a flow run notification policy", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in notificationPolicyUpdate
		body, err := s.decode(r, &in)
		if err != nil {
			return err
		}
		if in.MessageTemplate.Set {
			if err := checkTemplate(body, in.MessageTemplate.ptr()); err != nil {
				return err
			}
		}
		u := &store.NotificationPolicyUpdate{IsActive: in.IsActive, StateNames: in.StateNames, Tags: in.Tags, BlockDocumentID: in.BlockDocumentID}
		if in.MessageTemplate.Set {
			t := in.MessageTemplate.ptr()
			u.MessageTemplate = &t
		}
		if in.BlockDocumentID != nil {
			if err := s.checkBlockDocument(r.Context(), *in.BlockDocumentID); err != nil {
				return err
			}
		}
		if err := s.store.UpdateNotificationPolicy(r.Context(), id, u, s.now()); err != nil {
			if core.IsNotFound(err) {
				// 2.7.12 formats Python's id builtin here ("<built-in
				// function id>"); Orrery names no id.
				return core.Errorf(core.ENotFound, "Flow run notification policy not found")
			}
			return err
		}
		return noContent(w)
	})
	s.handle("GET /flow_run_notification_policies/{id}", tag, "Read a flow run notification policy", getByID(func(ctx context.Context, id uuid.UUID) (*core.FlowRunNotificationPolicy, error) {
		p, err := s.store.GetNotificationPolicy(ctx, id)
		return p, policyNotFound(err)
	}, same))
	s.handle("POST /flow_run_notification_policies/filter", tag, "Query flow run notification policies (ordered by id)", listRoute(s, DefaultLimit,
		func(fb *filterBody) (lister[*core.FlowRunNotificationPolicy], error) {
			var f *notificationPolicyFilter
			if err := fb.into("flow_run_notification_policy_filter", &f); err != nil {
				return nil, err
			}
			q := store.NotificationPolicyQuery{}
			if f != nil {
				q.IsActive = policyActiveFilter(fb.raw["flow_run_notification_policy_filter"], f)
			}
			return func(ctx context.Context, p store.Page) ([]*core.FlowRunNotificationPolicy, error) {
				q.Page = p
				return s.store.ListNotificationPolicies(ctx, &q)
			}, nil
		}, same))
	s.handle("DELETE /flow_run_notification_policies/{id}", tag, "Delete a flow run notification policy", deleteByID(func(ctx context.Context, id uuid.UUID) error {
		return policyNotFound(s.store.DeleteNotificationPolicy(ctx, id))
	}))

	s.handle("POST /flow_run_notifications/filter", "Flow Run Notifications",
		"Query queued flow run notifications, newest first (Orrery's: delivery status, attempts and last error)", listRoute(s, DefaultLimit,
			func(fb *filterBody) (lister[*core.Notification], error) {
				var f *notificationFilter
				if err := fb.into("flow_run_notifications", &f); err != nil {
					return nil, err
				}
				q := store.NotificationQuery{}
				if f != nil {
					if f.FlowRunID != nil && f.FlowRunID.Any != nil {
						q.FlowRunIDs = nonNilIDs(*f.FlowRunID.Any)
					}
					if f.PolicyID != nil && f.PolicyID.Any != nil {
						q.PolicyIDs = nonNilIDs(*f.PolicyID.Any)
					}
					if f.Status != nil && f.Status.Any != nil {
						q.Statuses = []string{}
						for _, st := range *f.Status.Any {
							q.Statuses = append(q.Statuses, string(st))
						}
					}
				}
				empty := f != nil && ((f.FlowRunID != nil && f.FlowRunID.Any != nil && len(*f.FlowRunID.Any) == 0) ||
					(f.PolicyID != nil && f.PolicyID.Any != nil && len(*f.PolicyID.Any) == 0) ||
					(f.Status != nil && f.Status.Any != nil && len(*f.Status.Any) == 0))
				return func(ctx context.Context, p store.Page) ([]*core.Notification, error) {
					if empty {
						return []*core.Notification{}, nil // any_ of nothing matches nothing, as 2.7's filters
					}
					q.Page = p
					return s.store.ListNotifications(ctx, &q)
				}, nil
			}, same))
}

// nonNilIDs returns ids as a new slice (the store reads "none given" from
// a nil one).
func nonNilIDs(ids []uuid.UUID) []uuid.UUID { return append([]uuid.UUID{}, ids...) }

// policyActiveFilter applies 2.7.12's defaults to a sent filter object:
// is_active absent means {"eq_": false}; null or an eq_ of null means any.
func policyActiveFilter(raw json.RawMessage, f *notificationPolicyFilter) *bool {
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(raw, &keys) // the checker has accepted it as an object
	if _, sent := keys["is_active"]; !sent {
		no := false
		return &no
	}
	if f.IsActive == nil {
		return nil
	}
	return f.IsActive.Eq
}
