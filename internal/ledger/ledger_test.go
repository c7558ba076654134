package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/sulh-project/sulh/internal/datadir"
	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
	"github.com/sulh-project/sulh/internal/statement"
)

func newMechanism(t testing.TB) (*demo.Mechanism, string) {
	t.Helper()
	dir := t.TempDir()
	m, err := demo.Create(context.Background(), dir, mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	return m, dir
}

func report(t testing.TB, m *demo.Mechanism, author string, i int) []byte {
	t.Helper()
	msg, err := m.Sign(mechanism.KindReport, author, demo.Start.Add(time.Duration(i)*time.Second), demo.SampleReport(fmt.Sprintf("report %d", i), accusedBy(author), demo.Start))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func code(err error) statement.Code {
	var e *statement.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAppendAndReopen(t *testing.T) {
	ctx := context.Background()
	m, dir := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 600
	var wg sync.WaitGroup
	receipts := make([]ledger.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			receipts[i], errs[i] = m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", i))
		}()
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submission %d: %v", i, err)
		}
		if seen[receipts[i].Index] {
			t.Fatalf("index %d given twice", receipts[i].Index)
		}
		seen[receipts[i].Index] = true
	}
	cp := m.Log.Checkpoint()
	want := int64(1 + 7 + 2 + n)
	if cp.N != want {
		t.Fatalf("checkpoint size %d, want %d", cp.N, want)
	}
	// The checkpoint verifies with the log key and commits to the stored
	// tree.
	v, err := note.NewVerifier(m.Log.VerifierKey())
	if err != nil {
		t.Fatal(err)
	}
	c, _, err := torchwood.VerifyCheckpoint(cp.Signed, torchwood.ThresholdPolicy(2, torchwood.OriginPolicy(v.Name()), torchwood.SingleVerifierPolicy(v)))
	if err != nil {
		t.Fatal(err)
	}
	if c.Origin != "sulh.local/pak-afg-2025" || c.N != want {
		t.Fatalf("checkpoint %+v", c)
	}
	for i, r := range receipts {
		data, proof, cp2, err := m.Log.Entry(ctx, r.Index)
		if err != nil {
			t.Fatal(err)
		}
		if tlog.RecordHash(data) != r.LeafHash {
			t.Fatalf("entry %d: leaf hash differs from receipt", r.Index)
		}
		if err := tlog.CheckRecord(proof, cp2.N, cp2.Hash, r.Index, r.LeafHash); err != nil {
			t.Fatalf("entry %d (submission %d): %v", r.Index, i, err)
		}
	}

	// A duplicate is refused, naming the index.
	_, err = m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 7))
	if code(err) != statement.CodeDuplicate {
		t.Fatalf("duplicate: got %v", err)
	}

	// Reopen: the state and tree come back.
	m.Log.Close()
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := l.Checkpoint(); got.N != want || got.Hash != cp.Hash {
		t.Fatalf("after reopening: checkpoint %d %v, want %d %v", got.N, got.Hash, want, cp.Hash)
	}
	m.Log = l
	r, err := l.Submit(ctx, report(t, m, "afghanistan-liaison-1", 1))
	if err != nil {
		t.Fatal(err)
	}
	if r.Index != want {
		t.Fatalf("next index %d, want %d", r.Index, want)
	}
}

func TestRevokedKeyRefused(t *testing.T) {
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	msg, err := m.Sign(mechanism.KindMemberRevoke, "pakistan-admin", demo.Start.Add(time.Hour*3), map[string]any{"member": "pakistan-liaison-1", "reason": "left post"})
	if err != nil {
		t.Fatal(err)
	}
	rv, err := m.Log.Submit(ctx, msg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 99))
	if code(err) != statement.CodeForbidden {
		t.Fatalf("got %v, want forbidden", err)
	}
	if want := fmt.Sprintf("revoked by the statement at index %d", rv.Index); !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	// An administrator of another body cannot enrol into this one.
	msg, err = m.Sign(mechanism.KindMemberEnrol, "afghanistan-admin", demo.Start.Add(time.Hour*4), map[string]any{"body": "pakistan", "key": m.Keys.VKeys["pakistan-liaison-1"], "roles": []string{}, "label": ""})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, msg); code(err) != statement.CodeInvalid && code(err) != statement.CodeForbidden {
		t.Fatalf("cross-body enrolment: got %v", err)
	}
}

