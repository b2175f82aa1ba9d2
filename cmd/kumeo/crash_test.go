package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test binary doubles as the kumeo command for tests that need a
// process of their own (to kill it): with KUMEO_TEST_ARGS set it runs
// those arguments as kumeo would and exits.
func TestMain(m *testing.M) {
	if args := os.Getenv("KUMEO_TEST_ARGS"); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, "KUMEO_TEST_ARGS:", err)
			os.Exit(2)
		}
		os.Exit(run(argv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// kumeoProcess starts kumeo with args in a process of its own.
func kumeoProcess(t *testing.T, stderr *os.File, args ...string) *exec.Cmd {
	t.Helper()
	b, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KUMEO_TEST_ARGS="+string(b))
	cmd.Stdout, cmd.Stderr = stderr, stderr
	require.NoError(t, cmd.Start())
	return cmd
}

var txID = regexp.MustCompile(`tx-(\d+)`)

// outputIDs counts the transaction ids in a kumeo run --output file,
// dead letters included (their payload holds the id).
func outputIDs(t *testing.T, path string) map[int]int {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	ids := map[int]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := txID.FindSubmatch(sc.Bytes()); m != nil {
			n, _ := strconv.Atoi(string(m[1]))
			ids[n]++
		}
	}
	require.NoError(t, sc.Err())
	return ids
}

// A durable run killed with SIGKILL at random moments of ingesting and
// handling its input, and started again on the same data directory and
// input each time, loses nothing: every input event is in the outputs
// of one of the runs (dead letters included). Before each run the input
// file grows, so that every run has events to ingest as well as the
// backlog the killed one left. The seed is logged; KUMEO_CRASH_SEED
// repeats a sequence of kills.
func TestDurableRunSurvivesKills(t *testing.T) {
	const (
		first = 20000 // events in the file at first
		more  = 8000  // events added before each further run
		kills = 24
	)
	seed := time.Now().UnixNano()
	if s := os.Getenv("KUMEO_CRASH_SEED"); s != "" {
		var err error
		seed, err = strconv.ParseInt(s, 10, 64)
		require.NoError(t, err)
	}
	t.Logf("seed %d (KUMEO_CRASH_SEED=%d repeats it)", seed, seed)
	rng := rand.New(rand.NewSource(seed))

	dir := t.TempDir()
	input := filepath.Join(dir, "payments.jsonl")
	events := 0
	grow := func(n int) {
		writePayments(t, input, events, n, rng)
		events += n
	}
	grow(first)
	data := filepath.Join(dir, "data")
	workflow, err := filepath.Abs("../../examples/card_screening.kumeo")
	require.NoError(t, err)
	logf, err := os.Create(filepath.Join(dir, "runs.log"))
	require.NoError(t, err)
	defer logf.Close()

	seen := map[int]int{}
	account := func(i int, out string) (lines, dups int) {
		for id, n := range outputIDs(t, out) {
			lines += n
			dups += n - 1
			if seen[id] > 0 {
				dups++
			}
			seen[id] += n
		}
		return lines, dups
	}
	killed, killedWithOutput := 0, 0
	for i := 0; i < kills; i++ {
		if i > 0 {
			grow(more)
		}
		out := filepath.Join(dir, fmt.Sprintf("out-%02d.jsonl", i))
		cmd := kumeoProcess(t, logf, "run", workflow, "--durable", data, "--input", input, "--output", out)
		// Every other kill comes at a random moment from before the engine
		// is up to well into ingesting; the others once the run has
		// written a random share of its outputs, while it handles events.
		var when string
		var reached func() bool
		if i%2 == 0 {
			wait := time.Duration(30+rng.Intn(500)) * time.Millisecond
			deadline := time.Now().Add(wait)
			when = fmt.Sprintf("after %v", wait)
			reached = func() bool { return time.Now().After(deadline) }
		} else {
			size := int64(1 + rng.Intn(more*100))
			when = fmt.Sprintf("at %d bytes of output", size)
			reached = func() bool {
				st, err := os.Stat(out)
				return err == nil && st.Size() >= size
			}
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		status := "killed"
	wait:
		for {
			select {
			case err := <-exited:
				require.NoError(t, err, "run %d ended by itself with an error (see %s)", i, logf.Name())
				status = "finished before its kill"
				break wait
			case <-time.After(2 * time.Millisecond):
				if reached() {
					require.NoError(t, cmd.Process.Kill()) // SIGKILL
					<-exited
					break wait
				}
			}
		}
		lines, dups := account(i, out)
		if status == "killed" {
			killed++
			if lines > 0 {
				killedWithOutput++
			}
		}
		t.Logf("run %2d: %s %s; %d outputs written, %d of them duplicates; %d of %d events seen so far",
			i, status, when, lines, dups, len(seen), events)
	}

	out := filepath.Join(dir, "out-final.jsonl")
	cmd := kumeoProcess(t, logf, "run", workflow, "--durable", data, "--input", input, "--output", out)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err, "the last run fails (see %s)", logf.Name())
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the last run did not finish (see %s)", logf.Name())
	}
	lines, dups := account(kills, out)
	t.Logf("last run: %d outputs written, %d of them duplicates", lines, dups)

	var missing []int
	for id := 0; id < events; id++ {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	total := 0
	for _, n := range seen {
		total += n
	}
	t.Logf("%d events, %d outputs in all, %d duplicates (%.2f%%)", events, total, total-len(seen), 100*float64(total-len(seen))/float64(events))
	assert.GreaterOrEqual(t, killed, kills*3/4, "most runs were killed, not finished")
	assert.GreaterOrEqual(t, killedWithOutput, kills/3, "enough kills landed while events were being handled")
	if !assert.Empty(t, missing, "events missing from every output") {
		log, _ := os.ReadFile(logf.Name())
		t.Logf("first missing ids: %v\nruns' output:\n%s", missing[:min(len(missing), 20)], tail(string(log), 4000))
	}
}

// writePayments appends n card payments, valid and not, with the unique
// ids from..from+n-1.
func writePayments(t *testing.T, path string, from, n int, rng *rand.Rand) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	w := bufio.NewWriter(f)
	currencies := []string{"eur", "usd", " gbp ", "chf"} // chf fails the policy: a dead letter
	countries := []string{"DE", "FR", "NL"}
	for i := from; i < from+n; i++ {
		p := map[string]any{
			"tx_id": fmt.Sprintf("tx-%d", i), "amount": float64(rng.Intn(800000)) / 100,
			"currency": currencies[rng.Intn(len(currencies))], "merchant": " m-shop ",
			"hour": rng.Intn(24), "country": countries[rng.Intn(len(countries))],
		}
		if i%97 == 0 {
			delete(p, "hour") // a required field missing: a dead letter
		}
		b, _ := json.Marshal(p)
		w.Write(b)
		w.WriteByte('\n')
	}
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
