//go:build !linux

package devserver

import (
	"os"
	"syscall"
)

// Outside Linux there is no Pdeathsig; signal just the process (the dev
// server does not spawn children) and let Stop fall back to Kill where
// signals are unsupported.
func sysProcAttr() *syscall.SysProcAttr { return nil }

func signalGroup(p *os.Process, sig syscall.Signal) error {
	if sig == syscall.SIGKILL {
		return p.Kill()
	}
	return p.Signal(sig)
}

func terminatedBy(error, syscall.Signal) bool { return false }