func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	m, _ := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "pakistan-liaison-1")
	if err != nil {
		t.Fatal(err)
	}
	newSigner, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	obj := fmt.Sprintf(`{"mechanism":"pak-afg-2025","kind":"key.rotate","author":"pakistan-liaison-1","at":"2025-10-21T00:00:00Z","refs":[],"member":"pakistan-liaison-1","key":%q}`, vkey)
	// Without the new key's signature: refused.
	msg, err := statement.Sign([]byte(obj), m.Keys.Signer("pakistan-liaison-1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, msg); code(err) != statement.CodeForbidden {
		t.Fatalf("rotation without the new key's signature: got %v", err)
	}
	msg, err = statement.Sign([]byte(obj), m.Keys.Signer("pakistan-liaison-1"), newSigner)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Log.Submit(ctx, msg); err != nil {
		t.Fatal(err)
	}
	// The old key no longer signs; the new one does.
	if _, err := m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 5)); code(err) != statement.CodeForbidden {
		t.Fatalf("old key after rotation: got %v", err)
	}
	m.Keys.Signers["pakistan-liaison-1"] = newSigner
	if _, err := m.Log.Submit(ctx, report(t, m, "pakistan-liaison-1", 6)); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}
}

func TestCloseDuringLoad(t *testing.T) {
	// Submissions racing Close either get a receipt for a durable statement
	// or ErrClosed; none hangs.
	ctx := context.Background()
	m, dir := newMechanism(t)
	if err := m.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	const n = 400
	msgs := make([][]byte, n)
	for i := range msgs {
		msgs[i] = report(t, m, "pakistan-liaison-1", i)
	}
	var wg sync.WaitGroup
	receipts := make([]ledger.Receipt, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			receipts[i], errs[i] = m.Log.Submit(ctx, msgs[i])
		}()
		if i == n/2 {
			go m.Log.Close()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("submissions hang after Close")
	}
	m.Log.Close()
	l, err := datadir.Open(ctx, dir, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	acked := 0
	for i, err := range errs {
		if err != nil {
			if err != ledger.ErrClosed {
				t.Fatalf("submission %d: %v", i, err)
			}
			continue
		}
		acked++
		data, _, _, err := l.Entry(ctx, receipts[i].Index)
		if err != nil || tlog.RecordHash(data) != receipts[i].LeafHash {
			t.Fatalf("acknowledged statement %d is not at index %d: %v", i, receipts[i].Index, err)
		}
	}
	if got := l.Checkpoint().N; got != int64(10+acked) {
		t.Fatalf("log has %d entries; %d were acknowledged after 10", got, acked)
	}
}

func TestSecondProcessRefused(t *testing.T) {
	_, dir := newMechanism(t)
	if _, err := datadir.Open(context.Background(), dir, ledger.Options{}); err == nil || !strings.Contains(err.Error(), "another sulh process") {
		t.Fatalf("second open: got %v", err)
	}
}

// BenchmarkSubmit measures appends from 64 concurrent submitters, each
// statement verified and durable on return. Signing is outside the timer.
func BenchmarkSubmit(b *testing.B) {
	ctx := context.Background()
	m, _ := newMechanism(b)
	if err := m.Seed(ctx); err != nil {
		b.Fatal(err)
	}
	msgs := make([][]byte, b.N)
	for i := range msgs {
		msgs[i] = report(b, m, "pakistan-liaison-1", i)
	}
	var next atomic.Int64
	b.SetParallelism(32) // 64 goroutines on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Log.Submit(ctx, msgs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "statements/s")
}

// BenchmarkOpenDir measures opening a log of 10,000 statements: replaying
// and re-verifying every entry.
func BenchmarkOpenDir(b *testing.B) {
	ctx := context.Background()
	m, dir := newMechanism(b)
	if err := m.Seed(ctx); err != nil {
		b.Fatal(err)
	}
	const n = 10000
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Log.Submit(ctx, report(b, m, "pakistan-liaison-1", i)); err != nil {
				b.Error(err)
			}
		}()
		if i%64 == 63 {
			wg.Wait()
		}
	}
	wg.Wait()
	m.Log.Close()
	b.ResetTimer()
	for range b.N {
		l, err := datadir.Open(ctx, dir, ledger.Options{})
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "entries/s")
}

// accusedBy returns the party that author, a demo member, accuses.
func accusedBy(author string) string {
	if strings.HasPrefix(author, "afghanistan") {
		return "pakistan"
	}
	return "afghanistan"
}
