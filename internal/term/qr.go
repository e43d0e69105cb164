package term

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// QR drawing modes. Half blocks (one column and half a line a module) fit
// the otpauth URI of a 160-bit secret into an 80x24 terminal beside the
// details for typing it by hand; "ansi" paints every module with a
// background colour, two columns by one line, twice as large.
//
// Where the terminal takes colours (see Colour), both half-block modes are
// drawn black on white with explicit SGR colours, quiet zone included, so
// the code scans on dark and light themes alike. Without colours (NO_COLOR,
// TERM=dumb) the half blocks take the terminal's own colours and the mode
// must match the theme: "half" for light text on a dark background,
// "half-invert" for dark text on a light one.
const (
	QRHalf       = "half"
	QRHalfInvert = "half-invert"
	QRANSI       = "ansi"
)

// QRModes lists the valid --qr-mode values.
var QRModes = []string{QRHalf, QRHalfInvert, QRANSI}

// CheckQRMode reports whether mode is known.
func CheckQRMode(mode string) error {
	for _, m := range QRModes {
		if m == mode {
			return nil
		}
	}
	return fmt.Errorf("unknown QR mode %q (use %s)", mode, strings.Join(QRModes, ", "))
}

// qrQuietZone is the white margin in modules. The QR spec asks for 4;
// scanners of authenticator apps read a 2-module margin reliably on a
// terminal, and it keeps the code inside 24 lines.
const qrQuietZone = 2

// SGR sequences of the coloured half blocks: black foreground (the dark
// modules) on white. 47 is the white every colour terminal has; 107, bright
// white, follows it where the terminal knows it (a terminal ignores an SGR
// parameter it does not know), for more contrast.
const (
	sgrBlackOnWhite = "\x1b[30;47;107m"
	sgrWhite        = "\x1b[37;97;49m"
	sgrReset        = "\x1b[0m"
)

// Colour reports whether authctl may draw in colour, from the environment:
// not when NO_COLOR is set to anything (https://no-color.org), nor on a
// terminal that names itself dumb or does not name itself at all.
func Colour(getenv func(string) string) bool {
	return getenv("NO_COLOR") == "" && CanRedraw(getenv)
}

// CanRedraw reports whether the terminal understands the VT100 sequences
// that clear the screen and move the cursor: every terminal but one that
// names itself dumb, or does not name itself (TERM unset).
func CanRedraw(getenv func(string) string) bool {
	t := getenv("TERM")
	return t != "" && t != "dumb"
}

// RenderQR draws text as a QR code in the given mode and returns the lines
// of the drawing, without line ends, and their width in columns. colour
// paints the half blocks black on white (see Colour); "ansi" is always in
// colour, as asked for on the command line.
func RenderQR(text, mode string, colour bool) ([]string, int, error) {
	if err := CheckQRMode(mode); err != nil {
		return nil, 0, err
	}
	var b bytes.Buffer
	cfg := qrterminal.Config{Level: qr.L, Writer: &b, QuietZone: qrQuietZone}
	darkIsInk := mode == QRHalfInvert || colour
	switch {
	case mode == QRANSI:
		cfg.BlackChar, cfg.WhiteChar = qrterminal.BLACK, qrterminal.WHITE
	case darkIsInk:
		// Dark modules in the foreground colour: dark text on a light
		// terminal, or black on the white painted behind it.
		cfg.HalfBlocks = true
		cfg.BlackChar, cfg.WhiteChar = qrterminal.WHITE_WHITE, qrterminal.BLACK_BLACK
		cfg.BlackWhiteChar, cfg.WhiteBlackChar = qrterminal.WHITE_BLACK, qrterminal.BLACK_WHITE
	default:
		// Light modules in the foreground colour (light on a dark
		// terminal), dark modules left as background.
		cfg.HalfBlocks = true
		cfg.BlackChar, cfg.WhiteChar = qrterminal.BLACK_BLACK, qrterminal.WHITE_WHITE
		cfg.BlackWhiteChar, cfg.WhiteBlackChar = qrterminal.BLACK_WHITE, qrterminal.WHITE_BLACK
	}
	qrterminal.GenerateWithConfig(text, cfg)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	last := len(lines) - 1
	if darkIsInk && mode != QRANSI {
		// qrterminal ends the half blocks with a line whose upper half is
		// the quiet zone and whose lower half is dark, which it leaves to
		// the background of a dark terminal; drawn in ink it would be a
		// dark stripe under the code. Here it is background.
		bottom := strings.Repeat(" ", Width(lines[last]))
		if colour {
			bottom = sgrWhite + strings.Repeat(qrterminal.WHITE_BLACK, Width(lines[last])) + sgrReset
		}
		lines[last] = bottom
	}
	cols := 0
	for i, l := range lines {
		if colour && mode != QRANSI && i != last {
			// Every line starts and ends its own colours, so nothing
			// bleeds into the text beside it or the line below.
			lines[i] = sgrBlackOnWhite + l + sgrReset
		}
		cols = max(cols, Width(lines[i]))
	}
	return lines, cols, nil
}

// DrawQR writes text as a QR code in the given mode (see RenderQR).
func DrawQR(w io.Writer, text, mode string, colour bool) error {
	lines, _, err := RenderQR(text, mode, colour)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// WriteQRPNG writes text as a QR code PNG to path with mode 0600.
func WriteQRPNG(path, text string) error {
	code, err := qr.Encode(text, qr.M)
	if err != nil {
		return err
	}
	code.Scale = 8
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(code.PNG()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
