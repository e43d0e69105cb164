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

// Proof is what a person presents to act as a user: the password and, when
// the account has 2FA on, a one-time code or an unused backup code.
type Proof struct {
	Password string
	// Code is the one-time or backup code, when the caller already has it.
	Code string
	// AskCode is called at most once, after the password is verified, when
	// the account has 2FA on and Code is empty.
	AskCode func() (string, error)
	// Combined means Password holds the password immediately followed by
	// the code, as one PAM prompt takes it (FreeIPA's convention).
	Combined bool
	// CodeOnly means the first factor was established by someone else (a
	// PAM stack's pam_unix, an SSH key): only Code is checked.
	CodeOnly bool
}

// Denial messages. One message covers an unknown name, a wrong password and
// a locked account, so none of them can be told from the others.
const (
	msgDenied    = "login failed: invalid username or password, or account locked"
	msgBadCode   = "login failed: invalid or already used code"
	msgDuplicate = "login failed: code already used; wait for the next one"
)

// guarded is one operation that needs the user's factors. Every such
// operation goes through guard, which owns the throttle: the attempt is
// counted before anything is verified, and only a success or an answer that
// is not a guess gives the count back.
type guarded struct {
	name  string
	op    string // "" for a login; otherwise the operation, for messages and the audit trail
	proof Proof
	// second asks for the second factor when the account has 2FA on.
	second bool
	// clears makes a success clear the failure count: only a full login does.
	clears bool
	// need checks the state the operation needs, on the record as read,
	// before the attempt is counted.
	need func(u *store.User) error
	// allowNo2FA lets a code-only login of a user without 2FA through.
	allowNo2FA bool
	// key says the operation opens sealed secrets: a key file that cannot
	// be used is reported before the attempt is counted. keyCreate lets a
	// database without sealed secrets get a key file later.
	key, keyCreate bool
	// prepare does the operation's slow work once the factors are verified,
	// with no lock held. It may return a *guess.
	prepare func(u *store.User, keyID string) error
	// apply makes the change on the re-read record inside the committing
	// transaction; errChanged starts the whole attempt over.
	apply func(tx store.Tx, f *store.User) error
}

// guess is a wrong answer: the attempt stays counted as a failure.
type guess struct {
	factor, detail string
	err            error // what the caller is told
}

func (g *guess) Error() string { return g.err.Error() }

// duplicate is a refusal that is not a guess, so the attempt is given back:
// a second submit of the code just accepted, or a system login that the
// account cannot take (detail, audited).
type duplicate struct {
	err    error
	detail string
}

func (d *duplicate) Error() string { return d.err.Error() }

// reservation is one counted attempt: in the store's table of attempts in
// progress (held), or, where the store has none, in the record itself.
type reservation struct {
	held     store.Held // nil: counted in the record
	started  time.Time  // when it was reserved (held)
	failures int        // the count, this attempt included
	lockSet  time.Time  // the lock this attempt set (in the record) or sets if it fails (held), or zero
	prevLock time.Time  // the lock it replaced in the record
}

// release gives an attempt back: f is the record as re-read in the
// settling transaction.
func (r reservation) release(f *store.User) {
	if r.held != nil {
		r.held.Done()
		return
	}
	if f.Failures > 0 {
		f.Failures--
	}
	if !r.lockSet.IsZero() && f.LockedUntil.Equal(r.lockSet) {
		f.LockedUntil = r.prevLock
	}
}

// inRecord reports whether the attempt is counted in the record, so that
// giving it back or keeping it needs no write.
func (r reservation) inRecord() bool { return r.held == nil }

// done ends an attempt in progress, if it still is.
func (r reservation) done() {
	if r.held != nil {
		r.held.Done()
	}
}

// passed is what the verification established.
type passed struct {
	factor     string
	step       int64  // accepted TOTP step
	backup     int    // index of the backup code used, or -1
	backupHash []byte // its hash
	newHash    string // the password re-hashed with current parameters
	// unchecked: nothing was verified (a code-only system login of a user
	// without 2FA, allowed by the rollout), so the count is not cleared.
	unchecked bool
}

func (g guarded) label() string {
	if g.op == "" {
		return "login failed"
	}
	return g.op + " refused"
}

