package results

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Dir is a Store in a local directory: key "a/b" is the file <root>/a/b.
// Writes go to a temporary file in the target's directory that is synced and
// renamed over the target, so a reader sees the old bytes or the new, never a
// torn write.
//
// Unlike S3, a directory cannot hold both "a" and "a/b": putting one when the
// other exists fails.
type Dir struct {
	root string
}

var _ Store = (*Dir)(nil)

// NewDir returns a store rooted at the absolute path root, creating it.
func NewDir(root string) (*Dir, error) {
	if !filepath.IsAbs(root) {
		return nil, fmt.Errorf("results: directory %q must be an absolute path", root)
	}
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("results: create directory: %w", err)
	}
	return &Dir{root: filepath.Clean(root)}, nil
}

// Root is the directory the store writes under.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes data to key atomically, replacing what was there.
func (d *Dir) Put(ctx context.Context, key string, data []byte) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("results: put %q: %w", key, err)
	}
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(p)+"-*")
	if err != nil {
		return fmt.Errorf("results: put %q: %w", key, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, p)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("results: put %q: %w", key, err)
	}
	return nil
}

// Get returns the bytes under key, or ErrNotFound.
func (d *Dir) Get(ctx context.Context, key string) ([]byte, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		if missing(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("results: get %q: %w", key, err)
	}
	return b, nil
}

// Delete removes key; a missing key is not an error.
func (d *Dir) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := os.Lstat(p)
	if err != nil {
		if missing(err) {
			return nil
		}
		return fmt.Errorf("results: delete %q: %w", key, err)
	}
	if fi.IsDir() { // only a prefix of other keys: key itself holds nothing
		return nil
	}
	if err := os.Remove(p); err != nil && !missing(err) {
		return fmt.Errorf("results: delete %q: %w", key, err)
	}
	return nil
}

// missing reports whether err means "no file at this key": it does not exist,
// a parent is a file, or it is a directory (a prefix of other keys).
func missing(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.EISDIR)
}
