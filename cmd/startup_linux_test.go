package cmd

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkPageTouch prices the first touch of a fresh page of memory, the
// cost start-up is made of (docs/startup.md): on most machines well under a
// microsecond, on the development VM about 50 µs. The populate rows ask the
// kernel to map the pages first with MADV_POPULATE_WRITE (Linux 5.14), to
// tell whether the cost is the guest kernel's fault handling (populating
// would remove it) or below it, in the hypervisor's tracking of the page
// (the later touch still pays it).
func BenchmarkPageTouch(b *testing.B) {
	const pages = 512
	const madvPopulateWrite = 23
	page := syscall.Getpagesize()
	var touch, populate, touchAfter time.Duration
	for b.Loop() {
		for _, pre := range []bool{false, true} {
			mem, err := syscall.Mmap(-1, 0, pages*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if pre {
				if err := syscall.Madvise(mem, madvPopulateWrite); err != nil {
					b.Skipf("MADV_POPULATE_WRITE: %v", err)
				}
				populate += time.Since(start)
				start = time.Now()
			}
			for i := 0; i < len(mem); i += page {
				mem[i] = 1
			}
			if pre {
				touchAfter += time.Since(start)
			} else {
				touch += time.Since(start)
			}
			if err := syscall.Munmap(mem); err != nil {
				b.Fatal(err)
			}
		}
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N*pages) }
	b.ReportMetric(per(touch), "touch-µs/page")
	b.ReportMetric(per(populate), "populate-µs/page")
	b.ReportMetric(per(touchAfter), "touch-after-populate-µs/page")
}
