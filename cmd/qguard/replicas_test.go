//go:build unix

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/auth"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/postgres"
	"github.com/qguard/qguard/postgres/pgtest"
)

// The reliability suite (issue 9): qguard replicas as separate processes
// (this test binary re-executed as qguard, see TestMain) on one PostgreSQL
// schema and copies of one home. Run it with
//
//	QGUARD_TEST_POSTGRES_DSN=postgres://postgres@127.0.0.1:5432/qguard_test?sslmode=disable \
//	QGUARD_TEST_PG_RESTART=1 go test -race -v -run 'TestReplica' ./cmd/qguard
//
// to see its figures; without the DSN it skips.

// replicaConfig prices the local simulator so that budgets bind, and lifts
// the per-user rate limit, which would otherwise refuse the load.
const replicaConfig = `server:
  rate_per_minute: 1000000
costs:
  overrides:
    "local:statevector": {per_task: 0.25}
audit:
  checkpoint_every: 200
`

// copyHome copies a home (vault, identity, config, policy, audit key) for
// another replica: every replica must hold the same vault.
func copyHome(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o600)
	})
	if err != nil {
		t.Fatalf("copy home: %v", err)
	}
}

// client is a load generator's HTTP client, without the OpenAPI check of
// the gateway tests (responses here include transport failures).
// startReplica runs one replica with home and the store at dsn.
func startReplica(t *testing.T, name, home, dsn string) *serveProcess {
	t.Helper()
	return startServe(t, name, home, []string{"QGUARD_STORE=" + dsn, "HOME=" + home})
}

func errorCode(body []byte) string {
	var e struct{ Error struct{ Code string } }
	_ = json.Unmarshal(body, &e)
	return e.Error.Code
}

// cluster is the replicas and what the suite needs to drive them.
type cluster struct {
	t        *testing.T
	dsn      string
	replicas []*serveProcess
	adminKey string
	store    *postgres.DB
	authn    *auth.Service
	next     atomic.Int64

	mu        sync.Mutex
	transient map[string]int // answers that made a client retry: "503 store_unavailable", "no answer"
}

func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	base := pgtest.DSN(t)
	schema := pgtest.RestartableSchema(t)
	dsn := pgtest.WithSchema(t, base, schema)
	dir := t.TempDir()
	first := filepath.Join(dir, "home1")
	if err := os.MkdirAll(first, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(first, config.FileName), []byte(replicaConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{t: t, dsn: dsn, transient: map[string]int{}}
	// The first serve on an empty home initialises it and prints the
	// admin key; the other replicas get copies of that home.
	r1 := startReplica(t, "r1", first, dsn)
	for _, f := range strings.Fields(r1.out.String()) {
		if strings.HasPrefix(f, "qg_") {
			c.adminKey = f
		}
	}
	if c.adminKey == "" {
		t.Fatalf("first replica printed no admin key:\n%s", r1.out)
	}
	c.replicas = append(c.replicas, r1)
	for i := 2; i <= n; i++ {
		home := filepath.Join(dir, fmt.Sprintf("home%d", i))
		copyHome(t, first, home)
		c.replicas = append(c.replicas, startReplica(t, fmt.Sprintf("r%d", i), home, dsn))
	}
	store, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c.store = store
	c.authn = auth.New(store, config.Default().Auth, nil)
	return c
}

// user creates a user with the CLI's code path and returns its API key.
func (c *cluster) user(name, role, project string) string {
	c.t.Helper()
	_, key, err := c.authn.CreateUser(context.Background(), name, role, project)
	if err != nil {
		c.t.Fatalf("create user %s: %v", name, err)
	}
	return key
}

// pick is the load balancer: round robin over the replicas that are up.
func (c *cluster) pick(among []*serveProcess) *serveProcess {
	for range 2 * len(among) {
		r := among[int(c.next.Add(1))%len(among)]
		if !r.dead.Load() {
			return r
		}
	}
	return among[0]
}

// outcome is what a client saw for one submission.
type outcome struct {
	status int
	code   string
	jobID  string
	tries  int
}

// submit sends one submission through the load balancer. Like a client
// behind a load balancer it retries on another replica when the replica
// does not answer or answers 5xx (down, or its database is), for up to
// patience; a 4xx or 201 is final.
func (c *cluster) submit(among []*serveProcess, token string, patience time.Duration) outcome {
	deadline := time.Now().Add(patience)
	var o outcome
	for {
		o.tries++
		r := c.pick(among)
		status, body := call("POST", r.url+"/v1/jobs", token, map[string]any{"qasm": ghz(2), "shots": 100})
		o.status, o.code = status, errorCode(body)
		if status == http.StatusCreated {
			var j struct{ ID string }
			_ = json.Unmarshal(body, &j)
			o.jobID = j.ID
			return o
		}
		if (status != 0 && status < 500) || time.Now().After(deadline) {
			return o
		}
		what := "no answer"
		if status != 0 {
			what = fmt.Sprintf("%d %s", status, o.code)
		}
		c.mu.Lock()
		c.transient[what]++
		c.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
}

// throughput runs n submissions with conc clients spread over among and
// returns submissions per second (every one must be accepted).
func (c *cluster) throughput(among []*serveProcess, tokens []string, n, conc int) float64 {
	c.t.Helper()
	var wg sync.WaitGroup
	var failed atomic.Int64
	work := make(chan int)
	start := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if o := c.submit(among, tokens[i%len(tokens)], 0); o.status != http.StatusCreated {
					failed.Add(1)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		c.t.Errorf("throughput run: %d of %d submissions failed", f, n)
	}
	return float64(n) / elapsed.Seconds()
}

func (c *cluster) readyAll(among []*serveProcess, want int) bool {
	for _, r := range among {
		if r.dead.Load() {
			continue
		}
		if status, _ := call("GET", r.url+"/readyz", "", nil); status != want {
			return false
		}
	}
	return true
}

func waitFor(timeout time.Duration, cond func() bool) (time.Duration, bool) {
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start), true
		}
		time.Sleep(25 * time.Millisecond)
	}
	return time.Since(start), false
}

