// Command driver is bench/run: it builds authctl and two reference programs,
// runs them side by side on this machine, and prints ratios of medians, so
// that the figures mean the same on a fast or a slow, busy or idle machine.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store/pg/pgtest"
)

type sizes struct {
	runs       int // repetitions of single-process timings
	concurrent int // logins at once
	concRounds int
	imports    int // users in the plain-password import
	big        int // users in the big database
	startRuns  int
}

var full = sizes{runs: 15, concurrent: 64, concRounds: 5, imports: 10000, big: 1000000, startRuns: 61}
var quick = sizes{runs: 3, concurrent: 8, concRounds: 2, imports: 40, big: 2000, startRuns: 11}

const password = "correct horse battery"

type row struct {
	name, measured, ratio, target string
	ok                            bool
}

func main() {
	q := flag.Bool("quick", false, "small sizes, for CI: checks that the benchmark runs, not the figures")
	keep := flag.Bool("keep", false, "keep the work directory")
	pgAdmin := flag.String("pg", os.Getenv(pgtest.Env), "`URL` of a PostgreSQL database whose user may create databases, for the PostgreSQL rows (default $"+pgtest.Env+")")
	flag.Func("only", "run only these `measures`, comma-separated (1,2,3,3b,4,5,6,7; 5 and 6 share their database), to study one", func(v string) error {
		only = map[string]bool{}
		for _, m := range strings.Split(v, ",") {
			if !slices.Contains([]string{"1", "2", "3", "3b", "4", "5", "6", "7"}, m) {
				return fmt.Errorf("no measure %q", m)
			}
			only[m] = true
		}
		return nil
	})
	flag.Parse()
	sz := full
	if *q {
		sz = quick
	}
	if err := run(sz, *q, *keep, *pgAdmin); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// only is the measures to run, or nil for all.
var only map[string]bool

func want(m string) bool { return only == nil || only[m] }

type bench struct {
	dir, authctl, baseline, hello string
	env                           []string
	cores                         int
}

func run(sz sizes, quick, keep bool, pgAdmin string) error {
	if p := secret.DefaultParams; p != (secret.Params{Memory: 19456, Time: 2, Threads: 1}) {
		return fmt.Errorf("bench/baseline hashes with m=19456,t=2,p=1 but authctl's defaults are %+v; update the baseline", p)
	}
	dir, err := os.MkdirTemp("", "authctl-bench-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "work directory:", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	b := &bench{dir: dir, cores: runtime.NumCPU()}
	for _, p := range []struct{ out, pkg string }{
		{"authctl", "."}, {"baseline", "./bench/baseline"}, {"hello", "./bench/hello"}, {"depsfloor", "./bench/depsfloor"}, {"designfloor", "./bench/designfloor"},
	} {
		// The same flags for every binary, as a release build would use.
		c := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", filepath.Join(dir, p.out), p.pkg)
		c.Stderr = os.Stderr
		if err := c.Run(); err != nil {
			return fmt.Errorf("building %s: %w", p.pkg, err)
		}
	}
	b.authctl, b.baseline, b.hello = filepath.Join(dir, "authctl"), filepath.Join(dir, "baseline"), filepath.Join(dir, "hello")
	b.env = append(os.Environ(), "XDG_DATA_HOME="+filepath.Join(dir, "data"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"))
	if _, err := exec.LookPath("oathtool"); err != nil {
		return errors.New("oathtool is needed (Debian package oathtool)")
	}
	fmt.Printf("authctl benchmark: %d cores, %s, %s\n\n", b.cores, runtime.GOOS+"/"+runtime.GOARCH, runtime.Version())

	var rows []row
	small := filepath.Join(dir, "small.db")
	if _, err := b.ok(small, password+"\n", "user", "add", "bench", "--password-stdin"); err != nil {
		return err
	}

	var csv strings.Builder
	if want("1") {
		// 1. Password login against the bare hash.
		base, login, err := b.pair(sz.runs,
			func(int) (time.Duration, error) { return b.timeCmd("", b.baseline) },
			func(int) (time.Duration, error) {
				return b.timeCmd(password+"\n", b.authctl, "--db", small, "login", "bench", "--password-stdin")
			})
		if err != nil {
			return err
		}
		rows = append(rows, ratioRow("1. login (password) / argon2id baseline",
			fmt.Sprintf("%s / %s", ms(login), ms(base)), float64(login)/float64(base), 1.15))

	}
	if want("2") {
		// 2. Login with a code from oathtool.
		users, err := b.enroll(small, sz.runs)
		if err != nil {
			return err
		}
		base2, login2, err := b.pair(sz.runs,
			func(int) (time.Duration, error) { return b.timeCmd("", b.baseline) },
			func(i int) (time.Duration, error) {
				code, err := output("oathtool", "--totp", "-b", users[i].secret)
				if err != nil {
					return 0, err
				}
				return b.timeCmd(password+"\n", b.authctl, "--db", small, "login", users[i].name, "--password-stdin", "--code", strings.TrimSpace(code))
			})
		if err != nil {
			return err
		}
		rows = append(rows, ratioRow("2. login (password + oathtool code) / baseline",
			fmt.Sprintf("%s / %s", ms(login2), ms(base2)), float64(login2)/float64(base2), 1.2))

	}
	if want("3") {
		// 3. Concurrent logins of distinct users.
		conc := filepath.Join(dir, "conc.db")
		csv.Reset()
		csv.WriteString("name,password\n")
		for i := 0; i < sz.concurrent; i++ {
			fmt.Fprintf(&csv, "c%03d,%s\n", i, password)
		}
		if _, err := b.ok(conc, csv.String(), "user", "import", "-", "--format", "csv"); err != nil {
			return err
		}
		cw, cbw, cr, failures, err := b.concurrentRounds(conc, sz)
		if err != nil {
			return err
		}
		rr := ratioRow(fmt.Sprintf("3. %d concurrent logins / %d concurrent baselines, same round", sz.concurrent, sz.concurrent),
			fmt.Sprintf("%s / %s, %d failures", ms(cw), ms(cbw), failures), cr, 1.10)
		rr.ok = rr.ok && failures == 0
		rows = append(rows, rr)

	}
	if want("3b") {
		// 3b. The same on PostgreSQL, where logins of different users do not
		// queue for one writer.
		pgRows, err := b.postgres(sz, pgAdmin)
		if err != nil {
			return err
		}
		rows = append(rows, pgRows...)

	}
	if want("4") {
		// 4. Bulk import of plain passwords.
		imp := filepath.Join(dir, "import.db")
		var iw time.Duration
		csv.Reset()
		csv.WriteString("name,password\n")
		for i := 0; i < sz.imports; i++ {
			fmt.Fprintf(&csv, "imp%06d,%s %d\n", i, password, i)
		}
		// The baseline is the same number of hashes in one process on all cores
		// (bench/baseline -n), run in two halves around the import so that a
		// change of load during the import hits both alike.
		var bl time.Duration
		for half, n := range []int{sz.imports / 2, sz.imports - sz.imports/2} {
			if half == 1 {
				start := time.Now()
				if _, err := b.ok(imp, csv.String(), "user", "import", "-", "--format", "csv"); err != nil {
					return err
				}
				iw = time.Since(start)
			}
			d, err := b.timeCmd("", b.baseline, "-n", strconv.Itoa(n))
			if err != nil {
				return err
			}
			bl += d
		}
		rows = append(rows, ratioRow(fmt.Sprintf("4. import %d passwords / %d hashes in one process on %d cores", sz.imports, sz.imports, b.cores),
			fmt.Sprintf("%s / %s", ms(iw), ms(bl)), float64(iw)/float64(bl), 1.2))

	}
	if want("5") || want("6") {
		// 5. Login on a big database against a database of one user.
		big := filepath.Join(dir, "big.db")
		hash, err := secret.Hasher{Params: secret.DefaultParams}.Hash(password)
		if err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dir, "big.csv"))
		if err != nil {
			return err
		}
		fmt.Fprintln(f, "name,password_hash")
		for i := 0; i < sz.big; i++ {
			fmt.Fprintf(f, "user%07d,\"%s\"\n", i, hash)
		}
		f.Close()
		start := time.Now()
		if _, err := b.ok(big, "", "user", "import", filepath.Join(dir, "big.csv")); err != nil {
			return err
		}
		bw := time.Since(start)
		if want("5") {
			one := filepath.Join(dir, "one.db")
			if _, err := b.ok(one, "name,password_hash\nuser0000000,\""+hash+"\"\n", "user", "import", "-", "--format", "csv"); err != nil {
				return err
			}
			target := fmt.Sprintf("user%07d", sz.big/2)
			oneT, bigT, err := b.pair(sz.runs,
				func(int) (time.Duration, error) {
					return b.timeCmd(password+"\n", b.authctl, "--db", one, "login", "user0000000", "--password-stdin")
				},
				func(int) (time.Duration, error) {
					return b.timeCmd(password+"\n", b.authctl, "--db", big, "login", target, "--password-stdin")
				})
			if err != nil {
				return err
			}
			rows = append(rows, ratioRow(fmt.Sprintf("5. login on %d users / login on 1 user", sz.big),
				fmt.Sprintf("%s / %s", ms(bigT), ms(oneT)), float64(bigT)/float64(oneT), 1.1))
			rows = append(rows, row{name: fmt.Sprintf("   building it: import of %d password hashes", sz.big), measured: ms(bw), ratio: "-", target: "< 60s", ok: bw < time.Minute})

		}
		if want("6") {
			// 6. Listing a big database: wall time and peak memory.
			lw, rss, err := b.list(big)
			if err != nil {
				return err
			}
			rows = append(rows, row{name: fmt.Sprintf("6. user list -o json of %d users", sz.big),
				measured: fmt.Sprintf("%s, peak RSS %.1f MiB", ms(lw), float64(rss)/(1<<20)), ratio: "-", target: "< 64 MiB", ok: rss < 64<<20})

		}
	}
	if want("7") {
		// 7. Start-up, against the floor the design allows: cobra and viper
		// linked, doing nothing. Hello world stays as a reference.
		fl, v, err := b.pair(sz.startRuns,
			func(int) (time.Duration, error) { return b.timeCmd("", filepath.Join(b.dir, "depsfloor")) },
			func(int) (time.Duration, error) { return b.timeCmd("", b.authctl, "version") })
		if err != nil {
			return err
		}
		rows = append(rows, ratioRow("7. authctl version / cobra+viper linked, no work", fmt.Sprintf("%s / %s", ms(v), ms(fl)), float64(v)/float64(fl), 1.10))
		df, v3, err := b.pair(sz.startRuns,
			func(int) (time.Duration, error) { return b.timeCmd("", filepath.Join(b.dir, "designfloor"), "version") },
			func(int) (time.Duration, error) { return b.timeCmd("", b.authctl, "version") })
		if err != nil {
			return err
		}
		rows = append(rows, row{name: "   for reference: authctl version / every library the design fixes, used for a version command",
			measured: fmt.Sprintf("%s / %s", ms(v3), ms(df)), ratio: fmt.Sprintf("%.2f", float64(v3)/float64(df)), target: "-", ok: true})
		h, v2, err := b.pair(sz.startRuns,
			func(int) (time.Duration, error) { return b.timeCmd("", b.hello) },
			func(int) (time.Duration, error) { return b.timeCmd("", b.authctl, "version") })
		if err != nil {
			return err
		}
		rows = append(rows, row{name: "   for reference: authctl version / hello world",
			measured: fmt.Sprintf("%s / %s", ms(v2), ms(h)), ratio: fmt.Sprintf("%.2f", float64(v2)/float64(h)), target: "-", ok: true})
		h2, fl2, err := b.pair(sz.startRuns,
			func(int) (time.Duration, error) { return b.timeCmd("", b.hello) },
			func(int) (time.Duration, error) { return b.timeCmd("", filepath.Join(b.dir, "depsfloor")) })
		if err != nil {
			return err
		}
		rows = append(rows, row{name: "   for reference: cobra+viper linked, no work / hello world",
			measured: fmt.Sprintf("%s / %s", ms(fl2), ms(h2)), ratio: fmt.Sprintf("%.2f", float64(fl2)/float64(h2)), target: "-", ok: true})

	}

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tmedians\tratio\ttarget\tok")
	for _, r := range rows {
		ok := "yes"
		if !r.ok {
			ok = "NO"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.name, r.measured, r.ratio, r.target, ok)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var missed []string
	for _, r := range rows {
		if !r.ok {
			missed = append(missed, strings.TrimSpace(r.name))
		}
	}
	if len(missed) == 0 {
		return nil
	}
	if quick {
		// Small sizes on a shared CI machine are noise: --quick proves the
		// benchmark runs, and leaves the verdict to a full run.
		fmt.Printf("\n--quick: targets not judged (missed at these sizes: %s)\n", strings.Join(missed, "; "))
		return nil
	}
	return fmt.Errorf("%d target(s) missed: %s", len(missed), strings.Join(missed, "; "))
}

// postgres measures logins on a fresh PostgreSQL database: one login
// against the bare hash (a login pays for a connection and a server
// process, a few milliseconds more than a file: target 1.3), and n
// concurrent logins against n concurrent bare hashes in the same rounds,
// with the file's target: there is no single writer to queue for.
func (b *bench) postgres(sz sizes, admin string) ([]row, error) {
	if admin == "" {
		fmt.Printf("PostgreSQL rows skipped: no server (set %s, e.g. with eval \"$(scripts/pg-test-server start)\", or pass -pg URL)\n\n", pgtest.Env)
		return nil, nil
	}
	url, drop, err := pgtest.CreateDB(admin)
	if err != nil {
		return nil, fmt.Errorf("creating a PostgreSQL database for the benchmark: %w", err)
	}
	defer drop()
	var csv strings.Builder
	csv.WriteString("name,password\n")
	for i := 0; i < sz.concurrent; i++ {
		fmt.Fprintf(&csv, "c%03d,%s\n", i, password)
	}
	if _, err := b.ok(url, csv.String(), "user", "import", "-", "--format", "csv"); err != nil {
		return nil, err
	}
	pbase, login, err := b.pair(sz.runs,
		func(int) (time.Duration, error) { return b.timeCmd("", b.baseline) },
		func(int) (time.Duration, error) {
			return b.timeCmd(password+"\n", b.authctl, "--db", url, "login", "c000", "--password-stdin")
		})
	if err != nil {
		return nil, err
	}
	rows := []row{ratioRow("3b. login on PostgreSQL / argon2id baseline",
		fmt.Sprintf("%s / %s", ms(login), ms(pbase)), float64(login)/float64(pbase), 1.3)}
	cp, cbb, ratio, failures, err := b.concurrentRounds(url, sz)
	if err != nil {
		return nil, err
	}
	rr := ratioRow(fmt.Sprintf("    %d concurrent logins on PostgreSQL / %d concurrent baselines, same round", sz.concurrent, sz.concurrent),
		fmt.Sprintf("%s / %s, %d failures", ms(cp), ms(cbb), failures), ratio, 1.10)
	rr.ok = rr.ok && failures == 0
	return append(rows, rr), nil
}

// concurrentRounds runs, in each of sz.concRounds rounds, sz.concurrent
// logins of distinct users on db at once and sz.concurrent bare hashes
// (bench/baseline) at once, one after the other, the order alternating
// from round to round. The baseline is measured in the round, under the
// round's load, not derived from another phase's single-hash median: that
// once made 64 bare hashes come out faster than their "ideal". It returns
// the median walls of each side, the median over rounds of each round's
// logins/baselines, and the failed logins.
func (b *bench) concurrentRounds(db string, sz sizes) (time.Duration, time.Duration, float64, int, error) {
	var walls, baseWalls []time.Duration
	var ratios []float64
	failures := 0
	for r := 0; r < sz.concRounds; r++ {
		var wall, bw time.Duration
		for step := 0; step < 2; step++ {
			if (step+r)%2 == 0 {
				w, failed, err := b.concurrentLogins(db, sz.concurrent)
				if err != nil {
					return 0, 0, 0, 0, err
				}
				wall, failures = w, failures+failed
			} else {
				w, bf, err := b.concurrent(sz.concurrent, func(int) *exec.Cmd { return exec.Command(b.baseline) })
				if err != nil || bf > 0 {
					return 0, 0, 0, 0, fmt.Errorf("concurrent baselines: %v, %d failed", err, bf)
				}
				bw = w
			}
		}
		walls, baseWalls = append(walls, wall), append(baseWalls, bw)
		ratios = append(ratios, float64(wall)/float64(bw))
	}
	slices.Sort(ratios)
	return median(walls), median(baseWalls), ratios[len(ratios)/2], failures, nil
}

func ratioRow(name, measured string, ratio, target float64) row {
	return row{name: name, measured: measured, ratio: fmt.Sprintf("%.2f", ratio), target: fmt.Sprintf("<= %.2f", target), ok: ratio <= target}
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// pair runs a and b alternately n times each, so that load on the machine
// hits both alike, and returns their medians.
func (b *bench) pair(n int, fa, fb func(i int) (time.Duration, error)) (time.Duration, time.Duration, error) {
	var as, bs []time.Duration
	for i := 0; i < n; i++ {
		a, err := fa(i)
		if err != nil {
			return 0, 0, err
		}
		x, err := fb(i)
		if err != nil {
			return 0, 0, err
		}
		as, bs = append(as, a), append(bs, x)
	}
	return median(as), median(bs), nil
}

// timeCmd runs a command and returns its wall time; a failure is an error.
func (b *bench) timeCmd(stdin, name string, args ...string) (time.Duration, error) {
	c := exec.Command(name, args...)
	c.Env = b.env
	c.Stdin = strings.NewReader(stdin)
	var errb bytes.Buffer
	c.Stderr = &errb
	start := time.Now()
	err := c.Run()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %v: %s", filepath.Base(name), strings.Join(args, " "), err, errb.String())
	}
	return d, nil
}

// ok runs authctl on db and returns its stdout.
func (b *bench) ok(db, stdin string, args ...string) (string, error) {
	c := exec.Command(b.authctl, append([]string{"--db", db}, args...)...)
	c.Env = b.env
	c.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		return "", fmt.Errorf("authctl %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func output(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return string(out), nil
}

type enrolled struct{ name, secret string }

// enroll creates n users with 2FA on. Each confirms with the code of the
// previous time step (accepted with skew 1), so a login with the current
// code is not a replay.
func (b *bench) enroll(db string, n int) ([]enrolled, error) {
	var us []enrolled
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("tfa%02d", i)
		if _, err := b.ok(db, password+"\n", "user", "add", name, "--password-stdin"); err != nil {
			return nil, err
		}
		out, err := b.ok(db, password+"\n", "2fa", "enable", name, "--password-stdin", "--begin", "-o", "json")
		if err != nil {
			return nil, err
		}
		var en struct{ Secret string }
		if err := json.Unmarshal([]byte(out), &en); err != nil {
			return nil, err
		}
		code, err := output("oathtool", "--totp", "-b", "-N", "@"+strconv.FormatInt(time.Now().Unix()-30, 10), en.Secret)
		if err != nil {
			return nil, err
		}
		if _, err := b.ok(db, password+"\n", "2fa", "enable", name, "--password-stdin", "--confirm", strings.TrimSpace(code)); err != nil {
			return nil, err
		}
		us = append(us, enrolled{name, en.Secret})
	}
	return us, nil
}

// concurrentLogins starts n logins of distinct users at once and returns the
// wall time until the last one finished and how many failed.
func (b *bench) concurrentLogins(db string, n int) (time.Duration, int, error) {
	return b.concurrent(n, func(i int) *exec.Cmd {
		c := exec.Command(b.authctl, "--db", db, "--lock-timeout", "5s", "login", fmt.Sprintf("c%03d", i), "--password-stdin")
		c.Env = b.env
		c.Stdin = strings.NewReader(password + "\n")
		return c
	})
}

// concurrent starts n commands at once and returns the wall time until the
// last one finished and how many failed.
func (b *bench) concurrent(n int, mk func(i int) *exec.Cmd) (time.Duration, int, error) {
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		cmds[i] = mk(i)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	start := time.Now()
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func(c *exec.Cmd) {
			defer wg.Done()
			if err := c.Wait(); err != nil {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	return time.Since(start), failed, nil
}

// list times `user list -o json > /dev/null` and reads its peak RSS.
//
// The peak RSS is not read from the rusage of a child the driver starts
// itself: Linux counts in a child's maxrss the resident set it had before
// exec, which for a child of the driver is the driver's (44 MiB reported
// where the listing alone peaks at 17). GNU time (/usr/bin/time, Debian
// package time) is started instead: its own resident set is about 2 MiB,
// below anything authctl reaches, and it reports the maxrss of its child
// (%M, in KiB), so what it reports is the listing's.
func (b *bench) list(db string) (time.Duration, int64, error) {
	gnuTime, err := exec.LookPath("/usr/bin/time")
	if err != nil {
		return 0, 0, errors.New("/usr/bin/time is needed to read the listing's peak RSS (Debian package time)")
	}
	out := filepath.Join(b.dir, "list.maxrss")
	c := exec.Command(gnuTime, "-f", "%M", "-o", out, b.authctl, "--db", db, "user", "list", "-o", "json")
	c.Env = b.env
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, 0, err
	}
	defer devnull.Close()
	c.Stdout = devnull
	var errb bytes.Buffer
	c.Stderr = &errb
	start := time.Now()
	if err := c.Run(); err != nil {
		return 0, 0, fmt.Errorf("authctl user list: %v: %s", err, errb.String())
	}
	d := time.Since(start)
	m, err := os.ReadFile(out)
	if err != nil {
		return 0, 0, err
	}
	f := strings.Fields(string(m))
	if len(f) == 0 {
		return 0, 0, fmt.Errorf("/usr/bin/time wrote no peak RSS: %q", m)
	}
	kib, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("/usr/bin/time's peak RSS: %w", err)
	}
	return d, kib * 1024, nil
}
