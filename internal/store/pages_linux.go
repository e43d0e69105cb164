package store

import (
	"syscall"

	bolt "go.etcd.io/bbolt"
)

// dropPages tells the kernel this process no longer needs the database pages
// it has read so far. bbolt reads through a shared, read-only file mapping,
// so the pages stay in the page cache and fault back in if touched again;
// dropping them keeps a scan of a million users from growing the resident
// set by the size of the file.
func dropPages(tx *bolt.Tx) {
	if tx.Writable() {
		return // a write transaction may have dirty pages of its own
	}
	info := tx.DB().Info()
	size := uintptr(tx.Size())
	if info == nil || info.Data == 0 || size == 0 {
		return
	}
	_, _, _ = syscall.Syscall(syscall.SYS_MADVISE, info.Data, size, uintptr(syscall.MADV_DONTNEED))
}
