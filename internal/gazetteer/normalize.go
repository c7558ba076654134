package gazetteer

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxQuery is the longest query, in runes, that Search accepts.
const MaxQuery = 100

// latinFold maps U+00C0 to U+024F, and latinFoldExt U+1E00 to U+1EFF, to
// the ASCII letter each is written with, or '.' for none. The tables were
// made from Unicode's NFKD decompositions, with a few letters that have none
// (ß, æ, ø, đ, ł, ı, þ, ð, œ, ħ) given by hand.
const (
	latinFold    = "AAAAAAACEEEEIIIIDNOOOOO.OUUUUYTsaaaaaaaceeeeiiiidnooooo.ouuuuytyAaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIiIiJjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzsb..b....c...d.....f......kl...n.Oo...p.....t.t.Uu...y.z.............DDdLLlNNnAaIiOoUuUuUuUuUu.AaAa....GgKkOoOo..jDDdGg..NnAa....AaAaEeEeIiIiOoOoRrRrUuUuSsTt..Hh.....zAaEeOoOoOoOoYy...................e.j...r.y"
	latinFoldExt = "AaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMmNnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZzZzhtwyas....AaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuUuUuUuUuUuYyYyYyYy......"
)

// foldLatin returns the ASCII letter a Latin letter with diacritics is
// written with, or r itself.
func foldLatin(r rune) rune {
	switch {
	case r >= 0xC0 && r <= 0x24F:
		if b := latinFold[r-0xC0]; b != '.' {
			return rune(b)
		}
	case r >= 0x1E00 && r <= 0x1EFF:
		if b := latinFoldExt[r-0x1E00]; b != '.' {
			return rune(b)
		}
	case r == 'ə' || r == 'ɛ':
		return 'e'
	case r == 'ɑ':
		return 'a'
	}
	return r
}

// ASCII returns s with Latin letters stripped of their diacritics, other
// marks dropped and typographic quotes and dashes made plain, keeping case,
// spaces and punctuation: "Spīn Bōldak" gives "Spin Boldak", "Qal‘ah"
// gives "Qal'ah" and "Chaman–Spin Boldak" "Chaman-Spin Boldak". Letters of
// other scripts are kept.
func ASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r) || isInvisible(r):
			continue
		case strings.ContainsRune("‘’ʼʻʿʾ′", r):
			r = '\''
		case strings.ContainsRune("‐‑‒–—―", r):
			r = '-'
		}
		b.WriteRune(foldLatin(r))
	}
	return b.String()
}

// isInvisible reports whether r is a format character that does not change
// how a name reads: joiners, direction marks, the Arabic tatweel.
func isInvisible(r rune) bool {
	switch r {
	case 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF, 0x0640:
		return true
	}
	return false
}

// arabicFold unifies the letters that Arabic, Persian, Urdu and Pashto
// write differently for the same sound, so that a name spelt in any of them
// normalises alike: Pashto ګ and Urdu گ, Arabic ي and Persian ی, the forms
// of alef, heh and the retroflex letters.
var arabicFold = map[rune]rune{
	'أ': 'ا', 'إ': 'ا', 'آ': 'ا', 'ٱ': 'ا', 'ٲ': 'ا', 'ٳ': 'ا',
	'ي': 'ی', 'ى': 'ی', 'ې': 'ی', 'ۍ': 'ی', 'ئ': 'ی', 'ے': 'ی', 'ۓ': 'ی', 'ێ': 'ی',
	'ك': 'ک', 'ڪ': 'ک',
	'ة': 'ه', 'ۀ': 'ه', 'ہ': 'ه', 'ۂ': 'ه', 'ھ': 'ه', 'ە': 'ه',
	'ؤ': 'و', 'ۇ': 'و', 'ۆ': 'و',
	'ګ': 'گ', 'ڰ': 'گ',
	'ټ': 'ٹ', 'ډ': 'ڈ', 'ړ': 'ڑ', 'ڼ': 'ن',
}

