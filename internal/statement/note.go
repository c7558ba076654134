package statement

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// A statement is a signed note, and every statement the mechanism takes,
// replays, verifies or audits is opened once. note.Open copies the note's
// text into a string that nothing here reads (a statement is read from the
// message itself), decodes each signature into memory of its own, and
// checks the text's UTF-8 a rune at a time: about half of what opening a
// statement costs besides Ed25519, and most of its garbage. openNote reads
// a note as note.Open does, check for check and in the same order, so that
// every message and set of keys has the same outcome (FuzzOpenNote holds
// it to note.Open); it only does less to get there.

// openedNote is a signed note as openNote reads it.
type openedNote struct {
	// text is the note's text: the message up to and including the
	// newline before the blank line, not a copy.
	text []byte
	// sigs are the signatures that verified, unverified those by keys
	// that known does not hold, each in the note's order and each once.
	sigs, unverified []note.Signature
	// lines is the number of signature lines, repeated ones included.
	lines int
}

// The errors note.Open gives that the note package does not export, with
// its words.
var (
	errMalformedNote      = errors.New("malformed note")
	errMismatchedVerifier = errors.New("verifier name or hash doesn't match signature")
)

// maxNoteSigs is the most signature lines note.Open reads.
const maxNoteSigs = 100

// openNote reads msg as a signed note and verifies the signatures by keys
// in known (nil: none), as note.Open does. Where note.Open fails, it fails
// with an error of the same type and words. Unlike note.Open, it does not
// fail for want of a verified signature: the caller says what that means.
func openNote(msg []byte, known note.Verifiers) (openedNote, error) {
	// Valid UTF-8, with no ASCII control character but the newline.
	for i := 0; i < len(msg); {
		if c := msg[i]; c < utf8.RuneSelf {
			if c < 0x20 && c != '\n' {
				return openedNote{}, errMalformedNote
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(msg[i:])
		if r == utf8.RuneError && size == 1 {
			return openedNote{}, errMalformedNote
		}
		i += size
	}

	// The signatures follow the last blank line, a line each.
	split := bytes.LastIndex(msg, []byte("\n\n"))
	if split < 0 {
		return openedNote{}, errMalformedNote
	}
	n := openedNote{text: msg[:split+1]}
	sigs := msg[split+2:]
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return openedNote{}, errMalformedNote
	}
	var raw [128]byte // a decoded signature: 68 bytes for Ed25519
	for len(sigs) > 0 {
		i := bytes.IndexByte(sigs, '\n')
		line := sigs[:i]
		sigs = sigs[i+1:]
		n.lines++
		line, ok := bytes.CutPrefix(line, []byte("— "))
		if !ok {
			return openedNote{}, errMalformedNote
		}
		name, b64, _ := bytes.Cut(line, []byte(" "))
		sig := raw[:0]
		if dl := base64.StdEncoding.DecodedLen(len(b64)); dl > len(raw) {
			sig = make([]byte, 0, dl)
		}
		k, err := base64.StdEncoding.Decode(sig[:cap(sig)], b64)
		sig = sig[:k]
		if err != nil || !validNoteName(name) || len(b64) == 0 || len(sig) < 5 {
			return openedNote{}, errMalformedNote
		}
		hash := binary.BigEndian.Uint32(sig[:4])
		sig = sig[4:]
		if n.lines > maxNoteSigs {
			return openedNote{}, errMalformedNote
		}

		// One string holds the line's name and signature.
		str := string(line)
		s := note.Signature{Name: str[:len(name)], Hash: hash, Base64: str[len(name)+1:]}
		var v note.Verifier
		if known != nil {
			v, err = known.Verifier(s.Name, hash)
		}
		if _, unknown := err.(*note.UnknownVerifierError); known == nil || unknown {
			// A line repeated word for word is read once.
			if !slices.ContainsFunc(n.unverified, func(u note.Signature) bool { return u.Name == s.Name && u.Base64 == s.Base64 }) {
				n.unverified = append(n.unverified, s)
			}
			continue
		}
		if err != nil {
			return openedNote{}, err
		}
		if v.Name() != s.Name || v.KeyHash() != hash {
			return openedNote{}, errMismatchedVerifier
		}
		// A key's second signature is not read, whatever its bytes.
		if slices.ContainsFunc(n.sigs, func(u note.Signature) bool { return u.Name == s.Name && u.Hash == hash }) {
			continue
		}
		if !v.Verify(n.text, sig) {
			return openedNote{}, &note.InvalidSignatureError{Name: s.Name, Hash: hash}
		}
		n.sigs = append(n.sigs, s)
	}
	return n, nil
}

// validNoteName is note's rule for a key name in a signature line: not
// empty, valid UTF-8, no space of any kind and no '+'.
func validNoteName(name []byte) bool {
	return len(name) > 0 && utf8.Valid(name) && bytes.IndexFunc(name, unicode.IsSpace) < 0 && !bytes.Contains(name, []byte("+"))
}
