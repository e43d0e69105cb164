package secret

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// cheap are the argon2id parameters unit tests hash with.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func cheapHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := Hasher{Params: cheap}.Hash(pw)
	if err != nil {
		t.Fatalf("Hash(%q): %v", pw, err)
	}
	return h
}

// TestHashDefaultPHC is the one test that pays for the real parameters: it
// checks the stored form docs/security.md describes (What is stored, and
// how: argon2id at OWASP's parameters, m=19 MiB, t=2, p=1).
func TestHashDefaultPHC(t *testing.T) {
	want := regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	h := Hasher{Params: DefaultParams}
	phc, err := h.Hash("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !want.MatchString(phc) {
		t.Fatalf("Hash = %q, want it to match %s", phc, want)
	}
	ph, err := ParsePHC(phc)
	if err != nil {
		t.Fatal(err)
	}
	if len(ph.Salt) != 16 || len(ph.Key) != 32 {
		t.Errorf("salt %d bytes, key %d bytes; want 16 and 32", len(ph.Salt), len(ph.Key))
	}
	if rehash, err := h.Verify(phc, "correct horse battery staple"); err != nil || rehash {
		t.Errorf("Verify = %v, %v; want false, nil", rehash, err)
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	a, b := cheapHash(t, "same password"), cheapHash(t, "same password")
	if a == b {
		t.Fatalf("two hashes of one password are equal (%s): the salt is not random", a)
	}
}

func TestVerify(t *testing.T) {
	h := Hasher{Params: cheap}
	const composed = "caf\u00e9-cr\u00e8me-br\u00fbl\u00e9e"             // é, è, û as single code points
	const decomposed = "cafe\u0301-cre\u0300me-bru\u0302le\u0301e"       // base letter + combining mark
	const fullwidth = "\uff30\uff41\uff53\uff53\uff57\uff4f\uff52\uff44" // "Ｐａｓｓｗｏｒｄ"
	if composed == decomposed {
		t.Fatal("test strings are not different byte sequences")
	}
	tests := []struct {
		name    string
		stored  string // password hashed
		typed   string // password verified
		wantErr error
	}{
		{"same", "correct horse", "correct horse", nil},
		{"wrong", "correct horse", "correct horsE", ErrMismatch},
		{"empty typed", "correct horse", "", ErrMismatch},
		{"prefix", "correct horse", "correct hors", ErrMismatch},
		{"composed then decomposed", composed, decomposed, nil},
		{"decomposed then composed", decomposed, composed, nil},
		{"composed both", composed, composed, nil},
		{"fullwidth then ascii", fullwidth, "Password", nil},
		{"ascii then fullwidth", "Password", fullwidth, nil},
		{"ligature", "\ufb01ligree-pass", "filigree-pass", nil}, // ﬁ -> fi
		{"different accent", composed, "caf\u00e8-cr\u00e8me-br\u00fbl\u00e9e", ErrMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phc := cheapHash(t, tt.stored)
			rehash, err := h.Verify(phc, tt.typed)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Verify(hash of %q, %q) = %v, want %v", tt.stored, tt.typed, err, tt.wantErr)
			}
			if rehash {
				t.Errorf("rehash = true for a hash made with the current parameters")
			}
		})
	}
}

func TestVerifyRehashWhenParamsDiffer(t *testing.T) {
	old := Hasher{Params: cheap}
	phc := cheapHash(t, "password one")
	tests := []struct {
		name   string
		params Params
		want   bool
	}{
		{"same", cheap, false},
		{"more memory", Params{Memory: 128, Time: 1, Threads: 1}, true},
		{"more time", Params{Memory: 64, Time: 2, Threads: 1}, true},
		{"more threads", Params{Memory: 64, Time: 1, Threads: 2}, true},
		// Lowering the configured cost never weakens a stored hash.
		{"less memory", Params{Memory: 32, Time: 1, Threads: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rehash, err := Hasher{Params: tt.params}.Verify(phc, "password one")
			if err != nil {
				t.Fatal(err)
			}
			if rehash != tt.want {
				t.Errorf("rehash = %v, want %v", rehash, tt.want)
			}
		})
	}
	// A hash with a 16-byte key (another system's choice) verifies at its
	// own length and asks to be replaced by one of ours.
	salt := []byte("0123456789abcdef")
	key16 := argon2.IDKey([]byte("password one"), salt, 1, 64, 1, 16)
	short := fmt.Sprintf("$argon2id$v=19$m=64,t=1,p=1$%s$%s", b64.EncodeToString(salt), b64.EncodeToString(key16))
	if rehash, err := old.Verify(short, "password one"); err != nil || !rehash {
		t.Errorf("Verify(16-byte key) = %v, %v; want true, nil", rehash, err)
	}
	if _, err := old.Verify(short, "password two"); !errors.Is(err, ErrMismatch) {
		t.Errorf("Verify(16-byte key, wrong) = %v, want ErrMismatch", err)
	}
}

