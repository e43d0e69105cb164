package account

import (
	"bytes"
	"errors"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// Login failure messages. The password one is the same for an unknown user
// and a wrong password.
const (
	msgBadPassword = "login failed: invalid username or password"
	msgBadCode     = "login failed: invalid or already used code"
)

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

// Login checks a password and, when 2FA is on, a one-time code. Hashing
// happens with no database lock held; the outcome is applied in one short
// transaction that re-checks what was read, so concurrent logins never lose
// a failure count and a code or backup code is accepted once.
func (s *Service) Login(req LoginRequest) (LoginResult, error) {
	// A retry must not ask for the code twice.
	if ask := req.AskCode; ask != nil {
		var code string
		var err error
		asked := false
		req.AskCode = func() (string, error) {
			if !asked {
				code, err = ask()
				asked = true
			}
			return code, err
		}
	}
	var res LoginResult
	err := retry(func() error {
		var err error
		res, err = s.login(req)
		return err
	})
	return res, err
}

func (s *Service) login(req LoginRequest) (LoginResult, error) {
	var res LoginResult
	u, keyID, err := s.read(req.Name)
	if apperr.KindOf(err) == apperr.Conflict {
		// Unknown user: burn a hash so timing does not tell.
		s.Hasher.Dummy(req.Password)
		if err := s.Store.Update(func(tx *store.Tx) error {
			// The attempted name is not recorded: people type passwords there.
			return s.audit(tx, store.AuditEntry{Event: EvLoginFail, Factor: FactorPassword, Detail: "unknown user"})
		}); err != nil {
			return res, err
		}
		return res, apperr.New(apperr.Denied, msgBadPassword)
	}
	if err != nil {
		return res, err
	}
	if now := s.now(); Locked(u, now) {
		return res, lockErr("login failed: ", u.LockedUntil, now)
	}
	rehash, err := s.Hasher.Verify(u.PasswordHash, req.Password)
	if err != nil {
		if !errors.Is(err, secret.ErrMismatch) {
			return res, apperr.Wrap(apperr.Env, err, "stored password hash of "+req.Name)
		}
		if err := s.recordFailure(req.Name, FactorPassword, ""); err != nil {
			return res, err
		}
		return res, apperr.New(apperr.Denied, msgBadPassword)
	}
	var newHash string
	if rehash {
		if newHash, err = s.Hasher.Hash(req.Password); err != nil {
			return res, err
		}
	}

	// Second factor, still without any lock held.
	factor := FactorPassword
	var step int64
	backupIdx := -1
	if u.TOTP != nil {
		res.TwoFactor = true
		code := req.Code
		if code == "" {
			if req.AskCode == nil {
				return res, apperr.New(apperr.Invalid, "%s has 2fa on: give the one-time code with --code or as the second line of standard input", req.Name)
			}
			if code, err = req.AskCode(); err != nil {
				return res, err
			}
		}
		c, kind, err := otp.ParseAny(code)
		if err != nil {
			return res, apperr.New(apperr.Invalid, "%v", err)
		}
		var bad string
		switch kind {
		case otp.CodeTOTP:
			factor = FactorTOTP
			plain, err := s.openSecret(keyID, u.Name, u.TOTP.Secret)
			if err != nil {
				return res, err
			}
			step, err = otp.Check(plain, c, s.now(), u.LastStep)
			switch {
			case errors.Is(err, otp.ErrReplay):
				bad = "replayed code"
			case errors.Is(err, otp.ErrWrongCode):
				bad = "wrong code"
			case err != nil:
				return res, err
			}
		case otp.CodeBackup:
			factor = FactorBackup
			b := u.Backup
			if b == nil {
				bad = "no backup codes"
				break
			}
			h := secret.HashCode(secret.Params{Memory: b.Memory, Time: b.Time, Threads: b.Threads}, b.Salt, c)
			if backupIdx = secret.MatchCode(b.Hashes, h); backupIdx < 0 {
				bad = "wrong or used backup code"
			}
		}
		if bad != "" {
			if err := s.recordFailure(req.Name, factor, bad); err != nil {
				return res, err
			}
			return res, apperr.New(apperr.Denied, msgBadCode)
		}
	}

	// Apply the outcome in one short transaction that re-checks the record.
	var denied error
	err = s.Store.Update(func(tx *store.Tx) error {
		f, err := tx.User(req.Name)
		if errors.Is(err, store.ErrNotFound) {
			denied = apperr.New(apperr.Denied, msgBadPassword)
			return nil
		}
		if err != nil {
			return err
		}
		if f.PasswordHash != u.PasswordHash || (f.TOTP == nil) != (u.TOTP == nil) {
			return errChanged
		}
		if now := s.now(); Locked(f, now) {
			denied = lockErr("login failed: ", f.LockedUntil, now)
			return nil
		}
		switch factor {
		case FactorTOTP:
			if !bytes.Equal(f.TOTP.Secret, u.TOTP.Secret) {
				return errChanged
			}
			if step <= f.LastStep {
				// Another process accepted this code first.
				denied = apperr.New(apperr.Denied, msgBadCode)
				return s.failure(tx, f, factor, "replayed code")
			}
			f.LastStep = step
		case FactorBackup:
			if f.Backup == nil || !bytes.Equal(f.Backup.Salt, u.Backup.Salt) {
				return errChanged
			}
			if f.Backup.Hashes[backupIdx] == nil {
				denied = apperr.New(apperr.Denied, msgBadCode)
				return s.failure(tx, f, factor, "wrong or used backup code")
			}
			f.Backup.Hashes[backupIdx] = nil
		}
		f.Failures = 0
		f.LockedUntil = time.Time{}
		f.LastLoginAt = s.now()
		if newHash != "" {
			f.PasswordHash = newHash
			res.Rehashed = true
		}
		res.BackupLeft = f.Backup.Left()
		if err := tx.PutUser(f); err != nil {
			return err
		}
		return s.audit(tx, store.AuditEntry{Event: EvLoginOK, User: f.Name, Factor: factor})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if denied != nil {
		return LoginResult{}, denied
	}
	res.Factor = factor
	return res, nil
}
