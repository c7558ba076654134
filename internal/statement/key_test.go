package statement_test

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

func TestGenerateKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "alice.key")
	vkey, err := statement.GenerateKey("alice", path)
	if err != nil {
		t.Fatalf("GenerateKey: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v, want 0600", perm)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	skey := strings.TrimSuffix(string(b), "\n")
	if !strings.HasPrefix(skey, "PRIVATE+KEY+alice+") || strings.ContainsAny(skey, "\n ") {
		t.Errorf("key file holds %q, want one PRIVATE+KEY+alice+… line", b)
	}
	if got, err := statement.VerifierKey(skey); err != nil || got != vkey {
		t.Errorf("VerifierKey(file) = %q, %v; want %q", got, err, vkey)
	}

	// The file signs statements that the returned verifier key verifies.
	signer, err := statement.LoadSigner(path)
	if err != nil {
		t.Fatalf("LoadSigner: %v", err)
	}
	if signer.Name() != "alice" {
		t.Errorf("signer name = %q", signer.Name())
	}
	v, err := statement.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatalf("ParseVerifierKey(%q): %v", vkey, err)
	}
	if v.Name() != "alice" || v.KeyHash() != signer.KeyHash() {
		t.Errorf("verifier %s/%08x does not match signer %s/%08x", v.Name(), v.KeyHash(), signer.Name(), signer.KeyHash())
	}
	msg, err := statement.Sign([]byte(validJSON), signer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := statement.Open(msg, note.VerifierList(v)); err != nil {
		t.Errorf("Open with the generated key: %v", err)
	}

	// It refuses to overwrite, and leaves the file as it was.
	if _, err := statement.GenerateKey("alice", path); err == nil {
		t.Errorf("GenerateKey overwrote %s", path)
	} else if !errors.Is(err, fs.ErrExist) {
		t.Errorf("GenerateKey over an existing file: %v, want an error wrapping fs.ErrExist", err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(b) {
		t.Errorf("the key file changed after a refused GenerateKey")
	}
	// Nor through a symlink to another file.
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.key")
	if err := os.Symlink(other, link); err != nil {
		t.Fatal(err)
	}
	if _, err := statement.GenerateKey("alice", link); err == nil {
		t.Errorf("GenerateKey wrote through a symlink")
	}
	if got, _ := os.ReadFile(other); string(got) != "keep" {
		t.Errorf("GenerateKey changed the symlink's target")
	}

	// Two keys are different.
	vkey2, err := statement.GenerateKey("alice", filepath.Join(dir, "alice2.key"))
	if err != nil {
		t.Fatal(err)
	}
	if vkey2 == vkey {
		t.Errorf("two generated keys are the same")
	}
}

func TestGenerateKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, key, path string
		want            string
	}{
		{"empty name", "", "a.key", "invalid key name"},
		{"space in name", "a b", "b.key", "invalid key name"},
		{"plus in name", "a+b", "c.key", "invalid key name"},
		{"newline in name", "a\nb", "d.key", "invalid key name"},
		{"missing directory", "alice", "nowhere/e.key", "couldn't create key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, tt.path)
			vkey, err := statement.GenerateKey(tt.key, path)
			if err == nil {
				t.Fatalf("GenerateKey(%q) = %q, want an error", tt.key, vkey)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a refused GenerateKey left %s behind", path)
			}
		})
	}
}

func TestLoadSignerRefusals(t *testing.T) {
	dir := t.TempDir()
	vkeyFile := filepath.Join(dir, "vkey")
	if err := os.WriteFile(vkeyFile, []byte(alice.vkey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "missing"), "couldn't read key file"},
		{"verifier key", vkeyFile, "not a signed-note private key"},
		{"garbage", garbage, "not a signed-note private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := statement.LoadSigner(tt.path)
			if err == nil {
				t.Fatalf("LoadSigner = %v, want an error", s)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), alice.vkey) {
				t.Errorf("error %q repeats the file's content", err)
			}
		})
	}

	// Surrounding white space is fine.
	spaced := filepath.Join(dir, "spaced")
	if err := os.WriteFile(spaced, []byte("\n  "+alice.skey+" \n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := statement.LoadSigner(spaced)
	if err != nil {
		t.Fatalf("LoadSigner with white space: %v", err)
	}
	if s.Name() != "alice" || s.KeyHash() != alice.verifier.KeyHash() {
		t.Errorf("LoadSigner = %s/%08x", s.Name(), s.KeyHash())
	}
}

func TestVerifierKey(t *testing.T) {
	for _, name := range []string{"alice", "example.org/sulh", "ünï", strings.Repeat("n", 128)} {
		for range 5 {
			skey, vkey, err := note.GenerateKey(rand.Reader, name)
			if err != nil {
				t.Fatal(err)
			}
			got, err := statement.VerifierKey(skey)
			if err != nil {
				t.Fatalf("VerifierKey(%q): %v", skey, err)
			}
			if got != vkey {
				t.Errorf("VerifierKey = %q, want %q", got, vkey)
			}
			if got, err := statement.VerifierKey(" " + skey + "\n"); err != nil || got != vkey {
				t.Errorf("VerifierKey with white space = %q, %v", got, err)
			}
		}
	}
}

func TestVerifierKeyRefusals(t *testing.T) {
	tests := []struct {
		name, skey string
	}{
		{"empty", ""},
		{"verifier key", alice.vkey},
		{"too few parts", "PRIVATE+KEY+alice+00000000"},
		{"too many parts", alice.skey + "+x"},
		{"wrong prefix", strings.Replace(alice.skey, "PRIVATE", "PUBLIC", 1)},
		{"wrong hash", strings.Replace(alice.skey, "+alice+", "+bob+", 1)},
		{"bad base64", alice.skey[:strings.LastIndex(alice.skey, "+")+1] + "!!!!"},
		{"short seed", alice.skey[:strings.LastIndex(alice.skey, "+")+1] + "AQID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if v, err := statement.VerifierKey(tt.skey); err == nil {
				t.Errorf("VerifierKey(%q) = %q, want an error", tt.skey, v)
			}
		})
	}
}

func TestParseVerifierKey(t *testing.T) {
	v, err := statement.ParseVerifierKey(bob.vkey)
	if err != nil {
		t.Fatal(err)
	}
	if v.Name() != "bob" || v.KeyHash() != bob.verifier.KeyHash() {
		t.Errorf("ParseVerifierKey = %s/%08x", v.Name(), v.KeyHash())
	}
	for _, bad := range []string{"", "bob", bob.skey, bob.vkey + "x", strings.Replace(bob.vkey, "bob", "alice", 1)} {
		_, err := statement.ParseVerifierKey(bad)
		if err == nil {
			t.Errorf("ParseVerifierKey(%q) succeeded", bad)
			continue
		}
		if !strings.Contains(err.Error(), "invalid verifier key") {
			t.Errorf("ParseVerifierKey(%q) error %q", bad, err)
		}
	}
}