// needsRehash replaces a stored hash only by one that is at least as
// strong in every dimension (or that reaches the OWASP floor the stored one
// misses), and never by a weaker one.
func TestNeedsRehash(t *testing.T) {
	p := func(m, t uint32, th uint8) Params { return Params{Memory: m, Time: t, Threads: th} }
	cheap2 := p(64, 1, 1)
	tests := []struct {
		name            string
		stored, current Params
		salt, key       int // lengths; 0 means ours
		want            bool
	}{
		{name: "same", stored: cheap2, current: cheap2},
		{name: "same defaults", stored: DefaultParams, current: DefaultParams},
		{name: "more memory", stored: cheap2, current: p(128, 1, 1), want: true},
		{name: "more time", stored: cheap2, current: p(64, 2, 1), want: true},
		{name: "more threads", stored: cheap2, current: p(64, 1, 2), want: true},
		{name: "more of everything", stored: DefaultParams, current: p(65536, 3, 4), want: true},
		{name: "less memory", stored: p(128, 1, 1), current: cheap2},
		{name: "less time", stored: p(64, 3, 1), current: cheap2},
		{name: "less threads", stored: p(64, 1, 4), current: cheap2},
		{name: "stored stronger than the defaults", stored: p(65536, 3, 4), current: DefaultParams},
		{name: "more memory, fewer passes", stored: DefaultParams, current: p(47104, 1, 1)},
		{name: "less memory, more passes", stored: p(47104, 1, 1), current: DefaultParams},
		{name: "more memory, fewer threads", stored: p(19456, 2, 2), current: p(65536, 2, 1)},
		{name: "stored below the floor, more passes", stored: p(64, 3, 1), current: DefaultParams, want: true},
		{name: "stored far below the floor", stored: p(8, 100, 1), current: DefaultParams, want: true},
		{name: "both below the floor, mixed", stored: p(64, 3, 1), current: p(128, 1, 1)},
		{name: "short salt", stored: DefaultParams, current: DefaultParams, salt: 8, want: true},
		{name: "short key", stored: DefaultParams, current: DefaultParams, key: 16, want: true},
		{name: "short salt but stronger stored", stored: p(65536, 3, 1), current: DefaultParams, salt: 8},
		{name: "long salt and key", stored: DefaultParams, current: DefaultParams, salt: 32, key: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			salt, key := tt.salt, tt.key
			if salt == 0 {
				salt = saltLen
			}
			if key == 0 {
				key = keyLen
			}
			ph := PHC{Params: tt.stored, Salt: make([]byte, salt), Key: make([]byte, key)}
			if got := needsRehash(ph, tt.current); got != tt.want {
				t.Errorf("needsRehash(stored %+v, current %+v) = %v, want %v", tt.stored, tt.current, got, tt.want)
			}
		})
	}
}

