package migrate

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	potp "github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// RFC 6238's seeds, in base32.
const (
	seed1   = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	seed256 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA"
	seed512 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNA"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type fixtureCase struct {
	file   string
	format string // what Detect says
	serial string
	want   Token // Format is filled in from format
	warns  []string
	err    string // fragment of Parse's error; "" for success
}

var fixtureCases = []fixtureCase{
	{file: "google_authenticator", format: GoogleAuthenticator,
		want: Token{Secret: "BE2WET6BC6WDZJOK5TOUXUBOCOLNIKUJ", Digits: 6, Period: 30, Algorithm: SHA1,
			Scratch: []string{"56948968", "89230919", "99311059", "90224745", "23222042"}},
		warns: []string{"allowed 17 codes around the current one (WINDOW_SIZE)"}},
	// An 80-bit secret as google-authenticator wrote before 2017, with the
	// state pam_google_authenticator appends, and a 60-second step.
	{file: "google_authenticator-old", format: GoogleAuthenticator,
		want: Token{Secret: "5WASX23BE2V4UHQW", Digits: 6, Period: 60, Algorithm: SHA1,
			Scratch: []string{"84017852", "88270770"}},
		warns: []string{"only 80 bits, below the 128 recommended"}},
	{file: "google_authenticator-hotp", format: GoogleAuthenticator, err: "counter-based codes (HOTP_COUNTER)"},

	{file: "otpauth-full.txt", format: Otpauth,
		want: Token{Secret: "ZCLIIA2HVXDUIH2AIOSV4EYY6SFYTB2O", Digits: 8, Period: 60, Algorithm: SHA256,
			Issuer: "ACME Co & Sons", Account: "alice+ops@example.com"}},
	{file: "otpauth-minimal.txt", format: Otpauth,
		want: Token{Secret: "PKBQLSSPLITDIFOL7FULCEOCOIBFBP27", Digits: 6, Period: 30, Algorithm: SHA1, Account: "alice"}},
	// An escaped colon in the label, lower-case algorithm, a secret in
	// groups with padding, and a parameter authctl does not use.
	{file: "otpauth-sha512.txt", format: Otpauth,
		want: Token{Secret: "RPUIOBU7H55G6SORFLMU5G577BPNDZVIVM7DHMH4ETO4OSBYGBLQ", Digits: 6, Period: 30, Algorithm: SHA512,
			Issuer: "Example", Account: "bob"}},
	{file: "otpauth-hotp.txt", format: Otpauth, err: "counter-based codes (hotp)"},

	{file: "rfc6030-figure2-totp.xml", format: PSKC,
		want: Token{Secret: seed1, Digits: 6, Period: 30, Algorithm: SHA1, Issuer: "Issuer-A"}},
	{file: "rfc6030-figure3-totp.xml", format: PSKC,
		want: Token{Secret: seed1, Digits: 8, Period: 30, Algorithm: SHA1, Issuer: "Issuer", Serial: "987654321"}},
	{file: "rfc6030-figure3-totp.xml", format: PSKC, serial: "987654321",
		want: Token{Secret: seed1, Digits: 8, Period: 30, Algorithm: SHA1, Issuer: "Issuer", Serial: "987654321"}},
	{file: "rfc6030-figure3-totp.xml", format: PSKC, serial: "98765432", err: `no key in the PSKC file has serial number "98765432" (serial numbers "987654321")`},
	{file: "freeipa-tokens.xml", format: PSKC, err: `holds 5 keys (serial numbers "1000133508267", "1000133508268", "1000133508269", "60233847", "2000133508001")`},
	{file: "freeipa-tokens.xml", format: PSKC, serial: "1000133508267",
		want: Token{Secret: "ZCLIIA2HVXDUIH2AIOSV4EYY6SFYTB2O", Digits: 6, Period: 30, Algorithm: SHA1, Issuer: "ACME", Account: "alice", Serial: "1000133508267"}},
	{file: "freeipa-tokens.xml", format: PSKC, serial: "1000133508268",
		want: Token{Secret: seed256, Digits: 8, Period: 30, Algorithm: SHA256, Issuer: "ACME", Serial: "1000133508268"}},
	{file: "freeipa-tokens.xml", format: PSKC, serial: "1000133508269",
		want: Token{Secret: seed512, Digits: 8, Period: 30, Algorithm: SHA512, Serial: "1000133508269"}},
	{file: "freeipa-tokens.xml", format: PSKC, serial: "60233847",
		want: Token{Secret: "RPUIOBU7H55G6SORFLMU5G577BPNDZVIVM7DHMH4ETO4OSBYGBLQ", Digits: 8, Period: 60, Algorithm: SHA256,
			Issuer: "ACME", Account: "bob@example.com", Serial: "60233847", Drift: -2}},
	{file: "freeipa-tokens.xml", format: PSKC, serial: "2000133508001", err: "counter-based codes (HOTP)"},
	{file: "rfc6030-figure6-encrypted.xml", format: PSKC, err: "encrypted (EncryptedValue)"},
	{file: "pskc-entity.xml", format: PSKC, err: "DOCTYPE"},
}

func TestFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.file+"/"+tc.serial, func(t *testing.T) {
			data := readFixture(t, tc.file)
			format, err := Detect(data)
			if err != nil || format != tc.format {
				t.Fatalf("Detect = %q, %v; want %q", format, err, tc.format)
			}
			tok, warns, err := Parse(data, format, tc.serial, false)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse error %v, want one mentioning %q", err, tc.err)
				}
				checkMessage(t, err.Error(), data)
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			want := tc.want
			want.Format = tc.format
			if !reflect.DeepEqual(tok, want) {
				t.Errorf("Parse =\n %+v\nwant\n %+v", tok, want)
			}
			if len(warns) != len(tc.warns) {
				t.Fatalf("warnings %q, want %d mentioning %q", warns, len(tc.warns), tc.warns)
			}
			for i, w := range warns {
				if !strings.Contains(w, tc.warns[i]) {
					t.Errorf("warning %q, want one mentioning %q", w, tc.warns[i])
				}
				checkMessage(t, w, data)
			}
		})
	}
}

// checkMessage fails when a message is not one line or holds the secret.
func checkMessage(t *testing.T, msg string, data []byte) {
	t.Helper()
	if strings.ContainsAny(msg, "\r\n") || msg == "" {
		t.Errorf("message is not one line: %q", msg)
	}
	for _, s := range []string{"BE2WET6B", "5WASX23B", "QLM4PHZL", "ZCLIIA2H", "zcliia2h", "PKBQLSSP", "RPUI", "MTIzNDU2", "GEZDGNBV", "yJaEA0et", "i+iHBp8", "gtnHnysz", "AAECAwQF"} {
		if strings.Contains(msg, s) {
			t.Errorf("message holds a secret: %q", msg)
		}
	}
}

// RFC 6238 Appendix B: the PSKC files holding its seeds give its codes.
func TestFixturesRFC6238(t *testing.T) {
	vectors := []struct {
		file, serial string
		at           int64
		want         string
	}{
		{"rfc6030-figure3-totp.xml", "", 59, "94287082"},
		{"rfc6030-figure3-totp.xml", "", 1111111109, "07081804"},
		{"rfc6030-figure3-totp.xml", "", 20000000000, "65353130"},
		{"rfc6030-figure2-totp.xml", "", 1234567890, "005924"},
		{"freeipa-tokens.xml", "1000133508268", 59, "46119246"},
		{"freeipa-tokens.xml", "1000133508268", 1111111111, "67062674"},
		{"freeipa-tokens.xml", "1000133508269", 59, "90693936"},
		{"freeipa-tokens.xml", "1000133508269", 2000000000, "38618901"},
	}
	for _, v := range vectors {
		tok, _, err := Parse(readFixture(t, v.file), PSKC, v.serial, false)
		if err != nil {
			t.Fatal(err)
		}
		if got := code(t, tok, v.at); got != v.want {
			t.Errorf("%s %s at T=%d: %s, want %s", v.file, v.serial, v.at, got, v.want)
		}
	}
}

