package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/store"
)

// TestRateLimiter: each address has its own bucket of burst tokens, one
// more every period; an IPv6 client counts as its /64; and when the
// limiter remembers too many addresses, it forgets those whose buckets
// are full, or refuses the new ones.
func TestRateLimiter(t *testing.T) {
	now := time.Date(2025, 12, 6, 0, 0, 0, 0, time.UTC)
	l := newRateLimiter(2, time.Minute)
	l.now = func() time.Time { return now }
	for i, want := range []bool{true, true, false} {
		if ok, _ := l.take("a"); ok != want {
			t.Errorf("take %d: %v, want %v", i+1, ok, want)
		}
	}
	if ok, _ := l.take("b"); !ok {
		t.Error("another address shares a's bucket")
	}
	_, wait := l.take("a")
	if wait <= 0 || wait > time.Minute {
		t.Errorf("wait %v; want up to a minute", wait)
	}
	now = now.Add(wait)
	if ok, _ := l.take("a"); !ok {
		t.Errorf("after waiting %v, still refused", wait)
	}
	if ok, _ := l.take("a"); ok {
		t.Error("a token taken twice")
	}

	for _, tc := range []struct{ remote, key string }{
		{"192.0.2.7:5555", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
		{"not an address", "not an address"},
	} {
		r := httptest.NewRequest("POST", "/tip", nil)
		r.RemoteAddr = tc.remote
		if got := clientKey(r); got != tc.key {
			t.Errorf("clientKey(%q) = %q, want %q", tc.remote, got, tc.key)
		}
	}

	// A flood of addresses.
	l = newRateLimiter(1, time.Hour)
	l.now = func() time.Time { return now }
	for i := range maxBuckets {
		l.take(strings.Repeat("x", i%7) + string(rune('a'+i%26)) + time.Duration(i).String())
	}
	if ok, _ := l.take("one more"); ok {
		t.Error("a new address was let in with every bucket spent")
	}
	now = now.Add(time.Hour)
	if ok, _ := l.take("one more"); !ok || len(l.buckets) != 1 {
		t.Errorf("once the buckets filled again: %v, %d remembered", ok, len(l.buckets))
	}
}

var tipZones = map[string]*time.Location{"UTC": time.UTC, "Pakistan": time.FixedZone("Pakistan", 5*3600)}

// FuzzTipForm: whatever a form holds, reading it never panics, a tip it
// accepts has a text within its limits and valid UTF-8 everywhere, a time
// in RFC 3339 or none, and no more photos than allowed.
func FuzzTipForm(f *testing.F) {
	form := func(fields [][2]string, file string) []byte {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.SetBoundary("BOUNDARY")
		for _, kv := range fields {
			mw.WriteField(kv[0], kv[1])
		}
		if file != "" {
			w, _ := mw.CreateFormFile("photo", file)
			w.Write([]byte("\x89PNG\r\n\x1a\n"))
		}
		mw.Close()
		return b.Bytes()
	}
	f.Add(form([][2]string{{"text", "Shots"}, {"when", "2025-12-05T22:00"}, {"zone", "Pakistan"}}, "a.png"))
	f.Add(form([][2]string{{"text", ""}}, ""))
	f.Add(form([][2]string{{"text", "x"}, {"contact", "a\nb"}}, "../../etc/passwd.jpg"))
	f.Add([]byte("--BOUNDARY\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhi\r\n--BOUNDARY--\r\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, body []byte) {
		keep := func(ctx context.Context, name string, r io.Reader) (store.TipFile, error) {
			n, err := io.Copy(io.Discard, io.LimitReader(r, maxTipFile+1))
			if err != nil {
				return store.TipFile{}, err
			}
			if strings.ContainsAny(name, "/\\") {
				t.Fatalf("a photo's name keeps its path: %q", name)
			}
			return store.TipFile{Name: name, Size: n}, nil
		}
		tip, err := readTipForm(context.Background(), bytes.NewReader(body), "BOUNDARY", []string{"Pakistan"}, tipZones, keep)
		if err != nil {
			var te *tipError
			if errors.As(err, &te) && (te.status < 400 || te.id == "") {
				t.Fatalf("a refusal without a status or a reason: %+v", te)
			}
			return
		}
		if tip.Text == "" || utf8.RuneCountInString(tip.Text) > maxTipText || len(tip.Files) > maxTipFiles {
			t.Fatalf("accepted %+v", tip)
		}
		for _, s := range []string{tip.Text, tip.Place, tip.Contact} {
			if !utf8.ValidString(s) {
				t.Fatalf("accepted invalid UTF-8: %q", s)
			}
		}
		if tip.When != "" {
			if _, err := time.Parse(time.RFC3339, tip.When); err != nil {
				t.Fatalf("accepted a time %q", tip.When)
			}
		}
	})
}
