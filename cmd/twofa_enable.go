package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/authctl/authctl/internal/account"
	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/term"
)

type enableOptions struct {
	App           *App
	Name          string
	PasswordStdin bool
	Begin         bool
	Confirm       string
	QRMode        string
	QRPNG         string
	JSON          bool
}

// codeTries is how many codes a person may type at enrollment.
const codeTries = 3

func newEnableCmd(app *App, runF func(*enableOptions) error) *cobra.Command {
	opts := &enableOptions{App: app}
	c := &cobra.Command{
		Use:   "enable NAME",
		Short: "Enroll an authenticator app: password, QR code, first code, backup codes",
		Long: `Turn on two-factor authentication for a user.

On a terminal: authctl asks for the user's password, draws a QR code to scan
with an authenticator app (Google Authenticator, Authy, 1Password, Microsoft
Authenticator, LastPass...) and shows the secret for manual entry, then asks
for the 6-digit code the app shows. Only a correct code turns 2FA on (three
tries). Then it prints 8 single-use backup codes, once: store them safely.

For scripts and provisioning, enrollment takes two steps:

    --begin          stores a pending enrollment (valid 10 minutes; a new
                     begin replaces it) and prints the secret and the
                     otpauth URI;
    --confirm CODE   checks a code against the pending secret, turns 2FA on
                     and prints the backup codes.

The QR code is drawn with half blocks, black on white in explicit colours,
so it scans on dark and light themes alike. The key, the details and the
prompt stand beside it: for names up to 56 bytes it all fits an 80x24
terminal, and stays in view after a wrong code. With NO_COLOR set, TERM=dumb
or TERM unset, the half blocks take the terminal's own colours, and
--qr-mode picks them: "half" (default) for light text on a dark background,
"half-invert" for dark text on a light background. "ansi" paints every
module with a background colour, twice as large (up to 90 columns by 45
lines); on a terminal narrower than about 120 columns the details go above
it and the prompt under it.

--qr-png writes the QR code as a PNG file (mode 0600) for terminals that
cannot show it.`,
		Example: `  authctl 2fa enable alice
  authctl 2fa enable alice --qr-mode half-invert
  printf '%s\n' "$PASSWORD" | authctl 2fa enable alice --password-stdin --begin -o json
  printf '%s\n' "$PASSWORD" | authctl 2fa enable alice --password-stdin --confirm 123456`,
		Args: exactArgs(1, "one user name"),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Name = args[0]
			opts.JSON = outputJSON(c)
			opts.Begin, _ = c.Flags().GetBool("begin")
			if runF != nil {
				return runF(opts)
			}
			return runEnable(opts)
		},
	}
	f := c.Flags()
	f.BoolVar(&opts.PasswordStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.Bool("begin", false, "start a pending enrollment and print the secret and otpauth URI")
	f.StringVar(&opts.Confirm, "confirm", "", "finish a pending enrollment with the first `CODE` from the app")
	f.StringVar(&opts.QRMode, "qr-mode", term.QRHalf, "how to draw the QR code: half, half-invert (they differ without colours: dark or light theme) or ansi")
	f.StringVar(&opts.QRPNG, "qr-png", "", "also write the QR code as a PNG to `FILE`")
	c.MarkFlagsMutuallyExclusive("begin", "confirm")
	return c
}

// enrollmentJSON is the stable JSON form of --begin.
type enrollmentJSON struct {
	Secret    string    `json:"secret"`
	URI       string    `json:"uri"`
	ExpiresAt time.Time `json:"expires_at"`
}

