package blocks

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestChecksumMatchesPrefectForEveryBuiltin(t *testing.T) {
	t.Parallel()
	bs := Builtin()
	if len(bs) < 15 {
		t.Fatalf("only %d builtin blocks", len(bs))
	}
	protected := 0
	for _, b := range bs {
		t.Run(b.Type.Slug, func(t *testing.T) {
			fields, err := DecodeFields(b.Schema.Fields)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Checksum(fields)
			if err != nil {
				t.Fatal(err)
			}
			if got != b.Schema.Checksum {
				t.Fatalf("checksum %s, Prefect computed %s", got, b.Schema.Checksum)
			}
		})
		if b.Type.IsProtected {
			protected++
		}
	}
	if protected != 5 {
		t.Fatalf("%d protected blocks, want 5", protected)
	}
}

func TestPythonJSONFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{`{"b": 1, "a": [true, null, "x"]}`, `{"a": [true, null, "x"], "b": 1}`},
		{`{"f": 1.0, "g": 1e-05, "h": 1e16, "i": 0.1, "j": 123456789012345678901234567890}`, `{"f": 1.0, "g": 1e-05, "h": 1e+16, "i": 0.1, "j": 123456789012345678901234567890}`},
		{`{"u": "café ☃ 😀", "c": "a\"b\\c\n\u0001/<>&"}`, `{"c": "a\"b\\c\n\u0001/<>&", "u": "caf\u00e9 \u2603 \ud83d\ude00"}`},
		{`{"Z": 1, "a": 2, "é": 3}`, `{"Z": 1, "a": 2, "\u00e9": 3}`},
	}
	for _, tt := range tests {
		m, err := DecodeFields([]byte(tt.in))
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		var buf bytes.Buffer
		if err := pyDump(&buf, m); err != nil {
			t.Fatal(err)
		}
		b.WriteString(buf.String())
		if b.String() != tt.want {
			t.Errorf("pyDump(%s)\n got %s\nwant %s", tt.in, b.String(), tt.want)
		}
	}
}

func TestChecksumIgnoresSecretFieldsAndBlockDefinitions(t *testing.T) {
	t.Parallel()
	base := `{"title": "T", "properties": {"x": {"$ref": "#/definitions/Inner"}, "b": {"$ref": "#/definitions/Blk"}},
		"definitions": {"Inner": {"title": "Inner", "properties": {"y": {"$ref": "#/definitions/Deep"}}}, "Deep": {"title": "Deep"},
		"Blk": {"title": "Blk", "block_type_slug": "blk"}, "Unused": {"title": "Unused"}}}`
	withSecrets := strings.Replace(base, `"title": "T",`, `"title": "T", "secret_fields": ["a"],`, 1)
	withSecrets = strings.Replace(withSecrets, `"title": "Deep"`, `"title": "Deep", "secret_fields": ["z"]`, 1)
	pruned := `{"title": "T", "properties": {"x": {"$ref": "#/definitions/Inner"}, "b": {"$ref": "#/definitions/Blk"}},
		"definitions": {"Inner": {"title": "Inner", "properties": {"y": {"$ref": "#/definitions/Deep"}}}, "Deep": {"title": "Deep"}}}`
	sum := func(s string) string {
		m, err := DecodeFields([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		c, err := Checksum(m)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if sum(base) != sum(withSecrets) || sum(base) != sum(pruned) {
		t.Fatal("secret_fields or unused/block definitions changed the checksum")
	}
	onlyBlocks := `{"title": "T", "properties": {"b": {"$ref": "#/definitions/Blk"}}, "definitions": {"Blk": {"block_type_slug": "blk"}}}`
	noDefs := `{"title": "T", "properties": {"b": {"$ref": "#/definitions/Blk"}}}`
	if sum(onlyBlocks) != sum(noDefs) {
		t.Fatal("definitions holding only blocks must be dropped")
	}
}

func TestObfuscateAndMerge(t *testing.T) {
	t.Parallel()
	data := map[string]any{"user": "ann", "password": "p", "nested": map[string]any{"token": "t", "keep": 1},
		"headers": map[string]any{"a": "1", "b": "2"}, "empty": nil}
	secrets := []string{"password", "nested.token", "headers.*", "empty", "missing.path"}
	got := ObfuscateSecrets(data, secrets)
	want := map[string]any{"user": "ann", "password": Obfuscated, "nested": map[string]any{"token": Obfuscated, "keep": 1},
		"headers": map[string]any{"a": Obfuscated, "b": Obfuscated}, "empty": nil}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("obfuscated = %v", got)
	}
	if data["password"] != "p" {
		t.Fatal("input mutated")
	}
	upd := map[string]any{"password": Obfuscated, "nested": map[string]any{"token": Obfuscated, "keep": 2}, "headers": map[string]any{"a": Obfuscated, "b": "new"}}
	merged := MergeData(data, upd, secrets, true)
	if merged["password"] != "p" || merged["user"] != "ann" {
		t.Fatalf("merge lost values: %v", merged)
	}
	if n := merged["nested"].(map[string]any); n["token"] != "t" || n["keep"] != 2 {
		t.Fatalf("nested merge: %v", n)
	}
	if h := merged["headers"].(map[string]any); h["a"] != "1" || h["b"] != "new" {
		t.Fatalf("wildcard merge: %v", h)
	}
	replaced := MergeData(data, map[string]any{"user": "bob"}, secrets, false)
	if !reflect.DeepEqual(replaced, map[string]any{"user": "bob"}) {
		t.Fatalf("replace: %v", replaced)
	}
}

func TestSecretFields(t *testing.T) {
	t.Parallel()
	got := SecretFields(json.RawMessage(`{"secret_fields": ["a", "b.*"]}`))
	if !reflect.DeepEqual(got, []string{"a", "b.*"}) {
		t.Fatal(got)
	}
	if SecretFields(json.RawMessage(`not json`)) != nil {
		t.Fatal("garbage gave secret fields")
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add(`{"a": 1}`)
	f.Add(`{"definitions": {"X": {"$ref": "#/definitions/X"}}, "properties": {"p": {"$ref": "#/definitions/X"}}}`)
	f.Add(`{"s": "\ud83d\ude00", "n": -1.5e-300}`)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := DecodeFields([]byte(s))
		if err != nil {
			return
		}
		a, err1 := Checksum(m)
		b, err2 := Checksum(m)
		if (err1 == nil) != (err2 == nil) || a != b {
			t.Fatalf("non-deterministic: %s %s", a, b)
		}
	})
}
