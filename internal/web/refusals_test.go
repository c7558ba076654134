package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

// refusal is a row of the table of refusals in docs/api.md.
type refusal struct {
	name, request, code, message string
	status                       int
}

// refusalsOfDocs reads the table under "### Refusals" in docs/api.md.
func refusalsOfDocs(t *testing.T) []refusal {
	t.Helper()
	doc, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n### Refusals\n")
	if !ok {
		t.Fatal("docs/api.md has no section ### Refusals")
	}
	section, _, _ = strings.Cut(section, "\n#")
	var out []refusal
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| refused |") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) != 4 {
			t.Fatalf("a row of the table of refusals has %d cells, want 4: %s", len(cells), line)
		}
		status, code, _ := strings.Cut(cells[2], " ")
		n, err := strconv.Atoi(status)
		if err != nil {
			t.Fatalf("answer %q is not a status and a code: %s", cells[2], line)
		}
		out = append(out, refusal{
			name: cells[0], request: cells[1], status: n, code: strings.Trim(code, "`"),
			message: strings.TrimSuffix(strings.TrimPrefix(cells[3], "`"), "`"),
		})
	}
	if len(out) == 0 {
		t.Fatal("the table of refusals in docs/api.md has no rows")
	}
	return out
}

// matches reports whether msg is the table's message want, where "…"
// stands for anything.
func matches(msg, want string) bool {
	parts := strings.Split(want, "…")
	if !strings.HasPrefix(msg, parts[0]) {
		return false
	}
	msg = msg[len(parts[0]):]
	for i, p := range parts[1:] {
		if i == len(parts)-2 {
			return strings.HasSuffix(msg, p)
		}
		j := strings.Index(msg, p)
		if j < 0 {
			return false
		}
		msg = msg[j+len(p):]
	}
	return msg == ""
}

func TestMatches(t *testing.T) {
	for _, tc := range []struct {
		msg, want string
		ok        bool
	}{
		{"abc", "abc", true},
		{"abcd", "abc", false},
		{"abc", "a…c", true},
		{"a-b-c", "a…b…c", true},
		{"a-c-b", "a…b…c", false},
		{"abc, more", "abc…", true},
		{"xabc", "abc…", false},
	} {
		if got := matches(tc.msg, tc.want); got != tc.ok {
			t.Errorf("matches(%q, %q) = %v", tc.msg, tc.want, got)
		}
	}
}

// TestRefusalsOfDocs sends each request of the table of refusals in
// docs/api.md to a server and checks that it answers as the table says,
// word for word: so the table is what users get, and a message changed in
// the code is changed in the docs.
func TestRefusalsOfDocs(t *testing.T) {
	m, srv := newServer(t)
	ctx := context.Background()
	at := demo.Start.Add(time.Hour)
	sign := func(kind, author string, fields map[string]any) []byte {
		t.Helper()
		msg, err := m.Sign(kind, author, at, fields)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	report := func(change map[string]any) map[string]any {
		r := demo.SampleReport("Fire at Torkham.", "afghanistan", demo.Start)
		for k, v := range change {
			if v == nil {
				delete(r, k)
				continue
			}
			r[k] = v
		}
		return r
	}
	dup := sign(mechanism.KindReport, "pakistan-liaison-1", report(nil))
	filed, err := m.Log.Submit(ctx, dup)
	if err != nil {
		t.Fatal(err)
	}
	obj := func(author string, fields map[string]any) []byte {
		o := map[string]any{"mechanism": m.Log.Rulebook().ID, "kind": mechanism.KindReport, "author": author,
			"at": statement.FormatTime(at), "refs": []statement.Ref{}}
		for k, v := range fields {
			o[k] = v
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	signWith := func(b []byte, name string) []byte {
		msg, err := statement.Sign(b, mustSigner(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	posts := map[string][]byte{
		"plain JSON":                       []byte(`{"kind": "report", "summary": "Fire at Torkham."}`),
		"a text without signatures":        []byte(statement.Version + "\n" + string(obj("pakistan-liaison-1", report(nil))) + "\n"),
		"wrong types and an unknown field": sign(mechanism.KindReply, "afghanistan-liaison-1", map[string]any{"case": "54", "text": 3, "mood": "angry", "position": "denies", "language": "en"}),
		"a misspelt field":                 sign(mechanism.KindReport, "pakistan-liaison-1", report(map[string]any{"summary": nil, "summery": "Fire."})),
		"a coordinate as a string": sign(mechanism.KindReport, "pakistan-liaison-1", report(map[string]any{
			"place": map[string]any{"name": "Torkham", "lat": "34.1", "lon": 71.09, "geo_precision": 1}})),
		"a summary too long":                         sign(mechanism.KindReport, "pakistan-liaison-1", report(map[string]any{"summary": strings.Repeat("ب", 501), "language": "ur"})),
		"a member's key that is not its current one": signWith(obj("pakistan-liaison-1", report(nil)), "pakistan-liaison-1"),
		"a key nobody holds":                         signWith(obj("stranger", report(nil)), "stranger"),
		"the same statement twice":                   dup,
	}
	if err := m.Log.WaitViews(ctx, filed.Index+1); err != nil {
		t.Fatal(err)
	}
	// The summary's limit is in characters: 500 of Urdu are taken.
	if _, err := m.Log.Submit(ctx, sign(mechanism.KindReport, "pakistan-liaison-1", report(map[string]any{"summary": strings.Repeat("ب", 500), "language": "ur"}))); err != nil {
		t.Errorf("a summary of 500 characters of Urdu: %v", err)
	}

	used := map[string]bool{}
	for _, r := range refusalsOfDocs(t) {
		t.Run(r.name, func(t *testing.T) {
			var resp *http.Response
			var err error
			switch {
			case strings.HasPrefix(r.request, "`GET "):
				target, _, _ := strings.Cut(strings.TrimPrefix(r.request, "`GET "), "`")
				resp, err = http.Get(srv.URL + target)
			case strings.HasPrefix(r.request, "`POST /api/v1/statements`"):
				body, ok := posts[r.name]
				if !ok {
					t.Fatalf("the test has no statement for the row %q of docs/api.md: add one to posts", r.name)
				}
				used[r.name] = true
				resp, err = http.Post(srv.URL+"/api/v1/statements", "text/plain", bytes.NewReader(body))
			default:
				t.Fatalf("the test cannot send %s", r.request)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e apiError
			if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
				t.Fatalf("status %d, and the answer is not an error: %v", resp.StatusCode, err)
			}
			if resp.StatusCode != r.status || e.Error.Code != r.code {
				t.Errorf("answer %d %s, want %d %s (%s)", resp.StatusCode, e.Error.Code, r.status, r.code, e.Error.Message)
			}
			if !matches(e.Error.Message, r.message) {
				t.Errorf("message\n%s\nwant (docs/api.md)\n%s", e.Error.Message, r.message)
			}
		})
	}
	for name := range posts {
		if !used[name] {
			t.Errorf("the statement %q of the test is in no row of docs/api.md", name)
		}
	}
}
