package main

// The witness test runs torchwood's litewitness, built from this module's
// go.mod, as witness operators run it: each with its own key in its own
// ssh-agent and its own database.

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/crypto/ssh"
	"golang.org/x/mod/sumdb/note"

	"github.com/sulh-project/sulh/internal/ledger"
)

var (
	witnessBinOnce sync.Once
	witnessBinDir  string
	witnessBinErr  error
)

// witnessBins builds litewitness and witnessctl once, from the versions
// that go.mod's tool lines name, and returns the folder that holds them.
func witnessBins(t *testing.T) string {
	t.Helper()
	witnessBinOnce.Do(func() {
		// Beside the sulh binary, in the folder TestMain removes.
		dir, err := os.MkdirTemp(filepath.Dir(sulhBin), "litewitness-")
		if err != nil {
			witnessBinErr = err
			return
		}
		build := exec.Command("go", "build", "-o", dir, "filippo.io/torchwood/cmd/litewitness", "filippo.io/torchwood/cmd/witnessctl")
		if out, err := build.CombinedOutput(); err != nil {
			witnessBinErr = fmt.Errorf("couldn't build litewitness and witnessctl: %v\n%s", err, out)
			return
		}
		witnessBinDir = dir
	})
	if witnessBinErr != nil {
		t.Fatal(witnessBinErr)
	}
	return witnessBinDir
}

// witness is a running litewitness.
type witness struct {
	name string // the key's name, in its cosignature lines
	url  string // its submission prefix, once started
	vkey string // its cosignature verifier key

	dir, keyFile, fingerprint string
}

// newWitness makes a witness's Ed25519 key, in a folder of its own; start
// runs it.
func newWitness(t *testing.T, name string) *witness {
	t.Helper()
	dir := t.TempDir()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	pub, err := ssh.NewPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	return &witness{name: name, vkey: signer.Verifier().String(), dir: dir, keyFile: keyFile, fingerprint: ssh.FingerprintSHA256(pub)}
}

