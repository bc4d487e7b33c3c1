// Package sqlfilter compiles the 2.7 filter objects of package store into
// SQL WHERE conditions, sort clauses and pages for the SQL backends. One
// compiler serves SQLite and PostgreSQL; a Dialect holds the few things that
// differ between them (how a list is bound, JSON containment, LIKE vs ILIKE,
// how times and booleans are stored, how a page is written).
//
// Every list in a filter is bound as ONE parameter, however long: SQLite
// reads it with json_each, PostgreSQL as an array or a jsonb value. A
// statement therefore has a number of parameters fixed by the shape of the
// filter, never by the length of its lists, so no list runs into SQLite's
// 32,766-variable limit or its expression depth of 1,000, and no list is
// an OR tree the planner has to walk term by term.
//
// A Cond's SQL marks its parameters with "?" in the order of its Args. The
// compiler writes no "?" of any other kind (no string literal holding one,
// no PostgreSQL jsonb ? operator), so Numbered can turn the marks into
// PostgreSQL's $n safely.
package sqlfilter

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// Cond is one SQL boolean expression with its parameters, in order.
type Cond struct {
	SQL  string
	Args []any
}

// Numbered returns c's SQL with its "?" marks written $from+1, $from+2, ...
// (PostgreSQL's placeholders), for a statement already holding from
// parameters.
func (c Cond) Numbered(from int) string {
	if len(c.Args) == 0 {
		return c.SQL
	}
	var b strings.Builder
	b.Grow(len(c.SQL) + 3*len(c.Args))
	n := from
	for _, r := range c.SQL {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Dialect is what differs between the SQL backends. The conditions it
// writes take their parameters as "?" (see Numbered).
type Dialect struct {
	// True and False are the boolean literals (SQLite stores booleans as
	// 0 and 1).
	True, False string
	// InList is "col is in the bound list": the list parameter is what
	// List makes of the values.
	InList func(col string) string
	// List turns the values of a list ([]string or []uuid.UUID) into the
	// one parameter InList, AnyPrefix and ContainsAll bind.
	List func(vals any) any
	// AnyPrefix is "col starts with one of the bound prefixes, ignoring
	// case".
	AnyPrefix func(col string) string
	// ContainsAll is "the JSON array in col holds every value of the bound
	// list".
	ContainsAll func(col string) string
	// ILike is the case-insensitive LIKE operator.
	ILike string
	// EmptyList is the literal of an empty JSON array, as the tag columns
	// store it.
	EmptyList string
	// Time is how a time column stores t.
	Time func(t *core.Time) any
	// Page writes LIMIT/OFFSET; the numbers are ints, so they are inlined,
	// which also lets the planner see the limit.
	Page func(p store.Page) string
	// LogText is "the log's message contains q, ignoring case" (a
	// non-empty q), answered from the backend's text index.
	LogText func(q string) Cond
}

// jsonText is a list as the JSON text json_each reads, sorted: SQLite
// loads an IN list into a temporary index, and in key order each value is
// an append (two to three times faster on a long list). Ids are written in
// the text form the SQLite columns hold. Marshalling strings cannot fail.
func jsonText(vals any) any {
	var strs []string
	switch v := vals.(type) {
	case []uuid.UUID:
		strs = make([]string, len(v))
		for i, id := range v {
			strs[i] = id.String()
		}
	case []string:
		strs = slices.Clone(v)
	}
	slices.Sort(strs)
	b, _ := json.Marshal(strs)
	return string(b)
}

// SQLite is the dialect of the SQLite backend: lists are bound as JSON text
// and read with json_each; times are unix microseconds.
var SQLite = &Dialect{
	True:   "1",
	False:  "0",
	InList: func(col string) string { return col + " IN (SELECT value FROM json_each(?))" },
	List:   jsonText,
	// SQLite's LIKE ignores ASCII case, like PostgreSQL's ILIKE.
	AnyPrefix: func(col string) string {
		return "EXISTS (SELECT 1 FROM json_each(?) p WHERE " + col + " LIKE p.value || '%')"
	},
	// No required value is missing from the column's array: one set
	// difference per row, whatever the length of the list.
	ContainsAll: func(col string) string {
		return "NOT EXISTS (SELECT value FROM json_each(?) EXCEPT SELECT value FROM json_each(" + col + "))"
	},
	ILike:     "LIKE",
	EmptyList: "'[]'",
	LogText:   sqliteLogText,
	Time: func(t *core.Time) any {
		if t == nil {
			return nil
		}
		return t.UnixMicro()
	},
	Page: func(p store.Page) string {
		if p.Limit <= 0 && p.Offset <= 0 {
			return ""
		}
		limit := p.Limit
		if limit <= 0 {
			limit = -1 // SQLite has no OFFSET without LIMIT
		}
		return " LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(p.Offset)
	},
}

// Postgres is the dialect of the PostgreSQL backend: lists are bound as
// arrays (= ANY), tag lists as jsonb so the GIN index on tags serves @>.
var Postgres = &Dialect{
	True:   "TRUE",
	False:  "FALSE",
	InList: func(col string) string { return col + " = ANY(?)" },
	List:   func(vals any) any { return vals },
	AnyPrefix: func(col string) string {
		return "EXISTS (SELECT 1 FROM unnest(?::text[]) p(v) WHERE " + col + " ILIKE p.v || '%')"
	},
	ContainsAll: func(col string) string { return col + " @> ?::jsonb" },
	ILike:       "ILIKE",
	EmptyList:   "'[]'::jsonb",
	LogText:     postgresLogText,
	Time: func(t *core.Time) any {
		if t == nil {
			return nil
		}
		return t.Time
	},
	Page: func(p store.Page) string {
		var b strings.Builder
		if p.Limit > 0 {
			b.WriteString(" LIMIT " + strconv.Itoa(p.Limit))
		}
		if p.Offset > 0 {
			b.WriteString(" OFFSET " + strconv.Itoa(p.Offset))
		}
		return b.String()
	},
}

// Combine joins conditions with AND, or with OR when or is true; no
// conditions is TRUE.
func (d *Dialect) Combine(or bool, cs []Cond) Cond {
	switch len(cs) {
	case 0:
		return Cond{SQL: d.True}
	case 1:
		return cs[0]
	}
	op := ") AND ("
	if or {
		op = ") OR ("
	}
	parts := make([]string, len(cs))
	var args []any
	for i, c := range cs {
		parts[i] = c.SQL
		args = append(args, c.Args...)
	}
	return Cond{SQL: "(" + strings.Join(parts, op) + ")", Args: args}
}

// Exists is EXISTS (SELECT 1 FROM from WHERE join AND c).
func Exists(from, join string, c Cond) Cond {
	return Cond{SQL: "EXISTS (SELECT 1 FROM " + from + " WHERE " + join + " AND (" + c.SQL + "))", Args: c.Args}
}

// Not negates c.
func Not(c Cond) Cond { return Cond{SQL: "NOT (" + c.SQL + ")", Args: c.Args} }

// In is col IN vals, vals bound as one parameter. An empty list matches
// nothing, as in 2.7. A one-value list is an equality, which lets the
// planner walk an index on (col, sort key) in order.
func (d *Dialect) In(col string, vals []string) Cond { return in(d, col, vals) }

// InIDs is In for an id column.
func (d *Dialect) InIDs(col string, vals []uuid.UUID) Cond { return in(d, col, vals) }

func in[T string | uuid.UUID](d *Dialect, col string, vals []T) Cond {
	switch len(vals) {
	case 0:
		return Cond{SQL: d.False}
	case 1:
		return Cond{SQL: col + " = ?", Args: []any{vals[0]}}
	}
	return Cond{SQL: d.InList(col), Args: []any{d.List(vals)}}
}

// ContainsAllOf is "the JSON array column col holds every value of vals";
// an empty list is TRUE.
func (d *Dialect) ContainsAllOf(col string, vals []string) Cond {
	if vals == nil {
		vals = []string{} // jsonb "[]", not null
	}
	return Cond{SQL: d.ContainsAll(col), Args: []any{d.List(vals)}}
}

// Where accumulates the sub-criteria of one filter object; Done combines
// them under the object's operator.
type Where struct {
	d  *Dialect
	cs []Cond
}

// Where starts the criteria of one filter object.
func (d *Dialect) Where() *Where { return &Where{d: d} }

// Add adds a criterion.
func (w *Where) Add(c Cond) { w.cs = append(w.cs, c) }

// Done combines the criteria with AND, or OR when op says so.
func (w *Where) Done(op *store.Operator) Cond { return w.d.Combine(op.IsOr(), w.cs) }

func (w *Where) sub() *Where { return &Where{d: w.d} }

// ID adds an IDFilter on col.
func (w *Where) ID(col string, f *store.IDFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		w.Add(w.d.InIDs(col, *f.Any))
	}
	if f.NotAny != nil && len(*f.NotAny) > 0 {
		w.Add(Not(w.d.InIDs(col, *f.NotAny)))
	}
}

// Name adds a NameFilter on col.
func (w *Where) Name(col string, f *store.NameFilter) {
	if f == nil {
		return
	}
	if f.Any != nil {
		w.Add(w.d.In(col, *f.Any))
	}
	if f.Like != nil {
		// 2.7 builds ILIKE '%value%' without escaping, so % and _ in the
		// value are wildcards there too.
		w.Add(Cond{SQL: col + " " + w.d.ILike + " '%' || ? || '%'", Args: []any{*f.Like}})
	}
	if f.StartsWith != nil {
		switch p := *f.StartsWith; len(p) {
		case 0:
			w.Add(Cond{SQL: w.d.False})
		case 1:
			w.Add(Cond{SQL: col + " " + w.d.ILike + " ? || '%'", Args: []any{p[0]}})
		default:
			w.Add(Cond{SQL: w.d.AnyPrefix(col), Args: []any{w.d.List(p)}})
		}
	}
}

// Tags adds a TagsFilter on the JSON array column col.
func (w *Where) Tags(col string, f *store.TagsFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.All != nil {
		sub.Add(w.d.ContainsAllOf(col, *f.All))
	}
	if f.IsNull != nil {
		if *f.IsNull {
			sub.Add(Cond{SQL: col + " = " + w.d.EmptyList})
		} else {
			sub.Add(Cond{SQL: col + " <> " + w.d.EmptyList})
		}
	}
	w.Add(sub.Done(f.Operator))
}

// OptID adds an OptIDFilter on col.
func (w *Where) OptID(col string, f *store.OptIDFilter) {
	if f != nil {
		w.optional(col, f.Any != nil, func() Cond { return w.d.InIDs(col, *f.Any) }, f.IsNull, f.Operator)
	}
}

// OptString adds an OptStringFilter on col.
func (w *Where) OptString(col string, f *store.OptStringFilter) {
	if f != nil {
		w.optional(col, f.Any != nil, func() Cond { return w.d.In(col, *f.Any) }, f.IsNull, f.Operator)
	}
}

// optional adds the criteria of a filter on a nullable column: any_ (the
// condition in, when hasAny) and is_null_, under the filter's operator.
func (w *Where) optional(col string, hasAny bool, in func() Cond, isNull *bool, op *store.Operator) {
	sub := w.sub()
	if hasAny {
		sub.Add(in())
	}
	sub.IsNull(col, isNull)
	w.Add(sub.Done(op))
}

// IsNull adds col IS NULL (v true) or IS NOT NULL (v false).
func (w *Where) IsNull(col string, v *bool) {
	if v == nil {
		return
	}
	if *v {
		w.Add(Cond{SQL: col + " IS NULL"})
	} else {
		w.Add(Cond{SQL: col + " IS NOT NULL"})
	}
}

// AnyString adds {"any_": [...]} on col.
func (w *Where) AnyString(col string, f *store.StringAnyFilter) {
	if f != nil && f.Any != nil {
		w.Add(w.d.In(col, *f.Any))
	}
}

// State adds a StateFilter on the state type and name columns.
func (w *Where) State(typeCol, nameCol string, f *store.StateFilter) {
	if f == nil {
		return
	}
	sub := w.sub()
	if f.Type != nil && f.Type.Any != nil {
		types := make([]string, len(*f.Type.Any))
		for i, t := range *f.Type.Any {
			types[i] = string(t)
		}
		sub.Add(w.d.In(typeCol, types))
	}
	if f.Name != nil && f.Name.Any != nil {
		sub.Add(w.d.In(nameCol, *f.Name.Any))
	}
	w.Add(sub.Done(f.Operator))
}

// Time adds a TimeFilter on col (inclusive bounds).
func (w *Where) Time(col string, f *store.TimeFilter) {
	if f == nil {
		return
	}
	if f.Before != nil {
		w.Add(Cond{SQL: col + " <= ?", Args: []any{w.d.Time(f.Before)}})
	}
	if f.After != nil {
		w.Add(Cond{SQL: col + " >= ?", Args: []any{w.d.Time(f.After)}})
	}
	w.IsNull(col, f.IsNull)
}

// Bool adds {"eq_": bool} on col.
func (w *Where) Bool(col string, f *store.BoolFilter) {
	if f != nil && f.Eq != nil {
		w.Add(Cond{SQL: col + " = ?", Args: []any{*f.Eq}})
	}
}
