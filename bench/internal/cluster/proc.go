package cluster

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one process of a cluster.
type Proc struct {
	Name    string
	cmd     *exec.Cmd
	out     *lines
	exited  chan struct{}
	waitErr error
	ready   chan struct{}          // agents: closed when it logs "agent running"
	counts  chan map[string]uint64 // agents: what it logged when it stopped
}

// startProc starts bin with args and env added to this process's
// environment; every line it writes (stdout and
// stderr) goes to onLine and the last ones are kept for errors. It is
// killed if this process dies first.
func startProc(name, bin string, args, env []string, onLine func(string)) (*Proc, error) {
	p := &Proc{Name: name, out: &lines{onLine: onLine}, exited: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	if env != nil {
		p.cmd.Env = append(os.Environ(), env...)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("cluster: start %s (%s): %w", name, bin, err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *Proc) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (p *Proc) exitError(when string) error {
	<-p.exited
	return fmt.Errorf("cluster: %s exited %s (%v):\n%s", p.Name, when, p.waitErr, p.out.tail())
}

// waitReady waits for an agent's "agent running" line.
func (p *Proc) waitReady(deadline time.Time) error {
	select {
	case <-p.ready:
		return nil
	case <-p.exited:
		return p.exitError("before it ran")
	case <-time.After(time.Until(deadline)):
		return fmt.Errorf("cluster: agent %s not running by the deadline:\n%s", p.Name, p.out.tail())
	}
}

// wait waits for the process to exit after a signal, killing it after
// timeout; an exit other than a clean one is an error.
func (p *Proc) wait(timeout time.Duration) error {
	select {
	case <-p.exited:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("cluster: %s did not stop within %s:\n%s", p.Name, timeout, p.out.tail())
	}
	if p.waitErr != nil {
		return fmt.Errorf("cluster: %s: %w:\n%s", p.Name, p.waitErr, p.out.tail())
	}
	return nil
}

// stat is what the exited process used.
func (p *Proc) stat() Stat {
	s := Stat{Name: p.Name, PID: p.cmd.Process.Pid}
	if ru := syscallRusage(p); ru != nil {
		s.MaxRSS = ru.Maxrss * 1024 // KiB on Linux
		s.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if p.counts != nil {
		select {
		case s.Counts = <-p.counts:
		default:
		}
	}
	return s
}

// lines splits what a process writes into lines, hands each to onLine and
// keeps the last ones.
type lines struct {
	mu      sync.Mutex
	partial []byte
	last    []string
	onLine  func(string)
}

const keepLines = 40

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := string(l.partial[:i])
		l.partial = l.partial[i+1:]
		if l.onLine != nil {
			l.onLine(line)
		}
		l.last = append(l.last, line)
		if len(l.last) > keepLines {
			l.last = l.last[len(l.last)-keepLines:]
		}
	}
	return len(b), nil
}

func (l *lines) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(append(l.last, string(l.partial)), "\n")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
