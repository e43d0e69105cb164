package account

import (
	"errors"
	"strings"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// SystemLogin is a login handed over by the system (a PAM stack through
// pam_exec): one typed secret, no prompts.
type SystemLogin struct {
	Name string
	// Secret is the password immediately followed by the code or backup
	// code for a user with 2FA on, the password alone otherwise; with
	// CodeOnly, just the code.
	Secret string
	// CodeOnly: the first factor was established by the PAM stack.
	CodeOnly bool
	// AllowWithout2FA lets a code-only login of a user without 2FA pass
	// (a rollout, like pam_google_authenticator's nullok).
	AllowWithout2FA bool
}

// LoginSystem checks a system login with everything Login enforces: the
// throttle (counted before verified), replay, the audit trail and the same
// answer for unknown users, wrong secrets and locked accounts.
func (s *Service) LoginSystem(req SystemLogin) (LoginResult, error) {
	g := guarded{
		name:       req.Name,
		second:     true,
		clears:     true,
		allowNo2FA: req.AllowWithout2FA,
		apply: func(tx store.Tx, f *store.User) error {
			f.LastLoginAt = s.now()
			return nil
		},
	}
	if req.CodeOnly {
		g.proof = Proof{Code: req.Secret, CodeOnly: true}
	} else {
		g.proof = Proof{Password: req.Secret, Combined: true}
	}
	return s.guard(g)
}

// verifyCodeOnly checks only the second factor. A user without 2FA has none
// to check: refused (not a guess), or let through when the rollout allows.
func (s *Service) verifyCodeOnly(g guarded, u *store.User, keyID string) (passed, error) {
	if u.TOTP == nil {
		if g.allowNo2FA {
			return passed{factor: FactorNone, backup: -1, unchecked: true}, nil
		}
		s.dummyCode(g.proof.Code) // as long as a wrong backup code takes
		return passed{}, &duplicate{err: g.deniedCode(), detail: "2fa is not enabled (code-only system login)"}
	}
	if g.proof.Code == "" {
		return passed{}, &guess{factor: FactorTOTP, detail: "no code given", err: g.deniedCode()}
	}
	return s.secondFactor(g, u, keyID)
}

// verifyCombined finds where the password ends and the code begins: the
// suffixes that could be a code of this user are tried, each with one
// password hash, until the password before one verifies. A refusal pads the
// work to what any refusal of this secret costs (padHashes), so the time
// does not tell an unknown user, a user without 2FA and one with it apart.
func (s *Service) verifyCombined(g guarded, u *store.User, keyID string) (p passed, err error) {
	scratch := u.Backup != nil && u.Backup.Kind == store.BackupScratch
	cands := splitCombined(g.proof.Password, totpParams(u.TOTP).Digits, scratch)
	if len(cands) == 0 {
		// No code at the end: the password alone, which is not enough.
		cands = []split{{pw: g.proof.Password}}
	}
	hashes := 0
	defer func() {
		if err != nil {
			s.padHashes(g.proof.Password, hashes)
		}
	}()
	for _, c := range cands {
		hashes++
		rehash, verr := s.Hasher.Verify(u.PasswordHash, c.pw)
		if errors.Is(verr, secret.ErrMismatch) {
			continue
		}
		if verr != nil {
			return passed{}, apperr.Wrap(apperr.Env, verr, "stored password hash of "+u.Name)
		}
		if c.code == "" {
			return passed{}, &guess{factor: FactorTOTP, detail: "no code given", err: g.deniedCode()}
		}
		g.proof.Password, g.proof.Code = c.pw, c.code
		if p, err = s.secondFactor(g, u, keyID); err != nil {
			return p, err
		}
		if rehash && g.clears {
			if p.newHash, err = s.Hasher.Hash(c.pw); err != nil {
				return p, err
			}
		}
		return p, nil
	}
	return passed{}, &guess{factor: FactorPassword, detail: "", err: g.deniedPassword()}
}

// padHashes burns dummy password hashes until done reaches the most any
// user's check of secret could take: one per way of splitting it.
func (s *Service) padHashes(secret string, done int) {
	for i := done; i < max(1, len(splitCombined(secret, otp.Digits, true))); i++ {
		s.Hasher.Dummy(secret)
	}
}

// dummyCode burns the hash a backup code costs, when code looks like one.
func (s *Service) dummyCode(code string) {
	if _, kind, err := otp.ParseFor(code, otp.Digits, false); err == nil && kind == otp.CodeBackup {
		secret.HashCode(s.CodeParams, make([]byte, 16), code)
	}
}

type split struct{ pw, code string }

// splitCombined lists the ways secret can be a password followed by a code:
// a TOTP code of digits digits, an 8-digit scratch code, a backup code with
// or without its dash. The password part is never empty.
func splitCombined(secret string, digits int, scratch bool) []split {
	var out []split
	add := func(n int, ok func(string) bool) {
		if len(secret) > n && ok(secret[len(secret)-n:]) {
			out = append(out, split{pw: secret[:len(secret)-n], code: secret[len(secret)-n:]})
		}
	}
	add(digits, isDigits)
	if scratch && digits != otp.ScratchDigits {
		add(otp.ScratchDigits, isDigits)
	}
	backup := func(s string) bool { _, err := otp.ParseBackup(s); return err == nil && !strings.ContainsAny(s, " \t") }
	add(11, func(s string) bool { return s[5] == '-' && backup(s) })
	add(10, backup)
	return out
}

func isDigits(s string) bool { return strings.Trim(s, "0123456789") == "" }