// The floor is OWASP's table of equivalent minimums: a pair passes when it
// reaches any row in both memory and passes.
func TestCheckParams(t *testing.T) {
	p := func(m, t uint32) Params { return Params{Memory: m, Time: t, Threads: 1} }
	ok := []Params{
		DefaultParams, p(47104, 1), p(19456, 2), p(12288, 3), p(9216, 4), p(7168, 5),
		p(65536, 1), p(19456, 3), p(7168, 100), p(4<<20, 1), {Memory: 47104, Time: 1, Threads: 4},
	}
	refused := []Params{
		p(8, 1), p(1024, 1), p(47103, 1), p(19455, 2), p(19456, 1), p(12287, 3), p(12288, 2),
		p(9215, 4), p(9216, 3), p(7167, 5), p(7167, 100), p(46000, 1),
	}
	for _, q := range ok {
		if err := CheckParams(q); err != nil || !q.MeetsFloor() {
			t.Errorf("CheckParams(%+v) = %v, want nil", q, err)
		}
	}
	for _, q := range refused {
		err := CheckParams(q)
		if err == nil || q.MeetsFloor() {
			t.Errorf("CheckParams(%+v) accepted parameters below the floor", q)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, "argon2.memory") || strings.Contains(msg, "\n") {
			t.Errorf("CheckParams(%+v) = %q, want one line naming argon2.memory", q, msg)
		}
	}
	if err := CheckParams(DefaultParams); err != nil {
		t.Errorf("the defaults are below the floor: %v", err)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	h := Hasher{Params: cheap}
	const pw = "htpasswd-user-pw"
	base, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// bcrypt libraries write $2a$ or $2b$, Apache writes $2y$; all are one algorithm.
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		hash := prefix + string(base[4:])
		t.Run(prefix, func(t *testing.T) {
			if !IsBcrypt(hash) {
				t.Fatalf("IsBcrypt(%q) = false", hash)
			}
			if err := CheckHash(hash); err != nil {
				t.Fatalf("CheckHash: %v", err)
			}
			rehash, err := h.Verify(hash, pw)
			if err != nil || !rehash {
				t.Fatalf("Verify(right) = %v, %v; want true, nil", rehash, err)
			}
			if _, err := h.Verify(hash, pw+"x"); !errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify(wrong) = %v, want ErrMismatch", err)
			}
		})
	}
	// A bcrypt hash of an NFKC form verifies when typed in another form.
	nf, err := bcrypt.GenerateFromPassword([]byte("caf\u00e9 au lait"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Verify(string(nf), "cafe\u0301 au lait"); err != nil {
		t.Errorf("bcrypt hash of the composed form, typed decomposed: %v", err)
	}
}

func TestVerifyUnknownHash(t *testing.T) {
	h := Hasher{Params: cheap}
	for _, s := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$1$abc$def", "{SHA}abc"} {
		if _, err := h.Verify(s, "whatever pw"); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want an unsupported-hash error (not a mismatch)", s, err)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		ok   bool
	}{
		{"7 chars", "abcdefg", false},
		{"8 chars", "abcdefgh", true},
		{"empty", "", false},
		{"8 spaces", "        ", true},
		{"spaces inside", "a b c d e", true},
		{"emoji", "\U0001F511\U0001F511\U0001F511\U0001F511\U0001F511\U0001F511\U0001F511\U0001F511", true},
		{"7 emoji", strings.Repeat("\U0001F511", 7), false},
		{"1024 bytes", strings.Repeat("a", 1024), true},
		{"1025 bytes", strings.Repeat("a", 1025), false},
		{"1024 bytes multibyte", strings.Repeat("\u00e9", 512), true},
		{"1026 bytes multibyte", strings.Repeat("\u00e9", 513), false},
		{"NUL", "abcdefgh\x00", false},
		{"newline", "abcd\nefgh", false},
		{"tab", "abcd\tefgh", false},
		{"DEL", "abcdefgh\x7f", false},
		{"C1 control", "abcdefgh\u0085", false},
		{"escape", "\x1b[31mredpassword", false},
		{"invalid UTF-8", "abcdefgh\xff", false},
		{"truncated UTF-8", "abcdefgh\xc3", false},
		{"8 decomposed letters count as 8", strings.Repeat("e\u0301", 8), true},
		{"7 decomposed letters count as 7", strings.Repeat("e\u0301", 7), false},
		{"fullwidth", "\uff30\uff41\uff53\uff53\uff57\uff4f\uff52\uff44", true},
		{"no composition rules", "aaaaaaaa", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckPassword(tt.pw)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckPassword(%q) = %v, want ok=%v", tt.pw, err, tt.ok)
			}
		})
	}
}

