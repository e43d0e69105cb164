package otp

import (
	"bytes"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode"

	potp "github.com/pquerna/otp"
)

// RFC 6238 Appendix B: the seeds are ASCII strings of 20, 32 and 64 bytes.
const (
	seedSHA1   = "12345678901234567890"
	seedSHA256 = "12345678901234567890123456789012"
	seedSHA512 = "1234567890123456789012345678901234567890123456789012345678901234"
)

func TestRFC6238Vectors(t *testing.T) {
	tests := []struct {
		unix   int64
		sha1   string
		sha256 string
		sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	algs := []struct {
		name string
		seed string
		alg  potp.Algorithm
		want func(int) string
	}{
		{"SHA1", seedSHA1, potp.AlgorithmSHA1, func(i int) string { return tests[i].sha1 }},
		{"SHA256", seedSHA256, potp.AlgorithmSHA256, func(i int) string { return tests[i].sha256 }},
		{"SHA512", seedSHA512, potp.AlgorithmSHA512, func(i int) string { return tests[i].sha512 }},
	}
	for _, a := range algs {
		secret := base32.StdEncoding.EncodeToString([]byte(a.seed))
		for i, tt := range tests {
			step := Step(time.Unix(tt.unix, 0))
			got, err := CodeAt(secret, step, 8, a.alg)
			if err != nil {
				t.Fatalf("%s T=%d: %v", a.name, tt.unix, err)
			}
			if want := a.want(i); got != want {
				t.Errorf("%s T=%d (step %d): code %s, want %s", a.name, tt.unix, step, got, want)
			}
		}
	}
}

func TestStep(t *testing.T) {
	tests := []struct {
		unix int64
		want int64
	}{{0, 0}, {29, 0}, {30, 1}, {59, 1}, {60, 2}, {1111111109, 37037036}, {20000000000, 666666666}}
	for _, tt := range tests {
		if got := Step(time.Unix(tt.unix, 0)); got != tt.want {
			t.Errorf("Step(%d) = %d, want %d", tt.unix, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte(seedSHA1))
	now := time.Unix(1_700_000_015, 0) // mid-step
	cur := Step(now)
	code := func(step int64) string {
		c, err := CodeAt(secret, step, Digits, potp.AlgorithmSHA1)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		lastStep int64
		wantStep int64
		wantErr  error
	}{
		{"current", code(cur), 0, cur, nil},
		{"previous", code(cur - 1), 0, cur - 1, nil},
		{"next", code(cur + 1), 0, cur + 1, nil},
		{"two back", code(cur - 2), 0, 0, ErrWrongCode},
		{"two ahead", code(cur + 2), 0, 0, ErrWrongCode},
		{"an hour ago", code(cur - 120), 0, 0, ErrWrongCode},
		{"wrong", wrongCode(code(cur-1), code(cur), code(cur+1)), 0, 0, ErrWrongCode},
		{"current replayed", code(cur), cur, 0, ErrReplay},
		{"previous after current used", code(cur - 1), cur, 0, ErrReplay},
		{"previous after previous used", code(cur - 1), cur - 1, 0, ErrReplay},
		{"current after previous used", code(cur), cur - 1, cur, nil},
		{"next after current used", code(cur + 1), cur, cur + 1, nil},
		{"next replayed", code(cur + 1), cur + 1, 0, ErrReplay},
		{"two back, old last step", code(cur - 2), cur - 5, 0, ErrWrongCode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := Check(secret, tt.code, now, tt.lastStep)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Check = %d, %v; want %d, %v", step, err, tt.wantErr, tt.wantErr)
			}
			if err == nil && step != tt.wantStep {
				t.Fatalf("Check matched step %d, want %d", step, tt.wantStep)
			}
		})
	}
	// The window moves with the clock: the code of cur+1 is "current" 30 s later
	// and "two back" 90 s after that.
	if s, err := Check(secret, code(cur+1), now.Add(30*time.Second), 0); err != nil || s != cur+1 {
		t.Errorf("30 s later: %d, %v", s, err)
	}
	if _, err := Check(secret, code(cur+1), now.Add(90*time.Second), 0); !errors.Is(err, ErrWrongCode) {
		t.Errorf("90 s later: %v, want ErrWrongCode", err)
	}
}

// wrongCode returns a 6-digit code different from all of avoid.
func wrongCode(avoid ...string) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		ok := true
		for _, a := range avoid {
			ok = ok && a != c
		}
		if ok {
			return c
		}
	}
	panic("unreachable")
}

