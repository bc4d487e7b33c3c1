package core

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestPolicyMatches(t *testing.T) {
	tests := []struct {
		name   string
		policy FlowRunNotificationPolicy
		state  string
		tags   []string
		want   bool
	}{
		{"named state, any run", FlowRunNotificationPolicy{IsActive: true, StateNames: []string{"Failed"}, Tags: []string{}}, "Failed", nil, true},
		{"other state", FlowRunNotificationPolicy{IsActive: true, StateNames: []string{"Failed"}}, "Completed", nil, false},
		{"names, not types", FlowRunNotificationPolicy{IsActive: true, StateNames: []string{"FAILED"}}, "Failed", nil, false},
		{"no state names: every state", FlowRunNotificationPolicy{IsActive: true}, "AwaitingRetry", []string{"x"}, true},
		{"inactive", FlowRunNotificationPolicy{IsActive: false, StateNames: []string{"Failed"}}, "Failed", nil, false},
		{"shared tag", FlowRunNotificationPolicy{IsActive: true, Tags: []string{"prod", "eu"}}, "Failed", []string{"dev", "eu"}, true},
		{"no shared tag", FlowRunNotificationPolicy{IsActive: true, Tags: []string{"prod"}}, "Failed", []string{"dev"}, false},
		{"tagged policy, untagged run", FlowRunNotificationPolicy{IsActive: true, Tags: []string{"prod"}}, "Failed", nil, false},
	}
	for _, tt := range tests {
		if got := tt.policy.Matches(tt.state, tt.tags); got != tt.want {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNotificationID(t *testing.T) {
	testNow := time.Date(2023, 2, 7, 10, 0, 0, 0, time.UTC)
	p, s := uuid.New(), uuid.New()
	if NotificationID(p, s) != NotificationID(p, s) {
		t.Fatal("not deterministic")
	}
	if NotificationID(p, s) == NotificationID(s, p) || NotificationID(p, s) == NotificationID(p, uuid.New()) {
		t.Fatal("different pairs share an id")
	}
	st := &State{ID: s, Type: Failed, Name: "Failed", Timestamp: T(testNow)}
	n := NewNotification(&FlowRunNotificationPolicy{ID: p}, uuid.New(), st, T(testNow))
	if n.ID != NotificationID(p, s) || n.Status != NotificationPending || !n.NextAttemptAt.Equal(testNow) || n.StateName != "Failed" {
		t.Fatalf("NewNotification = %+v", n)
	}
}
