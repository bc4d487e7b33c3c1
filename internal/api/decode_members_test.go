package api

import (
	"bytes"
	"encoding/json"
	"testing"
)

// objectMembers must see exactly the members decoding into a
// map[string]json.RawMessage sees (the way extraKeys used to read them).
func FuzzObjectMembers(f *testing.F) {
	for _, s := range []string{`{}`, ` { } `, `{"a":1}`, `{"a":{"b":[1,{"c":"}"}]},"d":"x\"y","e":null}`, `{"a":1,"a":{"x":2}}`,
		`{"\u00e9t\u00e9":true,"k\\":[]}`, "{\"\xff\":1}", `[1,2]`, `"s"`, `null`, `{"a" : "b" , "c":-1.5e3 }`, `{"n":[[],{}],"z":false}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if !json.Valid(raw) {
			return
		}
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal(raw, &want) != nil
		got, ok := objectMembers(raw)
		if wantErr {
			if ok {
				t.Fatalf("%q: not an object, but members %v", raw, got)
			}
			return
		}
		if !ok || len(got) != len(want) {
			t.Fatalf("%q: got %v (ok %v), want %d members", raw, got, ok, len(want))
		}
		for _, m := range got {
			w, found := want[m.key]
			if !found || !bytes.Equal(bytes.TrimSpace(m.val), bytes.TrimSpace(w)) {
				t.Fatalf("%q: member %q = %q, want %q (found %v)", raw, m.key, m.val, w, found)
			}
		}
	})
}
