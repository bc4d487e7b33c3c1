package api

import (
	"net/http"
	"reflect"

	"github.com/google/uuid"
	"github.com/swaggest/jsonschema-go"

	"github.com/orrery-dev/orrery/internal/auth"
	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/orchestration"
	"github.com/orrery-dev/orrery/internal/store"
)

// opDoc describes one route for the OpenAPI document: the types its
// handler decodes and encodes and the statuses it answers. The errors every
// route of a kind shares (400, 401/403, 404, 413, 422) are added by
// errorStatuses; errs lists the route's own.
type opDoc struct {
	body          any   // the request body the handler decodes (nil: none read)
	query         any   // a struct whose `query` tags are the query parameters
	ok            []int // success statuses
	resp          any   // the success body (unused for 204)
	errs          []int // route-specific error statuses
	legacy404     bool  // 404 has 2.7's {"exception_message"} body, not {"detail"}
	bodyMayBeNull bool  // the body may be JSON null (read as {}, as 2.7 reads its all-optional bodies)
	null400       bool  // 400 may also be 2.7's bare 400 with a null body
}

// Filter and paging bodies. The handlers read these keys one at a time
// (filterBody.into); the structs below name the same keys with the same
// types for the document. Unknown top-level keys are ignored, as in 2.7;
// unknown keys inside a filter object are a 422 (the filters are strict).
type (
	pageBody struct {
		Limit  *int `json:"limit" minimum:"0" maximum:"200" description:"Page size (0 returns nothing; default and maximum 200)"`
		Offset *int `json:"offset" minimum:"0"`
	}
	runFiltersBody struct {
		Flows       *store.FlowFilter       `json:"flows"`
		FlowRuns    *store.FlowRunFilter    `json:"flow_runs"`
		TaskRuns    *store.TaskRunFilter    `json:"task_runs"`
		Deployments *store.DeploymentFilter `json:"deployments"`
	}
	flowFilterBody struct {
		runFiltersBody
		pageBody
		Sort *store.FlowSort `json:"sort"`
	}
	flowRunFilterBody struct {
		runFiltersBody
		pageBody
		Sort *store.FlowRunSort `json:"sort"`
	}
	taskRunFilterBody struct {
		runFiltersBody
		pageBody
		Sort *store.TaskRunSort `json:"sort"`
	}
	deploymentFilterBody struct {
		runFiltersBody
		pageBody
		Sort *store.DeploymentSort `json:"sort"`
	}
	uiHistoryBody struct {
		runFiltersBody
		Sort   *store.FlowRunSort `json:"sort"`
		Limit  *int               `json:"limit" minimum:"0" maximum:"1000"`
		Offset *int               `json:"offset" minimum:"0"`
	}
	historyBody struct {
		runFiltersBody
		HistoryStart           core.Time     `json:"history_start" required:"true"`
		HistoryEnd             core.Time     `json:"history_end" required:"true"`
		HistoryIntervalSeconds core.Duration `json:"history_interval_seconds" required:"true" minimum:"1"`
	}
	logFilterBody struct {
		pageBody
		Logs *store.LogFilter `json:"logs"`
		Sort *store.LogSort   `json:"sort"`
	}
	blockTypeFilterBody struct {
		pageBody
		BlockTypes   *store.BlockTypeFilter   `json:"block_types"`
		BlockSchemas *store.BlockSchemaFilter `json:"block_schemas"`
	}
	blockSchemaFilterBody struct {
		pageBody
		BlockSchemas *store.BlockSchemaFilter `json:"block_schemas"`
	}
	blockDocumentFilterBody struct {
		pageBody
		BlockDocuments *store.BlockDocumentFilter `json:"block_documents"`
		BlockTypes     *store.BlockTypeFilter     `json:"block_types"`
		BlockSchemas   *store.BlockSchemaFilter   `json:"block_schemas"`
		IncludeSecrets *bool                      `json:"include_secrets"`
	}
	workQueueFilterBody struct {
		pageBody
		WorkQueues *store.WorkQueueFilter `json:"work_queues"`
	}
	// databaseConfirm documents confirmBody (misc.go): only confirm=true
	// acts; anything else is 2.7's bare 400, which the document states by
	// making true the one valid value.
	databaseConfirm struct {
		Confirm bool `json:"confirm" required:"true" enum:"[true]"`
	}
	apiKeyFilterBody struct {
		pageBody
		IncludeRevoked *bool `json:"include_revoked"`
	}
)

