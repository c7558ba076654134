package web

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// TestNoteLines marks a checkpoint's line by the log's key as the log's,
// and a witness's cosignature as another key's, with the time it claims.
func TestNoteLines(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "sulh.local/test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	_, wpriv, _ := ed25519.GenerateKey(rand.Reader)
	witness, err := torchwood.NewCosignatureSigner("witness.example/w1", wpriv)
	if err != nil {
		t.Fatal(err)
	}
	text := "sulh.local/test\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	signed, err := note.Sign(&note.Note{Text: text}, signer, witness)
	if err != nil {
		t.Fatal(err)
	}
	got, lines := noteLines(signed, vkey)
	if got != text || len(lines) != 2 {
		t.Fatalf("noteLines: %q %+v", got, lines)
	}
	if !lines[0].Log || lines[0].Cosigned != nil || lines[0].Name != "sulh.local/test" || !strings.Contains(vkey, "+"+lines[0].KeyID+"+") {
		t.Errorf("the log's line: %+v", lines[0])
	}
	if lines[1].Log || lines[1].Cosigned == nil || lines[1].Name != "witness.example/w1" {
		t.Errorf("the witness's line: %+v", lines[1])
	}
	// Another key with the log's name is not the log's.
	_, other, _ := note.GenerateKey(rand.Reader, "sulh.local/test")
	if _, lines := noteLines(signed, other); lines[0].Log {
		t.Errorf("a line is marked the log's for another key of the same name")
	}
}

// FuzzNoteLines: any bytes split without panicking, and every line kept
// has a name and an eight-digit key id.
func FuzzNoteLines(f *testing.F) {
	f.Add([]byte("sulh.local/test\n3\nAAAA\n\n— sulh.local/test AAAAAAAAAAAAAAAA\n"), "sulh.local/test+01234567+AQ==")
	f.Add([]byte("\n\n— a \n— b !!!\n— c AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), "")
	f.Fuzz(func(t *testing.T, signed []byte, key string) {
		_, lines := noteLines(signed, key)
		for _, l := range lines {
			if len(l.KeyID) != 8 {
				t.Errorf("key id %q", l.KeyID)
			}
		}
	})
}
