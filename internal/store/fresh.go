package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"modernc.org/sqlite"

	"github.com/sulh-project/sulh/internal/ledger"
)

// The views' database can be written again from the log, apart from the
// live one, and switched in. ViewsFile is then a symbolic link to the
// views' current file, ViewsFile less ".db" followed by ".N.db": a new
// one is built beside it under the next N, and the link replaced by
// rename, atomically. SQLite names a database's -wal and -shm after the
// file a link points to, so the live and the new views never share them,
// and a connection opened before the switch keeps reading the old views,
// whole, until it is let go. A crash before the rename leaves the old
// views live and the new file unlinked (RemoveStaleViews removes it); one
// after, the new views, which hold every entry up to their cursor.

// DB is where the log can build new views.
var _ ledger.ViewBuilder = (*DB)(nil)

// viewsFileN is the views' file number n of the database at file.
func viewsFileN(file string, n int) string {
	return strings.TrimSuffix(ViewsFile(file), ".db") + "." + strconv.Itoa(n) + ".db"
}

// currentViews returns the number of the views' file that ViewsFile links
// to, or 0 if it is not a link (a plain file, or none).
func currentViews(file string) (int, error) {
	link := ViewsFile(file)
	fi, err := os.Lstat(link)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("couldn't read where the views are: %w", err)
	}
	target, err := os.Readlink(link)
	if err != nil {
		return 0, fmt.Errorf("couldn't read where the views are: %w", err)
	}
	base := strings.TrimSuffix(filepath.Base(link), ".db") + "."
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(target, base), ".db"))
	if err != nil || !strings.HasPrefix(target, base) || n <= 0 {
		return 0, fmt.Errorf("%s links to %s, which is not a file of views", link, target)
	}
	return n, nil
}

// liveViews returns the views' file that ViewsFile is or links to.
func liveViews(file string) (string, error) {
	n, err := currentViews(file)
	if err != nil || n == 0 {
		return ViewsFile(file), err
	}
	return viewsFileN(file, n), nil
}

// RemoveStaleViews removes the views' files that are not live: those of a
// rebuild that a crash interrupted, and those of the views a switch
// replaced. Only the process that holds the data folder may call it.
func RemoveStaleViews(file string) error {
	n, err := currentViews(file)
	if err != nil {
		return err
	}
	dir := filepath.Dir(file)
	base := strings.TrimSuffix(filepath.Base(ViewsFile(file)), ".db") + "."
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("couldn't list the data folder: %w", err)
	}
	link := filepath.Base(ViewsFile(file))
	for _, e := range entries {
		name := e.Name()
		var stale bool
		if rest, ok := strings.CutPrefix(name, base); ok {
			// sulh-views.N.db and its -wal, -shm and -journal, for
			// another N than the live one; a link being made.
			num, _, _ := strings.Cut(rest, ".")
			m, err := strconv.Atoi(num)
			stale = err == nil && m != n || rest == "link"
		}
		if n > 0 && strings.HasPrefix(name, link+"-") {
			// The -wal and -shm of the plain file that the first switch
			// replaced.
			stale = true
		}
		if stale {
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("couldn't remove stale views: %w", err)
			}
		}
	}
	return nil
}

// NewViews creates empty views in a file of their own, beside the live
// ones, which the log's reads and writes do not see until Install.
func (db *DB) NewViews(ctx context.Context) (ledger.NewViews, error) {
	n, err := currentViews(db.file)
	if err != nil {
		return nil, err
	}
	file := viewsFileN(db.file, n+1)
	for _, f := range []string{file, file + "-wal", file + "-shm", file + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("couldn't remove stale views: %w", err)
		}
	}
	if err := ownerOnly(file); err != nil {
		return nil, err
	}
	// Nothing reads this file before Install, and a crash before it
	// leaves the file unused: no journal and no syncs while it fills.
	// Install makes it durable before it links it.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(OFF)")
	q.Add("_pragma", "synchronous(OFF)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Add("_pragma", "locking_mode(EXCLUSIVE)")
	q.Add("_pragma", "cache_size(-131072)")
	w, err := openWriter(ctx, file, q, "sqlite-views")
	if err != nil {
		os.Remove(file)
		return nil, err
	}
	if db.skip != nil {
		if err := dropAuditUnused(ctx, w); err != nil {
			w.Close()
			os.Remove(file)
			return nil, err
		}
	}
	nv := &newViews{db: db, file: file, w: w, writes: map[string]*sql.Stmt{}}
	for name, q := range writes {
		if logWrite[name] {
			continue
		}
		if nv.writes[name], err = w.PrepareContext(ctx, q); err != nil {
			nv.Discard()
			return nil, fmt.Errorf("couldn't prepare %s: %w", name, err)
		}
	}
	return nv, nil
}

