package cmd

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/secret"
	"github.com/authctl/authctl/internal/term"
)

// App is what every command gets: its streams and lazy access to the
// configuration and the domain service. Nothing is read or opened until a
// command asks for it, so `authctl version` and completion stay cheap.
type App struct {
	IO *term.IO
	// Now is the clock handed to the domain (tests may fix it).
	Now func() time.Time
	// Getenv reads the variables a command takes as input (PAM_USER);
	// settings come through viper.
	Getenv func(string) string

	// flags are the root's persistent flags, bound to the settings when the
	// configuration is first read; v is made then too.
	flags   *pflag.FlagSet
	v       *viper.Viper
	noEnv   bool // settings from flags and files only (authctl pam)
	cfgOnce sync.Once
	cfg     *Config
	cfgErr  error
	// closers are the stores that hold a connection open (PostgreSQL).
	closers []io.Closer
}

// NewApp returns an App over the given streams.
func NewApp(io *term.IO) *App {
	return &App{IO: io, Now: time.Now, Getenv: os.Getenv}
}

// ignoreEnvironment makes the settings come from flags and config files
// alone, before the configuration is first read: authctl pam runs in the
// environment PAM hands it, which users can influence (pam_env's
// user_readenv), so AUTHCTL_* variables, HOME and XDG_* must not choose
// the database or the lockout policy there.
func (a *App) ignoreEnvironment(flags *pflag.FlagSet) {
	a.flags = flags
	a.noEnv = true
}

// Config resolves the configuration once. Its viper is made here, not with
// the App: commands that read no settings (version, help) never pay for one.
func (a *App) Config() (*Config, error) {
	a.cfgOnce.Do(func() {
		a.v = newViper(!a.noEnv)
		if a.flags != nil {
			bindSettingFlags(a.v, a.flags)
		}
		a.cfg, a.cfgErr = loadConfig(a.v, a.noEnv)
	})
	return a.cfg, a.cfgErr
}

// Service builds the domain service. create lets a write create the
// database file; read-only commands pass false.
func (a *App) Service(create bool) (*account.Service, error) {
	c, err := a.Config()
	if err != nil {
		return nil, err
	}
	st := a.openStore(c.DB, c.LockTimeout, create)
	svc := account.New(st, &account.Keyring{Path: c.KeyFile})
	svc.Now = a.Now
	svc.Hasher = secret.Hasher{Params: c.Hash}
	svc.Policy = c.Policy
	svc.Issuer = c.Issuer
	svc.AuditRetention = c.AuditRetention
	return svc, nil
}

// passwordSource reads passwords from standard input (--password-stdin) or
// from the terminal, and refuses at once when it has neither.
type passwordSource struct {
	io    *term.IO
	stdin bool
}

func (a *App) passwords(stdin bool) (*passwordSource, error) {
	if !stdin && !a.IO.CanPrompt() {
		return nil, apperr.New(apperr.Invalid, "no terminal to prompt for the password; pass it on standard input with --password-stdin")
	}
	return &passwordSource{io: a.IO, stdin: stdin}, nil
}

// get returns the next password: the next stdin line, or a prompt.
func (p *passwordSource) get(prompt string) (string, error) {
	if p.stdin {
		s, err := p.io.Line()
		if err == term.ErrNoInput {
			return "", apperr.New(apperr.Invalid, "no password on standard input (--password-stdin reads one line)")
		}
		return s, err
	}
	return noInput(p.io.Password(prompt))
}

// newPassword asks for a new password twice on a terminal, or reads it once
// from standard input, and checks it against the password rules.
func (p *passwordSource) newPassword(prompt string, context ...string) (string, error) {
	pw, err := p.get(prompt)
	if err != nil {
		return "", err
	}
	if err := account.CheckNewPassword(pw, context...); err != nil {
		return "", err
	}
	if !p.stdin {
		again, err := noInput(p.io.Password("Repeat the password: "))
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", apperr.New(apperr.Invalid, "the passwords do not match; nothing was changed")
		}
	}
	return pw, nil
}

// noInput turns a closed terminal into a clear usage error.
func noInput(s string, err error) (string, error) {
	if err == term.ErrNoInput {
		return "", apperr.New(apperr.Invalid, "input closed at the prompt; nothing was changed")
	}
	return s, err
}

// errCodeInterrupted is Ctrl-C at the code prompt. The password was right
// by then, so the attempt stays counted as a failed one (otherwise leaving
// at that prompt would tell the password was right for free).
var errCodeInterrupted = &apperr.Error{Kind: apperr.Interrupted, Msg: "interrupted at the code prompt; this counts as a failed attempt"}

// code reads one code for a command that asks for it itself: the next line
// of standard input with --password-stdin, or a prompt.
func (p *passwordSource) code(name, prompt string) (string, error) {
	if p.stdin {
		s, err := p.io.Line()
		if err == term.ErrNoInput {
			return "", apperr.New(apperr.Invalid, "give the codes for %s with --code or as the next lines of standard input", name)
		}
		return s, err
	}
	return noInput(p.io.Prompt(prompt))
}

// absDuration is d without its sign, rounded to the second.
func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		d = -d
	}
	return d.Round(time.Second)
}

// codeAsker returns how a command gets the one-time code once the domain
// asks for it: the next line of standard input with --password-stdin (the
// line after the passwords), or a prompt on the terminal.
func (p *passwordSource) codeAsker(name string) func() (string, error) {
	return func() (string, error) {
		if p.stdin {
			s, err := p.io.Line()
			if err == term.ErrNoInput {
				return "", apperr.New(apperr.Invalid, "%s has 2fa on: give the one-time code with --code or as the next line of standard input", name)
			}
			return s, err
		}
		s, err := p.io.Prompt("Code from your authenticator app (or a backup code): ")
		switch {
		case apperr.KindOf(err) == apperr.Interrupted:
			return "", errCodeInterrupted
		case err == term.ErrNoInput:
			return "", apperr.New(apperr.Invalid, "input closed at the code prompt; this counts as a failed attempt")
		}
		return s, err
	}
}

// checkCodeFlag refuses a malformed --code before anything is asked or
// counted.
func checkCodeFlag(code string) error {
	if code == "" {
		return nil
	}
	if err := otp.ParseLoose(code); err != nil {
		return apperr.New(apperr.Invalid, "invalid --code: %v", err)
	}
	return nil
}

// codeFlagUsage is the help of --code on commands that need both factors.
const codeFlagUsage = "one-time code (6 digits from the authenticator app) or an unused backup code, when 2FA is on"

// passwordFor2FA is how every command that changes a user's 2FA begins:
// the password source (refused at once without a terminal or
// --password-stdin), the service, a check before the prompt that the user
// exists and has 2FA on, then the password.
func (a *App) passwordFor2FA(stdin bool, name string) (*account.Service, *passwordSource, string, error) {
	pws, err := a.passwords(stdin)
	if err != nil {
		return nil, nil, "", err
	}
	svc, err := a.Service(false)
	if err != nil {
		return nil, nil, "", err
	}
	if err := svc.Require2FA(name, true); err != nil {
		return nil, nil, "", err
	}
	pw, err := pws.get(fmt.Sprintf("Password for %s: ", name))
	if err != nil {
		return nil, nil, "", err
	}
	return svc, pws, pw, nil
}
