package term

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/mdp/qrterminal/v3"
	"rsc.io/qr"
)

// QR drawing modes. Half blocks fit a 160-bit otpauth URI into an 80x24
// terminal; "half-invert" is for terminals with dark text on a light
// background; "ansi" paints with background colours, twice as large but
// right on any theme.
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

// DrawQR writes text as a QR code in the given mode.
func DrawQR(w io.Writer, text, mode string) error {
	if err := CheckQRMode(mode); err != nil {
		return err
	}
	cfg := qrterminal.Config{Level: qr.L, Writer: w, QuietZone: qrQuietZone}
	switch mode {
	case QRHalf:
		// Light modules are drawn in the foreground colour (light on a dark
		// terminal), dark modules are left as background.
		cfg.HalfBlocks = true
		cfg.BlackChar, cfg.WhiteChar = qrterminal.BLACK_BLACK, qrterminal.WHITE_WHITE
		cfg.BlackWhiteChar, cfg.WhiteBlackChar = qrterminal.BLACK_WHITE, qrterminal.WHITE_BLACK
	case QRHalfInvert:
		cfg.HalfBlocks = true
		cfg.BlackChar, cfg.WhiteChar = qrterminal.WHITE_WHITE, qrterminal.BLACK_BLACK
		cfg.BlackWhiteChar, cfg.WhiteBlackChar = qrterminal.WHITE_BLACK, qrterminal.BLACK_WHITE
	case QRANSI:
		cfg.BlackChar, cfg.WhiteChar = qrterminal.BLACK, qrterminal.WHITE
	}
	qrterminal.GenerateWithConfig(text, cfg)
	return nil
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
