package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/schedule"
	"github.com/orrery-dev/orrery/internal/store"
)

// deploymentBody is DeploymentCreate and DeploymentUpdate: pointers tell
// which keys were sent (PATCH writes only those).
type deploymentBody struct {
	Name                     *string             `json:"name" maxLength:"1024" pattern:"^[^/%&><]*$"`
	FlowID                   *uuid.UUID          `json:"flow_id"`
	IsScheduleActive         *bool               `json:"is_schedule_active" nullable:"false"`
	Parameters               json.RawMessage     `json:"parameters"`
	Tags                     *[]string           `json:"tags" nullable:"false" maxItems:"1000" itemMaxLength:"1024"`
	ManifestPath             optional[string]    `json:"manifest_path" maxLength:"1024"`
	WorkQueueName            optional[string]    `json:"work_queue_name" maxLength:"1024"`
	WorkPoolName             optional[string]    `json:"work_pool_name" maxLength:"1024"`
	StorageDocumentID        optional[uuid.UUID] `json:"storage_document_id"`
	InfrastructureDocumentID optional[uuid.UUID] `json:"infrastructure_document_id"`
	Schedule                 json.RawMessage     `json:"schedule"`
	Description              optional[string]    `json:"description" maxLength:"1048576"`
	ParameterOpenAPISchema   json.RawMessage     `json:"parameter_openapi_schema"`
	Path                     optional[string]    `json:"path" maxLength:"1024"`
	Version                  optional[string]    `json:"version" maxLength:"1024"`
	Entrypoint               optional[string]    `json:"entrypoint" maxLength:"1024"`
	InfraOverrides           json.RawMessage     `json:"infra_overrides"`
	// Legacy keys 2.7 accepts and drops.
	WorkerPoolQueueID    json.RawMessage `json:"worker_pool_queue_id"`
	WorkerPoolName       json.RawMessage `json:"worker_pool_name"`
	WorkerPoolQueueName  json.RawMessage `json:"worker_pool_queue_name"`
	WorkPoolQueueName    json.RawMessage `json:"work_pool_queue_name"`
	CreatedBy            json.RawMessage `json:"created_by"`
	UpdatedBy            json.RawMessage `json:"updated_by"`
	schedule             schedule.Schedule
	validationBody       []byte
	scheduleValidationOK bool
}

func (deploymentBody) strictAction() {}

// deploymentCreate is the body of POST /deployments/: the update body with
// the name and flow required (2.7's DeploymentCreate).
type deploymentCreate struct {
	deploymentBody
	Name   *string    `json:"name" required:"true" maxLength:"1024" pattern:"^[^/%&><]*$"`
	FlowID *uuid.UUID `json:"flow_id" required:"true"`
}

func (deploymentCreate) strictAction() {}

// body is the create body as the shared deployment body.
func (c *deploymentCreate) body() *deploymentBody {
	b := c.deploymentBody
	b.Name, b.FlowID = c.Name, c.FlowID
	return &b
}

func present(raw json.RawMessage) bool { return len(raw) > 0 }

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// apply writes the sent fields onto d.
func (b *deploymentBody) apply(d *core.Deployment) {
	for _, f := range []struct {
		v   optional[string]
		dst **string
	}{{b.ManifestPath, &d.ManifestPath}, {b.WorkQueueName, &d.WorkQueueName}, {b.Description, &d.Description},
		{b.Path, &d.Path}, {b.Version, &d.Version}, {b.Entrypoint, &d.Entrypoint}, {b.WorkPoolName, &d.WorkPoolName}} {
		if f.v.Set {
			*f.dst = f.v.ptr()
		}
	}
	for _, f := range []struct {
		v   optional[uuid.UUID]
		dst **uuid.UUID
	}{{b.StorageDocumentID, &d.StorageDocumentID}, {b.InfrastructureDocumentID, &d.InfrastructureDocumentID}} {
		if f.v.Set {
			*f.dst = f.v.ptr()
		}
	}
	if b.Name != nil {
		d.Name = *b.Name
	}
	if b.IsScheduleActive != nil {
		d.IsScheduleActive = *b.IsScheduleActive
	}
	if present(b.Parameters) {
		d.Parameters = objectOrEmpty(b.Parameters)
	}
	if b.Tags != nil {
		d.Tags = emptyIfNil(*b.Tags)
	}
	if present(b.Schedule) {
		d.Schedule = nil
		if b.schedule != nil {
			d.Schedule, _ = json.Marshal(b.schedule)
		}
	}
	if present(b.ParameterOpenAPISchema) {
		d.ParameterOpenAPISchema = nil
		if !isNull(b.ParameterOpenAPISchema) {
			d.ParameterOpenAPISchema = b.ParameterOpenAPISchema
		}
	}
	if present(b.InfraOverrides) {
		d.InfraOverrides = objectOrEmpty(b.InfraOverrides)
	}
}

