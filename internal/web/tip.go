package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/sulh-project/sulh/internal/blob"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
	"github.com/sulh-project/sulh/internal/store"
)

// The public tip form: anyone, without an account, may tell the monitors
// what they saw, with photos. A tip is not a statement. It is kept apart
// from the log (store.Tip, in the log's database beside the notices'
// state: operational, never in the views a rebuild replaces), only
// monitors see it, in their inbox, and it enters the log only when a
// monitor files it as a report of channel "public", which may cite its
// photos' hashes once an evidence statement registers them. Until then
// its photos are unregistered files of the evidence store, which nobody
// may fetch through the evidence routes.

// Limits of a tip.
const (
	maxTipText    = 4000 // characters
	maxTipShort   = 200  // characters, of the place and the contact
	maxTipFiles   = 3
	maxTipFile    = 10 << 20
	maxTipRequest = maxTipFiles*maxTipFile + 64<<10
	maxTipField   = 16 << 10 // bytes of a text field as sent
)

// tipImageTypes are the extensions a tip's photo may have: the evidence
// store's image types.
var tipImageTypes = []string{".avif", ".gif", ".heic", ".heif", ".jpeg", ".jpg", ".png", ".tif", ".tiff", ".webp"}

// Default rate of tips from one client address: a burst of tipBurst, then
// one every tipEvery.
const (
	tipBurst = 5
	tipEvery = 2 * time.Minute
)

// tipIntake is the tip form's state: who sent how many tips lately, and
// the check that a form was sent from this site.
type tipIntake struct {
	limiter *rateLimiter
	origin  *http.CrossOriginProtection
}

func newTipIntake() *tipIntake {
	return &tipIntake{limiter: newRateLimiter(tipBurst, tipEvery), origin: http.NewCrossOriginProtection()}
}

// SetTipRate sets how many tips one client address may send at once
// (burst) and how often one more once those are spent.
func (s *Server) SetTipRate(burst int, every time.Duration) {
	s.tipIntake.limiter = newRateLimiter(burst, every)
}

