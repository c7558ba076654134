package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"
)

// catalogueFiles reads every catalogue file: by area, by language, the
// messages by id.
func catalogueFiles(t *testing.T) map[string]map[string]map[string]any {
	t.Helper()
	files, err := fs.Glob(catalogueFS, "i18n/*.json")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]map[string]any{}
	for _, f := range files {
		area, lang, ok := strings.Cut(strings.TrimSuffix(path.Base(f), ".json"), ".")
		if !ok {
			t.Fatalf("%s: a catalogue file is named <area>.<language>.json", f)
		}
		data, err := fs.ReadFile(catalogueFS, f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := json.Unmarshal(data, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if out[area] == nil {
			out[area] = map[string]map[string]any{}
		}
		out[area][lang] = msgs
	}
	return out
}

// TestCatalogueComplete holds every interface string to be in every
// language: each area's file in each language has the same ids as the
// English one, each translation says something, and a string with plural
// forms has every form its language's plural rules use (Arabic's six,
// the others' two).
func TestCatalogueComplete(t *testing.T) {
	files := catalogueFiles(t)
	if len(files) == 0 {
		t.Fatal("no catalogue files")
	}
	forms := func(lang string) []string {
		// The forms CLDR's cardinal rules give each of our languages.
		if lang == "ar" {
			return []string{"few", "many", "one", "other", "two", "zero"}
		}
		return []string{"one", "other"}
	}
	for area, langs := range files {
		en := langs["en"]
		if en == nil {
			t.Errorf("%s: no English file", area)
			continue
		}
		for _, l := range Languages {
			msgs, ok := langs[l.Code]
			if !ok {
				t.Errorf("%s: no %s file (i18n/%s.%s.json)", area, l.Name, area, l.Code)
				continue
			}
			for id, v := range en {
				tv, ok := msgs[id]
				if !ok {
					t.Errorf("i18n/%s.%s.json: %q is missing", area, l.Code, id)
					continue
				}
				if _, plural := v.(map[string]any); !plural {
					if s, _ := tv.(string); s == "" {
						t.Errorf("i18n/%s.%s.json: %q is empty", area, l.Code, id)
					}
					continue
				}
				m, ok := tv.(map[string]any)
				if !ok {
					t.Errorf("i18n/%s.%s.json: %q has plural forms in English but not here", area, l.Code, id)
					continue
				}
				var got []string
				for f, s := range m {
					if f == "description" {
						continue
					}
					if s == "" {
						t.Errorf("i18n/%s.%s.json: %q: form %s is empty", area, l.Code, id, f)
					}
					got = append(got, f)
				}
				sort.Strings(got)
				if !slices.Equal(got, forms(l.Code)) {
					t.Errorf("i18n/%s.%s.json: %q has forms %v; %s needs %v", area, l.Code, id, got, l.Name, forms(l.Code))
				}
			}
			for id := range msgs {
				if _, ok := en[id]; !ok {
					t.Errorf("i18n/%s.%s.json: %q is not in the English file", area, l.Code, id)
				}
			}
		}
	}
}

// TestCatalogueHasEveryString finds every string id that a template or the
// Go code asks for ({{.L.T "id"}}, .T("id")) and holds it to be in the
// catalogue: a string added to a page and forgotten in the catalogue fails
// here, not in a reader's browser.
func TestCatalogueHasEveryString(t *testing.T) {
	ids := map[string]bool{}
	for _, langs := range catalogueFiles(t) {
		for id := range langs["en"] {
			ids[id] = true
		}
	}
	use := regexp.MustCompile(`\bT "([a-z0-9_.]+)"|\.T\("([a-z0-9_.]+)"`)
	found := 0
	check := func(name string, data []byte) {
		for _, m := range use.FindAllStringSubmatch(string(data), -1) {
			found++
			if id := m[1] + m[2]; !ids[id] {
				t.Errorf("%s asks for %q, which no catalogue file has", name, id)
			}
		}
	}
	err := fs.WalkDir(templates, "templates", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, err := fs.ReadFile(templates, p)
			if err != nil {
				return err
			}
			check(p, data)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	src := os.DirFS(".")
	gofiles, err := fs.Glob(src, "*.go")
	if err != nil || len(gofiles) == 0 {
		t.Fatalf("no Go files found: %v", err)
	}
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := fs.ReadFile(src, f)
		if err != nil {
			t.Fatal(err)
		}
		check(f, data)
	}
	if found < 10 {
		t.Fatalf("found only %d uses of the catalogue: is the pattern still right?", found)
	}
}

// TestLocaleChoice: ?lang= wins and is remembered in a cookie, then the
// cookie, then Accept-Language, then English; an unknown ?lang= is ignored.
func TestLocaleChoice(t *testing.T) {
	for _, c := range []struct {
		query, cookie, accept, want string
		remembered                  bool
	}{
		{"", "", "", "en", false},
		{"lang=ur", "", "", "ur", true},
		{"lang=xx", "", "", "en", false},
		{"lang=%3Cscript%3E", "tr", "", "tr", false},
		{"", "fa", "ar", "fa", false},
		{"", "evil", "", "en", false},
		{"", "", "ps-AF,ps;q=0.9,en;q=0.5", "ps", false},
		{"", "", "ar-EG", "ar", false},
		{"", "", "de-DE,tr;q=0.8", "tr", false},
		{"", "", "de-DE", "en", false},
		{"", "", strings.Repeat("x", 600), "en", false},
		{"lang=ar", "ur", "tr", "ar", true},
	} {
		r := httptest.NewRequest("GET", "/?"+c.query, nil)
		if c.cookie != "" {
			r.AddCookie(&http.Cookie{Name: langCookie, Value: c.cookie})
		}
		if c.accept != "" {
			r.Header.Set("Accept-Language", c.accept)
		}
		w := httptest.NewRecorder()
		if got := chooseLanguage(w, r, false); got != c.want {
			t.Errorf("%+v: got %s", c, got)
		}
		set := w.Result().Cookies()
		if c.remembered != (len(set) == 1 && set[0].Value == c.want && set[0].HttpOnly) {
			t.Errorf("%+v: cookie set %v", c, set)
		}
	}
}

// TestLocaleFormats: numbers and dates in each language's own digits,
// plurals by each language's rules, and a moment in every zone.
func TestLocaleFormats(t *testing.T) {
	pk := time.FixedZone("Pakistan", 5*3600)
	af := time.FixedZone("Afghanistan", 4*3600+1800)
	at := time.Date(2025, 12, 5, 17, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		lang, n, date, pkClock, afClock, one, two string
	}{
		{"en", "12,345", "5 December 2025", "22:00", "21:30", "1 statement", "2 statements"},
		{"tr", "12.345", "5 Aralık 2025", "22:00", "21:30", "1 beyan", "2 beyan"},
		{"ar", "١٢٬٣٤٥", "٥ ديسمبر ٢٠٢٥", "٢٢:٠٠", "٢١:٣٠", "بيان واحد", "بيانان"},
		{"fa", "۱۲٬۳۴۵", "۵ دسامبر ۲۰۲۵", "۲۲:۰۰", "۲۱:۳۰", "۱ بیانیه", "۲ بیانیه"},
	} {
		l := newLocale(c.lang, []*time.Location{pk, af})
		if got := l.N(12345); got != c.n {
			t.Errorf("%s: N(12345) = %q, want %q", c.lang, got, c.n)
		}
		z := l.Zoned(at)
		if len(z) != 3 || z[0].Date != c.date || z[1].Clock != c.pkClock || z[2].Clock != c.afClock || z[1].Zone != "Pakistan" {
			t.Errorf("%s: Zoned = %+v", c.lang, z)
		}
		if got := l.T("explore.statements", "Count", 1); got != c.one {
			t.Errorf("%s: one statement = %q, want %q", c.lang, got, c.one)
		}
		if got := l.T("explore.statements", "Count", 2); got != c.two {
			t.Errorf("%s: two statements = %q, want %q", c.lang, got, c.two)
		}
	}
	// Just before midnight UTC it is already the next day in Pakistan.
	late := newLocale("en", []*time.Location{pk}).Zoned(time.Date(2025, 12, 5, 20, 30, 0, 0, time.UTC))
	if late[1].Date != "6 December 2025" || late[1].Clock != "01:30" {
		t.Errorf("Pakistan at 20:30Z: %+v", late[1])
	}
	for _, l := range Languages {
		if _, err := language.Parse(l.Code); err != nil {
			t.Error(err)
		}
	}
}