func (g guarded) deniedPassword() error {
	if g.proof.CodeOnly {
		// Without a password, every refusal looks like a wrong code.
		return g.deniedCode()
	}
	if g.op == "" {
		return apperr.New(apperr.Denied, msgDenied)
	}
	return apperr.New(apperr.Denied, "%s: wrong password, or account locked", g.label())
}

func (g guarded) deniedCode() error {
	if g.op == "" {
		return apperr.New(apperr.Denied, msgBadCode)
	}
	return apperr.New(apperr.Denied, "%s: invalid or already used code", g.label())
}

func (g guarded) dupCode() error {
	if g.op == "" {
		return apperr.New(apperr.Denied, msgDuplicate)
	}
	return apperr.New(apperr.Denied, "%s: code already used; wait for the next one", g.label())
}

// detail is the audit detail of a failure: the operation and the reason.
func (g guarded) detail(reason string) string {
	switch {
	case g.op == "":
		return reason
	case reason == "":
		return g.op
	}
	return g.op + ": " + reason
}

// guard runs one guarded operation, starting over when the record changed
// between the verification and the commit.
func (s *Service) guard(g guarded) (LoginResult, error) {
	if ask := g.proof.AskCode; ask != nil {
		// A retry must not ask for the code twice.
		var code string
		var err error
		asked := false
		g.proof.AskCode = func() (string, error) {
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
		res, err = s.guardOnce(g)
		return err
	})
	return res, err
}

func (s *Service) guardOnce(g guarded) (LoginResult, error) {
	var res LoginResult
	u, keyID, r, refused, err := s.reserve(g)
	if err != nil {
		return res, err
	}
	if refused != "" {
		return res, s.refuse(g, refused)
	}
	defer r.done()  // settled by now on every way out; this ends it where no transaction did (an error)
	g.name = u.Name // as stored: the typed name may be another spelling
	res.TwoFactor = u.TOTP != nil
	p, err := s.verify(g, u, keyID)
	if err == nil && g.prepare != nil {
		err = g.prepare(u, keyID)
	}
	if err != nil {
		return res, s.settle(g, r, err)
	}
	return s.commit(g, u, r, p)
}

// reserve counts the attempt before anything is verified, so that however
// many processes try at once, no more than the policy allows are ever
// verified. refused says why the attempt was not counted: an unknown user
// (logins only) or a locked account.
//
// Where the store keeps attempts in progress outside its records (the bbolt
// file on Linux), the attempt is recorded there, which needs no durable
// commit; otherwise it is counted in the record in one short transaction
// (PostgreSQL: one that does not wait for the disk).
func (s *Service) reserve(g guarded) (u *store.User, keyID string, r reservation, refused string, err error) {
	if rs, ok := s.Store.(store.InFlight); ok {
		u, keyID, r, refused, err = s.reserveInFlight(rs, g)
		if !errors.Is(err, store.ErrNoAttempts) {
			return u, keyID, r, refused, err
		}
	}
	return s.reserveInRecord(g)
}

// admit reads the user and checks what the operation needs before an
// attempt is counted. refused is set for an unknown name at a login.
func (s *Service) admit(tx store.Tx, g guarded) (u *store.User, keyID, refused string, err error) {
	u, err = lookup(tx, g.name)
	if errors.Is(err, store.ErrNotFound) {
		if g.op == "" {
			// A name no user can have is bad input, which says nothing
			// about the users there are.
			if err := CheckName(g.name); err != nil {
				return nil, "", "", err
			}
			return nil, "", "unknown user", nil
		}
		return nil, "", "", noSuchUser(g.name)
	}
	if err != nil {
		return nil, "", "", err
	}
	if g.need != nil {
		if err := g.need(u); err != nil {
			return nil, "", "", err
		}
	}
	if g.usesKey(u) {
		keyID = tx.KeyID()
	}
	if err := s.checkKey(g, u, keyID); err != nil {
		return nil, "", "", err
	}
	return u, keyID, "", nil
}

func (s *Service) reserveInRecord(g guarded) (u *store.User, keyID string, r reservation, refused string, err error) {
	update := s.Store.Update
	if l, ok := s.Store.(store.LightUpdater); ok {
		update = l.UpdateLight // losing a reservation in a crash is harmless
	}
	err = update(func(tx store.Tx) error {
		var err error
		// A backend may run this again: decide afresh.
		if u, keyID, refused, err = s.admit(tx, g); err != nil || refused != "" {
			return err
		}
		now := s.now()
		if Locked(u, now) {
			refused = "account locked"
			return nil
		}
		u.Failures++
		r = reservation{failures: u.Failures, prevLock: u.LockedUntil}
		if d := s.Policy.Delay(u.Failures); d > 0 {
			u.LockedUntil = now.Add(d)
			r.lockSet = u.LockedUntil
		}
		return tx.PutUser(u)
	})
	if err != nil || refused != "" {
		return nil, "", reservation{}, refused, err
	}
	return u, keyID, r, "", nil
}

