package notify_test

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sulh-project/sulh/internal/notify"
	"github.com/sulh-project/sulh/internal/store"
)

// mailbox is an SMTP backend that keeps every message it is given.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
}

type mail struct {
	from string
	to   []string
	data string
}

func (b *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{box: b}, nil }

type session struct {
	box *mailbox
	m   mail
}

func (s *session) Reset()        { s.m = mail{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.m.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.m.to = append(s.m.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.m.data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.m)
	s.box.mu.Unlock()
	return nil
}

// smtpServer runs an SMTP server in process until the test ends, and
// returns the mailbox it fills and its address.
func smtpServer(t *testing.T) (*mailbox, string) {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().String()
}

// TestMail sends the demo's notices through a real SMTP server, in
// process: each body's address gets the events that concern its body, the
// catch-all address every event, each message carrying the signed notice.
func TestMail(t *testing.T) {
	ctx := context.Background()
	m, story := scenario(t)
	box, addr := smtpServer(t)
	n := notify.New(m.Log.Log, m.Log.DB, notify.Options{
		SMTP:   notify.SMTP{Addr: addr, From: "sulh@mechanism.example"},
		MailTo: map[string][]string{"afghanistan": {"liaison@af.example"}, "*": {"desk@mediators.example"}},
	})
	if err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Send(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	log, _ := m.Log.DB.Deliveries(ctx, 1000)
	for _, d := range log {
		if d.Status != store.DeliveryDelivered {
			t.Errorf("delivery to %s: %s, %s", d.URL, d.Status, d.LastError)
		}
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	var toAF, toDesk int
	published := false
	for _, msg := range box.msgs {
		if msg.from != "sulh@mechanism.example" || len(msg.to) != 1 {
			t.Errorf("message from %q to %v", msg.from, msg.to)
			continue
		}
		switch msg.to[0] {
		case "liaison@af.example":
			toAF++
			if !strings.Contains(msg.data, "afghanistan") {
				t.Errorf("Afghanistan was mailed an event that does not concern it:\n%s", msg.data)
			}
		case "desk@mediators.example":
			toDesk++
		}
		// The signed notice is in the mail, and verifies.
		i := strings.Index(msg.data, notify.Version)
		if i < 0 {
			t.Fatalf("no signed notice in:\n%s", msg.data)
		}
		notice, err := notify.Open([]byte(strings.ReplaceAll(msg.data[i:], "\r\n", "\n")), m.Log.VerifierKey())
		if err != nil {
			t.Errorf("the mailed notice does not verify: %v\n%s", err, msg.data[i:])
			continue
		}
		published = published || (notice.Kind == store.EventPublished && notice.Case == story.Published)
	}
	if toDesk != len(log)-toAF || toAF == 0 || toDesk <= toAF || !published {
		t.Errorf("%d messages to Afghanistan, %d to the desk, of %d deliveries; published case %d mailed: %v", toAF, toDesk, len(log), story.Published, published)
	}
}
