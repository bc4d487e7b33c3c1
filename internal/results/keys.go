package results

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidKey is wrapped by the error every Store returns for a key that is
// not a clean relative slash-separated path.
var ErrInvalidKey = errors.New("results: invalid key")

// CheckKey reports whether key is a valid store key: a non-empty relative
// path of slash-separated segments, none of them empty, "." or "..", with no
// backslash or NUL byte. A valid key therefore never escapes the directory
// or prefix it is stored under, and maps to the same object on every backend.
func CheckKey(key string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why) }
	switch {
	case key == "":
		return bad("empty")
	case strings.HasPrefix(key, "/"):
		return bad("absolute path; keys are relative such as payloads/x")
	case strings.ContainsAny(key, "\\\x00"):
		return bad("contains a backslash or NUL byte")
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return bad("empty path segment")
		case ".", "..":
			return bad(`"." and ".." segments are not allowed`)
		}
	}
	return nil
}