func runEnable(o *enableOptions) error {
	io := o.App.IO
	if err := term.CheckQRMode(o.QRMode); err != nil {
		return apperr.New(apperr.Invalid, "%v", err)
	}
	if o.Confirm != "" {
		if _, err := otp.ParseCode(o.Confirm); err != nil {
			return apperr.New(apperr.Invalid, "invalid --confirm code: %v", err)
		}
	}
	interactive := !o.Begin && o.Confirm == ""
	if interactive && !io.CanPrompt() {
		return apperr.New(apperr.Invalid, "2fa enable needs a terminal to show the QR code and ask for a code; in scripts use --begin, then --confirm CODE")
	}
	pws, err := o.App.passwords(o.PasswordStdin)
	if err != nil {
		return err
	}
	if o.QRPNG != "" && o.Confirm == "" {
		// The PNG is written after the enrollment is stored; a file that
		// cannot be written must fail the command before that, or it would
		// leave (and replace an earlier) pending secret nobody saw.
		if err := checkWritable(o.QRPNG); err != nil {
			return apperr.Wrap(apperr.Env, err, "writing QR code PNG")
		}
	}
	svc, err := o.App.Service(false)
	if err != nil {
		return err
	}
	if err := svc.Require2FA(o.Name, false); err != nil {
		return err
	}
	pw, err := pws.get(fmt.Sprintf("Password for %s: ", o.Name))
	if err != nil {
		return err
	}
	if o.Confirm != "" {
		codes, err := svc.ConfirmEnroll(o.Name, pw, o.Confirm)
		if err != nil {
			return err
		}
		if !o.JSON {
			fmt.Fprintf(io.Err, "Two-factor authentication is on for %s.\n", o.Name)
		}
		return printBackupCodes(o.App, o.JSON, o.Name, enabledDone(o.Name), codes)
	}
	en, err := svc.BeginEnroll(o.Name, pw)
	if err != nil {
		return err
	}
	if o.QRPNG != "" {
		if err := term.WriteQRPNG(o.QRPNG, otp.QRURI(en.Key.URI)); err != nil {
			return apperr.Wrap(apperr.Env, err, "writing QR code PNG")
		}
	}
	if o.Begin {
		return printEnrollment(o, en)
	}
	view, err := newEnrollView(o, en)
	if err == nil {
		err = confirmLoop(o, svc, pw, view)
	}
	if err != nil {
		// Leave nothing half-done (Ctrl-C, end of input, three wrong codes):
		// the secret just shown is forgotten.
		if cerr := svc.CancelEnroll(o.Name, en); cerr != nil {
			return cerr
		}
	}
	return err
}

// checkWritable opens path for writing without changing it, and removes
// it again if it did not exist.
func checkWritable(path string) error {
	_, statErr := os.Lstat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	if errors.Is(statErr, fs.ErrNotExist) {
		return os.Remove(path)
	}
	return nil
}

func printEnrollment(o *enableOptions, en account.Enrollment) error {
	io := o.App.IO
	if io.ErrTTY {
		_ = term.DrawQR(io.Err, otp.QRURI(en.Key.URI), o.QRMode, term.Colour(o.App.Getenv))
	}
	// Nothing is lost when the secret cannot be shown: begin again.
	done := fmt.Sprintf("enrollment begun for %s", o.Name)
	if o.JSON {
		return errOutputHint(writeJSON(io.Out, enrollmentJSON{Secret: en.Key.Secret, URI: en.Key.URI, ExpiresAt: en.ExpiresAt}), done, apperr.HintPendingExpired, o.Name)
	}
	if _, err := fmt.Fprintf(io.Out, "secret:  %s\nuri:     %s\nexpires: %s\n", en.Key.Secret, en.Key.URI, en.ExpiresAt.Format(time.RFC3339)); err != nil {
		return errOutputHint(err, done, apperr.HintPendingExpired, o.Name)
	}
	fmt.Fprintf(io.Err, "Add the secret to the authenticator app, then finish with:\n  authctl 2fa enable %s --confirm CODE\n", o.Name)
	return nil
}

