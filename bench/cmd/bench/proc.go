//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every Linux architecture Go supports.
const clockTicks = 100

// cpuTime is the user+system CPU time a process has used so far, from
// /proc/<pid>/stat (all its threads, not its children).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc stat line %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc stat line %q", b)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc stat line %q: %v", b, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// machineBusy is the CPU time all CPUs have spent busy since boot, from the
// first line of /proc/stat (user, nice, system, irq, softirq, steal; guest
// time is already inside user).
func machineBusy() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	return parseMachineBusy(b)
}

func parseMachineBusy(b []byte) (time.Duration, error) {
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("malformed /proc/stat line %q: %v", line, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// statPPID returns the command name and parent pid from a /proc stat line.
func statPPID(b []byte) (comm string, ppid int, ok bool) {
	i, j := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if i < 0 || j < i {
		return "", 0, false
	}
	f := strings.Fields(string(b[j+1:]))
	if len(f) < 2 {
		return "", 0, false
	}
	p, err := strconv.Atoi(f[1])
	return string(b[i+1 : j]), p, err == nil
}

// peakRSS is VmHWM from /proc/<pid>/status, the process's peak resident set.
func peakRSS(pid int) (int64, error) { return procStatus(pid, "VmHWM") }

// rss is VmRSS from /proc/<pid>/status, the process's resident set now.
func rss(pid int) (int64, error) { return procStatus(pid, "VmRSS") }

func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return parseStatusKB(b, field)
}

// parseStatusKB reads a "Field:   1234 kB" line of /proc/<pid>/status, in bytes.
func parseStatusKB(b []byte, field string) (int64, error) {
	for l := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			f := strings.Fields(rest)
			if len(f) != 2 || f[1] != "kB" {
				break
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				break
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("no %s in /proc status", field)
}

// childByName finds a direct child of this process by command name, such as
// the dev server the devserver package started.
func childByName(name string) (int, error) {
	dirs, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	me := os.Getpid()
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		if comm, ppid, ok := statPPID(b); ok && ppid == me && comm == name {
			return strconv.Atoi(filepath.Base(filepath.Dir(d)))
		}
	}
	return 0, fmt.Errorf("no child process named %q", name)
}

// proc is one worker-side process of a contender: its output goes to a log
// file, and it says "ready" on stdout when it can take work.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	log     *os.File
	ready   chan struct{}
	done    chan struct{}
	waitErr error
}

// startProc starts bin with args, logging its stdout and stderr to logPath.
func startProc(name, logPath, bin string, args ...string) (*proc, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	p := &proc{name: name, logPath: logPath, log: f, ready: make(chan struct{}), done: make(chan struct{})}
	fmt.Fprintf(f, "# %s %s\n", bin, strings.Join(args, " "))
	p.cmd = exec.Command(bin, args...)
	// Die with the driver rather than outlive a crashed benchmark.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stderr = &lockedWriter{w: f}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		var once sync.Once
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.TrimSpace(sc.Text()) == "ready" {
				once.Do(func() { close(p.ready) })
			}
			p.cmd.Stderr.Write(append(sc.Bytes(), '\n'))
		}
		_, _ = io.Copy(io.Discard, stdout)
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitReady waits for "ready" on stdout. It fails at once if p, or a
// process p depends on, exits first.
func (p *proc) waitReady(ctx context.Context, dependsOn *proc) error {
	var depDone <-chan struct{}
	if dependsOn != nil {
		depDone = dependsOn.done
	}
	select {
	case <-p.ready:
		return nil
	case <-p.done:
		return fmt.Errorf("%s exited before it was ready (%v); see %s%s", p.name, p.waitErr, p.logPath, p.tail())
	case <-depDone:
		return fmt.Errorf("%s exited before %s was ready (%v); see %s%s", dependsOn.name, p.name, dependsOn.waitErr, dependsOn.logPath, dependsOn.tail())
	case <-ctx.Done():
		return fmt.Errorf("%s not ready: %w; see %s%s", p.name, ctx.Err(), p.logPath, p.tail())
	}
}

