//go:build linux

package main

import (
	"bufio"
	"cmp"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// pythonProcs are the worker-side processes that run CPython.
var pythonProcs = []string{"temporalio", "pyapp"}

// startPySpy samples the Python stacks of the CPython processes among procs
// with py-spy (in profiled rounds, -py-spy), one recorder per process, into
// collapsed-stack files named after out and the process.
func startPySpy(bin, out string, procs []*proc) ([]*exec.Cmd, []string, error) {
	var cmds []*exec.Cmd
	var files []string
	for _, p := range procs {
		if !slices.Contains(pythonProcs, p.name) {
			continue
		}
		f := out + "-" + p.name + ".pyspy.txt"
		cmd := exec.Command(bin, "record", "--pid", strconv.Itoa(p.pid()), "--rate", "250", "--format", "raw",
			"--output", f, "--nonblocking", "--gil")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			stopPySpy(cmds)
			return nil, nil, fmt.Errorf("starting py-spy (%s): %w", bin, err)
		}
		cmds = append(cmds, cmd)
		files = append(files, f)
	}
	if len(cmds) > 0 {
		time.Sleep(500 * time.Millisecond) // let it attach
	}
	return cmds, files, nil
}

func stopPySpy(cmds []*exec.Cmd) {
	for _, c := range cmds {
		_ = c.Process.Signal(syscall.SIGINT)
	}
	for _, c := range cmds {
		_ = c.Wait()
	}
}

// summarizePySpy turns a py-spy collapsed-stack file into a report of the
// functions with the most samples on top of the stack (self) and anywhere on
// it (inclusive), and of the files (modules) the self samples fall in.
func summarizePySpy(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	self, incl, files := map[string]int{}, map[string]int{}, map[string]int{}
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(line[i+1:])
		if err != nil {
			continue
		}
		frames := strings.Split(line[:i], ";")
		total += n
		seen := map[string]bool{}
		for _, fr := range frames {
			fn := frameName(fr)
			if !seen[fn] {
				seen[fn] = true
				incl[fn] += n
			}
		}
		leaf := frameName(frames[len(frames)-1])
		self[leaf] += n
		files[frameFile(frames[len(frames)-1])] += n
	}
	if err := sc.Err(); err != nil {
		return err
	}
	w, err := os.Create(out)
	if err != nil {
		return err
	}
	defer w.Close()
	top := func(title string, m map[string]int, k int) {
		type kv struct {
			k string
			v int
		}
		var s []kv
		for key, v := range m {
			s = append(s, kv{key, v})
		}
		slices.SortFunc(s, func(a, b kv) int { return cmp.Or(b.v-a.v, strings.Compare(a.k, b.k)) })
		fmt.Fprintf(w, "### %s (of %d samples with the GIL held)\n", title, total)
		for _, e := range s[:min(k, len(s))] {
			fmt.Fprintf(w, "%6.2f%%  %s\n", 100*float64(e.v)/float64(max(total, 1)), e.k)
		}
		fmt.Fprintln(w)
	}
	top("self, by file", files, 40)
	top("self, by function", self, 60)
	top("inclusive, by function", incl, 80)
	return nil
}

// frameName drops the line number from a py-spy frame "func (file.py:123)".
func frameName(fr string) string {
	if i := strings.LastIndexByte(fr, ':'); i > 0 && strings.HasSuffix(fr, ")") {
		return fr[:i] + ")"
	}
	return fr
}

// frameFile is the file of a py-spy frame, shortened after site-packages.
func frameFile(fr string) string {
	i, j := strings.LastIndexByte(fr, '('), strings.LastIndexByte(fr, ':')
	if i < 0 || j < i {
		return fr
	}
	file := fr[i+1 : j]
	if k := strings.Index(file, "site-packages/"); k >= 0 {
		file = file[k+len("site-packages/"):]
	}
	return file
}