// pgCluster returns the pg_ctlcluster version and name of the local
// server, or "" when the restart cannot be done here.
func pgCluster(t *testing.T) (version string) {
	if os.Getenv("QGUARD_TEST_PG_RESTART") != "1" || os.Geteuid() != 0 {
		return ""
	}
	if _, err := exec.LookPath("pg_ctlcluster"); err != nil {
		return ""
	}
	entries, err := os.ReadDir("/etc/postgresql")
	if err != nil || len(entries) == 0 {
		return ""
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names[len(names)-1]
}

func pgctl(t *testing.T, version, action string) {
	t.Helper()
	out, err := exec.Command("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action).CombinedOutput()
	if err != nil {
		t.Errorf("pg_ctlcluster %s: %v\n%s", action, err, out)
	}
}

// TestReplicas is the reliability suite: three replicas on one PostgreSQL;
// 500 concurrent submissions from 20 users race for budgets while one
// replica is killed with SIGKILL and (with QGUARD_TEST_PG_RESTART=1, as
// root) PostgreSQL is stopped and started again.
func TestReplicas(t *testing.T) {
	pgtest.DSN(t)
	if testing.Short() {
		t.Skip("reliability suite skipped in -short")
	}
	const replicas = 3
	c := startCluster(t, replicas)
	all := c.replicas

	// Throughput, one replica against three, with users without budgets.
	tp := []string{c.user("tp0", qguard.RoleDeveloper, "bench"), c.user("tp1", qguard.RoleDeveloper, "bench")}
	const tpN, tpConc = 300, 24
	c.throughput(all, tp, 30, 6) // warm up connections and caches
	one := c.throughput(all[:1], tp, tpN, tpConc)
	three := c.throughput(all, tp, tpN, tpConc)

	// 20 users in 4 projects. A user's budget fits 12 jobs, a project's
	// 40: each project's 5 users ask for 125, so both kinds of limit bind.
	const users, perUser, projects = 20, 25, 4
	const price, userDaily, projectDaily = 0.25, 3.0, 10.0
	tokens := make([]string, users)
	names := make([]string, users)
	for i := range users {
		names[i] = fmt.Sprintf("u%02d", i)
		tokens[i] = c.user(names[i], qguard.RoleDeveloper, fmt.Sprintf("p%d", i%projects))
	}
	setBudget := func(scope, name string, usd float64) {
		r := c.pick(all)
		if status, body := call("PUT", r.url+"/v1/budgets/"+scope+"/"+name, c.adminKey, map[string]float64{"daily_usd": usd}); status != 200 {
			t.Fatalf("set budget %s/%s on %s: %d %s", scope, name, r.name, status, body)
		}
	}
	for i := range users {
		setBudget(qguard.ScopeUser, names[i], userDaily)
	}
	for p := range projects {
		setBudget(qguard.ScopeProject, fmt.Sprintf("p%d", p), projectDaily)
	}

	pgVersion := pgCluster(t)
	var (
		mu       sync.Mutex
		outcomes []outcome
		answered atomic.Int64
		killed   int
		notReady time.Duration
		recovery time.Duration
		pgDone   = make(chan struct{})
	)
	total := users * perUser
	work := make(chan int)
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				o := c.submit(all, tokens[i%users], 45*time.Second)
				o.code = names[i%users] + "|" + o.code // remember the user
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
				answered.Add(1)
			}
		}()
	}
	// The chaos: kill -9 of r2 after 150 answers; PostgreSQL stopped
	// after 300 and started again once every replica reports not ready.
	go func() {
		defer close(pgDone)
		waitFor(2*time.Minute, func() bool { return answered.Load() >= 150 })
		all[1].kill()
		killed++
		if pgVersion == "" {
			return
		}
		waitFor(2*time.Minute, func() bool { return answered.Load() >= 300 })
		release, ok := pgtest.Exclusive(t, time.Minute)
		if !ok {
			t.Log("PostgreSQL restart skipped: other tests kept using the server")
			return
		}
		defer release()
		pgctl(t, pgVersion, "stop")
		d, ok := waitFor(20*time.Second, func() bool { return c.readyAll(all, http.StatusServiceUnavailable) })
		if !ok {
			t.Errorf("replicas still report ready %v after PostgreSQL stopped", d)
		}
		notReady = d
		time.Sleep(time.Second) // keep the clients hammering a down database
		pgctl(t, pgVersion, "start")
		d, ok = waitFor(30*time.Second, func() bool { return c.readyAll(all, http.StatusOK) })
		if !ok {
			t.Errorf("replicas not ready %v after PostgreSQL started again", d)
		}
		recovery = d
	}()
	for i := range total {
		work <- i
	}
	close(work)
	wg.Wait()
	<-pgDone

	// Every surviving replica serves again after the chaos.
	for _, r := range all {
		if r.dead.Load() {
			continue
		}
		if status, body := call("GET", r.url+"/readyz", "", nil); status != http.StatusOK {
			t.Errorf("replica %s not ready at the end: %d %s", r.name, status, body)
		}
	}
	// The killed replica comes back on its home with no repair, and serves.
	back := startReplica(t, "r2-restarted", all[1].home, c.dsn)
	if o := c.submit([]*serveProcess{back}, tp[0], 0); o.status != http.StatusCreated {
		t.Errorf("restarted replica answered a submission with %d %s", o.status, o.code)
	}
	all = append(all, back)

	// The killed replica's unfinished jobs are taken over by the others
	// once its leases expire (30 s): every accepted job ends.
	ctx := context.Background()
	var unfinished []string
	settleTime, _ := waitFor(90*time.Second, func() bool {
		unfinished = unfinished[:0]
		jobs, err := c.store.Jobs(ctx, qguard.JobFilter{})
		if err != nil {
			return false
		}
		for _, j := range jobs {
			if !qguard.JobDone(j.Status) {
				unfinished = append(unfinished, j.ID+" "+j.Status)
			}
		}
		return len(unfinished) == 0
	})
	if len(unfinished) > 0 {
		t.Errorf("%d jobs never finished: %v", len(unfinished), unfinished)
	}
	statuses := map[string]int{}
	if jobs, err := c.store.Jobs(ctx, qguard.JobFilter{}); err == nil {
		for _, j := range jobs {
			statuses[j.Status]++
		}
	}
	for _, r := range all {
		if !r.dead.Load() {
			r.stop(t) // graceful: signs a final checkpoint
		}
	}

	// Tally what the clients saw.
	accepted := map[string]int{} // per user
	var acceptedIDs []string
	var exceeded, failed, retried int
	for _, o := range outcomes {
		user, code, _ := strings.Cut(o.code, "|")
		if o.tries > 1 {
			retried++
		}
		switch {
		case o.status == http.StatusCreated:
			accepted[user]++
			acceptedIDs = append(acceptedIDs, o.jobID)
		case o.status == http.StatusForbidden && code == qguard.EBUDGETEXCEEDED:
			exceeded++
		default:
			failed++
			t.Logf("submission gave up: status %d %s after %d tries", o.status, code, o.tries)
		}
	}

	// Spend never above any limit, by the store's totals and by the
	// jobs the clients were told were accepted.
	day := qguard.Day(time.Now())
	var overspend float64
	check := func(scope, name string, limit float64, acceptedJobs int) {
		sp, err := c.store.Spent(ctx, scope, name, day)
		if err != nil {
			t.Fatal(err)
		}
		over := max(sp.Reserved+sp.Settled-limit, float64(acceptedJobs)*price-limit, 0)
		if over > 1e-9 {
			t.Errorf("%s %s: spend %.2f+%.2f, %d accepted jobs, limit %.2f", scope, name, sp.Reserved, sp.Settled, acceptedJobs, limit)
		}
		overspend += over
	}
	perProject := map[string]int{}
	for i, n := range names {
		check(qguard.ScopeUser, n, userDaily, accepted[n])
		perProject[fmt.Sprintf("p%d", i%projects)] += accepted[n]
	}
	for p := range projects {
		name := fmt.Sprintf("p%d", p)
		check(qguard.ScopeProject, name, projectDaily, perProject[name])
	}

	// No job that got a 201, and no audit record, lost.
	size, err := c.store.AuditSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := c.store.AuditEntries(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	audited := map[string]bool{}
	for _, e := range entries {
		if e.Record.Action == "job.submit" && e.Record.Decision == qguard.DecisionAllow {
			audited[e.Record.Details["job_id"]] = true
		}
	}
	lostJobs, lostRecords := 0, 0
	for _, id := range acceptedIDs {
		if _, err := c.store.JobByID(ctx, id); err != nil {
			lostJobs++
			t.Errorf("job %s got a 201 but is not in the store: %v", id, err)
		}
		if !audited[id] {
			lostRecords++
			t.Errorf("job %s got a 201 but has no job.submit audit record", id)
		}
	}
	if int64(len(entries)) != size {
		lostRecords += int(size) - len(entries)
		t.Errorf("audit size %d but %d entries stored", size, len(entries))
	}

	// `qguard audit verify` on the shared log passes.
	verify := exec.Command(os.Args[0], "audit", "verify")
	verify.Env = append(os.Environ(), "QGUARD_TEST_AS_MAIN=1", "QGUARD_HOME="+all[0].home, "QGUARD_STORE="+c.dsn, "HOME="+all[0].home)
	out, err := verify.CombinedOutput()
	if err != nil {
		t.Errorf("qguard audit verify: %v\n%s", err, out)
	}

	restart := "skipped (set QGUARD_TEST_PG_RESTART=1 and run as root)"
	if pgVersion != "" {
		restart = fmt.Sprintf("stopped; all replicas not ready after %v; ready again %v after start", notReady.Round(time.Millisecond), recovery.Round(time.Millisecond))
	}
	t.Logf("reliability figures:\n"+
		"  requests:          %d submissions from %d users over %d replicas (%d retried on another replica)\n"+
		"  accepted:          %d (201), budget_exceeded: %d, gave up: %d\n"+
		"  replicas killed:   %d (kill -9 after 150 answers; restarted afterwards and served)\n"+
		"  retried answers:   %v\n"+
		"  PostgreSQL:        %s\n"+
		"  overspend:         $%.2f\n"+
		"  lost jobs:         %d, lost audit records: %d (audit log %d records, verify %s)\n"+
		"  jobs:              %v, all final %v after the stream\n"+
		"  throughput:        1 replica %.0f submissions/s, 3 replicas %.0f submissions/s (%d submissions, %d clients)",
		total, users, replicas, retried, len(acceptedIDs), exceeded, failed, killed, c.transient, restart, overspend,
		lostJobs, lostRecords, size, map[bool]string{true: "ok", false: "FAILED"}[err == nil], statuses, settleTime.Round(time.Second), one, three, tpN, tpConc)
	if failed > 0 {
		t.Errorf("%d submissions never got an answer from any replica", failed)
	}
}