func TestNewKey(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA5}, SecretSize)
	k, err := NewKey(bytes.NewReader(raw), "Example Co", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := b32.DecodeString(k.Secret); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("secret %q decodes to %x, %v; want the 20 random bytes", k.Secret, got, err)
	}
	if len(k.Secret) != 32 || strings.Contains(k.Secret, "=") {
		t.Errorf("secret %q: want 32 base32 characters without padding", k.Secret)
	}
	u, err := url.Parse(k.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	checks := map[string]string{
		"scheme": u.Scheme, "host": u.Host, "path": u.Path,
		"secret": q.Get("secret"), "issuer": q.Get("issuer"), "algorithm": q.Get("algorithm"),
		"digits": q.Get("digits"), "period": q.Get("period"),
	}
	want := map[string]string{
		"scheme": "otpauth", "host": "totp", "path": "/Example Co:alice@example.com",
		"secret": k.Secret, "issuer": "Example Co", "algorithm": "SHA1", "digits": "6", "period": "30",
	}
	for f, w := range want {
		if checks[f] != w {
			t.Errorf("URI %s: %s = %q, want %q", k.URI, f, checks[f], w)
		}
	}
	// Short reads fail rather than giving a weak secret.
	if _, err := NewKey(bytes.NewReader(raw[:10]), "x", "y"); err == nil {
		t.Error("NewKey accepted 10 random bytes")
	}
	// KeyFor rebuilds the same key from the secret.
	k2, err := KeyFor(k.Secret, "Example Co", "alice@example.com")
	if err != nil || k2 != k {
		t.Errorf("KeyFor = %+v, %v; want %+v", k2, err, k)
	}
	if _, err := KeyFor("not base32!", "x", "y"); err == nil {
		t.Error("KeyFor accepted a bad secret")
	}
}

func TestGroupSecret(t *testing.T) {
	tests := map[string]string{
		"":                                 "",
		"ABC":                              "ABC",
		"ABCD":                             "ABCD",
		"ABCDE":                            "ABCD E",
		"ABCDEFGH":                         "ABCD EFGH",
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP": "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
	}
	for in, want := range tests {
		if got := GroupSecret(in); got != want {
			t.Errorf("GroupSecret(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means rejected
	}{
		{"123456", "123456"},
		{"000000", "000000"},
		{" 123 456 ", "123456"},
		{"123 456", "123456"},
		{"\t123456\n", "123456"},
		{"1 2 3 4 5 6", "123456"},
		{"12345", ""},
		{"1234567", ""},
		{"", ""},
		{"      ", ""},
		{"12345a", ""},
		{"abcdef", ""},
		{"12345\x00", ""},
		{"+12345", ""},
		{"-12345", ""},
		{"123.45", ""},
		{"\u0661\u0662\u0663\u0664\u0665\u0666", ""}, // Arabic-Indic digits
		{"\uff11\uff12\uff13\uff14\uff15\uff16", ""}, // fullwidth digits
		{"12345\u0666", ""},
		{"123\u00a0456", ""}, // no-break space inside is not a typed space
		{"123456 123456", ""},
	}
	for _, tt := range tests {
		got, err := ParseCode(tt.in)
		if tt.want == "" {
			if err == nil {
				t.Errorf("ParseCode(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseCode(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseCode: an accepted code is 6 ASCII digits, is the input without
// its white space, and parses to itself.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"123456", " 123 456 ", "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "12\t34\n56", "\u00a0123456\u00a0", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCode(s)
		if err != nil {
			if c != "" {
				t.Fatalf("ParseCode(%q) returned %q with error %v", s, c, err)
			}
			return
		}
		if len(c) != Digits {
			t.Fatalf("ParseCode(%q) = %q: not %d long", s, c, Digits)
		}
		for i := 0; i < len(c); i++ {
			if c[i] < '0' || c[i] > '9' {
				t.Fatalf("ParseCode(%q) = %q: not ASCII digits", s, c)
			}
		}
		stripped := strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
		if stripped != c {
			t.Fatalf("ParseCode(%q) = %q, but the input without white space is %q", s, c, stripped)
		}
		if again, err := ParseCode(c); err != nil || again != c {
			t.Fatalf("ParseCode(%q) = %q, %v; want it unchanged", c, again, err)
		}
	})
}

func TestQRURI(t *testing.T) {
	k, err := KeyFor("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "Example Co", "alice@example.com")
	if err != nil {
		t.Fatal(err)
	}
	got := QRURI(k.URI)
	const want = "otpauth://totp/Example%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example%20Co"
	if got != want {
		t.Errorf("QRURI(%q)\n = %q\nwant %q", k.URI, got, want)
	}
	if len(k.URI)-len(got) != len("algorithm=SHA1&digits=6&&period=30") {
		t.Errorf("QRURI saves %d bytes", len(k.URI)-len(got))
	}
	// Values other than the defaults stay, in their order.
	other := "otpauth://totp/a:b?algorithm=SHA256&digits=8&issuer=a&period=60&secret=ABC"
	if got := QRURI(other); got != "otpauth://totp/a:b?algorithm=SHA256&digits=8&issuer=a&period=60&secret=ABC" {
		t.Errorf("QRURI(%q) = %q", other, got)
	}
}
