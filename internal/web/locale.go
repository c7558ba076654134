package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/number"
)

// Languages are the languages of the interface, in the order the language
// menu lists them: the first is the default.
var Languages = []Language{
	{"en", "English", "ltr"},
	{"ur", "اردو", "rtl"},
	{"ps", "پښتو", "rtl"},
	{"fa", "دری", "rtl"},
	{"tr", "Türkçe", "ltr"},
	{"ar", "العربية", "rtl"},
}

// Language is one language of the interface: its BCP 47 code, its name in
// itself, and its writing direction.
type Language struct {
	Code, Name, Dir string
}

// langCookie remembers the language a reader chose with ?lang=.
const langCookie = "sulh_lang"

//go:embed i18n
var catalogueFS embed.FS

// catalogue holds every interface string in every language, from
// i18n/<area>.<lang>.json (go-i18n's format: an id to a text, or to its
// plural forms).
var catalogue = mustCatalogue(catalogueFS)

var langMatcher = func() language.Matcher {
	var tags []language.Tag
	for _, l := range Languages {
		tags = append(tags, language.MustParse(l.Code))
	}
	return language.NewMatcher(tags)
}()

func mustCatalogue(fsys fs.FS) *i18n.Bundle {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := fs.Glob(fsys, "i18n/*.json")
	if err != nil {
		panic(err)
	}
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			panic(err)
		}
		if _, err := b.ParseMessageFileBytes(data, path.Base(f)); err != nil {
			panic(fmt.Sprintf("couldn't read the catalogue %s: %v", f, err))
		}
	}
	return b
}

// Locale renders interface strings, numbers and times in one language. Its
// methods are called from the templates: {{.L.T "nav.dashboard"}}.
type Locale struct {
	Language
	loc     *i18n.Localizer
	printer *message.Printer
	zero    rune // the language's digit zero
	zones   []*time.Location
}

func newLocale(code string, zones []*time.Location) *Locale {
	l := &Locale{Language: Languages[0], zones: zones}
	for _, x := range Languages {
		if x.Code == code {
			l.Language = x
		}
	}
	tag := language.MustParse(l.Code)
	l.loc = i18n.NewLocalizer(catalogue, l.Code, Languages[0].Code)
	l.printer = message.NewPrinter(tag)
	l.zero = []rune(l.printer.Sprint(number.Decimal(0)))[0]
	return l
}

// chooseLanguage is the language of the request: ?lang= (remembered in a
// cookie), else the cookie, else the best match of Accept-Language, else
// English. A ?lang= that is not one of Languages is ignored.
func chooseLanguage(w http.ResponseWriter, r *http.Request, secure bool) string {
	known := func(c string) bool {
		for _, l := range Languages {
			if l.Code == c {
				return true
			}
		}
		return false
	}
	if c := r.URL.Query().Get("lang"); known(c) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: c, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: secure})
		return c
	}
	if c, err := r.Cookie(langCookie); err == nil && known(c.Value) {
		return c.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" && len(al) < 512 {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if conf != language.No {
				return Languages[i].Code
			}
		}
	}
	return Languages[0].Code
}

// T is the interface string id in the locale's language, English where a
// translation is missing (a test keeps none missing). args are pairs of a
// name and a value for the string's {{.Name}} fields; numbers are written
// in the language's digits, and the value named Count chooses the plural
// form.
func (l *Locale) T(id string, args ...any) string {
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			k, _ := args[i].(string)
			v := args[i+1]
			switch n := v.(type) {
			case int, int64, int32:
				if k == "Count" {
					cfg.PluralCount = n
				}
				v = l.N(n)
			}
			data[k] = v
		}
		cfg.TemplateData = data
	}
	s, err := l.loc.Localize(cfg)
	if err != nil && s == "" {
		return id
	}
	return s
}

// N is the number n as the language writes it, grouped.
func (l *Locale) N(n any) string {
	return l.printer.Sprint(number.Decimal(n))
}

// digits writes the ASCII digits of s in the language's digits.
func (l *Locale) digits(s string) string {
	if l.zero == '0' {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return l.zero + (r - '0')
		}
		return r
	}, s)
}

// Date is t's day in UTC, as the language writes a date: 5 December 2025.
func (l *Locale) Date(t time.Time) string {
	t = t.UTC()
	return l.T("date.day", "Day", l.digits(fmt.Sprint(t.Day())), "Month", l.T(fmt.Sprintf("month.%d", t.Month())), "Year", l.digits(fmt.Sprint(t.Year())))
}

// Clock is t's time of day in loc, 24-hour, in the language's digits.
func (l *Locale) Clock(t time.Time, loc *time.Location) string {
	return l.digits(t.In(loc).Format("15:04"))
}

// ZonedTime is one moment as read in one of the rulebook's zones.
type ZonedTime struct {
	Zone, Date, Clock string
}

// Zoned is t in UTC and in each of the rulebook's zones, for showing a
// moment to both parties: every time the interface shows, it shows so.
func (l *Locale) Zoned(t time.Time) []ZonedTime {
	out := []ZonedTime{{"UTC", l.Date(t), l.Clock(t, time.UTC)}}
	for _, z := range l.zones {
		lt := t.In(z)
		out = append(out, ZonedTime{z.String(), l.Date(time.Date(lt.Year(), lt.Month(), lt.Day(), 0, 0, 0, 0, time.UTC)), l.Clock(t, z)})
	}
	return out
}

// ZoneNames are the names of the zones Zoned gives, in its order.
func (l *Locale) ZoneNames() []string {
	out := []string{"UTC"}
	for _, z := range l.zones {
		out = append(out, z.String())
	}
	return out
}