// TestReplicaClockSkew: two replicas (auth services) on one PostgreSQL
// store whose clocks disagree. Within auth.clock_skew, a session issued by
// one is honoured by the other at most clock_skew past its expiry; a
// replica behind by more refuses the session from the first request after
// the login. Lockout counters are shared.
func TestReplicaClockSkew(t *testing.T) {
	schema := pgtest.Schema(t)
	store, err := postgres.Open(t.Context(), pgtest.DSN(t), postgres.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := config.Default().Auth
	cfg.SessionTTL = time.Hour
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	trueNow := start // the true time, moved by the test
	var mu sync.Mutex
	clock := func(offset time.Duration) qguard.Clock {
		return func() time.Time { mu.Lock(); defer mu.Unlock(); return trueNow.Add(offset) }
	}
	set := func(t time.Time) { mu.Lock(); trueNow = t; mu.Unlock() }
	issuer := auth.New(store, cfg, clock(0))
	_, key, err := issuer.CreateUser(t.Context(), "alice", qguard.RoleResearcher, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, behind := range []time.Duration{0, cfg.ClockSkew / 2, cfg.ClockSkew, cfg.ClockSkew + time.Second, time.Hour} {
		set(start)
		token, sess, err := issuer.Login(t.Context(), key, "10.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		other := auth.New(store, cfg, clock(-behind))
		accepts := func(at time.Time) bool {
			set(at)
			_, _, err := other.Authenticate(t.Context(), token, "10.0.0.1")
			return err == nil
		}
		if behind > cfg.ClockSkew {
			if accepts(start) {
				t.Errorf("replica %v behind accepted a fresh session: beyond the %v tolerance it must refuse", behind, cfg.ClockSkew)
			}
			continue
		}
		if !accepts(start) {
			t.Errorf("replica %v behind (within tolerance) refused a fresh session", behind)
		}
		// The last instant the other replica accepts is its own clock's
		// expiry: `behind` late in true time, never more than the tolerance.
		last := sess.ExpiresAt.Add(behind - time.Microsecond)
		if !accepts(last) {
			t.Errorf("replica %v behind refused the session before its own clock reached the expiry", behind)
		}
		if accepts(sess.ExpiresAt.Add(behind)) || accepts(sess.ExpiresAt.Add(cfg.ClockSkew)) {
			t.Errorf("replica %v behind accepted the session %v or more past its expiry", behind, behind)
		}
		if last.Sub(sess.ExpiresAt) > cfg.ClockSkew {
			t.Errorf("expiry stretched by %v, beyond the %v tolerance", last.Sub(sess.ExpiresAt), cfg.ClockSkew)
		}
	}

	// Lockout is shared: failures counted by one replica lock the
	// address out on the other.
	set(start.Add(24 * time.Hour))
	wrong, _ := auth.NewAPIKey()
	for range cfg.LockoutFailures {
		if _, _, err := issuer.Authenticate(t.Context(), wrong, "10.6.6.6"); qguard.ErrorCode(err) != qguard.EUNAUTHENTICATED {
			t.Fatalf("wrong key: %v", err)
		}
	}
	other := auth.New(store, cfg, clock(-cfg.ClockSkew))
	if _, _, err := other.Authenticate(t.Context(), key, "10.6.6.6"); qguard.ErrorCode(err) != qguard.ERATELIMITED {
		t.Errorf("the other replica let a locked-out address in: %v", err)
	}
}