func (b *deploymentBody) validateCommon(body []byte) error {
	var errs []fieldError
	errs = append(errs, objectField(b.Parameters, "parameters")...)
	errs = append(errs, objectField(b.InfraOverrides, "infra_overrides")...)
	errs = append(errs, objectField(b.ParameterOpenAPISchema, "parameter_openapi_schema")...)
	if present(b.Schedule) && !isNull(b.Schedule) {
		sc, err := schedule.Parse(b.Schedule)
		var ve *schedule.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, e := range ve.Errors {
				loc := []any{"body", "schedule"}
				for _, l := range e.Loc {
					loc = append(loc, l)
				}
				errs = append(errs, fieldError{Loc: loc, Msg: e.Msg, Type: e.Type})
			}
		case err != nil: // the body is valid JSON already; never Go's text
			errs = append(errs, fieldError{Loc: []any{"body", "schedule"}, Msg: "value is not a valid dict", Type: "type_error.dict"})
		default:
			b.schedule = sc
		}
	}
	if len(errs) > 0 {
		return invalid(body, errs...)
	}
	return nil
}

func (s *Server) deploymentOut(d *core.Deployment) *core.Deployment {
	d.Tags = emptyIfNil(d.Tags)
	if len(d.Parameters) == 0 {
		d.Parameters = json.RawMessage("{}")
	}
	if len(d.InfraOverrides) == 0 {
		d.InfraOverrides = json.RawMessage("{}")
	}
	return d
}

// checkBlockRefs answers 409 when a deployment names a block document that
// does not exist, as 2.7 does.
func (s *Server) checkBlockRefs(ctx context.Context, d *core.Deployment) error {
	for kind, id := range map[string]*uuid.UUID{"infrastructure": d.InfrastructureDocumentID, "storage": d.StorageDocumentID} {
		if id == nil {
			continue
		}
		if _, err := s.store.GetBlockDocument(ctx, *id); err != nil {
			if core.IsNotFound(err) {
				return core.Errorf(core.EConflict, "Error creating deployment. Could not find %s block with id: %s. This usually occurs when applying a deployment specification that was built against a different Prefect database / workspace.", kind, id)
			}
			return err
		}
	}
	return nil
}

// ensureWorkQueue creates the named queue if it does not exist.
func (s *Server) ensureWorkQueue(ctx context.Context, name *string) error {
	if name == nil || *name == "" {
		return nil
	}
	if _, err := s.store.GetWorkQueueByName(ctx, *name); err == nil || !core.IsNotFound(err) {
		return err
	}
	_, err := s.createWorkQueue(ctx, &workQueueBody{Name: name})
	if core.ErrorCode(err) == core.EConflict {
		return nil // created concurrently
	}
	return err
}

