package account

import (
	"fmt"
	"time"
)

// Policy is the throttling policy (NIST SP 800-63B §5.2.2): after Threshold
// consecutive failures the account locks for BaseDelay, doubling with each
// further failure up to MaxDelay.
type Policy struct {
	Threshold int
	BaseDelay time.Duration
	MaxDelay  time.Duration
}

// DefaultPolicy: 5 failures lock for 30 s, doubling, capped at 1 h.
var DefaultPolicy = Policy{Threshold: 5, BaseDelay: 30 * time.Second, MaxDelay: time.Hour}

// Delay is how long the account locks after its failures-th consecutive
// failure; zero below the threshold.
func (p Policy) Delay(failures int) time.Duration {
	if failures < p.Threshold {
		return 0
	}
	d := p.BaseDelay
	for i := p.Threshold; i < failures && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// MinTimeFor returns the shortest time in which n consecutive failures can
// be made: the sum of the lock delays between them.
func (p Policy) MinTimeFor(n int) time.Duration {
	var total time.Duration
	for f := 1; f < n; f++ {
		total += p.Delay(f)
	}
	return total
}

// Validate refuses a policy under which 100 consecutive failures fit in a
// day (NIST SP 800-63B §5.2.2; docs/security.md, Throttling).
func (p Policy) Validate() error {
	switch {
	case p.Threshold < 1 || p.Threshold > 100:
		return fmt.Errorf("lockout threshold must be between 1 and 100, not %d", p.Threshold)
	case p.BaseDelay <= 0:
		return fmt.Errorf("lockout delay must be positive, not %s", p.BaseDelay)
	case p.MaxDelay < p.BaseDelay:
		return fmt.Errorf("maximum lockout delay %s is shorter than the first delay %s", p.MaxDelay, p.BaseDelay)
	}
	if t := p.MinTimeFor(100); t < 24*time.Hour {
		return fmt.Errorf("lockout policy lets 100 failed logins happen within %s; it must take at least 24h (raise the delays or lower the threshold)", t.Round(time.Second))
	}
	return nil
}