// rateLimiter is a token bucket per client address.
type rateLimiter struct {
	mu      sync.Mutex
	burst   float64
	every   time.Duration
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets bounds the addresses a limiter remembers: a flood of
// addresses is refused rather than filling the memory.
const maxBuckets = 10000

func newRateLimiter(burst int, every time.Duration) *rateLimiter {
	return &rateLimiter{burst: float64(max(burst, 1)), every: max(every, time.Millisecond), buckets: map[string]*bucket{}, now: time.Now}
}

// take spends one of key's tokens, and says so; or says how long until
// one is there.
func (l *rateLimiter) take(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[key]
	if !ok {
		if len(l.buckets) >= maxBuckets {
			// Forget the addresses whose buckets have filled again: they
			// would start full anyway.
			for k, x := range l.buckets {
				if x.tokens+float64(now.Sub(x.at))/float64(l.every) >= l.burst {
					delete(l.buckets, k)
				}
			}
			if len(l.buckets) >= maxBuckets {
				return false, l.every
			}
		}
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// clientKey is the address a request came from, as its connection gives
// it (a header could be forged); an IPv6 address counts as its /64, which
// one client usually holds whole.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}

// tipForm is a tip as the form sends it.
type tipForm struct {
	Text, Place, When, Zone, Contact string
	Files                            []store.TipFile
}

// tipPage is what the tip form's page shows.
type tipPage struct {
	Form  tipForm
	Zones []string
	// Error is the catalogue id of what is wrong with the form; Detail
	// the store's own words, if any.
	Error, Detail string
	Sent          bool
	Accept        string
	MaxFiles      int
	MaxFileMiB    int
	MaxText       int
	EvidenceKept  bool
}

func (s *Server) tipData(r *http.Request) tipPage {
	p := tipPage{Zones: s.locale(noCookie{}, r).ZoneNames(), Accept: strings.Join(tipImageTypes, ","), MaxFiles: maxTipFiles,
		MaxFileMiB: maxTipFile >> 20, MaxText: maxTipText, EvidenceKept: s.evidence != nil}
	return p
}

// noCookie is a ResponseWriter for a locale read twice in one request:
// the first read sets the language cookie, this one drops it.
type noCookie struct{ http.ResponseWriter }

func (noCookie) Header() http.Header { return http.Header{} }

// tipFormPage serves the tip form.
func (s *Server) tipFormPage(w http.ResponseWriter, r *http.Request) error {
	p := s.tipData(r)
	p.Sent = r.URL.Query().Get("sent") == "1"
	return s.render(w, r, "tip.html", "tip.title", "tip", p)
}

// tipError is a refused tip: its status and the catalogue id that says
// why.
type tipError struct {
	status int
	id     string
	detail string
	err    error
}

func (e *tipError) Error() string {
	if e.err != nil {
		return e.id + ": " + e.err.Error()
	}
	return e.id
}

func (e *tipError) Unwrap() error { return e.err }

// submitTip receives a tip: from this site's own form (cross-origin
// posts are refused), within the rate of its client address, within the
// size limits, its photos into the evidence store.
func (s *Server) submitTip(w http.ResponseWriter, r *http.Request) error {
	p := s.tipData(r)
	refuse := func(e *tipError) error {
		if e.status >= 500 {
			s.logger.Error("couldn't keep a tip", "err", e.err)
		}
		p.Error, p.Detail = e.id, e.detail
		return s.render(withStatus(w, e.status), r, "tip.html", "tip.title", "tip", p)
	}
	if err := s.tipIntake.origin.Check(r); err != nil {
		return refuse(&tipError{status: http.StatusForbidden, id: "tip.err_origin"})
	}
	if ok, wait := s.tipIntake.limiter.take(clientKey(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
		return refuse(&tipError{status: http.StatusTooManyRequests, id: "tip.err_rate"})
	}
	if r.ContentLength > maxTipRequest {
		return refuse(&tipError{status: http.StatusRequestEntityTooLarge, id: "tip.err_size"})
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" || params["boundary"] == "" {
		return refuse(&tipError{status: http.StatusBadRequest, id: "tip.err_form"})
	}
	body := http.MaxBytesReader(w, r.Body, maxTipRequest)
	f, err := readTipForm(r.Context(), body, params["boundary"], p.Zones, s.rulebookZones(), func(ctx context.Context, name string, part io.Reader) (store.TipFile, error) {
		return s.keepTipPhoto(ctx, name, part)
	})
	p.Form = f
	var te *tipError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return refuse(&tipError{status: http.StatusRequestEntityTooLarge, id: "tip.err_size"})
	case errors.As(err, &te):
		return refuse(te)
	case err != nil:
		return refuse(&tipError{status: http.StatusBadRequest, id: "tip.err_form", err: err})
	}
	t := store.Tip{ReceivedAt: statement.FormatTime(time.Now()), Text: f.Text, Place: f.Place, Contact: f.Contact,
		Language: s.locale(noCookie{}, r).Code, Files: f.Files, EventAt: f.When}
	id, err := s.views.AddTip(r.Context(), t)
	if err != nil {
		return refuse(&tipError{status: http.StatusInternalServerError, id: "tip.err_keep", err: err})
	}
	s.logger.Info("tip received", "tip", id, "files", len(f.Files))
	http.Redirect(w, r, "/tip?sent=1", http.StatusSeeOther)
	return nil
}

// rulebookZones are the rulebook's zones by name.
func (s *Server) rulebookZones() map[string]*time.Location {
	m := map[string]*time.Location{"UTC": time.UTC}
	for _, z := range s.zones() {
		m[z.String()] = z
	}
	return m
}

// keepTipPhoto stores a tip's photo in the evidence store: an image, as
// the store checks its content against its name, of at most maxTipFile
// bytes.
func (s *Server) keepTipPhoto(ctx context.Context, name string, part io.Reader) (store.TipFile, error) {
	if s.evidence == nil {
		return store.TipFile{}, &tipError{status: http.StatusBadRequest, id: "tip.err_no_files"}
	}
	info, err := s.evidence.Put(ctx, part, name, min(maxTipFile, s.maxUpload))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return store.TipFile{}, err
	case errors.Is(err, blob.ErrTooLarge):
		return store.TipFile{}, &tipError{status: http.StatusRequestEntityTooLarge, id: "tip.err_file_size"}
	case errors.Is(err, blob.ErrBadName), errors.Is(err, blob.ErrUnsupported), errors.Is(err, blob.ErrTypeMismatch):
		return store.TipFile{}, &tipError{status: http.StatusBadRequest, id: "tip.err_photo", detail: err.Error()}
	case err != nil:
		return store.TipFile{}, &tipError{status: http.StatusBadRequest, id: "tip.err_form", err: err}
	}
	if !strings.HasPrefix(info.MediaType, "image/") { // the extension said image, so the content is one
		return store.TipFile{}, &tipError{status: http.StatusBadRequest, id: "tip.err_photo"}
	}
	if blob.Thumbnailable(info.MediaType) {
		s.evidence.QueueThumbnail(info.SHA256)
	}
	return store.TipFile{SHA256: info.SHA256, Name: name, MediaType: info.MediaType, Size: info.Size}, nil
}

// readTipForm reads a tip from a multipart form: its fields, checked one
// by one as they come, and its photos, each given to keep as it comes, at
// most maxTipFiles. zoneNames are the zones the form offers for the time,
// zones those zones by name.
func readTipForm(ctx context.Context, body io.Reader, boundary string, zoneNames []string, zones map[string]*time.Location,
	keep func(ctx context.Context, name string, part io.Reader) (store.TipFile, error)) (tipForm, error) {
	var f tipForm
	bad := func(id string) error { return &tipError{status: http.StatusBadRequest, id: id} }
	mr := multipart.NewReader(body, boundary)
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return f, err
		}
		name := part.FormName()
		if name == "photo" {
			if part.FileName() == "" {
				// An empty file input sends a part with no name and no
				// content.
				if _, err := io.Copy(io.Discard, io.LimitReader(part, 1)); err != nil {
					return f, err
				}
				continue
			}
			if len(f.Files) == maxTipFiles {
				return f, bad("tip.err_files")
			}
			fname := path.Base(strings.ReplaceAll(part.FileName(), "\\", "/"))
			if !slices.Contains(tipImageTypes, strings.ToLower(path.Ext(fname))) {
				return f, &tipError{status: http.StatusBadRequest, id: "tip.err_photo"}
			}
			tf, err := keep(ctx, fname, part)
			if err != nil {
				return f, err
			}
			f.Files = append(f.Files, tf)
			continue
		}
		if seen[name] {
			return f, bad("tip.err_form")
		}
		seen[name] = true
		b, err := io.ReadAll(io.LimitReader(part, maxTipField+1))
		if err != nil {
			return f, err
		}
		if len(b) > maxTipField {
			return f, bad("tip.err_long")
		}
		v := strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n"))
		if !utf8.ValidString(v) || strings.ContainsFunc(v, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' }) {
			return f, bad("tip.err_chars")
		}
		switch name {
		case "text":
			f.Text = v
		case "place":
			f.Place = v
		case "when":
			f.When = v
		case "zone":
			f.Zone = v
		case "contact":
			f.Contact = v
		default:
			return f, bad("tip.err_form")
		}
	}
	switch {
	case f.Text == "":
		return f, bad("tip.err_text")
	case utf8.RuneCountInString(f.Text) > maxTipText:
		return f, bad("tip.err_long")
	case utf8.RuneCountInString(f.Place) > maxTipShort, utf8.RuneCountInString(f.Contact) > maxTipShort:
		return f, bad("tip.err_long")
	case strings.ContainsRune(f.Place, '\n') || strings.ContainsRune(f.Contact, '\n'):
		return f, bad("tip.err_chars")
	}
	if f.When != "" {
		zone := f.Zone
		if zone == "" {
			zone = "UTC"
		}
		loc, ok := zones[zone]
		if !ok || !slices.Contains(append([]string{"UTC"}, zoneNames...), zone) {
			return f, bad("tip.err_zone")
		}
		t, err := time.ParseInLocation("2006-01-02T15:04", f.When, loc)
		if err != nil {
			return f, bad("tip.err_time")
		}
		if t.Year() < 2000 || t.After(time.Now().Add(24*time.Hour)) {
			return f, bad("tip.err_time")
		}
		f.When = statement.FormatTime(t)
	}
	return f, nil
}

