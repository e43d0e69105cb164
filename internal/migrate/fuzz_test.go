package migrate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// seedFixtures adds every file in testdata, so each parser also starts
// from the other formats' files.
func seedFixtures(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b, "")
		}
	}
}

var canonical = regexp.MustCompile(`^[A-Z2-7]+$`)

// checkToken is what every successful Parse guarantees, whatever the input.
func checkToken(t *testing.T, tok Token, warns []string, err error, format string) {
	t.Helper()
	if err != nil {
		if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("%s: error is not one line: %q", format, msg)
		}
		if tok.Secret != "" || warns != nil {
			t.Fatalf("%s: error %v with a token or warnings", format, err)
		}
		return
	}
	if !canonical.MatchString(tok.Secret) {
		t.Fatalf("%s: secret %q is not upper-case base32 without padding", format, tok.Secret)
	}
	if again, _, err := NormalizeSecret(tok.Secret, true); err != nil || again != tok.Secret {
		t.Fatalf("%s: secret %q does not normalise to itself: %q, %v", format, tok.Secret, again, err)
	}
	if err := checkParams(tok.Digits, tok.Period, tok.Algorithm); err != nil {
		t.Fatalf("%s: token %+v: %v", format, tok, err)
	}
	if tok.Format != format {
		t.Fatalf("token of format %q read as %q", tok.Format, format)
	}
	if len(tok.Scratch) > MaxScratch || (format != GoogleAuthenticator && len(tok.Scratch) > 0) {
		t.Fatalf("%s: %d scratch codes", format, len(tok.Scratch))
	}
	for _, c := range tok.Scratch {
		if !isScratch(c) {
			t.Fatalf("%s: scratch code %q", format, c)
		}
	}
	for _, w := range warns {
		if w == "" || strings.ContainsAny(w, "\r\n") || !utf8.ValidString(w) {
			t.Fatalf("%s: warning is not one line: %q", format, w)
		}
	}
}

func fuzzFormat(f *testing.F, format string, seeds ...string) {
	seedFixtures(f)
	for _, s := range seeds {
		f.Add([]byte(s), "")
	}
	f.Fuzz(func(t *testing.T, data []byte, serial string) {
		if format != PSKC {
			serial = ""
		}
		for _, allowShort := range []bool{false, true} {
			tok, warns, err := Parse(data, format, serial, allowShort)
			checkToken(t, tok, warns, err, format)
			if err == nil && format == PSKC && serial != "" && tok.Serial != serial {
				t.Fatalf("asked for serial %q, got %q", serial, tok.Serial)
			}
		}
		// Detect never panics, and names a format or says it cannot.
		if got, err := Detect(data); err == nil && got != GoogleAuthenticator && got != Otpauth && got != PSKC {
			t.Fatalf("Detect = %q", got)
		}
	})
}

func FuzzParseGoogleAuthenticator(f *testing.F) {
	fuzzFormat(f, GoogleAuthenticator,
		"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n",
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\r\n\" STEP_SIZE 60\r\n\" TOTP_AUTH\r\n12345678\r\n",
		"JBSWY3DPEHPK3PXP\n\" WINDOW_SIZE 99999999999999999999\n\" TOTP_AUTH\n",
		"\" TOTP_AUTH\n")
}

func FuzzParseOtpauth(f *testing.F) {
	fuzzFormat(f, Otpauth,
		"otpauth://totp/A%20B:c%40d?secret=JBSWY3DPEHPK3PXP&issuer=A%20B&digits=8&period=60&algorithm=SHA512",
		"otpauth://totp/%3A?secret=%3D&&=&digits=0008",
		"otpauth://totp/x%3Ay?secret=JBSWY3DPEHPK3PXP#",
		"otpauth-migration://offline?data=x")
}

func FuzzParsePSKC(f *testing.F) {
	fuzzFormat(f, PSKC,
		pskcDoc(pskcKeyXML(`<Suite>sha256</Suite><ResponseFormat Length="8"/>`, pskcSecretXML+`<TimeInterval><PlainValue>60</PlainValue></TimeInterval>`, "")),
		pskcDoc(pskcKeyXML("", "<Secret><EncryptedValue/></Secret>", "")),
		`<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><KeyContainer>&a;</KeyContainer>`)
	f.Add([]byte(pskcDoc(pskcKeyXML("", pskcSecretXML, ""))), "42")
}

func FuzzNormalizeSecret(f *testing.F) {
	for _, s := range []string{"JBSWY3DPEHPK3PXP", "jbsw y3dp ehpk 3pxp====", "TI62CQGQIP776", "GEZDGNA", "", "=", "A", strings.Repeat("7", 210), "JBSWY3D\x00PEHPK3PXP", "ÉÉÉÉÉÉÉÉ"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, allowShort bool) {
		out, warns, err := NormalizeSecret(s, allowShort)
		if err != nil {
			if out != "" || warns != nil || strings.ContainsAny(err.Error(), "\r\n") {
				t.Fatalf("NormalizeSecret(%q): %q, %q, %v", s, out, warns, err)
			}
			return
		}
		if !canonical.MatchString(out) {
			t.Fatalf("NormalizeSecret(%q) = %q", s, out)
		}
		raw, err := b32.DecodeString(out)
		bits := 8 * len(raw)
		if err != nil || bits < FloorBits || bits > MaxBits || (!allowShort && bits < MinBits) {
			t.Fatalf("NormalizeSecret(%q) = %q: %d bits, %v", s, out, bits, err)
		}
		if (bits < RecommendedBits) != (len(warns) == 1) {
			t.Fatalf("NormalizeSecret(%q): %d bits, warnings %q", s, bits, warns)
		}
		// Idempotent, and blind to case and spacing.
		spaced := strings.ToLower(strings.Join(strings.SplitAfterN(out, "", 4), " ")) + "=="
		for _, in := range []string{out, spaced} {
			if again, _, err := NormalizeSecret(in, allowShort); err != nil || again != out {
				t.Fatalf("NormalizeSecret(%q) = %q, %v; want %q", in, again, err, out)
			}
		}
	})
}
