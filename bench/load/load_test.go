package load

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	p := Summarize(s)
	if p.Count != 100 || p.P50 != 50*time.Millisecond || p.P95 != 95*time.Millisecond || p.P99 != 99*time.Millisecond || p.Max != 100*time.Millisecond {
		t.Fatalf("percentiles: %+v", p)
	}
	if got := Summarize([]time.Duration{7}); got.P50 != 7 || got.P99 != 7 {
		t.Fatalf("single sample: %+v", got)
	}
	if got := Summarize(nil); got.Count != 0 {
		t.Fatal("empty")
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind    string
		status  int
		body    string
		ok, err bool
	}{
		{"set_state", 201, `{"status":"ACCEPT"}`, true, false},
		{"set_state", 200, `{"status":"WAIT"}`, false, false},
		{"set_state", 200, `not json`, false, true},
		{"create_flow_run", 201, `{}`, true, false},
		{"create_flow_run", 422, `{}`, false, true},
		{"set_state", 500, `{}`, false, true},
	}
	for _, tt := range tests {
		ok, err := Check(tt.kind, tt.status, []byte(tt.body))
		if ok != tt.ok || (err != nil) != tt.err {
			t.Errorf("Check(%s, %d, %s) = %v, %v", tt.kind, tt.status, tt.body, ok, err)
		}
	}
}

// A fake server that rejects every set_state: errors must be counted, not hidden.
func TestRunCountsRejections(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/set_state") {
			w.Write([]byte(`{"status":"ABORT"}`))
			return
		}
		w.WriteHeader(201)
		w.Write([]byte(`{"id":"00000000-0000-0000-0000-000000000001"}`))
	}))
	defer srv.Close()
	res, err := Run(context.Background(), Config{URL: srv.URL, Clients: 2, Duration: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.NotAccepted == 0 || res.Transitions == 0 || res.FirstError == "" {
		t.Fatalf("rejections not reported: %+v", res)
	}
}
