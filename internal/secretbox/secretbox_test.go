package secretbox

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	box, err := New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range [][]byte{nil, []byte("x"), []byte(`{"password":"hunter2"}`), bytes.Repeat([]byte("a"), 1<<16)} {
		sealed, err := box.Seal(msg)
		if err != nil {
			t.Fatal(err)
		}
		if len(msg) > 3 && bytes.Contains(sealed, msg) {
			t.Fatal("plaintext visible in sealed value")
		}
		got, err := box.Open(sealed)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("round trip: %v %q", err, got)
		}
		again, _ := box.Seal(msg)
		if bytes.Equal(again, sealed) {
			t.Fatal("nonce reused")
		}
	}
}

func TestOpenRejectsTamperingAndWrongKey(t *testing.T) {
	t.Parallel()
	box, _ := New(bytes.Repeat([]byte{1}, 32))
	other, _ := New(bytes.Repeat([]byte{2}, 32))
	sealed, _ := box.Seal([]byte("secret"))
	tests := map[string][]byte{
		"flipped bit":  append(append([]byte{}, sealed[:len(sealed)-1]...), sealed[len(sealed)-1]^1),
		"wrong format": append([]byte{9}, sealed[1:]...),
		"truncated":    sealed[:5],
		"empty":        nil,
	}
	for name, v := range tests {
		if _, err := box.Open(v); err != ErrOpen {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
	if _, err := other.Open(sealed); err != ErrOpen {
		t.Errorf("wrong key: err = %v", err)
	}
	if _, err := New([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

func TestLoadCreatesKeyFileOnce(t *testing.T) {
	t.Setenv(EnvKey, "")
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	a, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(path)); di.Mode().Perm() != 0o700 {
		t.Fatalf("key dir mode %v", di.Mode().Perm())
	}
	b, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := a.Seal([]byte("v"))
	if got, err := b.Open(sealed); err != nil || string(got) != "v" {
		t.Fatal("second Load did not reuse the key")
	}
}

func TestLoadFromEnv(t *testing.T) {
	t.Setenv(EnvKey, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=")
	box, err := Load(filepath.Join(t.TempDir(), "unused"))
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := New(bytes.Repeat([]byte{1}, 32))
	sealed, _ := ref.Seal([]byte("v"))
	if _, err := box.Open(sealed); err != nil {
		t.Fatal("env key not used")
	}
	t.Setenv(EnvKey, "not base64!")
	if _, err := Load("x"); err == nil {
		t.Fatal("bad env key accepted")
	}
}
