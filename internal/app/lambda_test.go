package app

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/orrery-dev/orrery/internal/secretbox"
	"github.com/orrery-dev/orrery/shared"
)

// fakeSSM is a ParameterGetter whose answer a test sets.
type fakeSSM struct {
	GetParameterFn func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
	calls          int
}

var _ ParameterGetter = (*fakeSSM)(nil)

func (f *fakeSSM) GetParameter(_ context.Context, in *ssm.GetParameterInput, _ ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	f.calls++
	return f.GetParameterFn(in)
}

func TestSecretKeyFromParameter(t *testing.T) {
	// Not parallel: the function under test sets ORRERY_SECRET_KEY.
	const key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	answer := func(in *ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
		if aws.ToString(in.Name) != "/orrery/Test/secret-key" || !aws.ToBool(in.WithDecryption) {
			return nil, errors.New("unexpected request: want /orrery/Test/secret-key WithDecryption")
		}
		return &ssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String(key + "\n")}}, nil
	}
	for _, tt := range []struct {
		name      string
		env       map[string]string
		fn        func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error)
		wantCalls int
		wantKey   string // ORRERY_SECRET_KEY afterwards
		wantErr   string
	}{
		{name: "parameter read with decryption", env: map[string]string{shared.EnvSecretKeyParameter: "/orrery/Test/secret-key"},
			fn: answer, wantCalls: 1, wantKey: key},
		{name: "an explicit key wins, no SSM call", env: map[string]string{shared.EnvSecretKeyParameter: "/orrery/Test/secret-key", secretbox.EnvKey: "explicit"},
			fn: answer, wantCalls: 0, wantKey: "explicit"},
		{name: "no parameter, nothing to do", env: map[string]string{}, fn: answer, wantCalls: 0, wantKey: ""},
		{name: "SSM error names the parameter", env: map[string]string{shared.EnvSecretKeyParameter: "/orrery/Test/secret-key"},
			fn: func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
				return nil, &types.ParameterNotFound{Message: aws.String("not found")}
			}, wantCalls: 1, wantErr: "/orrery/Test/secret-key"},
		{name: "empty value", env: map[string]string{shared.EnvSecretKeyParameter: "/orrery/Test/secret-key"},
			fn: func(*ssm.GetParameterInput) (*ssm.GetParameterOutput, error) {
				return &ssm.GetParameterOutput{Parameter: &types.Parameter{Value: aws.String(" ")}}, nil
			}, wantCalls: 1, wantErr: "is empty"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(secretbox.EnvKey, "")
			os.Unsetenv(secretbox.EnvKey)
			fake := &fakeSSM{GetParameterFn: tt.fn}
			getenv := func(k string) string {
				if k == secretbox.EnvKey {
					if v, ok := tt.env[k]; ok {
						return v
					}
					return os.Getenv(k)
				}
				return tt.env[k]
			}
			err := secretKeyFromParameter(context.Background(), getenv, func(context.Context) (ParameterGetter, error) { return fake, nil })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if fake.calls != tt.wantCalls {
				t.Errorf("GetParameter calls = %d, want %d", fake.calls, tt.wantCalls)
			}
			if tt.wantErr == "" {
				if got := getenv(secretbox.EnvKey); got != tt.wantKey {
					t.Errorf("%s = %q, want %q", secretbox.EnvKey, got, tt.wantKey)
				}
			}
		})
	}
}
