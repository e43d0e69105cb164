package account

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/store"
)

// ImportedTOTP is a TOTP secret that a user's phone already has, brought
// from another system (google-authenticator-libpam, an app export, a PSKC
// file), so the user keeps their codes without enrolling again.
type ImportedTOTP struct {
	Secret    string   // base32
	Digits    int      // 6 or 8; 0 means 6
	Period    int      // seconds; 0 means 30
	Algorithm string   // "SHA1", "SHA256", "SHA512"; "" means SHA1
	Scratch   []string // 8-digit scratch codes, kept as single-use backup codes
	Source    string   // the format, for the audit trail
	// AllowShort accepts a secret shorter than MinSecretBytes.
	AllowShort bool
	// Offset is the device's known clock offset in steps (PSKC TimeDrift),
	// kept as a resync would keep it.
	Offset int64
}

// Secret lengths: RFC 4226 §4 asks for at least 128 bits and recommends
// 160; below 80 bits authctl refuses an imported secret unless told to.
const (
	MinSecretBytes         = 10
	RecommendedSecretBytes = 16
	maxSecretBytes         = 128
	maxScratchCodes        = 32
)

// ErrTwoFactorOn is wrapped by the error for an import onto a user whose
// 2FA is already on, so the command line can say how to replace it.
var ErrTwoFactorOn = errors.New("2fa already enabled")

var b32NoPad = base32.StdEncoding.WithPadding(base32.NoPadding)

// secretBytes decodes a base32 secret as people and files write it: any
// case, with spaces or '=' padding.
func secretBytes(s string, allowShort bool) ([]byte, error) {
	clean := strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '-' || r == '=' {
			return -1
		}
		return r
	}, s))
	raw, err := b32NoPad.DecodeString(clean)
	switch {
	case err != nil || len(raw) == 0:
		return nil, apperr.New(apperr.Invalid, "the TOTP secret is not valid base32")
	case len(raw) > maxSecretBytes:
		return nil, apperr.New(apperr.Invalid, "the TOTP secret is longer than %d bytes", maxSecretBytes)
	case len(raw) < MinSecretBytes && !allowShort:
		return nil, apperr.New(apperr.Invalid, "the TOTP secret has only %d bits; at least %d are needed (128 or more recommended)", 8*len(raw), 8*MinSecretBytes)
	}
	return raw, nil
}

// ImportTOTP turns 2FA on for name with an existing secret: an admin
// action, without the user's password, audited like 2fa reset. A user whose
// 2FA is on is refused unless replace. Scratch codes become the user's
// backup codes; without any the user has none until they make a set. It
// returns the number of backup codes.
func (s *Service) ImportTOTP(name string, t ImportedTOTP, replace bool) (int, error) {
	params := otp.Params{Digits: t.Digits, Period: t.Period, Algorithm: strings.ToUpper(t.Algorithm)}
	if err := params.Validate(); err != nil {
		return 0, apperr.New(apperr.Invalid, "%v", err)
	}
	raw, err := secretBytes(t.Secret, t.AllowShort)
	if err != nil {
		return 0, err
	}
	scratch, err := checkScratch(t.Scratch)
	if err != nil {
		return 0, err
	}
	set, err := s.scratchSet(scratch)
	if err != nil {
		return 0, err
	}
	var n int
	err = retry(func() error {
		u, keyID, err := s.read(name)
		if err != nil {
			return err
		}
		if u.TOTP != nil && !replace {
			return &apperr.Error{Kind: apperr.Conflict, Msg: fmt.Sprintf("2fa is already enabled for %s", u.Name), Err: ErrTwoFactorOn, Hint: apperr.HintTwoFAOn, Subject: u.Name}
		}
		sealer, err := s.Keys.Open(keyID, true)
		if err != nil {
			return err
		}
		sealed, err := sealer.Seal([]byte(b32NoPad.EncodeToString(raw)), secretAD(u.Name))
		if err != nil {
			return err
		}
		return s.Store.Update(func(tx store.Tx) error {
			f, err := tx.User(u.Name)
			if errors.Is(err, store.ErrNotFound) {
				return noSuchUser(name)
			}
			if err != nil {
				return err
			}
			if f.Rev != u.Rev {
				return errChanged
			}
			switch id := tx.KeyID(); {
			case id == "":
				if err := tx.SetKeyID(sealer.ID()); err != nil {
					return err
				}
			case id != sealer.ID():
				return errChanged
			}
			detail := fmt.Sprintf("from %s by admin, %d scratch codes", orDefault(t.Source, "a file"), len(scratch))
			if f.TOTP != nil {
				detail += ", replacing the earlier secret"
			}
			p := params.Norm()
			f.TOTP = &store.TOTP{Secret: sealed, EnabledAt: s.now(), Source: t.Source, Offset: t.Offset}
			if p.Digits != otp.Digits {
				f.TOTP.Digits = p.Digits
			}
			if p.Period != otp.Period {
				f.TOTP.Period = p.Period
			}
			if p.Algorithm != "SHA1" {
				f.TOTP.Algorithm = p.Algorithm
			}
			f.Pending = nil
			f.Backup = set
			// LastStep belongs to the erased secret.
			f.LastStep = 0
			n = set.Left()
			if err := tx.PutUser(f); err != nil {
				return err
			}
			return s.audit(tx, store.AuditEntry{Event: EvImport2FA, User: f.Name, Detail: detail})
		})
	})
	return n, err
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// checkScratch normalises scratch codes: 8 digits each, no repeats.
func checkScratch(codes []string) ([]string, error) {
	if len(codes) > maxScratchCodes {
		return nil, apperr.New(apperr.Invalid, "%d scratch codes; at most %d are kept", len(codes), maxScratchCodes)
	}
	seen := map[string]bool{}
	var out []string
	for i, c := range codes {
		c = strings.TrimSpace(c)
		if len(c) != otp.ScratchDigits || strings.Trim(c, "0123456789") != "" {
			return nil, apperr.New(apperr.Invalid, "scratch code %d is not %d digits", i+1, otp.ScratchDigits)
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out, nil
}

// scratchSet hashes scratch codes into a backup set of their own kind
// (slow: call with no lock held). No codes give an empty set.
func (s *Service) scratchSet(codes []string) (*store.BackupSet, error) {
	salt := make([]byte, 16)
	if _, err := s.Rand.Read(salt); err != nil {
		return nil, err
	}
	p := s.CodeParams
	set := &store.BackupSet{Salt: salt, Memory: p.Memory, Time: p.Time, Threads: p.Threads, GeneratedAt: s.now(), Kind: store.BackupScratch, Hashes: [][]byte{}}
	for _, c := range codes {
		set.Hashes = append(set.Hashes, secret.HashCode(p, salt, c))
	}
	return set, nil
}