func (s *Server) registerDeploymentRoutes() {
	s.handle("POST /deployments/", "Deployments", "Create or update a deployment (upsert by flow and name)", func(w http.ResponseWriter, r *http.Request) error {
		var create deploymentCreate
		body, err := s.decode(r, &create)
		if err != nil {
			return err
		}
		in := create.body()
		if err := in.validateCommon(body); err != nil {
			return err
		}
		if err := requireParent(r.Context(), s.store.GetFlow, *in.FlowID); err != nil {
			return err
		}
		now := core.T(s.now())
		d := &core.Deployment{ID: newID(), Created: now, Updated: now, FlowID: *in.FlowID, IsScheduleActive: true,
			Parameters: json.RawMessage("{}"), InfraOverrides: json.RawMessage("{}"), Tags: []string{}}
		in.apply(d)
		if err := s.checkBlockRefs(r.Context(), d); err != nil {
			return err
		}
		if err := s.ensureWorkQueue(r.Context(), d.WorkQueueName); err != nil {
			return err
		}
		out, isNew, err := s.store.UpsertDeployment(r.Context(), d)
		if err != nil {
			return err
		}
		if _, err := s.store.DeleteAutoScheduledRuns(r.Context(), out.ID); err != nil {
			return err
		}
		return created(w, isNew, s.deploymentOut(out))
	})
	s.handle("PATCH /deployments/{id}", "Deployments", "Update a deployment", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in deploymentBody
		body, err := s.decode(r, &in)
		if err != nil {
			return err
		}
		if err := in.validateCommon(body); err != nil {
			return err
		}
		d, err := s.store.GetDeployment(r.Context(), id)
		if err != nil {
			return deploymentNotFound(err)
		}
		in.Name, in.FlowID = nil, nil // not updatable
		in.apply(d)
		d.Updated = core.T(s.now())
		if err := s.checkBlockRefs(r.Context(), d); err != nil {
			return err
		}
		if err := s.ensureWorkQueue(r.Context(), d.WorkQueueName); err != nil {
			return err
		}
		if err := s.store.UpdateDeployment(r.Context(), d); err != nil {
			return err
		}
		if _, err := s.store.DeleteAutoScheduledRuns(r.Context(), id); err != nil {
			return err
		}
		return noContent(w)
	})
	s.handle("GET /deployments/name/{flow_name}/{deployment_name}", "Deployments", "Read a deployment by flow name and deployment name", func(w http.ResponseWriter, r *http.Request) error {
		d, err := s.store.GetDeploymentByName(r.Context(), r.PathValue("flow_name"), r.PathValue("deployment_name"))
		if err != nil {
			return deploymentNotFound(err)
		}
		writeJSON(w, 200, s.deploymentOut(d))
		return nil
	})
	s.handle("GET /deployments/{id}", "Deployments", "Read a deployment", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		d, err := s.store.GetDeployment(r.Context(), id)
		if err != nil {
			return deploymentNotFound(err)
		}
		writeJSON(w, 200, s.deploymentOut(d))
		return nil
	})
	s.handle("POST /deployments/filter", "Deployments", "Query deployments", runListRoute(s, store.DeploymentSorts, "NAME_ASC",
		func(ctx context.Context, f store.RunFilters, sort store.DeploymentSort, p store.Page) ([]*core.Deployment, error) {
			return s.store.ListDeployments(ctx, &store.DeploymentQuery{RunFilters: f, Sort: sort, Page: p})
		}, s.deploymentOut))
	s.handle("POST /deployments/count", "Deployments", "Count deployments", s.countRoute(s.store.CountDeployments))
	s.handle("DELETE /deployments/{id}", "Deployments", "Delete a deployment", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.DeleteDeployment(r.Context(), id); err != nil {
			return deploymentNotFound(err)
		}
		return noContent(w)
	})
	s.handle("POST /deployments/{id}/set_schedule_active", "Deployments", "Activate a deployment's schedule", func(w http.ResponseWriter, r *http.Request) error {
		return s.setScheduleActive(w, r, true)
	})
	s.handle("POST /deployments/{id}/set_schedule_inactive", "Deployments", "Pause a deployment's schedule", func(w http.ResponseWriter, r *http.Request) error {
		return s.setScheduleActive(w, r, false)
	})
	s.handle("POST /deployments/{id}/schedule", "Deployments", "Create the deployment's scheduled runs now", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		var in ScheduleRequest
		if _, err := s.decode(r, &in); err != nil {
			return err
		}
		d, err := s.store.GetDeployment(r.Context(), id)
		if err != nil {
			return deploymentNotFound(err)
		}
		if _, err := s.ScheduleDeployment(r.Context(), d, in); err != nil {
			return err
		}
		writeJSON(w, 200, nil)
		return nil
	})
	s.handle("POST /deployments/{id}/create_flow_run", "Deployments", "Create a flow run from a deployment", s.createFlowRunFromDeployment)
	s.handle("GET /deployments/{id}/work_queue_check", "Deployments", "Work queues whose legacy filter matches the deployment", func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		d, err := s.store.GetDeployment(r.Context(), id)
		if err != nil {
			return deploymentNotFound(err)
		}
		queues, err := s.store.ListWorkQueues(r.Context(), nil, store.Page{})
		if err != nil {
			return err
		}
		out := []*core.WorkQueue{}
		for _, q := range queues {
			if q.Filter != nil && legacyFilterMatches(q.Filter, d.Tags, &d.ID) {
				out = append(out, q)
			}
		}
		writeJSON(w, 200, out)
		return nil
	})
}

func deploymentNotFound(err error) error {
	if core.IsNotFound(err) {
		return core.Errorf(core.ENotFound, "Deployment not found") // 2.7.12's words, no full stop
	}
	return err
}

func (s *Server) setScheduleActive(w http.ResponseWriter, r *http.Request, active bool) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	d, err := s.store.GetDeployment(r.Context(), id)
	if err != nil {
		return deploymentNotFound(err)
	}
	d.IsScheduleActive, d.Updated = active, core.T(s.now())
	if err := s.store.UpdateDeployment(r.Context(), d); err != nil {
		return err
	}
	if !active {
		if _, err := s.store.DeleteAutoScheduledRuns(r.Context(), id); err != nil {
			return err
		}
	}
	writeJSON(w, 200, nil)
	return nil
}

