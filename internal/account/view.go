package account

import (
	"time"

	"github.com/authctl/authctl/internal/store"
)

// UserView is what the front end may know of a user: no hash, no secret,
// no code. Its JSON form is documented in docs/scripting.md.
type UserView struct {
	Name              string     `json:"name"`
	TwoFactor         bool       `json:"two_factor"`
	TwoFactorSince    *time.Time `json:"two_factor_enabled_at"`
	BackupCodesLeft   int        `json:"backup_codes_left"`
	PendingEnrollment bool       `json:"pending_enrollment"`
	Locked            bool       `json:"locked"`
	LockedUntil       *time.Time `json:"locked_until"`
	Failures          int        `json:"failed_attempts"`
	CreatedAt         time.Time  `json:"created_at"`
	PasswordChangedAt time.Time  `json:"password_changed_at"`
	LastLoginAt       *time.Time `json:"last_login_at"`
}

// viewOf derives the view of u at now.
func viewOf(u *store.User, now time.Time) UserView {
	st := StatusOf(u, now)
	v := UserView{
		Name: u.Name, TwoFactor: st.Enabled, TwoFactorSince: st.EnabledAt,
		BackupCodesLeft: st.BackupLeft, PendingEnrollment: st.Pending,
		Failures: u.Failures, CreatedAt: u.CreatedAt, PasswordChangedAt: u.PasswordAt,
	}
	if Locked(u, now) {
		t := u.LockedUntil
		v.Locked, v.LockedUntil = true, &t
	}
	if !u.LastLoginAt.IsZero() {
		t := u.LastLoginAt
		v.LastLoginAt = &t
	}
	return v
}

// View returns the named user's view.
func (s *Service) View(name string) (UserView, error) {
	var v UserView
	err := s.withUser(name, func(tx store.Tx, u *store.User) error {
		v = viewOf(s.counted(tx, u), s.now())
		return nil
	})
	return v, err
}

// EachUser calls fn with every user's view in name order, one at a time.
func (s *Service) EachUser(fn func(UserView) error) error {
	now := s.now()
	return s.Store.View(func(tx store.Tx) error {
		return tx.Users(func(u *store.User) error { return fn(viewOf(s.counted(tx, u), now)) })
	})
}

// Status returns the 2FA status of the named user.
func (s *Service) Status(name string) (Status, error) {
	u, _, err := s.read(name)
	if err != nil {
		return Status{}, err
	}
	return StatusOf(u, s.now()), nil
}

// Require2FA fails, before anything is asked, when the user is missing or
// 2FA is not in the state an operation needs: on, or off.
func (s *Service) Require2FA(name string, on bool) error {
	u, _, err := s.read(name)
	if err != nil {
		return err
	}
	return need2FA(on)(u)
}

// RequireResettable fails when the user is missing or has nothing for
// Reset to turn off.
func (s *Service) RequireResettable(name string) error {
	u, _, err := s.read(name)
	if err != nil {
		return err
	}
	if u.TOTP == nil && u.Pending == nil {
		return notOn(u.Name)
	}
	return nil
}

// Event is one entry of the audit trail, as the front end shows it.
type Event struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	User   string    `json:"user,omitempty"`
	Factor string    `json:"factor,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// RequireUser fails with the not-found error unless name is a user.
func (s *Service) RequireUser(name string) error {
	_, _, err := s.read(name)
	return err
}