func TestParsePHC(t *testing.T) {
	const salt = "c2FsdHNhbHRzYWx0c2FsdA"                     // 16 bytes
	const key = "SGVsbG9IZWxsb0hlbGxvSGVsbG9IZWxsb0hlbGxvMTI" // 32 bytes
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	ph, err := ParsePHC(good)
	if err != nil {
		t.Fatalf("ParsePHC(%q): %v", good, err)
	}
	if ph.Params != DefaultParams || len(ph.Salt) != 16 || len(ph.Key) != 32 {
		t.Fatalf("ParsePHC = %+v", ph)
	}
	if _, err := ParsePHC("$argon2id$v=19$t=2,p=1,m=19456$" + salt + "$" + key); err != nil {
		t.Errorf("parameters in another order: %v", err)
	}
	bad := []string{
		"",
		"garbage",
		"$argon2id$",
		"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,            // p missing
		"$argon2id$v=19$m=19456,p=1$" + salt + "$" + key,            // t missing
		"$argon2id$v=19$t=2,p=1$" + salt + "$" + key,                // m missing
		"$argon2id$v=19$m=19456,t=2,p=1,x=3$" + salt + "$" + key,    // unknown
		"$argon2id$v=19$m=19456,t=2,p$" + salt + "$" + key,          // no value
		"$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key,           // negative
		"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,        // t too small
		"$argon2id$v=19$m=19456,t=101,p=1$" + salt + "$" + key,      // t too big
		"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key,        // p too small
		"$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key,      // p too big
		"$argon2id$v=19$m=7,t=2,p=1$" + salt + "$" + key,            // m too small
		"$argon2id$v=19$m=4194305,t=2,p=1$" + salt + "$" + key,      // m above 4 GiB
		"$argon2id$v=19$m=99999999999,t=2,p=1$" + salt + "$" + key,  // m beyond uint32
		"$argon2id$v=19$m=16,t=2,p=4$" + salt + "$" + key,           // m < 8p
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "=$" + key,       // padded
		"$argon2id$v=19$m=19456,t=2,p=1$!!!!$" + key,                // bad base64
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key,              // salt 4 bytes
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$aGFzaA",        // key 4 bytes
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",              // key empty
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "\n", // trailing newline
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("A", 100),
	}
	for _, s := range bad {
		if ph, err := ParsePHC(s); err == nil {
			t.Errorf("ParsePHC(%q) = %+v, want an error", s, ph)
		} else if !errors.Is(err, ErrUnknownHash) {
			t.Errorf("ParsePHC(%q) = %v, want it to wrap ErrUnknownHash", s, err)
		}
		if err := CheckHash(s); err == nil {
			t.Errorf("CheckHash(%q) = nil, want an error", s)
		}
	}
}