// newViews are views being built apart from the live ones.
type newViews struct {
	db     *DB
	file   string
	w      *sql.DB
	writes map[string]*sql.Stmt
	synced bool
	done   bool
}

// BeginViews starts a transaction of the new views.
func (nv *newViews) BeginViews(ctx context.Context) (ledger.ViewTx, error) {
	return nv.db.begin(ctx, nv.w, nv.writes)
}

// Sync makes what is committed durable, and every later commit durable
// when it returns: from here on the views are written as the live ones
// are.
func (nv *newViews) Sync(ctx context.Context) error {
	if nv.synced {
		return nil
	}
	for _, p := range []string{"PRAGMA locking_mode = NORMAL", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"} {
		if _, err := nv.w.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("couldn't make the new views durable: %w", err)
		}
	}
	if err := syncFile(nv.file); err != nil {
		return err
	}
	nv.synced = true
	return nil
}

// InstallStep, if not nil, is called at each step of Install with its
// name: tests stop the process there to check that any moment of a switch
// leaves views that open.
var InstallStep func(step string)

func step(name string) {
	if InstallStep != nil {
		InstallStep(name)
	}
}

// Install makes the new views the live ones: it makes them durable,
// replaces the link ViewsFile by one to them, and lets go of every
// connection to the old views, each once its work is done (reads that
// began before go on reading the old views). The old views' files are
// removed once no connection holds them.
func (nv *newViews) Install(ctx context.Context) error {
	if err := nv.Sync(ctx); err != nil {
		return err
	}
	step("synced")
	nv.closeWriter()
	// Closing the last connection moved the WAL into the file; sync it
	// again, then the folder, before the link can name it.
	if err := syncFile(nv.file); err != nil {
		return err
	}
	step("closed")
	dir := filepath.Dir(nv.file)
	old, err := currentViews(nv.db.file)
	if err != nil {
		return err
	}
	link := ViewsFile(nv.db.file)
	tmp := strings.TrimSuffix(link, ".db") + ".link"
	os.Remove(tmp)
	if err := os.Symlink(filepath.Base(nv.file), tmp); err != nil {
		return fmt.Errorf("couldn't link the new views: %w", err)
	}
	step("linked")
	// No connection opens while the link is replaced: one opened by
	// the plain file's name as it became the link could take the new
	// views for the old file and pair them with its -wal.
	g := nv.db.views
	g.opening.Lock()
	if err := os.Rename(tmp, link); err != nil {
		g.opening.Unlock()
		os.Remove(tmp)
		return fmt.Errorf("couldn't switch to the new views: %w", err)
	}
	step("renamed")
	nv.done = true
	g.switched(nv.file, func() {
		// The old views' files, when no connection holds them.
		if old > 0 {
			f := viewsFileN(nv.db.file, old)
			for _, name := range []string{f, f + "-wal", f + "-shm"} {
				os.Remove(name)
			}
		} else {
			os.Remove(link + "-wal")
			os.Remove(link + "-shm")
		}
	})
	g.opening.Unlock()
	// A crash before the folder is synced may leave the old views live,
	// which is as good: the server writes what they lack when it starts.
	syncFile(dir)
	// Let go of the idle connections now; those in use go when released.
	for _, p := range []*sql.DB{nv.db.r, nv.db.vw} {
		p.SetMaxIdleConns(0)
		p.SetMaxIdleConns(2)
	}
	step("switched")
	return nil
}

