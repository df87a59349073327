package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// CPU time per request is the bench's steadier figure on a shared
// machine. Throughput moves with whatever else the host runs (a virtual
// machine's neighbours took ±25 % between rounds of one build); the CPU
// seconds a request costs move much less, and on a saturated machine the
// throughput is the cores divided by them. Two are read, from Linux's
// /proc: the server process's own, and the whole machine's busy time —
// the server, the load generator and the database together — which is
// what a change that moves work into the database (or out of it) shows
// in. Time the hypervisor gave to another guest (steal) is not busy time.

// clockTicksPerSecond is Linux's USER_HZ, the unit of /proc's CPU times.
// It is 100 on every architecture Go supports Linux on; reading it would
// take sysconf, that is cgo.
const clockTicksPerSecond = 100

func ticks(n uint64) time.Duration {
	return time.Duration(n) * time.Second / clockTicksPerSecond
}

// processCPU is the user and system time a process has run (fields 14 and
// 15 of /proc/PID/stat, after the parenthesised command name, which may
// hold spaces).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	if !ok {
		return 0, fmt.Errorf("bench: /proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(rest) // f[0] is field 3, the state
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: %d fields", pid, len(f)+2)
	}
	var sum uint64
	for _, s := range f[11:13] {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/%d/stat: %w", pid, err)
		}
		sum += n
	}
	return ticks(sum), nil
}

// machineCPU is the time all CPUs have been busy: user, nice, system, irq
// and softirq of /proc/stat's first line (guest time is inside user; idle,
// iowait and steal are not busy).
func machineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("bench: /proc/stat: %q", line)
	}
	var sum uint64
	for _, i := range []int{1, 2, 3, 6, 7} {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/stat: %w", err)
		}
		sum += n
	}
	return ticks(sum), nil
}

// cpuMeter reads both before and after a measure. Where /proc cannot be
// read (not Linux), the figures stay zero and the table shows "-".
type cpuMeter struct {
	pid             int // 0: no server process (the baseline runs in the bench)
	server, machine time.Duration
	ok              bool
}

func startCPUMeter(pid int) cpuMeter {
	m := cpuMeter{pid: pid}
	var err error
	if m.machine, err = machineCPU(); err != nil {
		return m
	}
	if pid != 0 {
		if m.server, err = processCPU(pid); err != nil {
			return m
		}
	}
	m.ok = true
	return m
}

// perRequest is the server's and the machine's CPU microseconds per
// request since the meter started.
func (m cpuMeter) perRequest(requests int) (server, machine float64) {
	if !m.ok || requests == 0 {
		return 0, 0
	}
	us := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(requests) }
	if now, err := machineCPU(); err == nil {
		machine = us(now - m.machine)
	}
	if m.pid != 0 {
		if now, err := processCPU(m.pid); err == nil {
			server = us(now - m.server)
		}
	}
	return server, machine
}