// mayReadTips reports whether members of body may read the tips from the
// public: the monitors, whose work it is to follow them up.
func mayReadTips(rb *mechanism.Rulebook, body string) bool {
	if rb == nil {
		return false
	}
	b, ok := rb.Body(body)
	return ok && b.Type == mechanism.BodyMonitor
}

// InboxTip is a tip from the public as a monitor's inbox gives it, each
// photo with the URL it may be fetched from with the monitor's token.
type InboxTip struct {
	store.Tip
	Files []InboxTipFile `json:"files"`
}

// InboxTipFile is a photo of a tip.
type InboxTipFile struct {
	store.TipFile
	URL string `json:"url"`
}

// tipsFor returns the latest tips for the inbox of body: none unless it
// may read them.
func (s *Server) tipsFor(ctx context.Context, body string, limit int) ([]InboxTip, error) {
	if !mayReadTips(s.log.Rulebook(), body) {
		return nil, nil
	}
	tips, err := s.views.Tips(ctx, 0, limit)
	if err != nil {
		return nil, err
	}
	out := make([]InboxTip, 0, len(tips))
	for _, t := range tips {
		it := InboxTip{Tip: t, Files: make([]InboxTipFile, 0, len(t.Files))}
		for _, f := range t.Files {
			it.Files = append(it.Files, InboxTipFile{TipFile: f, URL: "/api/v1/tips/" + strconv.FormatInt(t.ID, 10) + "/files/" + f.SHA256})
		}
		out = append(out, it)
	}
	return out, nil
}

