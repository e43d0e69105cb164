package account

import "github.com/authctl/authctl/internal/store"

// LoginRequest is one login attempt. Code is the one-time code if the caller
// already has it; otherwise AskCode is called once the password is verified
// and the account turns out to need a second factor.
type LoginRequest struct {
	Name     string
	Password string
	Code     string
	AskCode  func() (string, error)
}

// LoginResult says how the login succeeded.
type LoginResult struct {
	Factor     string // "password", "code" or "backup code"
	BackupLeft int    // unused backup codes, when 2FA is on
	TwoFactor  bool
	Rehashed   bool // the password hash was upgraded to current parameters
}

// Login checks a password and, when 2FA is on, a one-time code or a backup
// code. The attempt is counted before anything is verified, hashing happens
// with no database lock held, and the outcome is applied in one short
// transaction that re-checks what was read, so concurrent logins never
// exceed the throttle and a code or backup code is accepted once. Only a
// successful login clears the failure count.
func (s *Service) Login(req LoginRequest) (LoginResult, error) {
	return s.guard(guarded{
		name:   req.Name,
		proof:  Proof{Password: req.Password, Code: req.Code, AskCode: req.AskCode},
		second: true,
		clears: true,
		apply: func(tx store.Tx, f *store.User) error {
			f.LastLoginAt = s.now()
			return nil
		},
	})
}
