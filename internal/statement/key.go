package statement

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// GenerateKey creates an Ed25519 key named name and writes its private key,
// in the signed-note private key format, to the new file path with mode 0600.
// It refuses to overwrite an existing file. It returns the verifier key.
func GenerateKey(name, path string) (vkey string, err error) {
	if !ValidKeyName(name) {
		return "", fmt.Errorf("invalid key name %q: it must be non-empty and contain no spaces or '+'", name)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		return "", fmt.Errorf("couldn't generate key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("couldn't create key file: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		f.Close()
		return "", fmt.Errorf("couldn't write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("couldn't write key file: %w", err)
	}
	return vkey, nil
}

// LoadSigner reads a private key file written by GenerateKey.
func LoadSigner(path string) (note.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("couldn't read key file: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("couldn't read key file %s: not a signed-note private key", path)
	}
	return s, nil
}

// VerifierKey returns the verifier key string that matches a private key
// string in the signed-note format.
func VerifierKey(skey string) (string, error) {
	// PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>
	parts := strings.SplitN(strings.TrimSpace(skey), "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", errors.New("not a signed-note private key")
	}
	if _, err := note.NewSigner(strings.TrimSpace(skey)); err != nil {
		return "", errors.New("not a signed-note private key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != 1 {
		return "", errors.New("not an Ed25519 signed-note private key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return parts[2] + "+" + parts[3] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, pub...)), nil
}
