package statement_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/statement"
)

// verifierOf returns ParseVerifierKey's verifier of the 32 bytes pub, as a
// key named "k".
func verifierOf(t testing.TB, pub []byte) note.Verifier {
	t.Helper()
	vkey, err := note.NewEd25519VerifierKey("k", ed25519.PublicKey(pub))
	if err != nil {
		t.Fatal(err)
	}
	v, err := statement.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatalf("ParseVerifierKey(%q): %v", vkey, err)
	}
	return v
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestVerifierMatchesEd25519 holds ParseVerifierKey's verifier to
// crypto/ed25519.Verify on the cases where implementations of Ed25519 part
// ways: keys and R of small order, keys and R encoded non-canonically, S
// of L and above, the bits above S, and every single bit flipped in a good
// signature. A difference would let a statement be valid to one release
// and not another.
func TestVerifierMatchesEd25519(t *testing.T) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	good := priv.Public().(ed25519.PublicKey)
	const (
		identity    = "0100000000000000000000000000000000000000000000000000000000000000"
		negZero     = "0100000000000000000000000000000000000000000000000000000000000080" // the identity, x's sign set
		order2      = "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = -1
		order4      = "0000000000000000000000000000000000000000000000000000000000000000" // y = 0
		identityNC  = "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f" // y = p+1
		order2NC    = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" // y = p, x's sign set
		notOnCurve  = "0200000000000000000000000000000000000000000000000000000000000000" // y = 2
		scalarL     = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
		scalarZero  = "0000000000000000000000000000000000000000000000000000000000000000"
		scalarHigh  = "00000000000000000000000000000000000000000000000000000000000000e0"
		scalarLPlus = "eed3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"
	)
	keys := map[string][]byte{
		"good": good, "identity": unhex(t, identity), "negative zero": unhex(t, negZero),
		"order 2": unhex(t, order2), "order 4": unhex(t, order4), "identity non-canonical": unhex(t, identityNC),
		"order 2 non-canonical": unhex(t, order2NC), "not on the curve": unhex(t, notOnCurve),
	}
	msgs := [][]byte{nil, []byte("sulh\n"), make([]byte, 1000)}
	var accepted int
	for name, pub := range keys {
		v := verifierOf(t, pub)
		for _, msg := range msgs {
			sigs := map[string][]byte{
				"signed": ed25519.Sign(priv, msg),
				"empty":  nil,
				"short":  make([]byte, 63),
				"long":   append(ed25519.Sign(priv, msg), 0),
				"zero":   make([]byte, 64),
				"other":  ed25519.Sign(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)), msg),
			}
			for _, r := range []string{identity, negZero, order2, order4, identityNC, order2NC, notOnCurve} {
				for _, s := range []string{scalarZero, scalarL, scalarLPlus, scalarHigh} {
					sigs["R "+r[:8]+" S "+s[:8]+s[56:]] = append(unhex(t, r), unhex(t, s)...)
				}
			}
			signed := sigs["signed"]
			for bit := range 8 * len(signed) {
				flipped := append([]byte(nil), signed...)
				flipped[bit/8] ^= 1 << (bit % 8)
				sigs[fmt.Sprintf("bit %d flipped", bit)] = flipped
			}
			for sname, sig := range sigs {
				want := ed25519.Verify(ed25519.PublicKey(pub), msg, sig)
				if got := v.Verify(msg, sig); got != want {
					t.Errorf("key %s, message of %d bytes, signature %s: Verify = %v, crypto/ed25519 says %v", name, len(msg), sname, got, want)
				}
				if want {
					accepted++
				}
			}
		}
	}
	// The cases accept some signatures (the good key's own, and some by
	// keys of small order), or the comparison would prove little.
	if accepted < len(msgs) {
		t.Errorf("crypto/ed25519 accepted %d signatures of the cases: the cases lack valid ones", accepted)
	}
}

// FuzzVerifier compares ParseVerifierKey's verifier with crypto/ed25519 on
// any key, message and signature (pub of 32 bytes), and on signatures near
// good ones: a key made from seed signs msg and the signature is XORed
// with mask.
func FuzzVerifier(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	f.Add([]byte{}, []byte(priv.Public().(ed25519.PublicKey)), []byte("sulh\n"), ed25519.Sign(priv, []byte("sulh\n")))
	f.Add([]byte("seed"), []byte{}, []byte("sulh\n"), []byte{})
	f.Add([]byte("seed"), []byte{}, []byte("sulh\n"), []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	identity := append([]byte{1}, make([]byte, 31)...)
	f.Add([]byte{}, identity, []byte("any"), append(append([]byte(nil), identity...), make([]byte, 32)...))
	f.Fuzz(func(t *testing.T, seed, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			s := sha256.Sum256(seed)
			priv := ed25519.NewKeyFromSeed(s[:])
			pub = priv.Public().(ed25519.PublicKey)
			mask := sig
			sig = ed25519.Sign(priv, msg)
			for i := range min(len(mask), len(sig)) {
				sig[i] ^= mask[i]
			}
		}
		want := ed25519.Verify(ed25519.PublicKey(pub), msg, sig)
		if got := verifierOf(t, pub).Verify(msg, sig); got != want {
			t.Fatalf("key %x, message %q, signature %x: Verify = %v, crypto/ed25519 says %v", pub, msg, sig, got, want)
		}
	})
}

// BenchmarkVerify verifies a statement-sized signed text with note's
// verifier (crypto/ed25519.Verify, which decodes the key every time) and
// with ParseVerifierKey's.
func BenchmarkVerify(b *testing.B) {
	priv := ed25519.NewKeyFromSeed(make([]byte, 32))
	vkey, err := note.NewEd25519VerifierKey("k", priv.Public().(ed25519.PublicKey))
	if err != nil {
		b.Fatal(err)
	}
	msg := bytes.Repeat([]byte("a statement of about 700 bytes\n"), 23)
	sig := ed25519.Sign(priv, msg)
	plain, err := note.NewVerifier(vkey)
	if err != nil {
		b.Fatal(err)
	}
	for _, v := range []struct {
		name string
		v    note.Verifier
	}{{"note", plain}, {"ParseVerifierKey", verifierOf(b, priv.Public().(ed25519.PublicKey))}} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				if !v.v.Verify(msg, sig) {
					b.Fatal("the signature does not verify")
				}
			}
		})
	}
}