type deploymentFlowRunCreate struct {
	State                    *stateCreate        `json:"state"`
	Name                     *string             `json:"name" maxLength:"1024"`
	Parameters               json.RawMessage     `json:"parameters"`
	Context                  json.RawMessage     `json:"context"`
	InfrastructureDocumentID *uuid.UUID          `json:"infrastructure_document_id"`
	EmpiricalPolicy          *core.FlowRunPolicy `json:"empirical_policy"`
	Tags                     []string            `json:"tags" maxItems:"1000" itemMaxLength:"1024"`
	IdempotencyKey           *string             `json:"idempotency_key" maxLength:"1024"`
	ParentTaskRunID          *uuid.UUID          `json:"parent_task_run_id"`
}

func (deploymentFlowRunCreate) strictAction() {}

func (c *deploymentFlowRunCreate) validate() []fieldError {
	errs := objectField(c.Parameters, "parameters")
	return append(errs, objectField(c.Context, "context")...)
}

func (s *Server) createFlowRunFromDeployment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in deploymentFlowRunCreate
	body, err := s.decode(r, &in)
	if err != nil {
		return err
	}
	d, err := s.store.GetDeployment(r.Context(), id)
	if err != nil {
		return deploymentNotFound(err)
	}
	params, err := mergeParameters(d.Parameters, in.Parameters)
	if err != nil {
		return fieldInvalid(body, err.Error(), "value_error", "parameters")
	}
	if errs := validateParameters(d.ParameterOpenAPISchema, params); len(errs) > 0 {
		return invalid(body, errs...)
	}
	now := core.T(s.now())
	run := &core.FlowRun{ID: newID(), Created: now, Updated: now, FlowID: d.FlowID, DeploymentID: &d.ID,
		Parameters: params, Context: objectOrEmpty(in.Context), Tags: unionTags(d.Tags, in.Tags),
		IdempotencyKey: in.IdempotencyKey, ParentTaskRunID: in.ParentTaskRunID, WorkQueueName: d.WorkQueueName,
		InfrastructureDocumentID: d.InfrastructureDocumentID}
	if in.InfrastructureDocumentID != nil {
		run.InfrastructureDocumentID = in.InfrastructureDocumentID
	}
	run.Name = runName(in.Name)
	run.EmpiricalPolicy = runPolicy(in.EmpiricalPolicy)
	initial := in.State.initial()
	out, isNew, err := s.orch.CreateFlowRun(r.Context(), run, initial)
	if err != nil {
		return err
	}
	return created(w, isNew, s.flowRunOut(out))
}

// mergeParameters overlays the request's parameters on the deployment's.
func mergeParameters(defaults, given json.RawMessage) (json.RawMessage, error) {
	merged := map[string]json.RawMessage{}
	if len(defaults) > 0 && !isNull(defaults) {
		if err := json.Unmarshal(defaults, &merged); err != nil {
			return nil, fmt.Errorf("deployment parameters are not an object")
		}
	}
	if len(given) > 0 && !isNull(given) {
		var over map[string]json.RawMessage
		if err := json.Unmarshal(given, &over); err != nil {
			return nil, fmt.Errorf("parameters must be an object")
		}
		for k, v := range over {
			merged[k] = v
		}
	}
	return json.Marshal(merged)
}

// validateParameters checks parameters against the deployment's
// parameter_openapi_schema (a JSON schema of the flow's signature).
func validateParameters(schemaRaw json.RawMessage, params json.RawMessage) []fieldError {
	if len(schemaRaw) == 0 || isNull(schemaRaw) {
		return nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaRaw))
	if err != nil {
		return nil
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("parameters.json", doc); err != nil {
		return nil
	}
	sch, err := c.Compile("parameters.json")
	if err != nil {
		return nil // a schema we cannot compile is not the caller's fault: skip
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(params))
	if err != nil {
		return []fieldError{{Loc: []any{"body", "parameters"}, Msg: "parameters are not valid JSON", Type: "value_error"}}
	}
	err = sch.Validate(inst)
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	var out []fieldError
	for _, leaf := range leaves(ve) {
		loc := []any{"body", "parameters"}
		for _, p := range leaf.InstanceLocation {
			loc = append(loc, p)
		}
		out = append(out, fieldError{Loc: loc, Msg: leaf.Error(), Type: "value_error.parameters"})
	}
	return out
}

func leaves(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return []*jsonschema.ValidationError{e}
	}
	var out []*jsonschema.ValidationError
	for _, c := range e.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

func unionTags(a, b []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, t := range append(append([]string{}, a...), b...) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// legacyFilterMatches applies a work queue's deprecated tag/deployment filter.
func legacyFilterMatches(f *core.QueueFilter, tags []string, deploymentID *uuid.UUID) bool {
	for _, t := range f.Tags {
		found := false
		for _, have := range tags {
			if have == t {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if len(f.DeploymentIDs) > 0 {
		if deploymentID == nil {
			return false
		}
		for _, id := range f.DeploymentIDs {
			if id == *deploymentID {
				return true
			}
		}
		return false
	}
	return true
}

var _ = strings.TrimSpace
