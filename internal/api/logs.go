package api

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orrery-dev/orrery/internal/core"
	"github.com/orrery-dev/orrery/internal/store"
)

// textBody, as a route's documented response (openapi_routes.go), is a
// text/plain body: the log download's.
type textBody string

const textContentType = "text/plain; charset=utf-8"

// downloadPageSize is how many log lines the download reads from the store
// at a time: memory stays at one page whatever the size of the run.
const downloadPageSize = 1000

// downloadPageTimeout is the write deadline given to each page of a
// download, so a run of millions of lines is not cut off by the server's
// overall write timeout while a stalled client still is.
const downloadPageTimeout = time.Minute

// LogLine formats one log as a line of a download:
//
//	2023-02-07T10:00:00.000000Z INFO prefect.flow_runs - message
//	2023-02-07T10:00:01.000000Z ERROR prefect.task_runs [say-hello-0 7d7e...] - message
//
// The timestamp is RFC 3339 in UTC with microseconds (fixed width, so the
// lines sort as text); the level is Python's name for it ("Level 25" for a
// level without one); a task run's line names the task run and its id. The
// message is written as sent, so a traceback spans several lines.
func LogLine(l *core.Log, taskRun string) string {
	var b strings.Builder
	b.WriteString(l.Timestamp.UTC().Format("2006-01-02T15:04:05.000000Z07:00"))
	b.WriteByte(' ')
	b.WriteString(LevelName(l.Level))
	b.WriteByte(' ')
	b.WriteString(l.Name)
	if taskRun != "" {
		b.WriteString(" [" + taskRun + "]")
	}
	b.WriteString(" - ")
	b.WriteString(l.Message)
	b.WriteByte('\n')
	return b.String()
}

// LevelName is Python logging's name of a level.
func LevelName(level int) string {
	switch level {
	case 0:
		return "NOTSET"
	case 10:
		return "DEBUG"
	case 20:
		return "INFO"
	case 30:
		return "WARNING"
	case 40:
		return "ERROR"
	case 50:
		return "CRITICAL"
	}
	return "Level " + strconv.Itoa(level)
}

// downloadLogs streams a flow run's logs, its task runs' included, as text
// lines: one store page at a time in timestamp order (keyset paging, so
// the last page of a huge run costs what the first does), flushed as it
// goes. The Lambda shell's proxy buffers the whole response before
// returning it (Lambda's response size limit applies there); the local
// server streams.
func (s *Server) downloadLogs(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	run, err := s.store.GetFlowRun(r.Context(), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", textContentType)
	h.Set("Content-Disposition", `attachment; filename="`+downloadName(run)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	bw := bufio.NewWriterSize(w, 64<<10)
	taskRuns := map[uuid.UUID]string{} // task run id -> label, read once each
	label := func(tr *uuid.UUID) string {
		if tr == nil {
			return ""
		}
		if v, ok := taskRuns[*tr]; ok {
			return v
		}
		v := tr.String()
		if t, err := s.store.GetTaskRun(r.Context(), *tr); err == nil {
			v = t.Name + " " + v
		}
		taskRuns[*tr] = v
		return v
	}
	after := ""
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(downloadPageTimeout)) // not every writer has one
		page, err := s.store.RunLogsPage(r.Context(), &store.RunLogsQuery{FlowRunID: id, After: after, Limit: downloadPageSize})
		if err != nil {
			// The status is sent: drop the connection so the client sees
			// a cut transfer rather than a complete-looking file.
			s.logger.ErrorContext(r.Context(), "log download failed", "flow_run_id", id, "err", err)
			panic(http.ErrAbortHandler)
		}
		for _, l := range page.Logs {
			if _, err := bw.WriteString(LogLine(l, label(l.TaskRunID))); err != nil {
				return nil // the client went away
			}
		}
		if err := bw.Flush(); err != nil {
			return nil
		}
		_ = rc.Flush()
		if len(page.Logs) < downloadPageSize {
			return nil
		}
		after = page.Next
	}
}

// downloadName is the attachment's file name: the run's name, kept to
// characters every file system and header parser accepts.
func downloadName(run *core.FlowRun) string {
	name := strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return '_'
	}, run.Name)
	if strings.Trim(name, "_.") == "" {
		name = run.ID.String()
	}
	return fmt.Sprintf("%s-logs.txt", name)
}
