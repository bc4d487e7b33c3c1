package blocks

import (
	"encoding/json"
	"reflect"
	"strings"
)

// Obfuscated is what a secret value looks like to a client that did not ask
// for secrets.
const Obfuscated = "********"

// SecretFields returns the dotted secret paths ("password", "creds.token",
// "headers.*") a schema's fields declare.
func SecretFields(fields json.RawMessage) []string {
	var f struct {
		SecretFields []string `json:"secret_fields"`
	}
	_ = json.Unmarshal(fields, &f)
	return f.SecretFields
}

// ObfuscateSecrets returns a deep copy of data with the value at every
// secret path replaced by Obfuscated; "*" matches every key at its level.
func ObfuscateSecrets(data map[string]any, secretFields []string) map[string]any {
	out, _ := deepCopy(data).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for _, path := range secretFields {
		obfuscatePath(out, strings.Split(path, "."))
	}
	return out
}

func obfuscatePath(v any, path []string) {
	m, ok := v.(map[string]any)
	if !ok || len(path) == 0 {
		return
	}
	keys := []string{path[0]}
	if path[0] == "*" {
		keys = keys[:0]
		for k := range m {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		val, present := m[k]
		if !present {
			continue
		}
		if len(path) == 1 {
			if val != nil {
				m[k] = Obfuscated
			}
			continue
		}
		obfuscatePath(val, path[1:])
	}
}

// MergeData applies a document update: values at secret paths that equal
// Obfuscated are the client echoing back a hidden secret and keep the stored
// value; with mergeExisting the update's top-level keys are laid over the
// existing data, otherwise the update replaces it.
func MergeData(existing, update map[string]any, secretFields []string, mergeExisting bool) map[string]any {
	upd, _ := deepCopy(update).(map[string]any)
	if upd == nil {
		upd = map[string]any{}
	}
	for _, path := range secretFields {
		keepSecrets(upd, existing, strings.Split(path, "."))
	}
	if !mergeExisting {
		return upd
	}
	out, _ := deepCopy(existing).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range upd {
		out[k] = v
	}
	return out
}

// keepSecrets walks path in upd and cur together and restores the current
// value wherever upd holds the placeholder.
func keepSecrets(upd, cur any, path []string) {
	um, ok := upd.(map[string]any)
	if !ok || len(path) == 0 {
		return
	}
	cm, _ := cur.(map[string]any)
	keys := []string{path[0]}
	if path[0] == "*" {
		keys = keys[:0]
		for k := range um {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		uv, present := um[k]
		if !present {
			continue
		}
		cv, had := cm[k]
		if len(path) == 1 {
			if uv == Obfuscated && had {
				um[k] = deepCopy(cv)
			}
			continue
		}
		keepSecrets(uv, cv, path[1:])
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			out[k] = deepCopy(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = deepCopy(val)
		}
		return out
	}
	return v
}

// Equal reports whether two decoded JSON values are equal.
func Equal(a, b any) bool { return reflect.DeepEqual(a, b) }