// reserveInFlight records the attempt in the store's table of attempts in
// progress. The attempts in progress on the user count as failures until
// they settle, and the one that reaches the threshold locks the account
// while it is in progress, so the count is the same as if each were in the
// record. Orphans (attempts whose process was killed) are first counted in
// the record, as the failures they may have been.
func (s *Service) reserveInFlight(rs store.InFlight, g guarded) (u *store.User, keyID string, r reservation, refused string, err error) {
	for folded := false; ; folded = true {
		fold := ""
		held, err := rs.Reserve(func(tx store.Tx) (string, *store.Attempt, error) {
			var err error
			fold, r = "", reservation{}
			if u, keyID, refused, err = s.admit(tx, g); err != nil || refused != "" {
				return "", nil, err
			}
			at, ok := tx.(store.AttemptTx)
			if !ok {
				return "", nil, store.ErrNoAttempts
			}
			live, orphans := at.Attempts(u.Name)
			if len(orphans) > 0 && !folded {
				fold = u.Name
				return "", nil, nil
			}
			now := s.now()
			eff := pending(u, append(live, orphans...))
			if Locked(&eff, now) {
				refused = "account locked"
				return "", nil, nil
			}
			a := &store.Attempt{Started: now}
			r.started, r.failures = now, eff.Failures+1
			if d := s.Policy.Delay(r.failures); d > 0 {
				a.LockUntil = now.Add(d)
				r.lockSet = a.LockUntil
			}
			return u.Name, a, nil
		})
		switch {
		case err != nil:
			return nil, "", reservation{}, "", err
		case fold != "":
			if err := s.foldOrphans(fold); err != nil {
				return nil, "", reservation{}, "", err
			}
			continue
		case refused != "":
			return nil, "", reservation{}, refused, nil
		}
		r.held = held
		return u, keyID, r, "", nil
	}
}

// pending is u as it would be if the attempts in progress on it all failed
// now: counted, and locked by the one that reaches the threshold.
func pending(u *store.User, attempts []store.Attempt) store.User {
	eff := *u
	eff.Failures += len(attempts)
	for _, a := range attempts {
		if a.LockUntil.After(eff.LockedUntil) {
			eff.LockedUntil = a.LockUntil
		}
	}
	return eff
}

// foldOrphans counts the orphans of a user (attempts whose process ended
// before settling them, killed at a code prompt, say) in its record as
// failures: an attempt whose process was killed may have been a guess whose
// answer its owner saw some of.
func (s *Service) foldOrphans(name string) error {
	return s.Store.Update(func(tx store.Tx) error {
		f, err := tx.User(name)
		if err != nil {
			return err
		}
		if n, err := s.countOrphans(tx, f); err != nil || n == 0 {
			return err
		}
		return tx.PutUser(f)
	})
}

// countOrphans counts f's orphans in f, in a write transaction that then
// stores f, and returns how many there were.
func (s *Service) countOrphans(tx store.Tx, f *store.User) (int, error) {
	at, ok := tx.(store.AttemptTx)
	if !ok {
		return 0, nil
	}
	orphans := at.TakeOrphans(f.Name)
	for _, o := range orphans {
		if err := s.countFailure(tx, f, o, store.AuditEntry{Event: EvLoginFail, User: f.Name, Detail: "attempt not finished: its process ended"}); err != nil {
			return 0, err
		}
	}
	return len(orphans), nil
}

// dropOrphans forgets name's orphans: the user is unlocked or deleted.
func dropOrphans(tx store.Tx, name string) {
	if at, ok := tx.(store.AttemptTx); ok {
		at.TakeOrphans(name)
	}
}

// countFailure counts the failed attempt a, which was in progress, in the
// record f, locks the account as the policy says, and audits it (fail,
// after the lockout if any).
func (s *Service) countFailure(tx store.Tx, f *store.User, a store.Attempt, fail store.AuditEntry) error {
	d := s.addFailure(f, a, s.now())
	return s.auditFailure(tx, f.Name, f.Failures, d > 0, d, fail)
}