func confirmLoop(o *enableOptions, svc *account.Service, pw string, view *enrollView) error {
	io := o.App.IO
	prompt := view.first()
	for try := 1; ; try++ {
		code, err := noInput(io.Prompt(prompt))
		if err != nil {
			return err
		}
		codes, err := svc.ConfirmEnroll(o.Name, pw, code)
		if err == nil {
			if !o.JSON {
				fmt.Fprintln(io.Err)
				view.last(fmt.Sprintf("Two-factor authentication is on for %s.", o.Name))
			}
			return printBackupCodes(o.App, o.JSON, o.Name, enabledDone(o.Name), codes)
		}
		k := apperr.KindOf(err)
		if k != apperr.Denied && k != apperr.Invalid {
			return err
		}
		if try == codeTries {
			view.last(fmt.Sprintf("%v.", err))
			return apperr.New(k, "2fa was not enabled after %d tries; run the same command to start again", codeTries)
		}
		prompt = view.again(fmt.Sprintf("%v. Try again (%d left).", err, codeTries-try))
	}
}

// The enrollment screen's words, and the two prompts for the first code:
// beside the QR code, where 32 to 36 columns are left on an 80-column
// terminal, and under it.
const (
	enrollHeadingBeside = "Scan the QR code with your authenticator app, or enter these details by hand:"
	enrollHeadingAbove  = "Can't scan the QR code below? Enter these details by hand:"
	enrollHeadingQR     = "Scan this QR code with your authenticator app:"
	codePromptBeside    = "Code from the app: "
	codePromptBelow     = "Enter the 6-digit code from the app: "
)

// Layout of the details beside the QR code: two blank columns after its
// quiet zone, and at least room for a line of the key in four groups
// ("  key:     ABCD EFGH IJKL MNOP").
const (
	besideGap     = 2
	besideMinCols = 30
)

// clearScreen moves the cursor home and clears the screen (VT100).
const clearScreen = "\x1b[H\x1b[2J"

// enrollView is the interactive enrollment screen on stderr: the QR code,
// the details for typing the key by hand, and the prompt for the first
// code.
//
// Where the terminal is wide enough (the code and 33 columns: 80 for half
// blocks, about 115 for "ansi"), the details and the prompt stand beside the
// code: in half blocks the code is at most 23 lines for the names
// docs/enrolling.md names, so on an 80x24 terminal the code, the key and
// the prompt are in view together, and the Enter after a code still
// scrolls nothing away. After a wrong code the screen is cleared and drawn
// again with the reason beside the code, so no number of tries scrolls the
// code away; a terminal that cannot clear (TERM=dumb or unset, see
// term.CanRedraw) gets the reason and a new prompt under the code instead.
// On a narrower terminal the details come above the code, the prompt under
// it and the reasons under that, as a plain transcript.
//
// No line reaches the terminal's last column, so none is wrapped by the
// terminal, whatever its handling of the last column.
type enrollView struct {
	w       io.Writer
	en      account.Enrollment
	png     string   // the --qr-png file, or ""
	qr      []string // the drawing's lines
	qrCols  int
	textCol int // columns a line may use
	beside  bool
	redraw  bool
}

func newEnrollView(o *enableOptions, en account.Enrollment) (*enrollView, error) {
	cols, _ := o.App.IO.Size()
	return newEnrollViewCols(o, en, cols)
}

// newEnrollViewCols lays the screen out for a terminal cols columns wide.
func newEnrollViewCols(o *enableOptions, en account.Enrollment, cols int) (*enrollView, error) {
	a := o.App
	qr, qrCols, err := term.RenderQR(otp.QRURI(en.Key.URI), o.QRMode, term.Colour(a.Getenv))
	if err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "drawing the QR code")
	}
	v := &enrollView{w: a.IO.Err, en: en, png: o.QRPNG, qr: qr, qrCols: qrCols, textCol: max(cols-1, 20)}
	v.beside = v.textCol-qrCols-besideGap >= besideMinCols
	v.redraw = v.beside && term.CanRedraw(a.Getenv)
	return v, nil
}

// first shows the screen and returns the prompt for the first code.
func (v *enrollView) first() string {
	fmt.Fprintln(v.w)
	if !v.beside {
		return v.print(v.above())
	}
	v.print(v.pngNote(), "")
	return v.print(v.besideBlock(""))
}

