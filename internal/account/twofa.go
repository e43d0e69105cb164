package account

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

func secretAD(name string) string { return "authctl totp secret\x00" + name }

// openSecret decrypts a sealed TOTP secret of user name.
func (s *Service) openSecret(keyID, name string, sealed []byte) (string, error) {
	sealer, err := s.Keys.Open(keyID, false)
	if err != nil {
		return "", err
	}
	plain, err := sealer.Open(sealed, secretAD(name))
	if err != nil {
		return "", apperr.New(apperr.Env, "cannot decrypt the 2fa secret of %s: the key file does not match or the record is damaged", name)
	}
	return string(plain), nil
}

func alreadyOn(name string) error {
	return &apperr.Error{Kind: apperr.Conflict, Msg: "2fa is already enabled for " + name, Err: ErrTwoFactorOn, Hint: apperr.HintTwoFAOn, Subject: name}
}

func notOn(name string) error {
	return apperr.NewHint(apperr.Conflict, apperr.HintTwoFAOff, name, "2fa is not enabled for %s", name)
}

// Enrollment is a pending enrollment as shown to the user.
type Enrollment struct {
	Key       otp.Key
	Issuer    string
	Account   string
	ExpiresAt time.Time
}

// BeginEnroll checks name's password, draws a new TOTP secret and stores it
// as a pending enrollment (replacing an earlier one) until ConfirmEnroll.
func (s *Service) BeginEnroll(name, pw string) (Enrollment, error) {
	var en Enrollment
	var sealed []byte
	var sealerID string
	_, err := s.guard(guarded{
		name:      name,
		op:        "2fa enable",
		proof:     Proof{Password: pw},
		need:      need2FA(false),
		key:       true,
		keyCreate: true,
		prepare: func(u *store.User, keyID string) error {
			key, err := otp.NewKey(s.Rand, s.Issuer, u.Name)
			if err != nil {
				return err
			}
			sealer, err := s.Keys.Open(keyID, true)
			if err != nil {
				return err
			}
			if sealed, err = sealer.Seal([]byte(key.Secret), secretAD(u.Name)); err != nil {
				return err
			}
			sealerID = sealer.ID()
			en = Enrollment{Key: key, Issuer: s.Issuer, Account: u.Name, ExpiresAt: s.now().Add(s.EnrollTTL)}
			return nil
		},
		apply: func(tx store.Tx, f *store.User) error {
			switch id := tx.KeyID(); {
			case id == "":
				if err := tx.SetKeyID(sealerID); err != nil {
					return err
				}
			case id != sealerID:
				return errChanged
			}
			if f.TOTP != nil {
				return alreadyOn(f.Name)
			}
			f.Pending = &store.Pending{Secret: sealed, CreatedAt: s.now(), ExpiresAt: en.ExpiresAt}
			return s.audit(tx, store.AuditEntry{Event: EvEnrollBegin, User: f.Name})
		},
	})
	return en, err
}

// need2FA is the state check of operations that need 2FA on (or off).
func need2FA(on bool) func(*store.User) error {
	return func(u *store.User) error {
		switch {
		case on && u.TOTP == nil:
			return notOn(u.Name)
		case !on && u.TOTP != nil:
			return alreadyOn(u.Name)
		}
		return nil
	}
}

// CancelEnroll drops the pending enrollment that BeginEnroll returned as en,
// when an interactive enrollment ends without a correct code (Ctrl-C, end of
// input, three wrong codes), so that no half-made change stays behind. A
// newer enrollment, or one already confirmed, is left alone.
func (s *Service) CancelEnroll(name string, en Enrollment) error {
	err := s.updateUser(name, func(tx store.Tx, f *store.User) error {
		if f.Pending == nil || !f.Pending.ExpiresAt.Equal(en.ExpiresAt) {
			return errNoChange
		}
		f.Pending = nil
		return s.audit(tx, store.AuditEntry{Event: EvEnrollCancel, User: f.Name})
	})
	if apperr.KindOf(err) == apperr.Conflict {
		return nil // the user is gone: nothing to cancel
	}
	return err
}

