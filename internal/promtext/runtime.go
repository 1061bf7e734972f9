package promtext

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
)

// Runtime returns the Go runtime's metrics as they are now and, where
// /proc/self exists (Linux), the process's, under the names the official
// client's default Go and process collectors use, so that dashboards built
// on those keep working. It is called at each scrape.
func Runtime() []*Family {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/sched/gomaxprocs:threads"},
	}
	metrics.Read(samples)
	value := func(i int) float64 {
		if samples[i].Value.Kind() == metrics.KindUint64 {
			return float64(samples[i].Value.Uint64())
		}
		return 0
	}
	one := func(name, help string, kind Kind, v float64) *Family {
		f := NewFamily(name, help, kind, nil)
		f.Set(v)
		return f
	}
	info := NewFamily("go_info", "Information about the Go environment.", Gauge, []string{"version"})
	info.Set(1, runtime.Version())
	fams := []*Family{
		one("go_goroutines", "Number of goroutines that currently exist.", Gauge, value(0)),
		info,
		one("go_memstats_alloc_bytes_total", "Total number of bytes allocated in heap until now, even if released already.", Counter, value(3)),
		one("go_memstats_heap_alloc_bytes", "Number of heap bytes allocated and currently in use.", Gauge, value(1)),
		one("go_memstats_sys_bytes", "Number of bytes obtained from system.", Gauge, value(2)),
		one("go_sched_gomaxprocs_threads", "The current runtime.GOMAXPROCS setting.", Gauge, value(4)),
	}
	p, ok := readProc()
	if !ok {
		return fams
	}
	return append(fams,
		one("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", Counter, p.cpuSeconds),
		one("process_open_fds", "Number of open file descriptors.", Gauge, p.openFDs),
		one("process_resident_memory_bytes", "Resident memory size in bytes.", Gauge, p.rss),
		one("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", Gauge, p.startTime),
		one("process_virtual_memory_bytes", "Virtual memory size in bytes.", Gauge, p.vsize),
	)
}

type procStat struct {
	cpuSeconds, openFDs, rss, startTime, vsize float64
}

// userHZ is the unit of /proc's CPU times: fixed at 100 on Linux for user
// space, whatever the kernel's own tick (the official client assumes it too).
const userHZ = 100

// readProc reads the process's figures from /proc; ok is false where there
// is no /proc (not Linux) or it does not read as expected.
func readProc() (p procStat, ok bool) {
	stat, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return p, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses,
	// so the fields are counted from its last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return p, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 22 {
		return p, false
	}
	num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
	// f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
	p.cpuSeconds = (num(f[11]) + num(f[12])) / userHZ
	p.vsize = num(f[20])
	p.rss = num(f[21]) * float64(os.Getpagesize())
	if boot, ok := bootTime(); ok {
		p.startTime = boot + num(f[19])/userHZ
	}
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		p.openFDs = float64(len(fds))
	}
	return p, true
}

// bootTime is the system's boot time in seconds since the epoch (/proc/stat's btime).
func bootTime() (float64, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			t, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return t, err == nil
		}
	}
	return 0, false
}
