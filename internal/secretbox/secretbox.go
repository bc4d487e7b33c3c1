// Package secretbox encrypts block document data at rest with AES-256-GCM.
// Sealed values are: a format byte (1), a 12-byte random nonce, then the
// GCM ciphertext and tag. The format byte lets another scheme (e.g. KMS
// envelope encryption in the serverless shape) be added without a migration.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// EnvKey names the environment variable holding a base64 32-byte key.
const EnvKey = "ORRERY_SECRET_KEY"

const formatAESGCM byte = 1

// ErrOpen means a sealed value could not be decrypted: wrong key or
// tampered data.
var ErrOpen = errors.New("secretbox: cannot decrypt (wrong key or corrupted data)")

// Box seals and opens values with one key.
type Box struct{ aead cipher.AEAD }

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secretbox: key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Load returns a Box keyed by $ORRERY_SECRET_KEY if set, else by the key in
// keyFile, which is created (mode 0600, directory 0700) with a random key
// when it does not exist.
func Load(keyFile string) (*Box, error) {
	if v := strings.TrimSpace(os.Getenv(EnvKey)); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, fmt.Errorf("%s is not valid base64: %w", EnvKey, err)
		}
		return New(key)
	}
	raw, err := os.ReadFile(keyFile)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(keyFile), 0o700); err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(key) + "\n"
		f, err := os.OpenFile(keyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			return Load(keyFile) // another process created it first
		}
		if err != nil {
			return nil, err
		}
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
		return New(key)
	}
	if err != nil {
		return nil, err
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		return nil, fmt.Errorf("key file %s is not valid base64: %w", keyFile, err)
	}
	return New(key)
}

// Seal encrypts plaintext.
func (b *Box) Seal(plaintext []byte) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+b.aead.Overhead())
	out = append(out, formatAESGCM)
	out = append(out, nonce...)
	return b.aead.Seal(out, nonce, plaintext, []byte{formatAESGCM}), nil
}

// Open decrypts a value made by Seal.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < 1+n+b.aead.Overhead() || sealed[0] != formatAESGCM {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte{formatAESGCM})
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