// code is pquerna/otp's code for tok at Unix time at.
func code(t *testing.T, tok Token, at int64) string {
	t.Helper()
	alg := map[string]potp.Algorithm{SHA1: potp.AlgorithmSHA1, SHA256: potp.AlgorithmSHA256, SHA512: potp.AlgorithmSHA512}[tok.Algorithm]
	c, err := totp.GenerateCodeCustom(tok.Secret, time.Unix(at, 0).UTC(), totp.ValidateOpts{
		Period: uint(tok.Period), Digits: potp.Digits(tok.Digits), Algorithm: alg,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every fixture that parses gives, with the parameters read, the codes an
// independent implementation computes from the same file's values:
// oathtool (OATH Toolkit), run with the flags an admin would use.
func TestFixturesOathtool(t *testing.T) {
	if _, err := exec.LookPath("oathtool"); err != nil {
		t.Skip("oathtool is not installed (apt-get install oathtool)")
	}
	for _, tc := range fixtureCases {
		if tc.err != "" {
			continue
		}
		tok, _, err := Parse(readFixture(t, tc.file), tc.format, tc.serial, false)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []int64{59, 1111111109, 1700000000, 1700000029, 1700000031} {
			args := []string{"--totp=" + strings.ToLower(tok.Algorithm), "--digits=" + strconv.Itoa(tok.Digits),
				"--time-step-size=" + strconv.Itoa(tok.Period) + "s", "-N", "@" + strconv.FormatInt(at, 10), "-b", tok.Secret}
			out, err := exec.Command("oathtool", args...).Output()
			if err != nil {
				t.Fatalf("oathtool %v: %v", args[:4], err)
			}
			if got, want := code(t, tok, at), strings.TrimSpace(string(out)); got != want {
				t.Errorf("%s %s at %d: pquerna/otp %s, oathtool %s", tc.file, tc.serial, at, got, want)
			}
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		head, want string // want "" is an error
		err        string
	}{
		{"otpauth://totp/a?secret=ABC", Otpauth, ""},
		{"\ufeff  \n OTPAUTH://TOTP/a?secret=ABC", Otpauth, ""},
		{"otpauth://hotp/a?secret=ABC", Otpauth, ""},
		{"otpauth-migration://offline?data=CjEKCkhlbGxv", "", "otpauth-migration"},
		{"<?xml version=\"1.0\"?><KeyContainer/>", PSKC, ""},
		{"\n<pskc:KeyContainer", PSKC, ""},
		{"JBSWY3DPEHPK3PXP\n\" TOTP_AUTH\n", GoogleAuthenticator, ""},
		{"jbsw y3dp ehpk 3pxp\r\n", GoogleAuthenticator, ""},
		{"JBSWY3D\n", "", "cannot tell"},
		{"name,password\nalice,x\n", "", "cannot tell"},
		{"{\"secret\":\"JBSWY3DPEHPK3PXP\"}", "", "cannot tell"},
		{"", "", "cannot tell"},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.head))
		if tt.want == "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Detect(%q) = %q, %v; want an error mentioning %q", tt.head, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Detect(%q) = %q, %v; want %q", tt.head, got, err, tt.want)
		}
	}
}

func TestNormalizeSecret(t *testing.T) {
	tests := []struct {
		in         string
		allowShort bool
		want       string
		warn       string // fragment of the one warning expected; "" for none
		err        string // fragment of the error; "" for none
	}{
		{in: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", want: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"},
		{in: "jbswy3dpehpk3pxpjbswy3dpehpk3pxp", want: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"},
		{in: " jbsw y3dp\tehpk 3pxp jbsw y3dp ehpk 3pxp ", want: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"},
		// 128 bits: 26 characters, padded to 32.
		{in: "PLWILNZNQOOG4LIVVSHOLZ3SPE======", want: "PLWILNZNQOOG4LIVVSHOLZ3SPE"},
		{in: "PLWILNZNQOOG4LIVVSHOLZ3SPE", want: "PLWILNZNQOOG4LIVVSHOLZ3SPE"},
		// Non-zero bits past the last byte name the same key.
		{in: "PLWILNZNQOOG4LIVVSHOLZ3SPF", want: "PLWILNZNQOOG4LIVVSHOLZ3SPE"},
		{in: "5WASX23BE2V4UHQW", want: "5WASX23BE2V4UHQW", warn: "only 80 bits, below the 128 recommended"},
		{in: "TI62CQGQIP776===", err: "only 64 bits; authctl refuses fewer than 80"},
		{in: "TI62CQGQIP776", allowShort: true, want: "TI62CQGQIP776", warn: "only 64 bits"},
		{in: "GEZDGNBV", allowShort: true, want: "GEZDGNBV", warn: "only 40 bits"},
		{in: "GEZDGNA", allowShort: true, err: "only 32 bits; authctl never accepts fewer than 40"},
		{in: "", err: "empty"},
		{in: " = ", err: "empty"},
		{in: "JBSWY3DPEHPK3PX0", err: "character 16 is not a letter or a digit 2 to 7"},
		{in: "JBSW-Y3DP-EHPK-3PXP", err: "character 5"},
		{in: "JBSWY3D=PEHPK3PXP", err: "character 8"},
		{in: "JBSWY3DPEHPK3PXPJ", err: "17 characters are not a whole number of bytes"},
		{in: strings.Repeat("A", 210), err: "longer than 1024 bits"},
		{in: strings.Repeat("A", 204), want: strings.Repeat("A", 204)},
		{in: "JBSWY3DPEHPK3PXPÉ", err: "character 17"},
	}
	for _, tt := range tests {
		got, warns, err := NormalizeSecret(tt.in, tt.allowShort)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeSecret(%q) = %q, %v; want an error mentioning %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("NormalizeSecret(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("NormalizeSecret(%q) = %q, want %q", tt.in, got, tt.want)
		}
		switch {
		case tt.warn == "" && len(warns) != 0:
			t.Errorf("NormalizeSecret(%q) warned %q", tt.in, warns)
		case tt.warn != "" && (len(warns) != 1 || !strings.Contains(warns[0], tt.warn)):
			t.Errorf("NormalizeSecret(%q) warned %q, want one mentioning %q", tt.in, warns, tt.warn)
		}
	}
	_, _, err := NormalizeSecret("TI62CQGQIP776", false)
	if !errors.Is(err, ErrShortSecret) {
		t.Errorf("a 64-bit secret: %v, want ErrShortSecret", err)
	}
	if _, _, err := NormalizeSecret("GEZDGNA", true); errors.Is(err, ErrShortSecret) {
		t.Errorf("a 32-bit secret with allowShort: %v is ErrShortSecret, which a flag could lift", err)
	}
}

func TestParseGoogleAuthenticator(t *testing.T) {
	const s = "BE2WET6BC6WDZJOK5TOUXUBOCOLNIKUJ\n"
	tests := []struct {
		name, in string
		period   int
		scratch  []string
		warn     string
		err      string
	}{
		{name: "only TOTP_AUTH", in: s + "\" TOTP_AUTH\n", period: 30},
		{name: "CRLF and no final newline", in: strings.ReplaceAll(s+"\" TOTP_AUTH\n12345678", "\n", "\r\n"), period: 30, scratch: []string{"12345678"}},
		{name: "blank lines and a repeated code", in: s + "\n\" TOTP_AUTH\n\n12345678\n12345678\n", period: 30, scratch: []string{"12345678"}},
		{name: "STEP_SIZE", in: s + "\" STEP_SIZE 45\n\" TOTP_AUTH\n", period: 45},
		{name: "STEP_SIZE too short", in: s + "\" STEP_SIZE 5\n\" TOTP_AUTH\n", err: "STEP_SIZE: a time step of 5 seconds is not supported (10 to 300)"},
		{name: "STEP_SIZE not a number", in: s + "\" STEP_SIZE x\n\" TOTP_AUTH\n", err: "line 2: STEP_SIZE is not a number"},
		{name: "unknown option", in: s + "\" TOTP_AUTH\n\" NEW_FEATURE 1\n", period: 30, warn: `option "NEW_FEATURE"`},
		{name: "WINDOW_SIZE 3 is authctl's", in: s + "\" WINDOW_SIZE 3\n\" TOTP_AUTH\n", period: 30},
		{name: "no TOTP_AUTH", in: s + "\" RATE_LIMIT 3 30\n12345678\n", err: "no \" TOTP_AUTH line"},
		{name: "HOTP and TOTP", in: s + "\" TOTP_AUTH\n\" HOTP_COUNTER 4\n", err: "HOTP_COUNTER"},
		{name: "OTP_DISABLED", in: s + "\" TOTP_AUTH\n\" OTP_DISABLED\n", err: "OTP_DISABLED"},
		{name: "7-digit code", in: s + "\" TOTP_AUTH\n1234567\n", err: "line 3 of the google-authenticator file is neither an option nor an 8-digit scratch code"},
		{name: "code starting with 0", in: s + "\" TOTP_AUTH\n01234567\n", err: "line 3"},
		{name: "code with a trailing space", in: s + "\" TOTP_AUTH\n12345678 \n", err: "line 3"},
		{name: "option without a space", in: s + "\"TOTP_AUTH\n", err: "line 2"},
		{name: "too many codes", in: s + "\" TOTP_AUTH\n" + strings.Repeat("12345678\n", 1) + "11111111\n22222222\n33333333\n44444444\n55555555\n66666666\n77777777\n88888888\n99999999\n98765432\n", err: "more than 10 scratch codes"},
		{name: "empty", in: "", err: "does not start with its secret"},
		{name: "option first", in: "\" TOTP_AUTH\n" + s, err: "does not start with its secret"},
		{name: "bad secret", in: "BE2WET6BC6WDZJOK5TOUXUBOCOLNIKU1\n\" TOTP_AUTH\n", err: "not base32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, warns, err := Parse([]byte(tt.in), GoogleAuthenticator, "", false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Period != tt.period || !reflect.DeepEqual(tok.Scratch, tt.scratch) || tok.Secret != strings.TrimSpace(s) {
				t.Errorf("token %+v, want period %d, scratch %q", tok, tt.period, tt.scratch)
			}
			if (tt.warn == "") != (len(warns) == 0) || (tt.warn != "" && !strings.Contains(warns[0], tt.warn)) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
		})
	}
}

func TestParseOtpauth(t *testing.T) {
	const s = "PKBQLSSPLITDIFOL7FULCEOCOIBFBP27"
	tests := []struct {
		in               string
		issuer, account  string
		digits, period   int
		alg              string
		warn, err        string
		secretOverridden string
	}{
		{in: "otpauth://totp/ACME:alice?secret=" + s + "&issuer=ACME", issuer: "ACME", account: "alice", digits: 6, period: 30, alg: SHA1},
		// RFC 3986: "+" is a plus sign; %20 a space; %3A inside a part
		// once a literal colon separates them.
		{in: "otpauth://totp/A%2BB%20Co:x%3Ay+z?secret=" + s, issuer: "A+B Co", account: "x:y+z", digits: 6, period: 30, alg: SHA1},
		{in: "otpauth://totp/ACME:%20%20alice?secret=" + s, issuer: "ACME", account: "alice", digits: 6, period: 30, alg: SHA1},
		{in: "otpauth://totp/%E6%97%A5%E6%9C%AC:%C3%A9mile?secret=" + s, issuer: "日本", account: "émile", digits: 6, period: 30, alg: SHA1},
		{in: "  OTPAUTH://TOTP/alice?SECRET=" + s + "&Digits=8&PERIOD=300&algorithm=Sha256\n\n", account: "alice", digits: 8, period: 300, alg: SHA256},
		{in: "otpauth://totp/alice?secret=" + s + "&period=10", account: "alice", digits: 6, period: 10, alg: SHA1},
		{in: "otpauth://totp/ACME:alice?secret=" + s + "&issuer=Other", issuer: "ACME", account: "alice", digits: 6, period: 30, alg: SHA1, warn: "two issuers"},
		{in: "otpauth://totp/alice?issuer=ACME&secret=" + s, issuer: "ACME", account: "alice", digits: 6, period: 30, alg: SHA1},
		{in: "otpauth://totp/alice?secret=" + s + "&digits=7", err: "7 digits are not supported"},
		{in: "otpauth://totp/alice?secret=" + s + "&digits=10", err: "10 digits"},
		{in: "otpauth://totp/alice?secret=" + s + "&period=9", err: "9 seconds is not supported (10 to 300)"},
		{in: "otpauth://totp/alice?secret=" + s + "&period=301", err: "301 seconds"},
		{in: "otpauth://totp/alice?secret=" + s + "&period=-30", err: "-30 seconds"},
		{in: "otpauth://totp/alice?secret=" + s + "&period=%2B30", err: "period parameter is not a number"},
		{in: "otpauth://totp/alice?secret=" + s + "&period=thirty", err: "period parameter is not a number"},
		{in: "otpauth://totp/alice?secret=" + s + "&algorithm=MD5", err: `algorithm "MD5" is not supported`},
		{in: "otpauth://totp/alice?secret=" + s + "&algorithm=SHA224", err: `algorithm "SHA224"`},
		{in: "otpauth://totp/alice?secret=" + s + "&secret=" + s, err: `parameter "secret" twice`},
		{in: "otpauth://totp/alice?secret=" + s + "&Digits=6&digits=8", err: `parameter "digits" twice`},
		{in: "otpauth://totp/alice?secret=", err: "no secret"},
		{in: "otpauth://totp/alice", err: "no secret"},
		{in: "otpauth://totp/alice?secret=" + s + "%ZZ", err: `malformed percent-escape in the parameter "secret"`},
		{in: "otpauth://totp/al%ice?secret=" + s, err: "malformed percent-escape in the account name"},
		{in: "otpauth://totp/al%FFice?secret=" + s, err: "invalid UTF-8"},
		{in: "otpauth://totp/alice?secret=" + s + "#frag", err: "fragment"},
		{in: "otpauth://hotp/alice?secret=" + s + "&counter=1", err: "counter-based codes (hotp)"},
		{in: "otpauth://steam/alice?secret=" + s, err: `type "steam" is not totp`},
		{in: "otpauth://totp?secret=" + s, err: "no label"},
		{in: "https://example.com/?secret=" + s, err: "not an otpauth URI"},
		{in: "otpauth-migration://offline?data=CjEKCkhlbGxv", err: "otpauth-migration"},
		{in: "otpauth://totp/a?secret=" + s + "\notpauth://totp/b?secret=" + s, err: "more than one line"},
		{in: "otpauth://totp/alice?secret=TI62CQGQIP776", err: "only 64 bits"},
	}
	for _, tt := range tests {
		tok, warns, err := Parse([]byte(tt.in), Otpauth, "", false)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want one mentioning %q", tt.in, err, tt.err)
			} else if strings.Contains(err.Error(), s) {
				t.Errorf("%s: error holds the secret: %v", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		want := Token{Secret: s, Digits: tt.digits, Period: tt.period, Algorithm: tt.alg, Issuer: tt.issuer, Account: tt.account, Format: Otpauth}
		if !reflect.DeepEqual(tok, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.in, tok, want)
		}
		if (tt.warn == "") != (len(warns) == 0) || (tt.warn != "" && !strings.Contains(warns[0], tt.warn)) {
			t.Errorf("%s: warnings %q, want %q", tt.in, warns, tt.warn)
		}
	}
}

// pskcDoc wraps one KeyPackage's Key in a container.
func pskcDoc(key string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><SerialNo>42</SerialNo><UserId>dev-user</UserId></DeviceInfo>
    ` + key + `
  </KeyPackage>
</KeyContainer>`
}

const pskcSecretXML = `<Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret>`

func pskcKeyXML(params, data, rest string) string {
	return `<Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><AlgorithmParameters>` + params +
		`</AlgorithmParameters><Data>` + data + `</Data>` + rest + `</Key>`
}

func TestParsePSKC(t *testing.T) {
	tests := []struct {
		name, in string
		want     Token // Secret and Format are filled in
		warn     string
		err      string
	}{
		{name: "defaults", in: pskcDoc(pskcKeyXML("", pskcSecretXML, "")),
			want: Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: "42", Account: "dev-user"}},
		{name: "key UserId wins", in: pskcDoc(pskcKeyXML("", pskcSecretXML, "<UserId>alice</UserId>")),
			want: Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: "42", Account: "alice"}},
		{name: "suite names", in: pskcDoc(pskcKeyXML(`<Suite> Hmac-Sha-512 </Suite><ResponseFormat Length=" 8 " Encoding="decimal" CheckDigits="0"/>`,
			pskcSecretXML+`<TimeInterval><PlainValue> 60 </PlainValue></TimeInterval><Time><PlainValue>0</PlainValue></Time>`, "<Policy><KeyUsage>OTP</KeyUsage></Policy>")),
			want: Token{Digits: 8, Period: 60, Algorithm: SHA512, Serial: "42", Account: "dev-user"}},
		{name: "empty suite is SHA1", in: pskcDoc(pskcKeyXML(`<Suite></Suite>`, pskcSecretXML, "")),
			want: Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: "42", Account: "dev-user"}},
		{name: "sha384", in: pskcDoc(pskcKeyXML(`<Suite>SHA384</Suite>`, pskcSecretXML, "")), err: "uses SHA384, which authctl does not support"},
		{name: "unknown suite", in: pskcDoc(pskcKeyXML(`<Suite>OCRA-1:HOTP-SHA1-6:QN08</Suite>`, pskcSecretXML, "")), err: `Suite "OCRA-1:HOTP-SHA1-6:QN08" names no hash`},
		{name: "7 digits", in: pskcDoc(pskcKeyXML(`<ResponseFormat Length="7" Encoding="DECIMAL"/>`, pskcSecretXML, "")), err: "7 digits"},
		{name: "length not a number", in: pskcDoc(pskcKeyXML(`<ResponseFormat Length="six"/>`, pskcSecretXML, "")), err: "Length is not a number"},
		{name: "hex codes", in: pskcDoc(pskcKeyXML(`<ResponseFormat Length="6" Encoding="HEXADECIMAL"/>`, pskcSecretXML, "")), err: `"HEXADECIMAL", not DECIMAL`},
		{name: "check digits", in: pskcDoc(pskcKeyXML(`<ResponseFormat Length="6" Encoding="DECIMAL" CheckDigits="true"/>`, pskcSecretXML, "")), err: "check digit"},
		{name: "T0", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<Time><PlainValue>100</PlainValue></Time>`, "")), err: "Time is not 0"},
		{name: "interval too long", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<TimeInterval><PlainValue>3600</PlainValue></TimeInterval>`, "")), err: "3600 seconds"},
		{name: "interval not a number", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<TimeInterval><PlainValue>30s</PlainValue></TimeInterval>`, "")), err: "TimeInterval is not a number"},
		{name: "encrypted interval", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<TimeInterval><EncryptedValue/></TimeInterval>`, "")), err: "encrypted"},
		{name: "drift", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<TimeDrift><PlainValue>1</PlainValue></TimeDrift>`, "")),
			want: Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: "42", Account: "dev-user", Drift: 1}},
		{name: "drift too far", in: pskcDoc(pskcKeyXML("", pskcSecretXML+`<TimeDrift><PlainValue>500</PlainValue></TimeDrift>`, "")),
			want: Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: "42", Account: "dev-user"}, warn: "drifts by 500 steps"},
		{name: "PIN", in: pskcDoc(pskcKeyXML("", pskcSecretXML, `<Policy><PINPolicy MinLength="4"/></Policy>`)), err: "PIN"},
		{name: "transactions", in: pskcDoc(pskcKeyXML("", pskcSecretXML, `<Policy><NumberOfTransactions>5</NumberOfTransactions></Policy>`)), err: "NumberOfTransactions"},
		{name: "usage", in: pskcDoc(pskcKeyXML("", pskcSecretXML, `<Policy><KeyUsage>Encrypt</KeyUsage></Policy>`)), err: "KeyUsage"},
		{name: "no secret", in: pskcDoc(pskcKeyXML("", "", "")), err: "has no secret"},
		{name: "key reference", in: pskcDoc(`<Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><KeyReference>MasterKey</KeyReference></Key>`), err: "KeyReference"},
		{name: "no plain value", in: pskcDoc(pskcKeyXML("", "<Secret></Secret>", "")), err: "no PlainValue"},
		{name: "not base64", in: pskcDoc(pskcKeyXML("", "<Secret><PlainValue>not*base64</PlainValue></Secret>", "")), err: "not base64"},
		{name: "empty secret", in: pskcDoc(pskcKeyXML("", "<Secret><PlainValue></PlainValue></Secret>", "")), err: "empty"},
		{name: "short secret", in: pskcDoc(pskcKeyXML("", "<Secret><PlainValue>mj2hQNBD//8=</PlainValue></Secret>", "")), err: "only 64 bits"},
		{name: "algorithm", in: pskcDoc(`<Key Algorithm="http://www.rsa.com/names/2008/04/algorithms/SecurID#SecurID-AES">` + pskcSecretXML + `</Key>`), err: "is not TOTP"},
		{name: "no key", in: `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage/></KeyContainer>`, err: "holds no key"},
		{name: "draft namespace", in: `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc:1.0"/>`, err: "not an RFC 6030 PSKC file"},
		{name: "no namespace", in: `<KeyContainer Version="1.0"/>`, err: "not an RFC 6030 PSKC file"},
		{name: "other root", in: `<?xml version="1.0"?><html/>`, err: "not a KeyContainer"},
		{name: "not XML", in: `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage></KeyContainer>`, err: "not well-formed XML (line 1)"},
		{name: "undefined entity", in: "\n\n" + pskcDoc(pskcKeyXML("", pskcSecretXML, "<UserId>&secret;</UserId>")), err: "not well-formed XML (line 7)"},
		{name: "second root", in: pskcDoc(pskcKeyXML("", pskcSecretXML, "")) + "<KeyContainer/>", err: "more after its KeyContainer"},
		{name: "text after", in: pskcDoc(pskcKeyXML("", pskcSecretXML, "")) + "\nhello", err: "text after"},
		{name: "ISO-8859-1", in: `<?xml version="1.0" encoding="ISO-8859-1"?>` + "\n" + `<KeyContainer/>`, err: "cannot be read as XML (line 1)"},
		{name: "empty", in: "", err: "holds no XML element"},
		{name: "text", in: "otpauth://totp/a?secret=MTIzNDU2", err: "does not start with an XML element"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, warns, err := Parse([]byte(tt.in), PSKC, "", false)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.err)
				}
				if strings.Contains(err.Error(), "MTIzNDU2") || strings.Contains(err.Error(), "mj2hQNBD") {
					t.Fatalf("error holds the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.Secret, want.Format = seed1, PSKC
			if !reflect.DeepEqual(tok, want) {
				t.Errorf("got %+v\nwant %+v", tok, want)
			}
			if (tt.warn == "") != (len(warns) == 0) || (tt.warn != "" && !strings.Contains(warns[0], tt.warn)) {
				t.Errorf("warnings %q, want %q", warns, tt.warn)
			}
		})
	}
}