// Normalize returns the key that names are compared by: lower case, Latin
// letters without diacritics, Arabic-script letters in one spelling, and
// nothing but letters and digits (no spaces, hyphens, apostrophes or
// vowel marks). "Spīn Bōldak", "spin-boldak" and "SPIN BOLDAK" all give
// "spinboldak"; Pashto "انګوراډه" and Urdu "انگور اڈہ" both give "انگوراڈه".
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if unicode.Is(unicode.Mn, r) || isInvisible(r) {
			continue
		}
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z':
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case r >= 0x06F0 && r <= 0x06F9: // Extended Arabic-Indic digits
			r = '0' + r - 0x06F0
		case r >= 0x0660 && r <= 0x0669: // Arabic-Indic digits
			r = '0' + r - 0x0660
		case r < 0x80:
			continue // ASCII punctuation and spaces
		default:
			if f, ok := arabicFold[r]; ok {
				r = f
			}
			r = unicode.ToLower(foldLatin(r))
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				continue
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isArabic reports whether r is a letter of the Arabic script.
func isArabic(r rune) bool {
	return (r >= 0x0600 && r <= 0x06FF) || (r >= 0x0750 && r <= 0x077F) || (r >= 0xFB50 && r <= 0xFDFF) || (r >= 0xFE70 && r <= 0xFEFF)
}

// skeleton returns the phonetic key of a normalised name, which
// transliteration variants share: for Latin letters, the consonants once
// each, with kh, q, c and x as k, gh as g, aspirates as plain stops and
// v as w ("Gurbuz", "Gorbuz" and "Gurbaz" give "grbz"; "Bahram Chah" and
// "Baramcha" give "brmC"); for Arabic script, the consonants without the
// long-vowel letters, with letters of one sound as one ("طورخم" and
// "تورخم" give "ترخم").
func skeleton(norm string) string {
	var out []rune
	rs := []rune(norm)
	vowel := func(r rune) bool { return r == 'a' || r == 'e' || r == 'i' || r == 'o' || r == 'u' }
	emit := func(r rune) {
		if len(out) == 0 || out[len(out)-1] != r {
			out = append(out, r)
		}
	}
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		var next rune
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if isArabic(r) {
			if i > 0 {
				if r == 'ا' || r == 'و' || r == 'ی' || r == 'ع' || r == 'ء' {
					continue
				}
			} else if r == 'ء' || r == 'ع' {
				continue
			}
			emit(arabicSound(r))
			continue
		}
		switch {
		case vowel(r):
			continue
		case r == 'y':
			if i > 0 {
				continue
			}
		case r == 'w':
			if i > 0 && vowel(rs[i-1]) {
				continue
			}
		case next == 'h' && strings.ContainsRune("kgptdbjcszr", r):
			i++ // a digraph: kh, gh, ph, th, dh, bh, jh, ch, sh, zh, rh
			switch r {
			case 'p':
				r = 'f'
			case 'c':
				r = 'C'
			case 's':
				r = 'S'
			case 'z':
				r = 'Z'
			}
		case r == 'h':
			continue
		}
		switch r {
		case 'q', 'c', 'x':
			r = 'k'
		case 'v':
			r = 'w'
		}
		emit(r)
	}
	return string(out)
}

// arabicSound maps Arabic-script letters that transliterate alike to one:
// ط to ت, ث and ص to س, ذ, ض, ظ and ځ to ز, ح to ه, ق to ک, the retroflex
// letters to their plain ones, ښ to ش and څ to س.
func arabicSound(r rune) rune {
	switch r {
	case 'ط', 'ٹ':
		return 'ت'
	case 'ث', 'ص', 'څ':
		return 'س'
	case 'ذ', 'ض', 'ظ', 'ځ':
		return 'ز'
	case 'ح':
		return 'ه'
	case 'ق':
		return 'ک'
	case 'ڈ':
		return 'د'
	case 'ڑ':
		return 'ر'
	case 'ښ', 'ږ':
		return 'ش'
	}
	return r
}

// runeLen is the length of s in runes.
func runeLen(s string) int { return utf8.RuneCountInString(s) }