// tipFile serves a photo of a tip to a monitor. To anyone else it is
// refused: 401 without a token, 403 with another body's; and a hash the
// tip does not hold is unknown.
func (s *Server) tipFile(w http.ResponseWriter, r *http.Request) error {
	who, err := s.authenticate(w, r)
	if err != nil {
		return err
	}
	if !mayReadTips(s.log.Rulebook(), who.body) {
		return &Error{Status: http.StatusForbidden, Code: statement.CodeForbidden, Msg: "only the monitors read the tips from the public"}
	}
	notFound := &Error{Status: http.StatusNotFound, Code: statement.CodeNotFound, Msg: "no tip holds a photo with this hash"}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	hash := r.PathValue("sha256")
	if err != nil || id < 1 || !blob.ValidHash(hash) || s.evidence == nil {
		return notFound
	}
	t, err := s.views.Tip(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	i := slices.IndexFunc(t.Files, func(f store.TipFile) bool { return f.SHA256 == hash })
	if i < 0 {
		return notFound
	}
	f, info, err := s.evidence.Open(hash)
	if errors.Is(err, blob.ErrNotFound) {
		return notFound
	}
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("Content-Length", formatInt(info.Size))
	w.Header().Set("Content-Security-Policy", "sandbox")
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": t.Files[i].Name}))
	w.WriteHeader(http.StatusOK)
	if err := copyChecked(progressWriter(w), f); err != nil {
		s.logger.Error("couldn't serve a tip's photo", "sha256", hash, "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}