func TestParseSerials(t *testing.T) {
	two := `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
<KeyPackage><DeviceInfo><SerialNo>7</SerialNo></DeviceInfo>` + pskcKeyXML("", pskcSecretXML, "") + `</KeyPackage>
<KeyPackage><DeviceInfo><SerialNo> 7 </SerialNo></DeviceInfo>` + pskcKeyXML("", pskcSecretXML, "") + `</KeyPackage>
<KeyPackage>` + pskcKeyXML("", pskcSecretXML, "") + `</KeyPackage>
</KeyContainer>`
	_, _, err := Parse([]byte(two), PSKC, "7", false)
	if err == nil || !strings.Contains(err.Error(), `2 keys in the PSKC file have serial number "7"`) {
		t.Errorf("two keys with one serial: %v", err)
	}
	var se *SerialError
	_, _, err = Parse([]byte(two), PSKC, "", false)
	if !errors.As(err, &se) || se.Count != 3 || !reflect.DeepEqual(se.Serials, []string{"7", "7"}) {
		t.Errorf("three keys, no serial asked: %v (%+v)", err, se)
	}
	// More than 10 serials are counted, not all listed.
	var many strings.Builder
	many.WriteString(`<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">`)
	for i := range 12 {
		many.WriteString(`<KeyPackage><DeviceInfo><SerialNo>` + strconv.Itoa(100+i) + `</SerialNo></DeviceInfo>` + pskcKeyXML("", pskcSecretXML, "") + `</KeyPackage>`)
	}
	many.WriteString(`</KeyContainer>`)
	_, _, err = Parse([]byte(many.String()), PSKC, "", false)
	if err == nil || !strings.Contains(err.Error(), `holds 12 keys (serial numbers "100", `) || !strings.Contains(err.Error(), `"109" and 2 more)`) {
		t.Errorf("12 keys: %v", err)
	}
	// A serial number belongs to PSKC files only.
	for _, f := range []string{GoogleAuthenticator, Otpauth} {
		if _, _, err := Parse([]byte("x"), f, "7", false); err == nil || !strings.Contains(err.Error(), "files hold one key") {
			t.Errorf("%s with a serial: %v", f, err)
		}
	}
}

func TestParseLimits(t *testing.T) {
	big := make([]byte, MaxFile+1)
	for _, f := range Formats {
		if _, _, err := Parse(big, f, "", false); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s over MaxFile: %v", f, err)
		}
	}
	if _, _, err := Parse([]byte("x"), "auto", "", false); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("format auto: %v", err)
	}
	// allowShort lets a 64-bit secret in, with a warning.
	tok, warns, err := Parse([]byte("otpauth://totp/a?secret=TI62CQGQIP776"), Otpauth, "", true)
	if err != nil || tok.Secret != "TI62CQGQIP776" || len(warns) != 1 {
		t.Errorf("short secret allowed: %+v, %q, %v", tok, warns, err)
	}
}