// auditFailure audits a counted failure: the lockout first, when it locked
// the account, then the failure itself.
func (s *Service) auditFailure(tx store.Tx, name string, failures int, locked bool, lockedFor time.Duration, fail store.AuditEntry) error {
	if locked {
		if err := s.audit(tx, store.AuditEntry{Event: EvLockout, User: name, Detail: fmt.Sprintf("%d consecutive failures, locked for %s", failures, lockedFor.Round(time.Second))}); err != nil {
			return err
		}
	}
	return s.audit(tx, fail)
}

// addFailure counts the failed attempt a in f at now and returns how long
// it locked the account for, or zero. The lock is what the count calls for,
// and no shorter than the one a set while in progress: attempts settle in
// any order, and the one that reached the threshold may settle before
// those it counted on. A login that succeeded since a started cleared the
// count a's lock was set on, so it is not kept.
func (s *Service) addFailure(f *store.User, a store.Attempt, now time.Time) time.Duration {
	f.Failures++
	var until time.Time
	if f.LastLoginAt.Before(a.Started) {
		until = a.LockUntil
	}
	if d := s.Policy.Delay(f.Failures); d > 0 && now.Add(d).After(until) {
		until = now.Add(d)
	}
	if until.After(now) && until.After(f.LockedUntil) {
		f.LockedUntil = until
		return until.Sub(now)
	}
	return 0
}

// counted is u with its orphans counted as the next attempt will count
// them, for what an admin is shown.
func (s *Service) counted(tx store.Tx, u *store.User) *store.User {
	at, ok := tx.(store.AttemptTx)
	if !ok {
		return u
	}
	_, orphans := at.Attempts(u.Name)
	if len(orphans) == 0 {
		return u
	}
	c := *u
	now := s.now()
	for _, o := range orphans {
		s.addFailure(&c, o, now)
	}
	return &c
}

// usesKey reports whether the operation may open or seal a secret with the
// key file. Only then does the reservation read the key's fingerprint (on
// PostgreSQL, one statement more, and a share lock against a rotation): a
// password login of a user without 2FA has no sealed secret to open.
func (g guarded) usesKey(u *store.User) bool {
	return g.key || g.prepare != nil || u.TOTP != nil
}

// checkKey fails when the operation will need the key file and it cannot be
// used (missing, unreadable, not the database's), so that an environment
// problem is reported before anything is counted or written. A login with a
// backup code needs no key: backup codes still work when the key is lost.
func (s *Service) checkKey(g guarded, u *store.User, keyID string) error {
	need := g.key
	if u.TOTP != nil && g.second && g.proof.Code != "" {
		scratch := u.Backup != nil && u.Backup.Kind == store.BackupScratch
		_, kind, err := otp.ParseFor(g.proof.Code, totpParams(u.TOTP).Digits, scratch)
		need = need || (err == nil && kind == otp.CodeTOTP)
	}
	if !need {
		return nil
	}
	if keyID == "" && g.keyCreate && !s.Keys.exists() {
		return nil
	}
	_, err := s.Keys.Open(keyID, false)
	return err
}

