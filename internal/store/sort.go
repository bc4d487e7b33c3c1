package store

// Sort orders of 2.7. The API validates names against these lists; an
// empty value means the route's default.
type (
	FlowSort    string
	FlowRunSort string
	TaskRunSort string
	LogSort     string
)

// FlowSorts lists every FlowSort (default NAME_ASC).
var FlowSorts = []FlowSort{"CREATED_DESC", "UPDATED_DESC", "NAME_ASC", "NAME_DESC"}

// FlowRunSorts lists every FlowRunSort (default ID_DESC). START_TIME_*
// orders by coalesce(start_time, expected_start_time).
var FlowRunSorts = []FlowRunSort{"ID_DESC", "START_TIME_ASC", "START_TIME_DESC", "EXPECTED_START_TIME_ASC",
	"EXPECTED_START_TIME_DESC", "NAME_ASC", "NAME_DESC", "NEXT_SCHEDULED_START_TIME_ASC", "END_TIME_DESC"}

// TaskRunSorts lists every TaskRunSort (default ID_DESC).
var TaskRunSorts = []TaskRunSort{"ID_DESC", "EXPECTED_START_TIME_ASC", "EXPECTED_START_TIME_DESC", "NAME_ASC",
	"NAME_DESC", "NEXT_SCHEDULED_START_TIME_ASC", "END_TIME_DESC"}

// LogSorts lists every LogSort (default TIMESTAMP_ASC).
var LogSorts = []LogSort{"TIMESTAMP_ASC", "TIMESTAMP_DESC", "LEVEL_ASC", "LEVEL_DESC", "FLOW_RUN_ID_ASC",
	"FLOW_RUN_ID_DESC", "TASK_RUN_ID_ASC", "TASK_RUN_ID_DESC"}
