package blob

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"photo.jpg", true},
		{"IMG_2025-10-12 14.03.22.JPG", true},
		{"عکس مرز.jpg", true},                     // Dari
		{"د\u200cپولې.mp4", true},                 // with a zero-width non-joiner
		{"report.final.pdf", true},                // dots inside
		{strings.Repeat("a", 251) + ".jpg", true}, // 255 bytes
		{"", false},
		{"../x.jpg", false},
		{"a/b.jpg", false},
		{`a\b.jpg`, false},
		{"..", false},
		{".", false},
		{".hidden", false},
		{".jpg", false},
		{"x..jpg", false},
		{"x\x00.jpg", false},
		{"x\n.jpg", false},
		{"x\r.jpg", false},
		{"x\x7f.jpg", false},
		{"x\u0085.jpg", false},                     // a C1 control
		{"photo\u202Egpj.exe", false},              // right-to-left override
		{"photo\u2066.jpg", false},                 // left-to-right isolate
		{"\xff\xfe.jpg", false},                    // not UTF-8
		{strings.Repeat("a", 252) + ".jpg", false}, // 256 bytes
		{strings.Repeat("ی", 200) + ".jpg", false}, // 404 bytes, 204 characters
	}
	for _, tt := range tests {
		err := CheckName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("CheckName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrBadName) {
			t.Errorf("CheckName(%q) = %v, not ErrBadName", tt.name, err)
		}
	}
}

func TestValidHash(t *testing.T) {
	good := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		s  string
		ok bool
	}{
		{good, true},
		{strings.ToUpper(good), false},
		{good[:63], false},
		{good + "0", false},
		{"../../../../etc/passwd" + good[22:], false},
		{good[:62] + "g0", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidHash(tt.s); got != tt.ok {
			t.Errorf("ValidHash(%q) = %v, want %v", tt.s, got, tt.ok)
		}
	}
}