func TestIsBcrypt(t *testing.T) {
	valid, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	v := string(valid)
	tests := []struct {
		s    string
		want bool
	}{
		{v, true},
		{"$2b$" + v[4:], true},
		{"$2y$" + v[4:], true},
		{"$2x$" + v[4:], false},
		{"$2$" + v[4:], false},
		{v[:59], false},
		{v + "a", false},
		{"$2a$03$" + v[7:], false}, // cost below bcrypt.MinCost
		{"$2a$32$" + v[7:], false}, // cost above bcrypt.MaxCost
		{"$2a$ab$" + v[7:], false},
		{"$2a$10x" + v[7:], false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsBcrypt(tt.s); got != tt.want {
			t.Errorf("IsBcrypt(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

// FuzzCheckPassword checks CheckPassword against the password rules of
// docs/security.md (NIST SP 800-63B §5.1.1.2).
func FuzzCheckPassword(f *testing.F) {
	for _, s := range []string{"", "abcdefg", "abcdefgh", "caf\u00e9 au lait", strings.Repeat("e\u0301", 8),
		"abc\x00defgh", "abcdefgh\xff", strings.Repeat("x", 1025), "\U0001F511 \U0001F511 \U0001F511 \U0001F511", "\ufdfa"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pw string) {
		err := CheckPassword(pw)
		valid := utf8.ValidString(pw)
		noControl := strings.IndexFunc(pw, unicode.IsControl) < 0
		want := valid && len(pw) <= MaxPasswordBytes && noControl && utf8.RuneCountInString(norm.NFKC.String(pw)) >= MinPasswordChars
		if (err == nil) != want {
			t.Fatalf("CheckPassword(%q) = %v, want ok=%v", pw, err, want)
		}
		if err != nil && (err.Error() == "" || strings.ContainsRune(err.Error(), '\n')) {
			t.Fatalf("error for %q is not one line: %q", pw, err)
		}
		if err != nil && len(pw) >= 8 && strings.Contains(err.Error(), pw) {
			t.Fatalf("error message repeats the password: %q", err)
		}
	})
}

// FuzzParsePHC checks that an accepted PHC string has bounded parameters and
// re-encodes to a string that parses to the same values.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$SGVsbG9IZWxsb0hlbGxvSGVsbG9IZWxsb0hlbGxvMTI")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$p=4,m=32,t=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=4294967295,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=,t=,p=$$")
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdH\nNhbHQ$aGFzaGhhc2hoYXNoaGFzaA\r\n")
	f.Add("$2a$10$abcdefghijklmnopqrstuu5Vw7Yq0o1p2u3z4E5X6u7I8O9P0a1Bc")
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := ParsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrUnknownHash) {
				t.Fatalf("ParsePHC(%q) error %v does not wrap ErrUnknownHash", s, err)
			}
			return
		}
		p := ph.Params
		if p.Memory < 8 || p.Memory > 4<<20 || p.Time < 1 || p.Time > 100 || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) {
			t.Fatalf("ParsePHC(%q) accepted out-of-range parameters %+v", s, p)
		}
		if len(ph.Salt) < 8 || len(ph.Salt) > 64 || len(ph.Key) < 16 || len(ph.Key) > 64 {
			t.Fatalf("ParsePHC(%q) accepted salt %d / key %d bytes", s, len(ph.Salt), len(ph.Key))
		}
		if !strings.HasPrefix(s, "$argon2id$v=19$") {
			t.Fatalf("ParsePHC accepted %q without the argon2id v=19 prefix", s)
		}
		parts := strings.Split(s, "$")
		for _, enc := range parts[4:] {
			if i := strings.IndexFunc(enc, func(r rune) bool {
				return !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", r)
			}); i >= 0 {
				t.Fatalf("ParsePHC accepted %q with %q in its base64 salt or hash", s, enc[i])
			}
		}
		again := fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads, b64.EncodeToString(ph.Salt), b64.EncodeToString(ph.Key))
		ph2, err := ParsePHC(again)
		if err != nil {
			t.Fatalf("re-encoded %q does not parse: %v", again, err)
		}
		if ph2.Params != ph.Params || string(ph2.Salt) != string(ph.Salt) || string(ph2.Key) != string(ph.Key) {
			t.Fatalf("re-encoded %q parses to %+v, want %+v", again, ph2, ph)
		}
		if err := CheckHash(s); err != nil {
			t.Fatalf("ParsePHC accepts %q but CheckHash says %v", s, err)
		}
	})
}

// testBcryptAlphabet is the base64 alphabet of bcrypt salts and hashes.
const testBcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// FuzzCheckHash checks that what CheckHash accepts is a hash authctl can
// really verify: a bcrypt hash that the bcrypt package can read, or a PHC
// string; and that verifying it never panics.
func FuzzCheckHash(f *testing.F) {
	valid, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	f.Add(string(valid))
	f.Add("$2y$" + string(valid[4:]))
	f.Add("$2a$+4$" + string(valid[7:]))
	f.Add("$2a$04$" + strings.Repeat("!", 53))
	f.Add("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		isB := IsBcrypt(s)
		err := CheckHash(s)
		_, perr := ParsePHC(s)
		if (err == nil) != (isB || perr == nil) {
			t.Fatalf("CheckHash(%q) = %v, but IsBcrypt=%v ParsePHC=%v", s, err, isB, perr)
		}
		if !isB {
			return
		}
		if len(s) != 60 || !(strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")) {
			t.Fatalf("IsBcrypt(%q) = true for a string of another shape", s)
		}
		if i := strings.IndexFunc(s[7:], func(r rune) bool { return !strings.ContainsRune(testBcryptAlphabet, r) }); i >= 0 {
			t.Fatalf("CheckHash accepts %q, whose salt/hash has %q outside bcrypt's alphabet: no password can ever verify against it", s, s[7+i])
		}
		cost, cerr := bcrypt.Cost([]byte(s))
		if cerr != nil || cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
			t.Fatalf("CheckHash accepts %q but bcrypt reads it as cost %d, %v", s, cost, cerr)
		}
		if cost == bcrypt.MinCost { // cheap enough to verify in a fuzz loop
			if _, err := (Hasher{Params: cheap}).Verify(s, "pw"); err != nil && !errors.Is(err, ErrMismatch) {
				t.Fatalf("Verify(%q) = %v, want nil or ErrMismatch", s, err)
			}
		}
	})
}
