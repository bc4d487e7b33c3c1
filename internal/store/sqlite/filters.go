package sqlite

import (
	"strings"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlfilter"
)

// The filters, sorts and pages come from package sqlfilter, the compiler
// both SQL backends share; what is here adapts it to this package's cond
// (SQLite takes "?" placeholders as they are).

var dialect = sqlfilter.SQLite

// cond is one SQL boolean expression with its arguments.
type cond struct {
	sql  string
	args []any
}

func fromC(c sqlfilter.Cond) cond { return cond{sql: c.SQL, args: c.Args} }

func (c cond) toC() sqlfilter.Cond { return sqlfilter.Cond{SQL: c.sql, Args: c.args} }

// combine joins conditions with AND, or with OR when or is true. No
// conditions means TRUE.
func combine(or bool, cs []cond) cond {
	out := make([]sqlfilter.Cond, len(cs))
	for i, c := range cs {
		out[i] = c.toC()
	}
	return fromC(dialect.Combine(or, out))
}

func exists(from, join string, c cond) cond { return fromC(sqlfilter.Exists(from, join, c.toC())) }

// in is col IN vals with the list bound as one parameter.
func in(col string, vals []string) cond { return fromC(dialect.In(col, vals)) }

func flowsWhere(f *store.RunFilters) cond       { return fromC(dialect.Flows(f)) }
func flowRunsWhere(f *store.RunFilters) cond    { return fromC(dialect.FlowRuns(f)) }
func taskRunsWhere(f *store.RunFilters) cond    { return fromC(dialect.TaskRuns(f)) }
func deploymentsWhere(f *store.RunFilters) cond { return fromC(dialect.Deployments(f)) }
func logsWhere(f *store.LogFilter) cond         { return fromC(dialect.Logs(f)) }

var (
	flowSorts       = sqlfilter.FlowSorts
	flowRunSorts    = sqlfilter.FlowRunSorts
	taskRunSorts    = sqlfilter.TaskRunSorts
	logSorts        = sqlfilter.LogSorts
	deploymentSorts = sqlfilter.DeploymentSorts
)

func orderBy[K comparable](m map[K]string, k, def K) string { return sqlfilter.OrderBy(m, k, def) }

func limitOffset(p store.Page) string { return dialect.Page(p) }

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}
