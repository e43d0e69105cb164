//go:build unix

package store

import (
	"errors"
	"os"
	"sync"
	"syscall"
	"time"
)

// errLockTimeout means the lock was not free within the timeout.
var errLockTimeout = errors.New("lock timeout")

// lockSidecar takes a lock on path+".lock" before bbolt takes its own on the
// database. bbolt polls its lock every 50 ms; this lock blocks in the kernel,
// so a waiting process gets the database the moment the holder lets go,
// which keeps dozens of concurrent logins from idling. When the lock file
// cannot be created (a read-only directory), bbolt's lock alone serialises.
func lockSidecar(path string, exclusive bool, timeout time.Duration) (release func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return func() {}, nil
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	// unlock is a local, not the named result: the timeout path sets the
	// result to nil while the waiting goroutine may still need to unlock.
	unlock := func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
	if flock(f, how|syscall.LOCK_NB) == nil {
		return unlock, nil
	}
	if timeout <= 0 {
		f.Close()
		return nil, errLockTimeout
	}
	// Block in a goroutine; on timeout, the goroutine releases whatever it
	// gets later instead of handing it over.
	var mu sync.Mutex
	abandoned := false
	done := make(chan error, 1)
	go func() {
		err := flock(f, how)
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			if err == nil {
				unlock()
			} else {
				f.Close()
			}
			return
		}
		done <- err
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, err
		}
		return unlock, nil
	case <-timer.C:
		mu.Lock()
		defer mu.Unlock()
		abandoned = true
		select {
		case err := <-done:
			if err == nil {
				return unlock, nil
			}
			f.Close()
			return nil, err
		default:
		}
		return nil, errLockTimeout
	}
}

func flock(f *os.File, how int) error {
	for {
		err := syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			return err
		}
	}
}