// refuse answers an attempt on an unknown name or a locked account exactly
// as a wrong password is answered, after the same work: a hash, then one
// write (the audit entry).
func (s *Service) refuse(g guarded, why string) error {
	switch {
	case g.proof.CodeOnly:
		// A code-only login hashes no password, but a backup code is.
		s.dummyCode(g.proof.Code)
	case g.proof.Combined:
		s.padHashes(g.proof.Password, 0)
	default:
		s.Hasher.Dummy(g.proof.Password)
	}
	err := s.Store.Update(func(tx store.Tx) error {
		e := store.AuditEntry{Event: EvLoginFail, Factor: FactorPassword, Detail: g.detail(why)}
		if why != "unknown user" {
			// The attempted name of an unknown user is not recorded:
			// people type passwords there.
			e.User = g.name
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return err
	}
	return g.deniedPassword()
}

// verify checks the password, then the second factor when the operation
// and the account need one. Wrong answers come back as *guess.
func (s *Service) verify(g guarded, u *store.User, keyID string) (passed, error) {
	switch {
	case g.proof.CodeOnly:
		return s.verifyCodeOnly(g, u, keyID)
	case g.proof.Combined && u.TOTP != nil && g.second:
		return s.verifyCombined(g, u, keyID)
	}
	p := passed{factor: FactorPassword, backup: -1}
	rehash, err := s.Hasher.Verify(u.PasswordHash, g.proof.Password)
	if err != nil {
		if errors.Is(err, secret.ErrMismatch) {
			if g.proof.Combined {
				s.padHashes(g.proof.Password, 1)
			}
			return p, &guess{factor: FactorPassword, detail: g.detail(""), err: g.deniedPassword()}
		}
		return p, apperr.Wrap(apperr.Env, err, "stored password hash of "+u.Name)
	}
	if u.TOTP != nil && g.second {
		if p, err = s.secondFactor(g, u, keyID); err != nil {
			return p, err
		}
	}
	if rehash && g.clears {
		if p.newHash, err = s.Hasher.Hash(g.proof.Password); err != nil {
			return p, err
		}
	}
	return p, nil
}

// secondFactor checks the one-time or backup code of a user with 2FA on,
// whose password is verified. Every way of not giving a right code counts
// as a failure, a missing or malformed one included: otherwise that answer
// would tell the password was right without costing an attempt.
func (s *Service) secondFactor(g guarded, u *store.User, keyID string) (passed, error) {
	p := passed{factor: FactorTOTP, backup: -1}
	code := g.proof.Code
	if code == "" {
		var err error
		switch {
		case g.proof.AskCode == nil:
			err = apperr.New(apperr.Invalid, "%s: %s has 2fa on and no one-time code was given", g.label(), u.Name)
		default:
			code, err = g.proof.AskCode()
		}
		if err != nil {
			return p, &guess{factor: FactorTOTP, detail: g.detail("no code given"), err: err}
		}
	}
	params := totpParams(u.TOTP)
	scratch := u.Backup != nil && u.Backup.Kind == store.BackupScratch
	c, kind, err := otp.ParseFor(code, params.Digits, scratch)
	if err != nil {
		return p, &guess{factor: FactorTOTP, detail: g.detail("malformed code"), err: apperr.New(apperr.Invalid, "%s: %v", g.label(), err)}
	}
	if kind == otp.CodeBackup || kind == otp.CodeScratch {
		return s.backupFactor(g, u, c)
	}
	plain, err := s.openSecret(keyID, u.Name, u.TOTP.Secret)
	if err != nil {
		return p, err
	}
	step, err := params.Verify(plain, c, s.now(), u.TOTP.Offset, u.LastStep)
	switch {
	case errors.Is(err, otp.ErrReplay) && step == u.LastStep:
		return p, &duplicate{err: g.dupCode()}
	case errors.Is(err, otp.ErrReplay):
		return p, &guess{factor: FactorTOTP, detail: g.detail("replayed code"), err: g.deniedCode()}
	case errors.Is(err, otp.ErrWrongCode):
		if scratch && len(c) == otp.ScratchDigits {
			// 8-digit TOTP codes and scratch codes look alike.
			return s.backupFactor(g, u, c)
		}
		return p, &guess{factor: FactorTOTP, detail: g.detail("wrong code"), err: s.driftHint(g.deniedCode(), g.label(), u.Name, params, u.TOTP.Offset, plain, c)}
	case err != nil:
		return p, err
	}
	p.step = step
	return p, nil
}

// DriftRadius is how far, in time, a wrong code is looked for to tell a
// device whose clock is off from a wrong code, and how far a resync looks.
const DriftRadius = 15 * time.Minute

// driftHint adds to a wrong code's answer how far off the device's clock
// seems (from where a resync last put it), when the code matches a step
// within DriftRadius. It is only given after the password was verified;
// the code is not accepted.
func (s *Service) driftHint(denied error, label, name string, params otp.Params, offset int64, secret, code string) error {
	params = params.Norm()
	radius := int64(DriftRadius/time.Second) / int64(params.Period)
	d, ok := params.Drift(secret, code, s.now(), radius)
	d -= offset
	if !ok || d >= -otp.Skew && d <= otp.Skew {
		return denied
	}
	return apperr.NewHint(apperr.Denied, apperr.HintSync, name, "%s: the code is from a clock about %s: check the time on the device",
		label, driftWords(d*int64(params.Period)))
}

// driftWords says how far off a clock is: "3 minutes ahead", "40 seconds ago".
func driftWords(secs int64) string {
	dir := "ahead"
	if secs < 0 {
		dir, secs = "behind", -secs
	}
	if secs < 90 {
		return fmt.Sprintf("%d seconds %s", secs, dir)
	}
	return fmt.Sprintf("%d minutes %s", (secs+30)/60, dir)
}

// totpParams are the code parameters of an enabled secret.
func totpParams(t *store.TOTP) otp.Params {
	return otp.Params{Digits: t.Digits, Period: t.Period, Algorithm: t.Algorithm}.Norm()
}

func (s *Service) backupFactor(g guarded, u *store.User, code string) (passed, error) {
	p := passed{factor: FactorBackup, backup: -1}
	b := u.Backup
	if b == nil {
		return p, &guess{factor: FactorBackup, detail: g.detail("no backup codes"), err: g.deniedCode()}
	}
	h := secret.HashCode(secret.Params{Memory: b.Memory, Time: b.Time, Threads: b.Threads}, b.Salt, code)
	if p.backup = secret.MatchCode(b.Hashes, h); p.backup < 0 {
		if b.LastUsed != nil && bytes.Equal(b.LastUsed, h) {
			return p, &duplicate{err: g.dupCode()}
		}
		return p, &guess{factor: FactorBackup, detail: g.detail("wrong or used backup code"), err: g.deniedCode()}
	}
	p.backupHash = h
	return p, nil
}

// settle ends an attempt that did not succeed: a guess stays counted and is
// audited; anything else gives the attempt back.
func (s *Service) settle(g guarded, r reservation, cause error) error {
	var gs *guess
	if errors.As(cause, &gs) {
		if err := s.Store.Update(func(tx store.Tx) error {
			if !tx.HasUser(g.name) {
				return nil
			}
			return s.failed(tx, g.name, r, gs)
		}); err != nil {
			return err
		}
		return gs.err
	}
	if err := s.release(g.name, r); err != nil {
		return err
	}
	var d *duplicate
	if errors.As(cause, &d) {
		if d.detail != "" {
			if err := s.Store.Update(func(tx store.Tx) error {
				return s.audit(tx, store.AuditEntry{Event: EvLoginFail, User: g.name, Factor: FactorTOTP, Detail: d.detail})
			}); err != nil {
				return err
			}
		}
		return d.err
	}
	return cause
}

// failed settles a failed attempt: counted in the record (where its
// reservation was not already) and audited.
func (s *Service) failed(tx store.Tx, name string, r reservation, gs *guess) error {
	fail := store.AuditEntry{Event: EvLoginFail, User: name, Factor: gs.factor, Detail: gs.detail}
	if !r.inRecord() {
		defer r.done()
		f, err := tx.User(name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.countFailure(tx, f, store.Attempt{Started: r.started, LockUntil: r.lockSet}, fail); err != nil {
			return err
		}
		return tx.PutUser(f)
	}
	return s.auditFailure(tx, name, r.failures, !r.lockSet.IsZero(), r.lockSet.Sub(s.now()), fail)
}

// release gives an attempt back, in its own transaction where it was
// counted in the record.
func (s *Service) release(name string, r reservation) error {
	if !r.inRecord() {
		r.done()
		return nil
	}
	return s.Store.Update(func(tx store.Tx) error {
		f, err := tx.User(name)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		r.release(f)
		return tx.PutUser(f)
	})
}

// commit applies a verified attempt in one transaction that re-checks the
// record: a code or backup code accepted meanwhile by another process is
// refused here, so each is accepted once.
func (s *Service) commit(g guarded, u *store.User, r reservation, p passed) (LoginResult, error) {
	res := LoginResult{TwoFactor: u.TOTP != nil}
	var outcome error  // an answer decided inside the transaction
	var applyErr error // the operation refused the change
	var changed bool   // the record changed under us: start over
	err := s.Store.Update(func(tx store.Tx) error {
		// A backend may run this again (PostgreSQL, after a deadlock):
		// decide everything afresh.
		outcome, applyErr, changed = nil, nil, false
		res = LoginResult{TwoFactor: u.TOTP != nil}
		f, err := tx.User(g.name)
		if errors.Is(err, store.ErrNotFound) {
			outcome = g.gone()
			return nil
		}
		if err != nil {
			return err
		}
		if f.PasswordHash != u.PasswordHash || !sameFactors(f, u) {
			changed = true
			return s.giveBack(tx, f, r)
		}
		if dup, gs := g.spend(f, p); gs != nil {
			outcome = gs.err
			return s.failed(tx, g.name, r, gs)
		} else if dup != nil {
			outcome = dup
			return s.giveBack(tx, f, r)
		}
		s.succeeded(tx, g, f, r, p, &res)
		if g.apply != nil {
			if applyErr = g.apply(tx, f); applyErr != nil {
				return applyErr
			}
		}
		res.BackupLeft = f.Backup.Left() // after the change, which may be new codes
		if err := s.auditLogin(tx, g, f, p); err != nil {
			return err
		}
		return tx.PutUser(f)
	})
	if applyErr != nil {
		// The transaction rolled back, the reservation with it: give it back.
		if err := s.release(g.name, r); err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, applyErr
	}
	switch {
	case err != nil:
		return LoginResult{}, err
	case changed:
		return LoginResult{}, errChanged
	case outcome != nil:
		return LoginResult{}, outcome
	}
	res.Factor = p.factor
	return res, nil
}

// giveBack gives the attempt back on the re-read record f, writing it only
// where the attempt was counted there.
func (s *Service) giveBack(tx store.Tx, f *store.User, r reservation) error {
	r.release(f)
	if !r.inRecord() {
		return nil
	}
	return tx.PutUser(f)
}

// gone is the answer when the user was deleted while the attempt was
// verified: to a login, the same as a wrong password.
func (g guarded) gone() error {
	if g.op == "" {
		return apperr.New(apperr.Denied, msgDenied)
	}
	return noSuchUser(g.name)
}

// spend uses up the code that passed on the re-read record f, so that each
// is accepted once. The code another process accepted just before is a
// duplicate, given back (dup); any other used code is a guess (gs).
func (g guarded) spend(f *store.User, p passed) (dup error, gs *guess) {
	switch p.factor {
	case FactorTOTP:
		switch {
		case p.step == f.LastStep:
			return g.dupCode(), nil
		case p.step < f.LastStep:
			return nil, &guess{factor: FactorTOTP, detail: g.detail("replayed code"), err: g.deniedCode()}
		}
		f.LastStep = p.step
	case FactorBackup:
		if f.Backup.Hashes[p.backup] == nil {
			if bytes.Equal(f.Backup.LastUsed, p.backupHash) {
				return g.dupCode(), nil
			}
			return nil, &guess{factor: FactorBackup, detail: g.detail("wrong or used backup code"), err: g.deniedCode()}
		}
		f.Backup.Hashes[p.backup] = nil
		f.Backup.LastUsed = p.backupHash
	}
	return nil, nil
}

// succeeded settles the count of a verified attempt on f: a full login
// clears it, anything else gives the attempt back; and it stores the
// password re-hashed with current parameters, if it was.
func (s *Service) succeeded(tx store.Tx, g guarded, f *store.User, r reservation, p passed, res *LoginResult) {
	if g.clears && !p.unchecked {
		// A login clears the count of every attempt before it, those
		// whose process ended unsettled included.
		f.Failures = 0
		f.LockedUntil = time.Time{}
		r.done()
		dropOrphans(tx, f.Name)
	} else {
		r.release(f)
	}
	if p.newHash != "" {
		f.PasswordHash = p.newHash
		res.Rehashed = true
	}
}

// auditLogin records a successful login; other operations audit their own
// change.
func (s *Service) auditLogin(tx store.Tx, g guarded, f *store.User, p passed) error {
	if g.op != "" {
		return nil
	}
	e := store.AuditEntry{Event: EvLoginOK, User: f.Name, Factor: p.factor}
	if p.unchecked {
		e.Detail = "code-only system login of a user without 2fa, allowed"
	}
	return s.audit(tx, e)
}

// sameFactors reports whether f still has the second factors u had when
// it was verified.
func sameFactors(f, u *store.User) bool {
	if (f.TOTP == nil) != (u.TOTP == nil) || (f.Backup == nil) != (u.Backup == nil) {
		return false
	}
	if f.TOTP != nil && !bytes.Equal(f.TOTP.Secret, u.TOTP.Secret) {
		return false
	}
	if f.Backup != nil && !bytes.Equal(f.Backup.Salt, u.Backup.Salt) {
		return false
	}
	return true
}