// Query parameters.
type (
	secretsQuery struct {
		IncludeSecrets bool `query:"include_secrets" description:"Return secret fields unobfuscated (needs the write scope)"`
	}
	checksumQuery struct {
		Version string `query:"version"`
	}
	flowRunIDQuery struct {
		FlowRunID uuid.UUID `query:"flow_run_id" required:"true"`
	}
	taskRunIDQuery struct {
		TaskRunID uuid.UUID `query:"task_run_id" required:"true"`
	}
)

// Response shapes written from maps or inline types.
type (
	workQueueStatus struct {
		Healthy           bool              `json:"healthy" required:"true"`
		LateRunsCount     int               `json:"late_runs_count" required:"true"`
		LastPolled        *core.Time        `json:"last_polled" required:"true" nullable:"true"`
		HealthCheckPolicy healthCheckPolicy `json:"health_check_policy" required:"true"`
	}
	healthCheckPolicy struct {
		MaximumLateRuns               *int `json:"maximum_late_runs"`
		MaximumSecondsSinceLastPolled *int `json:"maximum_seconds_since_last_polled"`
	}
	settingsBody map[string]any
)

var (
	okOnly    = []int{http.StatusOK}
	okCreated = []int{http.StatusOK, http.StatusCreated}
	created1  = []int{http.StatusCreated}
	noBody    = []int{http.StatusNoContent}
)