// Discard abandons the new views and removes their file, unless Install
// linked them.
func (nv *newViews) Discard() error {
	nv.closeWriter()
	if nv.done {
		return nil
	}
	var errs []error
	for _, f := range []string{nv.file, nv.file + "-wal", nv.file + "-shm", nv.file + "-journal"} {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (nv *newViews) closeWriter() {
	if nv.w == nil {
		return
	}
	for _, s := range nv.writes {
		if s != nil {
			s.Close()
		}
	}
	nv.w.Close()
	nv.w = nil
}

// syncFile flushes a file, or a folder's entries, to stable storage.
func syncFile(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("couldn't sync %s: %w", name, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("couldn't sync %s: %w", name, err)
	}
	return nil
}

// generations count the switches of the views, so that the connections
// opened before one are let go, and the old views' files removed when the
// last of them closes. Each generation's connections open its own file,
// not the link, so that a connection opened as a switch happens is of
// the views before it or of those after, in full.
type generations struct {
	// opening is held to read while a connection opens, and to write
	// while the views switch.
	opening sync.RWMutex
	mu      sync.Mutex
	gen     int
	file    string         // the views' file of generation gen
	open    map[int]int    // connections open, by generation
	cleanup map[int]func() // what to do when a generation's last closes
}

func newGenerations(file string) *generations {
	return &generations{file: file, open: map[int]int{}, cleanup: map[int]func(){}}
}

// switched starts a generation whose connections open file; cleanup runs
// when no connection of the last one is open.
func (g *generations) switched(file string, cleanup func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	old := g.gen
	g.gen++
	g.file = file
	if g.open[old] == 0 {
		go cleanup()
		return
	}
	g.cleanup[old] = cleanup
}

// opened counts a connection of the current generation, and returns it
// and its views' file.
func (g *generations) opened() (int, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open[g.gen]++
	return g.gen, g.file
}

func (g *generations) closed(gen int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open[gen]--
	if g.open[gen] == 0 && gen < g.gen {
		delete(g.open, gen)
		if f := g.cleanup[gen]; f != nil {
			delete(g.cleanup, gen)
			go f()
		}
	}
}

func (g *generations) current(gen int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return gen == g.gen
}

// connector opens connections to a generation of the views, let go after
// a switch: with file empty, the views' file with the parameters q; else
// the database at file with q, the views' attached as "views".
type connector struct {
	file string
	q    url.Values
	gens *generations
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	c.gens.opening.RLock()
	defer c.gens.opening.RUnlock()
	gen, views := c.gens.opened()
	file := c.file
	if file == "" {
		file = views
	}
	conn, err := c.Driver().Open("file:" + file + "?" + c.q.Encode())
	if err != nil {
		c.gens.closed(gen)
		return nil, err
	}
	if c.file != "" {
		if _, err := conn.(driver.ExecerContext).ExecContext(ctx, "ATTACH DATABASE ? AS views", []driver.NamedValue{{Ordinal: 1, Value: views}}); err != nil {
			conn.Close()
			c.gens.closed(gen)
			return nil, fmt.Errorf("couldn't attach the views' database %s: %w", views, err)
		}
	}
	return &genConn{sqliteConn: conn.(sqliteConn), gen: gen, gens: c.gens}, nil
}

func (connector) Driver() driver.Driver { return sqliteDriver }

// sqliteDriver opens every connection, with the functions the views' SQL
// uses.
var sqliteDriver = func() *sqlite.Driver {
	d := &sqlite.Driver{}
	d.MustRegisterFunction(rowLineFunc, rowLine)
	return d
}()

// sqliteConn is what database/sql uses of a connection of the SQLite
// driver.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// genConn is a connection of one generation of the views.
type genConn struct {
	sqliteConn
	gen    int
	gens   *generations
	closed sync.Once
}

// ResetSession refuses a connection to views that were switched out,
// before it is used again.
func (c *genConn) ResetSession(ctx context.Context) error {
	if !c.gens.current(c.gen) {
		return driver.ErrBadConn
	}
	return c.sqliteConn.ResetSession(ctx)
}

// IsValid refuses a connection to views that were switched out, when it
// is released.
func (c *genConn) IsValid() bool {
	return c.gens.current(c.gen) && c.sqliteConn.IsValid()
}

func (c *genConn) Close() error {
	err := c.sqliteConn.Close()
	c.closed.Do(func() { c.gens.closed(c.gen) })
	return err
}