// waitFile waits until path exists or the process ends.
func (p *proc) waitFile(ctx context.Context, path string) error {
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before creating %s (%v); see %s%s", p.name, path, p.waitErr, p.logPath, p.tail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not create %s: %w; see %s%s", p.name, path, ctx.Err(), p.logPath, p.tail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// waitBridge waits until the sidecar's log says "sidecar ready" and
// returns the bridge address it names (its --bridge-listen may say port 0).
func (p *proc) waitBridge(ctx context.Context) (string, error) {
	for {
		b, _ := os.ReadFile(p.logPath)
		for l := range strings.Lines(string(b)) {
			if !strings.Contains(l, "sidecar ready") {
				continue
			}
			for _, f := range strings.Fields(l) {
				if v, ok := strings.CutPrefix(f, "bridge="); ok {
					return strings.Trim(v, `"`), nil
				}
			}
			return "", fmt.Errorf("no bridge= in the sidecar's line %q", strings.TrimSpace(l))
		}
		select {
		case <-p.done:
			return "", fmt.Errorf("%s exited before it was ready (%v); see %s%s", p.name, p.waitErr, p.logPath, p.tail())
		case <-ctx.Done():
			return "", fmt.Errorf("%s not ready: %w; see %s%s", p.name, ctx.Err(), p.logPath, p.tail())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits up to grace for the exit, then kills. It
// returns how long the process took to exit and an error if it had to be
// killed or exited with a failure.
func (p *proc) stop(grace time.Duration) (time.Duration, error) {
	defer p.log.Close()
	start := time.Now()
	select {
	case <-p.done:
		return 0, fmt.Errorf("%s had already exited (%v); see %s", p.name, p.waitErr, p.logPath)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		took := time.Since(start)
		if p.waitErr != nil {
			return took, fmt.Errorf("%s exited with %v after SIGTERM; see %s", p.name, p.waitErr, p.logPath)
		}
		return took, nil
	case <-time.After(grace):
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return time.Since(start), fmt.Errorf("%s did not exit within %s of SIGTERM and was killed; see %s", p.name, grace, p.logPath)
}

// waitExit waits up to d for the process to exit on its own, then stops it.
func (p *proc) waitExit(d time.Duration) (time.Duration, error) {
	start := time.Now()
	select {
	case <-p.done:
		p.log.Close()
		if p.waitErr != nil {
			return time.Since(start), fmt.Errorf("%s exited with %v; see %s", p.name, p.waitErr, p.logPath)
		}
		return time.Since(start), nil
	case <-time.After(d):
	}
	took, err := p.stop(5 * time.Second)
	return d + took, err
}

func (p *proc) tail() string {
	b, _ := os.ReadFile(p.logPath)
	b = bytes.TrimSpace(b)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	if len(b) == 0 {
		return ""
	}
	return "; log tail:\n" + string(b)
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// logProblems counts WARN and ERROR lines of a slog text or JSON log and
// lists up to max distinct messages.
type logProblems struct {
	Warnings int      `json:"warnings"`
	Errors   int      `json:"errors"`
	Messages []string `json:"messages,omitempty"`
}

var msgRE = regexp.MustCompile(`msg=("(?:[^"\\]|\\.)*"|\S+)|"msg":"((?:[^"\\]|\\.)*)"`)

func scanLog(path string, max int) logProblems {
	var lp logProblems
	f, err := os.Open(path)
	if err != nil {
		return lp
	}
	defer f.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		var lvl string
		switch {
		case strings.Contains(l, "level=WARN"), strings.Contains(l, `"level":"WARN"`):
			lp.Warnings++
			lvl = "WARN"
		case strings.Contains(l, "level=ERROR"), strings.Contains(l, `"level":"ERROR"`):
			lp.Errors++
			lvl = "ERROR"
		default:
			continue
		}
		msg := l
		if m := msgRE.FindStringSubmatch(l); m != nil {
			msg = m[1] + m[2]
		}
		msg = lvl + " " + msg
		if !seen[msg] && len(lp.Messages) < max {
			seen[msg] = true
			lp.Messages = append(lp.Messages, msg)
		}
	}
	return lp
}