// routeDocs maps each pattern given to Server.handle (or Server.document)
// to its document entry. TestOpenAPIEveryRoute fails for a route missing
// here.
var routeDocs = map[string]opDoc{
	// Root and admin
	"GET /health":                 {ok: okOnly, resp: true},
	"GET /hello":                  {ok: okOnly, resp: ""},
	"GET /admin/version":          {ok: okOnly, resp: ""},
	"GET /admin/settings":         {ok: okOnly, resp: settingsBody{}},
	"POST /admin/database/clear":  {body: databaseConfirm{}, ok: noBody, null400: true},
	"POST /admin/database/drop":   {body: databaseConfirm{}, ok: noBody, null400: true},
	"POST /admin/database/create": {body: databaseConfirm{}, ok: noBody, null400: true},
	"POST /admin/audit/filter":    {body: pageBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.AuditRecord{}},

	// API keys
	"POST /api_keys/":       {body: apiKeyCreate{}, ok: created1, resp: auth.View{}},
	"POST /api_keys/filter": {body: apiKeyFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []auth.View{}},
	"DELETE /api_keys/{id}": {ok: okOnly, resp: auth.View{}},

	// Flows
	"POST /flows/":           {body: flowCreate{}, ok: okCreated, resp: core.Flow{}},
	"PATCH /flows/{id}":      {body: flowUpdate{}, ok: noBody},
	"POST /flows/count":      {body: runFiltersBody{}, bodyMayBeNull: true, ok: okOnly, resp: 0},
	"GET /flows/name/{name}": {ok: okOnly, resp: core.Flow{}},
	"GET /flows/{id}":        {ok: okOnly, resp: core.Flow{}},
	"POST /flows/filter":     {body: flowFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.Flow{}},
	"DELETE /flows/{id}":     {ok: noBody},

	// Flow runs
	"POST /flow_runs/":               {body: flowRunCreate{}, ok: okCreated, resp: core.FlowRun{}, errs: []int{http.StatusConflict}},
	"PATCH /flow_runs/{id}":          {body: flowRunUpdate{}, ok: noBody},
	"POST /flow_runs/count":          {body: runFiltersBody{}, bodyMayBeNull: true, ok: okOnly, resp: 0},
	"POST /flow_runs/history":        {body: historyBody{}, ok: okOnly, resp: []historyInterval{}},
	"GET /flow_runs/{id}":            {ok: okOnly, resp: core.FlowRun{}},
	"GET /flow_runs/{id}/graph":      {ok: okOnly, resp: []dependency{}, legacy404: true},
	"POST /flow_runs/{id}/resume":    {ok: okCreated, resp: orchestration.Result{}},
	"POST /flow_runs/filter":         {body: flowRunFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.FlowRun{}},
	"DELETE /flow_runs/{id}":         {ok: noBody},
	"POST /flow_runs/{id}/set_state": {body: setStateBody{}, ok: okCreated, resp: orchestration.Result{}},

	// Task runs
	"POST /task_runs/":               {body: taskRunCreate{}, ok: okCreated, resp: core.TaskRun{}, errs: []int{http.StatusConflict}},
	"PATCH /task_runs/{id}":          {body: taskRunUpdate{}, ok: noBody},
	"POST /task_runs/count":          {body: runFiltersBody{}, bodyMayBeNull: true, ok: okOnly, resp: 0},
	"POST /task_runs/history":        {body: historyBody{}, ok: okOnly, resp: []historyInterval{}},
	"GET /task_runs/{id}":            {ok: okOnly, resp: core.TaskRun{}},
	"POST /task_runs/filter":         {body: taskRunFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.TaskRun{}},
	"DELETE /task_runs/{id}":         {ok: noBody},
	"POST /task_runs/{id}/set_state": {body: setStateBody{}, ok: okCreated, resp: orchestration.Result{}},

	// States
	"GET /flow_run_states/{id}": {ok: okOnly, resp: core.State{}},
	"GET /flow_run_states/":     {query: flowRunIDQuery{}, ok: okOnly, resp: []core.State{}},
	"GET /task_run_states/{id}": {ok: okOnly, resp: core.State{}},
	"GET /task_run_states/":     {query: taskRunIDQuery{}, ok: okOnly, resp: []core.State{}},

	// Logs
	"POST /logs/":       {body: logBatch{}, ok: created1, resp: nullBody{}},
	"POST /logs/filter": {body: logFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.Log{}},

	// Log download (Orrery's; text, see logs.go)
	"GET /flow_runs/{id}/logs/download": {ok: okOnly, resp: textBody("")},

	// Concurrency limits
	"POST /concurrency_limits/":            {body: concurrencyLimitCreate{}, ok: okOnly, resp: core.ConcurrencyLimit{}},
	"GET /concurrency_limits/{id}":         {ok: okOnly, resp: core.ConcurrencyLimit{}},
	"GET /concurrency_limits/tag/{tag}":    {ok: okOnly, resp: core.ConcurrencyLimit{}},
	"POST /concurrency_limits/filter":      {body: pageBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.ConcurrencyLimit{}},
	"DELETE /concurrency_limits/{id}":      {ok: okOnly, resp: nullBody{}},
	"DELETE /concurrency_limits/tag/{tag}": {ok: okOnly, resp: nullBody{}},

	// Saved searches
	"PUT /saved_searches/":        {body: savedSearchCreate{}, ok: okCreated, resp: core.SavedSearch{}},
	"GET /saved_searches/{id}":    {ok: okOnly, resp: core.SavedSearch{}},
	"POST /saved_searches/filter": {body: pageBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.SavedSearch{}},
	"DELETE /saved_searches/{id}": {ok: noBody},

	// UI
	"POST /ui/flow_runs/history": {body: uiHistoryBody{}, bodyMayBeNull: true, ok: okOnly, resp: []uiHistoryItem{}},

	// Blocks
	"GET /block_capabilities/":                                 {ok: okOnly, resp: []string{}},
	"POST /block_types/":                                       {body: blockTypeCreate{}, ok: created1, resp: core.BlockType{}, errs: []int{http.StatusConflict}},
	"GET /block_types/{id}":                                    {ok: okOnly, resp: core.BlockType{}},
	"GET /block_types/slug/{slug}":                             {ok: okOnly, resp: core.BlockType{}},
	"POST /block_types/filter":                                 {body: blockTypeFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.BlockType{}},
	"PATCH /block_types/{id}":                                  {body: blockTypeUpdate{}, ok: noBody, errs: []int{http.StatusForbidden}},
	"DELETE /block_types/{id}":                                 {ok: noBody, errs: []int{http.StatusForbidden}},
	"GET /block_types/slug/{slug}/block_documents":             {query: secretsQuery{}, ok: okOnly, resp: []core.BlockDocument{}},
	"GET /block_types/slug/{slug}/block_documents/name/{name}": {query: secretsQuery{}, ok: okOnly, resp: core.BlockDocument{}},
	"POST /block_types/install_system_block_types":             {ok: okOnly, resp: nullBody{}},
	"POST /block_schemas/":                                     {body: blockSchemaCreate{}, ok: okCreated, resp: core.BlockSchema{}, errs: []int{http.StatusConflict, http.StatusNotFound}},
	"DELETE /block_schemas/{id}":                               {ok: noBody, errs: []int{http.StatusForbidden}},
	"POST /block_schemas/filter":                               {body: blockSchemaFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.BlockSchema{}},
	"GET /block_schemas/{id}":                                  {ok: okOnly, resp: core.BlockSchema{}},
	"GET /block_schemas/checksum/{checksum}":                   {query: checksumQuery{}, ok: okOnly, resp: core.BlockSchema{}},
	"POST /block_documents/":                                   {body: blockDocumentCreate{}, ok: created1, resp: core.BlockDocument{}, errs: []int{http.StatusConflict, http.StatusNotFound}},
	"POST /block_documents/filter":                             {body: blockDocumentFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.BlockDocument{}},
	"GET /block_documents/{id}":                                {query: secretsQuery{}, ok: okOnly, resp: core.BlockDocument{}},
	"DELETE /block_documents/{id}":                             {ok: noBody},
	"PATCH /block_documents/{id}":                              {body: blockDocumentUpdate{}, ok: noBody, errs: []int{http.StatusConflict}},

	// Deployments
	"POST /deployments/":                                  {body: deploymentCreate{}, ok: okCreated, resp: core.Deployment{}, errs: []int{http.StatusConflict, http.StatusNotFound}},
	"PATCH /deployments/{id}":                             {body: deploymentBody{}, ok: noBody, errs: []int{http.StatusConflict}},
	"GET /deployments/name/{flow_name}/{deployment_name}": {ok: okOnly, resp: core.Deployment{}},
	"GET /deployments/{id}":                               {ok: okOnly, resp: core.Deployment{}},
	"POST /deployments/filter":                            {body: deploymentFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.Deployment{}},
	"POST /deployments/count":                             {body: runFiltersBody{}, bodyMayBeNull: true, ok: okOnly, resp: 0},
	"DELETE /deployments/{id}":                            {ok: noBody},
	"POST /deployments/{id}/set_schedule_active":          {ok: okOnly, resp: nullBody{}},
	"POST /deployments/{id}/set_schedule_inactive":        {ok: okOnly, resp: nullBody{}},
	"POST /deployments/{id}/schedule":                     {body: ScheduleRequest{}, ok: okOnly, resp: nullBody{}},
	"POST /deployments/{id}/create_flow_run":              {body: deploymentFlowRunCreate{}, ok: okCreated, resp: core.FlowRun{}, errs: []int{http.StatusConflict}},
	"GET /deployments/{id}/work_queue_check":              {ok: okOnly, resp: []core.WorkQueue{}},

	// Work queues
	"POST /work_queues/":              {body: workQueueCreate{}, ok: created1, resp: core.WorkQueue{}, errs: []int{http.StatusConflict}},
	"PATCH /work_queues/{id}":         {body: workQueueBody{}, ok: noBody, errs: []int{http.StatusConflict}},
	"GET /work_queues/{id}":           {ok: okOnly, resp: core.WorkQueue{}},
	"POST /work_queues/filter":        {body: workQueueFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.WorkQueue{}},
	"DELETE /work_queues/{id}":        {ok: noBody},
	"POST /work_queues/{id}/get_runs": {body: getRunsBody{}, ok: okOnly, resp: []core.FlowRun{}, legacy404: true},
	"GET /work_queues/name/{name}":    {ok: okOnly, resp: core.WorkQueue{}},
	"GET /work_queues/{id}/status":    {ok: okOnly, resp: workQueueStatus{}, legacy404: true},

	// Flow run notification policies (notifications.go) and Orrery's view of
	// the queue they fill
	"POST /flow_run_notification_policies/":       {body: notificationPolicyCreate{}, ok: created1, resp: core.FlowRunNotificationPolicy{}, errs: []int{http.StatusConflict}},
	"PATCH /flow_run_notification_policies/{id}":  {body: notificationPolicyUpdate{}, ok: noBody, errs: []int{http.StatusConflict}},
	"GET /flow_run_notification_policies/{id}":    {ok: okOnly, resp: core.FlowRunNotificationPolicy{}},
	"POST /flow_run_notification_policies/filter": {body: notificationPolicyFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.FlowRunNotificationPolicy{}},
	"DELETE /flow_run_notification_policies/{id}": {ok: noBody},
	"POST /flow_run_notifications/filter":         {body: notificationFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []core.Notification{}},

	// Work pools (experimental in 2.7.12; none exist here: work_pools.go)
	"POST /experimental/work_pools/filter": {body: workPoolFilterBody{}, bodyMayBeNull: true, ok: okOnly, resp: []workPool{}},
}