// ConfirmEnroll checks the first code from the authenticator against the
// pending secret; only then 2FA is on. It returns the new backup codes, in
// display form, which are never shown again. A wrong code counts as a failed
// attempt; a success does not clear earlier failures (only a login does).
func (s *Service) ConfirmEnroll(name, pw, code string) ([]string, error) {
	c, err := otp.ParseCode(code)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "%v", err)
	}
	var shown []string
	var set *store.BackupSet
	var step int64
	var pending []byte
	_, err = s.guard(guarded{
		name:  name,
		op:    "2fa enable",
		proof: Proof{Password: pw},
		key:   true,
		need: func(u *store.User) error {
			if err := need2FA(false)(u); err != nil {
				return err
			}
			if u.Pending == nil {
				return apperr.NewHint(apperr.Conflict, apperr.HintNoPending, u.Name, "no pending 2fa enrollment for %s", u.Name)
			}
			if !s.now().Before(u.Pending.ExpiresAt) {
				return apperr.NewHint(apperr.Conflict, apperr.HintPendingExpired, u.Name, "the pending 2fa enrollment for %s expired at %s", u.Name, u.Pending.ExpiresAt.Format(time.RFC3339))
			}
			return nil
		},
		prepare: func(u *store.User, keyID string) error {
			pending = u.Pending.Secret
			plain, err := s.openSecret(keyID, u.Name, pending)
			if err != nil {
				return err
			}
			if step, err = otp.Check(plain, c, s.now(), u.LastStep); err != nil {
				if errors.Is(err, otp.ErrWrongCode) || errors.Is(err, otp.ErrReplay) {
					msg := "wrong code; check the time on the device and enter the current code"
					radius := int64(DriftRadius/time.Second) / otp.Period
					if d, ok := (otp.Params{}).Drift(plain, c, s.now(), radius); ok && (d < -otp.Skew || d > otp.Skew) {
						msg = fmt.Sprintf("wrong code: it is from a clock about %s; set the time on the device (automatic time) and enter the current code", driftWords(d*otp.Period))
					}
					return &guess{factor: FactorTOTP, detail: "wrong code at 2fa enable", err: apperr.New(apperr.Denied, "%s", msg)}
				}
				return err
			}
			shown, set, err = s.newBackupSet()
			return err
		},
		apply: func(tx store.Tx, f *store.User) error {
			if f.TOTP != nil || f.Pending == nil || !bytes.Equal(f.Pending.Secret, pending) {
				return errChanged
			}
			if step <= f.LastStep {
				return apperr.New(apperr.Denied, "code already used; wait for the next one")
			}
			f.TOTP = &store.TOTP{Secret: f.Pending.Secret, EnabledAt: s.now()}
			f.Pending = nil
			f.Backup = set
			f.LastStep = step
			return s.audit(tx, store.AuditEntry{Event: EvEnable, User: f.Name})
		},
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}

// newBackupSet draws a set of codes and hashes them (slow: call with no lock held).
func (s *Service) newBackupSet() ([]string, *store.BackupSet, error) {
	codes, err := otp.NewBackupCodes(s.Rand, otp.BackupCount)
	if err != nil {
		return nil, nil, err
	}
	salt := make([]byte, 16)
	if _, err := s.Rand.Read(salt); err != nil {
		return nil, nil, err
	}
	p := s.CodeParams
	set := &store.BackupSet{Salt: salt, Memory: p.Memory, Time: p.Time, Threads: p.Threads, GeneratedAt: s.now()}
	shown := make([]string, len(codes))
	for i, c := range codes {
		set.Hashes = append(set.Hashes, secret.HashCode(p, salt, c))
		shown[i] = otp.FormatBackup(c)
	}
	return shown, set, nil
}

// RegenCodes replaces name's backup codes; every earlier code stops
// working. It needs both factors: the password alone must never replace
// the second factor.
func (s *Service) RegenCodes(name string, proof Proof) ([]string, error) {
	var shown []string
	var set *store.BackupSet
	_, err := s.guard(guarded{
		name:   name,
		op:     "codes regen",
		proof:  proof,
		second: true,
		need:   need2FA(true),
		prepare: func(*store.User, string) error {
			var err error
			shown, set, err = s.newBackupSet()
			return err
		},
		apply: func(tx store.Tx, f *store.User) error {
			f.Backup = set
			return s.audit(tx, store.AuditEntry{Event: EvCodesRegen, User: f.Name})
		},
	})
	if err != nil {
		return nil, err
	}
	return shown, nil
}

// Disable turns 2FA off, erasing the secret and the backup codes. It needs
// both factors: a stolen password alone never removes the phone.
func (s *Service) Disable(name string, proof Proof) error {
	_, err := s.guard(guarded{
		name:   name,
		op:     "2fa disable",
		proof:  proof,
		second: true,
		need:   need2FA(true),
		apply: func(tx store.Tx, f *store.User) error {
			clear2FA(f)
			return s.audit(tx, store.AuditEntry{Event: EvDisable, User: f.Name})
		},
	})
	return err
}

// clear2FA erases the secret, the codes and the replay marker: LastStep
// belongs to the erased secret, and a new secret starts afresh.
func clear2FA(u *store.User) {
	u.TOTP, u.Backup, u.Pending = nil, nil, nil
	u.LastStep = 0
}

// Reset turns 2FA off without the user's password: the admin's recovery
// for a user who lost both the device and the backup codes.
func (s *Service) Reset(name string) error {
	return s.updateUser(name, func(tx store.Tx, f *store.User) error {
		if f.TOTP == nil && f.Pending == nil {
			return notOn(f.Name)
		}
		clear2FA(f)
		return s.audit(tx, store.AuditEntry{Event: EvReset, User: f.Name, Detail: "by admin, without the user's password"})
	})
}

// Status is the 2FA state of a user.
type Status struct {
	User           string     `json:"user"`
	Enabled        bool       `json:"enabled"`
	EnabledAt      *time.Time `json:"enabled_at"`
	BackupLeft     int        `json:"backup_codes_left"`
	Pending        bool       `json:"pending"`
	PendingExpires *time.Time `json:"pending_expires_at"`
}

// StatusOf derives the 2FA status of u at now.
func StatusOf(u *store.User, now time.Time) Status {
	st := Status{User: u.Name, Enabled: u.TOTP != nil, BackupLeft: u.Backup.Left()}
	if u.TOTP != nil {
		t := u.TOTP.EnabledAt
		st.EnabledAt = &t
	}
	if u.Pending != nil && now.Before(u.Pending.ExpiresAt) {
		t := u.Pending.ExpiresAt
		st.Pending, st.PendingExpires = true, &t
	}
	return st
}

// SyncResult is the clock offset a resync measured.
type SyncResult struct {
	Steps  int64         // time steps the device is ahead (negative: behind)
	Offset time.Duration // the same in time
}

// Sync resynchronises a device whose clock is off: with the password and
// two consecutive codes from the device, found within DriftRadius of now,
// it stores the device's offset, which later checks apply (±1 step around
// it). Replay protection continues from the second code's step.
func (s *Service) Sync(name string, proof Proof, code1, code2 string) (SyncResult, error) {
	var res SyncResult
	var step int64
	_, err := s.guard(guarded{
		name:  name,
		op:    "2fa sync",
		proof: Proof{Password: proof.Password},
		need:  need2FA(true),
		key:   true,
		prepare: func(u *store.User, keyID string) error {
			params := totpParams(u.TOTP)
			c1, k1, err1 := otp.ParseFor(code1, params.Digits, false)
			c2, k2, err2 := otp.ParseFor(code2, params.Digits, false)
			if err1 != nil || err2 != nil || k1 != otp.CodeTOTP || k2 != otp.CodeTOTP {
				return &guess{factor: FactorTOTP, detail: "2fa sync: malformed code",
					err: apperr.New(apperr.Invalid, "2fa sync refused: give two codes of %d digits from the app, one after the other", params.Digits)}
			}
			plain, err := s.openSecret(keyID, u.Name, u.TOTP.Secret)
			if err != nil {
				return err
			}
			now := s.now()
			radius := int64(DriftRadius/time.Second) / int64(params.Period)
			found, ok := params.Resync(plain, c1, c2, now, radius)
			if !ok || found <= u.LastStep {
				return &guess{factor: FactorTOTP, detail: "2fa sync: codes not found",
					err: apperr.New(apperr.Denied, "2fa sync refused: these are not two unused codes in a row from within %s of now", DriftRadius)}
			}
			step = found
			res.Steps = found - params.StepOf(now)
			res.Offset = time.Duration(res.Steps*int64(params.Period)) * time.Second
			return nil
		},
		apply: func(tx store.Tx, f *store.User) error {
			if step <= f.LastStep {
				return apperr.New(apperr.Denied, "2fa sync refused: a code was used meanwhile; try again with the next two")
			}
			f.TOTP.Offset = res.Steps
			f.LastStep = step
			return s.audit(tx, store.AuditEntry{Event: EvSync, User: f.Name, Detail: fmt.Sprintf("offset %+d steps (%s)", res.Steps, signed(res.Offset))})
		},
	})
	return res, err
}

// signed writes a duration with its sign: +3m0s, -30s, 0s.
func signed(d time.Duration) string {
	if d > 0 {
		return "+" + d.String()
	}
	return d.String()
}
