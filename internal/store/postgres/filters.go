package postgres

import (
	"strings"

	"github.com/orrery-dev/orrery/internal/store"
	"github.com/orrery-dev/orrery/internal/store/sqlfilter"
)

// The filters, sorts and pages come from package sqlfilter, the compiler
// both SQL backends share; what is here numbers its placeholders into the
// query being built.

var dialect = sqlfilter.Postgres

// args collects the parameters of one query. PostgreSQL numbers its
// placeholders, so each compiled condition is numbered from the count so
// far as it is added; conditions can then be combined in any order.
type args struct{ vals []any }

// add appends c's parameters and returns its SQL numbered to match.
func (a *args) add(c sqlfilter.Cond) string {
	sql := c.Numbered(len(a.vals))
	a.vals = append(a.vals, c.Args...)
	return sql
}

// combine joins SQL conditions with AND, or OR when or is true; none is TRUE.
func combine(or bool, cs []string) string {
	switch len(cs) {
	case 0:
		return dialect.True
	case 1:
		return cs[0]
	}
	op := " AND "
	if or {
		op = " OR "
	}
	return "(" + strings.Join(cs, ")"+op+"(") + ")"
}

func exists(from, join, cond string) string {
	return sqlfilter.Exists(from, join, sqlfilter.Cond{SQL: cond}).SQL
}

func flowsWhere(a *args, f *store.RunFilters) string       { return a.add(dialect.Flows(f)) }
func flowRunsWhere(a *args, f *store.RunFilters) string    { return a.add(dialect.FlowRuns(f)) }
func taskRunsWhere(a *args, f *store.RunFilters) string    { return a.add(dialect.TaskRuns(f)) }
func deploymentsWhere(a *args, f *store.RunFilters) string { return a.add(dialect.Deployments(f)) }
func logsWhere(a *args, f *store.LogFilter) string         { return a.add(dialect.Logs(f)) }

func workQueuesWhere(a *args, f *store.WorkQueueFilter) string { return a.add(dialect.WorkQueues(f)) }

func blockSchemaCond(a *args, t string, f *store.BlockSchemaFilter) string {
	return a.add(dialect.BlockSchema(t, f))
}

func blockTypeCond(a *args, t string, f *store.BlockTypeFilter) string {
	return a.add(dialect.BlockType(t, f))
}

func blockDocumentCond(a *args, t string, f *store.BlockDocumentFilter) string {
	return a.add(dialect.BlockDocument(t, f))
}

var (
	flowSorts       = sqlfilter.FlowSorts
	flowRunSorts    = sqlfilter.FlowRunSorts
	taskRunSorts    = sqlfilter.TaskRunSorts
	logSorts        = sqlfilter.LogSorts
	deploymentSorts = sqlfilter.DeploymentSorts
)

func orderBy[K comparable](m map[K]string, k, def K) string { return sqlfilter.OrderBy(m, k, def) }

func page(p store.Page) string { return dialect.Page(p) }