// start runs the witness's litewitness on a free port of 127.0.0.1, its key
// in an ssh-agent of its own and its database in its folder, knowing the
// log with origin origin and verifier key logKey. Both processes are
// stopped when the test ends.
func (w *witness) start(t *testing.T, origin, logKey string) {
	t.Helper()
	bin := witnessBins(t)
	agentBin, err := exec.LookPath("ssh-agent")
	if err != nil {
		t.Fatal("litewitness keeps its key in an ssh-agent, and there is none on PATH: install it (Debian: apt-get install openssh-client)")
	}
	dir, name, keyFile := w.dir, w.name, w.keyFile
	sock := filepath.Join(dir, "agent.sock")
	agent := exec.Command(agentBin, "-D", "-a", sock)
	var agentOut bytes.Buffer
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatalf("couldn't start ssh-agent: %v", err)
	}
	agentDone := make(chan struct{})
	go func() { agent.Wait(); close(agentDone) }()
	t.Cleanup(func() {
		agent.Process.Signal(os.Interrupt)
		select {
		case <-agentDone:
		case <-time.After(5 * time.Second):
			agent.Process.Kill()
			<-agentDone
		}
	})
	waitFor(t, "ssh-agent's socket", func() bool { _, err := os.Stat(sock); return err == nil })
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
		}
	}
	run("ssh-add", keyFile)
	db := filepath.Join(dir, "litewitness.db")
	run(filepath.Join(bin, "witnessctl"), "add-log", "-db", db, "-origin", origin)
	run(filepath.Join(bin, "witnessctl"), "add-key", "-db", db, "-origin", origin, "-key", logKey)

	addr := freeAddr(t)
	lw := exec.Command(filepath.Join(bin, "litewitness"), "-db", db, "-name", name, "-key", w.fingerprint,
		"-ssh-agent", sock, "-listen", addr)
	stderr := &syncBuffer{}
	lw.Stdout, lw.Stderr = stderr, stderr
	if err := lw.Start(); err != nil {
		t.Fatalf("couldn't start litewitness: %v", err)
	}
	lwDone := make(chan struct{})
	go func() { lw.Wait(); close(lwDone) }()
	t.Cleanup(func() {
		lw.Process.Signal(os.Interrupt)
		select {
		case <-lwDone:
		case <-time.After(10 * time.Second):
			lw.Process.Kill()
			<-lwDone
			t.Errorf("litewitness %s did not stop within 10s of SIGINT", name)
		}
		if t.Failed() {
			t.Logf("litewitness %s wrote:\n%s", name, stderr)
		}
	})
	waitFor(t, "litewitness "+name+" to listen", func() bool {
		select {
		case <-lwDone:
			t.Fatalf("litewitness %s exited:\n%s", name, stderr)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	// The key litewitness announces is the one the rulebook will name.
	if !strings.Contains(stderr.String(), w.vkey) {
		t.Fatalf("litewitness %s announced another verifier key than %s:\n%s", name, w.vkey, stderr)
	}
	w.url = "http://" + addr
}

// waitFor polls ok for up to 30 seconds.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestWitnesses: two litewitness processes cosign a growing log of a real
// sulh server; a second server with the same log key and other entries
// (a forked log, the double of an operator that rewrites history) is
// refused by both, which its /metrics and its mediators' inbox show, and
// verify-log with the witnesses' requirement fails against it and passes
// against the honest server.
func TestWitnesses(t *testing.T) {
	dir := t.TempDir()
	keyFile := func(name string) string { return filepath.Join(dir, name+".key") }
	generate := func(name string) string {
		t.Helper()
		return strings.TrimSpace(mustSulh(t, "key", "generate", "--name", name, "--out", keyFile(name)))
	}
	var rb map[string]any
	if err := json.Unmarshal([]byte(mustSulh(t, "rulebook")), &rb); err != nil {
		t.Fatal(err)
	}
	origin := rb["log_origin"].(string)
	rb["founders"].(map[string]any)["keys"] = []string{generate("founder-1"), generate("founder-2")}
	for _, b := range rb["bodies"].([]any) {
		body := b.(map[string]any)
		body["administrators"] = []string{generate(body["id"].(string) + "-admin")}
	}

	write := func(name string, v any) string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The witnesses' keys go in the genesis; the log key that init makes
	// goes in the witnesses' databases.
	w1, w2 := newWitness(t, "w1.example/witness"), newWitness(t, "w2.example/witness")
	rb["witnesses"] = map[string]any{"quorum": 2, "list": []map[string]string{
		{"id": "w1", "name": "Witness one (a UN office)", "key": w1.vkey},
		{"id": "w2", "name": "Witness two (a mediator)", "key": w2.vkey},
	}}
	honestData := filepath.Join(dir, "honest")
	out := mustSulh(t, "init", "--data", honestData, "--rulebook", write("rulebook.json", rb), "--key", keyFile("founder-1"), "--key", keyFile("founder-2"))
	logKey := lineAfter(t, out, "Log key: ")
	w1.start(t, origin, logKey)
	w2.start(t, origin, logKey)

	// The forked server starts from a copy of the same folder: the same
	// log key and genesis, to which it will add other entries.
	forkData := filepath.Join(dir, "fork")
	if out, err := exec.Command("cp", "-a", honestData, forkData).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v\n%s", err, out)
	}
	witnessFlags := []string{"--witness", "w1=" + w1.url, "--witness", "w2=" + w2.url}
	honest := startServer(t, nil, append([]string{"serve", "--data", honestData}, witnessFlags...)...)
	if honest.VKey != logKey {
		t.Fatalf("the server's log key %s is not the probe's %s", honest.VKey, logKey)
	}
	policy, err := ledger.NewWitnessPolicy(2, []string{w1.vkey, w2.vkey})
	if err != nil {
		t.Fatal(err)
	}
	logVerifier, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	// cosignedAt waits until srv serves a checkpoint of n entries with
	// valid cosignatures of both witnesses.
	cosignedAt := func(srv *server, n int64) {
		t.Helper()
		var last string
		waitFor(t, fmt.Sprintf("a checkpoint of %d entries cosigned by both witnesses (last served:\n%s)", n, last), func() bool {
			b := get(t, client, srv.URL+"/log/checkpoint")
			last = string(b)
			c, _, err := policy.CheckCheckpoint(b, logVerifier)
			return err == nil && c.N == n
		})
	}
	cosignedAt(honest, 1)
	// A statement's page offers the browser's verifier the rulebook's
	// witnesses and quorum.
	page := html.UnescapeString(string(get(t, client, honest.URL+"/explore/0")))
	if !strings.Contains(page, w1.vkey) || !strings.Contains(page, w2.vkey) || !strings.Contains(page, `id="witness-quorum" name="witness-quorum" type="number" min="0" max="64" value="2"`) {
		t.Errorf("the statement's page does not offer the rulebook's witnesses and quorum to its verifier")
	}

	// The log grows by amendments of the founders; each new size is
	// cosigned.
	amend := func(srv *server, version int, title string) {
		t.Helper()
		rb["version"], rb["title"] = version, title
		b, err := json.Marshal(map[string]any{"kind": "rulebook", "rulebook": rb})
		if err != nil {
			t.Fatal(err)
		}
		r := runSulh(t, runOpts{stdin: string(b)}, "submit", "--server", srv.URL, "--key", keyFile("founder-1"), "--key", keyFile("founder-2"), "-")
		if r.code != 0 {
			t.Fatalf("amendment %d to %s:\n%s", version, srv.URL, r)
		}
	}
	amend(honest, 2, "The truce, as amended in Doha")
	cosignedAt(honest, 2)
	amend(honest, 3, "The truce, as amended in Istanbul")
	cosignedAt(honest, 3)
	if got := metric(t, client, honest.URL, `sulh_checkpoint_cosigned_size`); got != 3 {
		t.Errorf("honest server: sulh_checkpoint_cosigned_size %v, want 3", got)
	}

	// The fork: the same log key, other entries at the same sizes.
	fork := startServer(t, nil, append([]string{"serve", "--data", forkData}, witnessFlags...)...)
	amend(fork, 2, "The truce, as the operator would rather it read")
	amend(fork, 3, "The truce, rewritten")
	forkCP := get(t, client, fork.URL+"/log/checkpoint")
	if c, err := torchwood.ParseCheckpoint(strings.SplitN(string(forkCP), "\n\n", 2)[0] + "\n"); err != nil || c.N != 3 {
		t.Fatalf("the fork's checkpoint: %v\n%s", err, forkCP)
	}
	for _, w := range []string{"w1", "w2"} {
		waitFor(t, "the fork's refusal by "+w+" on /metrics", func() bool {
			return metric(t, client, fork.URL, `sulh_witness_refusals_total{witness="`+w+`"}`) >= 1
		})
	}
	if got := metric(t, client, honest.URL, `sulh_witness_refusals_total{witness="w1"}`); got != 0 {
		t.Errorf("the honest server counts %v refusals by w1", got)
	}
	// The refusal reaches the fork's mediators. (A token is a statement:
	// the fork now has 4 entries.)
	tok := runSulh(t, runOpts{}, "token", "new", "--key", keyFile("qatar-admin"), "--server", fork.URL)
	if tok.code != 0 {
		t.Fatalf("token new:\n%s", tok)
	}
	waitFor(t, "the refusal of the fork's rewritten entries in a mediator's inbox", func() bool {
		req, _ := http.NewRequest("GET", fork.URL+"/api/v1/inbox", nil)
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(tok.stdout))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var inbox struct {
			Items []struct{ Kind, Text string } `json:"items"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&inbox); err != nil {
			t.Fatal(err)
		}
		for _, it := range inbox.Items {
			if it.Kind == "witness_refusal" && strings.Contains(it.Text, "the consistency proof from the 3 entries the witness cosigned does not verify") {
				return true
			}
		}
		return false
	})
	// The fork serves its checkpoint signed by the log alone.
	if _, cosigners, err := policy.CheckCheckpoint(get(t, client, fork.URL+"/log/checkpoint"), logVerifier); err == nil || len(cosigners) != 0 {
		t.Errorf("the fork's checkpoint: cosigned by %v (%v), want by no witness", cosigners, err)
	}

	// The witnesses go on cosigning the honest log.
	amend(honest, 4, "The truce, as amended in Riyadh")
	cosignedAt(honest, 4)

	// verify-log requires the rulebook's witnesses by default, or pinned
	// keys; the fork is a valid log on its own, and only the witnesses
	// tell it apart.
	verify := func(srv *server, extra ...string) result {
		return runSulh(t, runOpts{}, append([]string{"verify-log", "--url", srv.URL + "/log", "--key", logKey}, extra...)...)
	}
	pinned := []string{"--witness", w1.vkey, "--witness", w2.vkey}
	for _, args := range [][]string{nil, pinned} {
		r := verify(honest, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "OK: 4 entries verified") || !strings.Contains(r.stdout, "cosigned by ") {
			t.Errorf("verify-log %v against the honest server:\n%s", args, r)
		}
	}
	wantFailure(t, "verify-log against the fork", verify(fork),
		"too few cosignatures: the checkpoint of 4 entries needs valid cosignatures by 2 of the witnesses w1, w2, and has them by none of them, as the rulebook in force requires")
	wantFailure(t, "verify-log against the fork, with pinned keys", verify(fork, append(pinned, "--witness-quorum", "1")...),
		"too few cosignatures", "1 of the witnesses w1.example/witness, w2.example/witness")
	if r := verify(fork, "--no-witnesses"); r.code != 0 {
		t.Errorf("verify-log --no-witnesses against the fork (a log valid on its own):\n%s", r)
	}
	// A cosignature forged by the server does not count.
	forged := append(get(t, client, fork.URL+"/log/checkpoint"), []byte("— w1.example/witness "+
		forgedSig(t, w1.vkey)+"\n")...)
	if _, _, err := policy.CheckCheckpoint(forged, logVerifier); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("a forged cosignature: %v", err)
	}
}

// forgedSig returns a cosignature line's base64 with witness vkey's key
// hash and a signature of zeros.
func forgedSig(t *testing.T, vkey string) string {
	t.Helper()
	v, err := torchwood.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4+8+64)
	h := v.KeyHash()
	b[0], b[1], b[2], b[3] = byte(h>>24), byte(h>>16), byte(h>>8), byte(h)
	b[11] = 1
	return base64.StdEncoding.EncodeToString(b)
}

// lineAfter returns the rest of the first line of out that starts with
// prefix.
func lineAfter(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, prefix); ok {
			return v
		}
	}
	t.Fatalf("no line %q… in:\n%s", prefix, out)
	return ""
}

func get(t *testing.T, client *http.Client, url string) []byte {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// metric returns the value of the series named series (with its labels)
// on base's /metrics, or 0 if it is not there.
func metric(t *testing.T, client *http.Client, base, series string) float64 {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(get(t, client, base+"/metrics")))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	return 0
}

// TestWitnessFlags: verify-log's and serve's witness flags refuse what
// makes no sense, before reaching any server.
func TestWitnessFlags(t *testing.T) {
	w := newWitness(t, "w1.example/witness")
	_, logKey, err := note.GenerateKey(rand.Reader, "sulh.local/x")
	if err != nil {
		t.Fatal(err)
	}
	base := []string{"verify-log", "--url", "http://127.0.0.1:1/log", "--key", logKey}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-witnesses", "--witness", w.vkey}, "--no-witnesses goes with neither --witness nor --witness-quorum"},
		{[]string{"--witness-quorum", "1"}, "--witness-quorum needs --witness keys"},
		{[]string{"--witness", w.vkey, "--witness-quorum", "2"}, "must be from 1 to 1"},
		{[]string{"--witness", logKey}, "not a c2sp.org/tlog-cosignature verifier key"},
		{[]string{"--witness", w.vkey, "--witness", w.vkey}, "two witness keys are named"},
	} {
		r := runSulh(t, runOpts{}, append(base, tc.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("verify-log %v: want exit 2 and %q, got:\n%s", tc.args, tc.want, r)
		}
	}
	for _, v := range []string{"w1", "w1=", "=http://x", "W 1=http://127.0.0.1:1", "w1=ftp://127.0.0.1", "w1=127.0.0.1:7380"} {
		r := runSulh(t, runOpts{}, "serve", "--data", t.TempDir(), "--witness", v)
		if r.code == 0 || !strings.Contains(r.stderr, "want ID=URL") {
			t.Errorf("serve --witness %q: want a refusal that says ID=URL, got:\n%s", v, r)
		}
	}
}