// again shows msg, why the last code was refused, and returns the prompt
// for the next one.
func (v *enrollView) again(msg string) string {
	if !v.redraw {
		v.print(term.Wrap(msg, v.textCol), "")
		return codePromptBelow
	}
	fmt.Fprint(v.w, clearScreen)
	v.print(v.pngNote(), "")
	return v.print(v.besideBlock(msg))
}

// last shows msg, the outcome (2FA is on, or why the last code was refused
// when no try is left), under the screen.
func (v *enrollView) last(msg string) {
	v.print(term.Wrap(msg, v.textCol), "")
}

// print writes lines, each ended, and returns prompt.
func (v *enrollView) print(lines []string, prompt string) string {
	for _, l := range lines {
		fmt.Fprintln(v.w, l)
	}
	return prompt
}

// pngNote reminds where --qr-png wrote the code.
func (v *enrollView) pngNote() []string {
	if v.png == "" {
		return nil
	}
	return term.Wrap(fmt.Sprintf("The QR code is also in %s; delete it once scanned.", v.png), v.textCol)
}

// besideBlock is the code with the details on its right, from its second
// line (the first is quiet zone), and the reason msg and the prompt at the
// bottom, on its last line. It returns the lines above the prompt's, and
// the prompt's line, which Prompt prints.
func (v *enrollView) besideBlock(msg string) ([]string, string) {
	cols := v.textCol - v.qrCols - besideGap
	right := []string{""}
	right = append(right, term.Wrap(enrollHeadingBeside, cols)...)
	right = append(right, "")
	right = append(right, manualEntry(v.en, cols)...)
	var bottom []string
	if msg != "" {
		bottom = append(term.Wrap(msg, cols), "")
	}
	bottom = append(bottom, codePromptBeside)
	right = append(right, make([]string, max(1, len(v.qr)-len(right)-len(bottom)))...)
	right = append(right, bottom...)
	block := term.Beside(v.qr, v.qrCols, besideGap, right)
	return block[:len(block)-1], block[len(block)-1]
}

// above is the stacked screen: the details, the code, then the prompt.
func (v *enrollView) above() ([]string, string) {
	lines := term.Wrap(enrollHeadingAbove, v.textCol)
	lines = append(lines, manualEntry(v.en, v.textCol)...)
	lines = append(lines, v.pngNote()...)
	lines = append(lines, "")
	lines = append(lines, term.Wrap(enrollHeadingQR, v.textCol)...)
	lines = append(lines, "")
	return append(lines, v.qr...), codePromptBelow
}

// manualEntry is what an app's "enter a setup key" screen asks for, in
// cols columns: a label, then the value, wrapped under itself.
func manualEntry(en account.Enrollment, cols int) []string {
	const indent = "  "
	const labelCols = len("account: ")
	valCols := max(cols-len(indent)-labelCols, 8)
	var lines []string
	row := func(label string, vals []string) {
		for i, v := range vals {
			if i == 0 {
				lines = append(lines, fmt.Sprintf("%s%-*s%s", indent, labelCols, label+":", v))
			} else {
				lines = append(lines, strings.Repeat(" ", len(indent)+labelCols)+v)
			}
		}
	}
	row("issuer", term.Wrap(en.Issuer, valCols))
	// A name has no spaces to wrap at: a long one is cut.
	row("account", term.Cut(en.Account, valCols))
	row("key", keyLines(otp.GroupSecret(en.Key.Secret), valCols))
	row("type", term.Wrap("time-based, 6 digits, SHA1, 30 s", valCols))
	return lines
}

// keyLines splits the key, in groups of four, into lines of at most cols
// columns: all on one line if it fits, else four groups a line (two even
// lines for a 160-bit key) where they fit.
func keyLines(grouped string, cols int) []string {
	if term.Width(grouped) <= cols {
		return []string{grouped}
	}
	groups := strings.Fields(grouped)
	per := 4
	if cols < len("ABCD EFGH IJKL MNOP") {
		per = max(1, (cols+1)/len("ABCD "))
	}
	var lines []string
	for i := 0; i < len(groups); i += per {
		lines = append(lines, strings.Join(groups[i:min(i+per, len(groups))], " "))
	}
	return lines
}
