// Command smoke is the desktop smoke test: it starts the real desktop binary
// under a virtual X server (xvfb-run), takes screenshots of the screen with
// ImageMagick's import until one shows a working window or time runs out,
// and keeps the last screenshot.
//
// Usage:
//
//	smoke [flags] -- kumeo-desktop --run --input events.jsonl workflow.kumeo
//	smoke -check screenshot.png
//
// A working window is one Analyze passes: not a single colour, the title bar
// shows the run badge, the canvas shows nodes with live metrics and the editor
// shows highlighted text. The app, xvfb-run and Xvfb run in their own process
// group, which is killed on every way out, and the app gets a private
// XDG_CONFIG_HOME/XDG_DATA_HOME/XDG_CACHE_HOME/XDG_STATE_HOME, so the test sees
// the default layout and theme and leaves no recent files or settings behind.
//
// It prints the absolute path of the screenshot and exits 1 when the check
// fails, 2 on a usage error.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	out := flag.String("out", "build/smoke/desktop.png", "where to keep the last screenshot")
	screen := flag.String("screen", "1280x900x24", "Xvfb screen geometry")
	timeout := flag.Duration("timeout", 60*time.Second, "how long to wait for a window that passes the check")
	interval := flag.Duration("interval", time.Second, "time between screenshots")
	check := flag.String("check", "", "only check this screenshot (PNG) and exit")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: smoke [flags] -- app [args...]\n       smoke -check screenshot.png\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	if *check != "" {
		res, err := analyzeFile(*check)
		if err != nil {
			fmt.Fprintln(os.Stderr, "smoke:", err)
			os.Exit(1)
		}
		report(res)
		if !res.OK() {
			os.Exit(1)
		}
		return
	}
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	err := run(ctx, flag.Args(), *out, *screen, *timeout, *interval)
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke: FAIL:", err)
		os.Exit(1)
	}
}

func analyzeFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Analyze(img), nil
}

func report(res *Result) {
	fmt.Println("smoke:", res)
	for _, p := range res.Problems {
		fmt.Println("smoke:   -", p)
	}
}

var errInterrupted = errors.New("interrupted")

// launcher runs inside xvfb-run: it writes the app's pid (its own, it then
// execs the app) and the X display to the file named by $SMOKE_ENV_FILE.
const launcher = `printf '%s\n%s\n%s\n' "$$" "$DISPLAY" "$XAUTHORITY" > "$SMOKE_ENV_FILE.tmp" &&
mv "$SMOKE_ENV_FILE.tmp" "$SMOKE_ENV_FILE" && exec "$@"`

func run(ctx context.Context, app []string, out, screen string, timeout, interval time.Duration) (err error) {
	start := time.Now()
	out, err = filepath.Abs(out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	os.Remove(out)
	logPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".log"
	// Print where the artifacts are whatever happens.
	defer func() {
		if _, statErr := os.Stat(out); statErr == nil {
			fmt.Println("smoke: screenshot:", out)
		} else {
			fmt.Println("smoke: no screenshot was taken")
		}
		fmt.Println("smoke: app log:", logPath)
	}()

	tmp, err := os.MkdirTemp("", "kumeo-smoke-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	logFile, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logFile.Close()

	envFile := filepath.Join(tmp, "display")
	args := append([]string{"-a", "-s", "-screen 0 " + screen, "sh", "-c", launcher, "sh"}, app...)
	cmd := exec.Command("xvfb-run", args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "SMOKE_ENV_FILE="+envFile)
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"} {
		dir := filepath.Join(tmp, strings.ToLower(strings.TrimPrefix(v, "XDG_")))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, v+"="+dir)
	}
	fmt.Printf("smoke: starting %s under xvfb-run (screen %s)\n", strings.Join(app, " "), screen)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start xvfb-run: %w", err)
	}
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited) }()

	appPid := 0
	defer func() { stopGroup(cmd.Process.Pid, appPid, exited) }()
	appExited := func() error {
		return fmt.Errorf("the app exited before the check passed (%v); last lines of its log:\n%s", exitErr, tail(logPath, 20))
	}

	// Wait for the launcher to report the display.
	deadline := time.Now().Add(timeout)
	var display, xauth string
	for {
		if b, err := os.ReadFile(envFile); err == nil {
			lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
			if len(lines) == 3 {
				fmt.Sscan(lines[0], &appPid)
				display, xauth = lines[1], lines[2]
				break
			}
		}
		select {
		case <-ctx.Done():
			return errInterrupted
		case <-exited:
			return appExited()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("xvfb-run did not start the app within %v", timeout)
		}
	}

	// Take screenshots until one passes.
	tmpShot := filepath.Join(tmp, "shot.png")
	var last *Result
	for shots := 1; ; shots++ {
		select {
		case <-ctx.Done():
			return errInterrupted
		case <-exited:
			return appExited()
		case <-time.After(interval):
		}
		imp := exec.CommandContext(ctx, "import", "-display", display, "-window", "root", tmpShot)
		imp.Env = append(os.Environ(), "XAUTHORITY="+xauth)
		if msg, err := imp.CombinedOutput(); err != nil {
			return fmt.Errorf("import: %v: %s", err, bytes.TrimSpace(msg))
		}
		res, err := analyzeFile(tmpShot)
		if err != nil {
			return err
		}
		if err := os.Rename(tmpShot, out); err != nil {
			return err
		}
		last = res
		if res.OK() {
			report(res)
			fmt.Printf("smoke: PASS after %d screenshots, %.1fs after start\n", shots, time.Since(start).Seconds())
			return nil
		}
		if time.Now().After(deadline) {
			report(last)
			return fmt.Errorf("no screenshot passed within %v (%d taken); the last one fails: %s",
				timeout, shots, strings.Join(last.Problems, "; "))
		}
	}
}

// stopGroup ends the app politely (SIGTERM, so xvfb-run stops Xvfb and
// removes its files), then kills whatever is left of the process group.
func stopGroup(pgid, appPid int, exited <-chan struct{}) {
	select {
	case <-exited:
	default:
		target := -pgid
		if appPid > 0 {
			target = appPid
		}
		syscall.Kill(target, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			fmt.Fprintln(os.Stderr, "smoke: the app did not stop within 10s of SIGTERM; killing it")
		}
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		fmt.Fprintln(os.Stderr, "smoke: kill process group:", err)
	}
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
	}
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
