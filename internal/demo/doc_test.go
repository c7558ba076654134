package demo_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/sulh-project/sulh/internal/mechanism"
)

// TestDemoDoc holds docs/demo.md to a fresh demo: the number of statements
// the scenario files and how many of each kind, each row of the event
// table (its log indexes, the kinds it names, the case it says a report
// opens), and where each case ends. A scenario that files one statement
// more, or a page that is not told, fails here.
func TestDemoDoc(t *testing.T) {
	ctx := context.Background()
	m, story, first := mustScenario(t)
	size := m.Log.Checkpoint().N
	state := &mechanism.State{}
	kindAt := map[int64]string{}
	err := m.Log.Entries(ctx, 0, size, func(idx int64, data []byte) error {
		st, err := state.Open(data)
		if err == nil {
			_, err = state.Apply(st)
		}
		kindAt[idx] = st.Kind
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	b, err := os.ReadFile("../../docs/demo.md")
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	number := func(re string) int64 {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("docs/demo.md no longer says %q", re)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}

	// The counts.
	if n := number(`fills a demo mechanism with (\d+) signed statements`); n != int64(story.Statements) {
		t.Errorf("docs/demo.md says the scenario files %d statements; it files %d", n, story.Statements)
	}
	if n := number(`The (\d+) statements, by kind:`); n != int64(story.Statements) {
		t.Errorf("docs/demo.md counts %d statements by kind; the scenario files %d", n, story.Statements)
	}
	if n := number(`after .Members.: genesis 0, members 1–(\d+)`); n != first-1 {
		t.Errorf("docs/demo.md says the members end at index %d; they end at %d", n, first-1)
	}
	byKind := map[string]int{}
	for i := first; i < size; i++ {
		byKind[kindAt[i]]++
	}
	line := page[strings.Index(page, "by kind:"):] // number found it above
	line = line[:strings.Index(line, "\n")]
	said := map[string]int{}
	for _, m := range regexp.MustCompile("`([a-z.]+)` (\\d+)").FindAllStringSubmatch(line, -1) {
		said[m[1]], _ = strconv.Atoi(m[2])
	}
	if !maps.Equal(said, byKind) {
		t.Errorf("docs/demo.md counts the statements by kind as %v; the scenario files %v", said, byKind)
	}

	// The event table: its rows cover the scenario's indexes in order, and
	// each row names the kinds of its statements.
	isKind := func(k string) bool { return slices.Contains(mechanism.Kinds, k) }
	next := first
	rows := 0
	for l := range strings.SplitSeq(page, "\n") {
		cells := strings.Split(l, "|")
		if len(cells) < 6 || !regexp.MustCompile(`^ \d+(–\d+)? $`).MatchString(cells[1]) {
			continue
		}
		rows++
		var from, to int64
		if _, err := fmt.Sscanf(strings.ReplaceAll(strings.TrimSpace(cells[1]), "–", " "), "%d %d", &from, &to); err != nil {
			to = from
		}
		if from != next || to < from {
			t.Errorf("docs/demo.md's row %q follows index %d; want a row from %d", strings.TrimSpace(cells[1]), next-1, next)
		}
		next = to + 1
		named := map[string]bool{}
		for _, m := range regexp.MustCompile("`([a-z.]+)`").FindAllStringSubmatch(cells[3], -1) {
			if isKind(m[1]) {
				named[m[1]] = true
			}
		}
		got := map[string]bool{}
		for i := from; i <= to; i++ {
			got[kindAt[i]] = true
		}
		if !maps.Equal(named, got) {
			t.Errorf("docs/demo.md's row %d–%d names the kinds %v; those statements are %v", from, to, slices.Sorted(maps.Keys(named)), slices.Sorted(maps.Keys(got)))
		}
		if m := regexp.MustCompile(`\*\*case (\d+)\*\*`).FindStringSubmatch(cells[3]); m != nil {
			if c, _ := strconv.ParseInt(m[1], 10, 64); c != from {
				t.Errorf("docs/demo.md's row %d–%d says its report opens case %d; it opens case %d", from, to, c, from)
			} else if _, ok := state.Case(c); !ok {
				t.Errorf("docs/demo.md's row %d says its report opens case %d; there is no such case", from, c)
			}
		}
	}
	if next != size {
		t.Errorf("docs/demo.md's event table ends at index %d; the log of a fresh demo ends at %d", next-1, size-1)
	}
	if rows == 0 {
		t.Fatal("docs/demo.md has no event table")
	}

	// Where things end: every case, in its stage.
	i := strings.Index(page, "## Where things end")
	if i < 0 {
		t.Fatal("docs/demo.md has no section ## Where things end")
	}
	section := page[i:]
	listed := map[int64]bool{}
	for l := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(l, "|")
		if len(cells) < 4 || !regexp.MustCompile(`^ \d+(, \d+)* $`).MatchString(cells[1]) {
			continue
		}
		stage := strings.Trim(strings.TrimSpace(cells[2]), "`")
		for s := range strings.SplitSeq(strings.TrimSpace(cells[1]), ", ") {
			id, _ := strconv.ParseInt(s, 10, 64)
			listed[id] = true
			if c, ok := state.Case(id); !ok {
				t.Errorf("docs/demo.md says case %d ends in %s; there is no case %d", id, stage, id)
			} else if c.Stage != stage {
				t.Errorf("docs/demo.md says case %d ends in %s; it ends in %s", id, stage, c.Stage)
			}
		}
	}
	for i := first; i < size; i++ {
		if _, ok := state.Case(i); ok && !listed[i] {
			t.Errorf("case %d of the demo is not in docs/demo.md's table of where things end", i)
		}
	}
}
