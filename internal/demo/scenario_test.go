package demo_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"github.com/sulh-project/sulh/internal/demo"
	"github.com/sulh-project/sulh/internal/ledger"
	"github.com/sulh-project/sulh/internal/mechanism"
)

// mustScenario creates a demo mechanism with its members and runs its
// scenario. It returns the mechanism, the story and the index the
// scenario starts at.
func mustScenario(t *testing.T) (*demo.Mechanism, *demo.Story, int64) {
	t.Helper()
	ctx := context.Background()
	m, err := demo.Create(ctx, t.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if err := m.Members(ctx); err != nil {
		t.Fatal(err)
	}
	first := m.Log.Checkpoint().N
	story, err := m.Scenario(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m, story, first
}

// TestScenario runs the scenario and checks, by replaying the log into a
// fresh state, that every statement was accepted in order of time and that
// its cases end where the story says.
func TestScenario(t *testing.T) {
	ctx := context.Background()
	m, story, before := mustScenario(t)
	size := m.Log.Checkpoint().N
	if got := size - before; got != int64(story.Statements) {
		t.Fatalf("the log grew by %d statements; the story says %d were filed", got, story.Statements)
	}
	t.Logf("%d statements; cases %v; summary:\n%s", story.Statements, story.Cases, story.Summary)
	if story.Statements < 40 {
		t.Errorf("the scenario filed only %d statements", story.Statements)
	}

	// Replay the whole log, as an auditor would.
	state := &mechanism.State{}
	kinds := map[string]int{}
	var publication *mechanism.Publication
	last := demo.Start.Add(2 * time.Hour)
	err := m.Log.Entries(ctx, 0, size, func(idx int64, data []byte) error {
		st, err := state.Open(data)
		if err != nil {
			t.Fatalf("entry %d does not open: %v", idx, err)
		}
		if _, err := state.Apply(st); err != nil {
			t.Fatalf("entry %d is refused on replay: %v", idx, err)
		}
		if idx < before {
			return nil
		}
		kinds[st.Kind]++
		if st.Time.Before(last) || st.Time.Year() != 2025 {
			t.Errorf("entry %d (%s) is at %s, before the previous statement's %s or outside 2025", idx, st.Kind, st.At, last.Format(time.RFC3339))
		}
		last = st.Time
		if p, ok := state.Payload().(*mechanism.Publication); ok && idx == story.Publication {
			publication = p
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !last.Equal(story.End) {
		t.Errorf("the last statement is at %s; the story says %s", last, story.End)
	}
	for _, k := range []string{mechanism.KindMeeting, mechanism.KindCrossingStatus, mechanism.KindReport, mechanism.KindReply,
		mechanism.KindCaseAdvance, mechanism.KindFinding, mechanism.KindEndorsement, mechanism.KindPenalty,
		mechanism.KindCommitment, mechanism.KindAction, mechanism.KindPublication, mechanism.KindActor, mechanism.KindActorClaim} {
		if kinds[k] == 0 {
			t.Errorf("the scenario filed no %s", k)
		}
	}
	if kinds[mechanism.KindMeeting] < 3 {
		t.Errorf("%d meetings; want the Doha round and two Istanbul rounds", kinds[mechanism.KindMeeting])
	}

	t.Run("published", func(t *testing.T) {
		c := mustCase(t, state, story.Published)
		if c.Stage != "published" {
			t.Errorf("stage %q, want published", c.Stage)
		}
		if c.Finding < 0 || c.Endorsed < 0 || c.Outcome != mechanism.OutcomeAttributed {
			t.Errorf("finding %d, endorsed %d, outcome %q: want an endorsed, attributed finding", c.Finding, c.Endorsed, c.Outcome)
		}
		if len(c.Penalties) == 0 {
			t.Error("no penalty")
		}
		if len(c.Replies) < 2 {
			t.Errorf("%d replies; want one on the report and one on the finding", len(c.Replies))
		}
		for _, d := range c.Deadlines {
			if d.Status != mechanism.DeadlineMet {
				t.Errorf("deadline %q (due %s) is %s; every deadline of the published case should be met", d.Name, d.Due, d.Status)
			}
		}
	})
	t.Run("pending", func(t *testing.T) {
		c := mustCase(t, state, story.Pending)
		i := state.Rulebook.Stage(c.Stage)
		if i <= 0 || i >= len(state.Rulebook.Stages)-1 {
			t.Errorf("stage %q; want a stage between the first and the last", c.Stage)
		}
	})
	t.Run("unanswered", func(t *testing.T) {
		c := mustCase(t, state, story.Unanswered)
		if len(c.Replies) != 0 {
			t.Errorf("%d replies; want none", len(c.Replies))
		}
		if !slices.ContainsFunc(c.Deadlines, func(d *mechanism.Deadline) bool {
			return d.Name == mechanism.DeadlineReply && d.Status == mechanism.DeadlineMissed
		}) {
			t.Error("no missed reply deadline")
		}
	})
	t.Run("claimed", func(t *testing.T) {
		c := mustCase(t, state, story.Claimed)
		if len(c.Reports) != 1 || len(c.Replies) != 1 {
			t.Errorf("%d reports and %d replies; want one of each", len(c.Reports), len(c.Replies))
		}
		var said []string
		for _, x := range state.ActorClaims(c.ID) {
			said = append(said, x.Actor+" "+x.Position)
		}
		if want := []string{"jamaat-ul-ahrar claimed", "jamaat-ul-ahrar retracted", "ttp denied"}; !slices.Equal(said, want) {
			t.Errorf("the actors said %q, want %q", said, want)
		}
	})
	t.Run("publication", func(t *testing.T) {
		if publication == nil {
			t.Fatalf("no publication at index %d", story.Publication)
		}
		sum := sha256.Sum256([]byte(story.Summary))
		if publication.SHA256 != hex.EncodeToString(sum[:]) || publication.Size != int64(len(story.Summary)) {
			t.Errorf("the publication records %s (%d bytes); the summary hashes to %x (%d bytes)",
				publication.SHA256, publication.Size, sum, len(story.Summary))
		}
	})
	if len(story.Cases) < 6 || !slices.Contains(story.Cases, story.Published) {
		t.Errorf("cases %v", story.Cases)
	}
}

// TestScenarioNeedsMembers checks that the scenario refuses to start, rather
// than panic, before the demo's members are enrolled.
func TestScenarioNeedsMembers(t *testing.T) {
	ctx := context.Background()
	m, err := demo.Create(ctx, t.TempDir(), mechanism.DefaultRulebook, demo.Start, ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Log.Close)
	if _, err := m.Scenario(ctx); err == nil {
		t.Fatal("the scenario ran without members")
	}
}

func mustCase(t *testing.T, s *mechanism.State, id int64) *mechanism.Case {
	t.Helper()
	c, ok := s.Case(id)
	if !ok {
		t.Fatalf("there is no case %d", id)
	}
	return c
}