// crossFieldRules states the rules of a request type that involve more
// than one field (its validate method or handler enforces them), which
// struct tags cannot carry. Applied to the type's schema as reflected.
var crossFieldRules = map[reflect.Type]func(*jsonschema.Schema){
	// apiKeyCreate: expires and expires_in are alternatives.
	reflect.TypeOf(apiKeyCreate{}): func(s *jsonschema.Schema) {
		both := jsonschema.Schema{}
		both.WithRequired("expires", "expires_in")
		s.WithNot(both.ToSchemaOrBool())
	},
	// blockDocumentCreate: a name is needed unless the document is anonymous.
	reflect.TypeOf(blockDocumentCreate{}): func(s *jsonschema.Schema) {
		anon, named := jsonschema.Schema{}, jsonschema.Schema{}
		anon.WithRequired("is_anonymous").WithPropertiesItem("is_anonymous", (&jsonschema.Schema{}).WithEnum(true).ToSchemaOrBool())
		named.WithRequired("name").WithPropertiesItem("name", (&jsonschema.Schema{}).WithType(jsonschema.String.Type()).WithMinLength(1).ToSchemaOrBool())
		s.WithAnyOf(anon.ToSchemaOrBool(), named.ToSchemaOrBool())
	},
}

// fieldRules adds a field's bounds where its struct carries no tag for them
// (types outside this package whose rule lives in a validate method).
var fieldRules = map[reflect.Type]map[string]func(*jsonschema.Schema){
	reflect.TypeOf(core.TaskRunPolicy{}): {"retry_jitter_factor": func(s *jsonschema.Schema) { s.WithMinimum(0) }},
}

// nullOrHTTPError is the 400 of the database routes: 2.7's bare 400 (body
// null) when confirm is not true, or the version check's {"detail"}.
type nullOrHTTPError struct{}

// JSONSchemaAnyOf implements jsonschema.AnyOfExposer.
func (nullOrHTTPError) JSONSchemaAnyOf() []any { return []any{HTTPError{}, nullBody{}} }
