package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/otp"
)

// Users come from another system with the TOTP secret their phone already
// has, and log in with the codes of that phone (oathtool plays it) at once:
// from google-authenticator-libpam, an otpauth URI, a PSKC file and a user
// import. No command ever prints the secret, and the database never holds
// it in clear.

// otpKey is a TOTP key as another system holds it.
type otpKey struct {
	raw            []byte
	alg            string // SHA1, SHA256, SHA512
	digits, period int
}

func newOTPKey(t testing.TB, size int, alg string, digits, period int) otpKey {
	t.Helper()
	raw := make([]byte, size)
	if _, err := rand.Read(raw); err != nil {
		t.Fatal(err)
	}
	return otpKey{raw: raw, alg: alg, digits: digits, period: period}
}

func (k otpKey) base32() string { return b32.EncodeToString(k.raw) }

// code is what the user's app shows now, computed by oathtool with the
// key's parameters. A code is accepted from the step before its own to the
// step after, so it stays good for at least one whole period.
func (k otpKey) code(t testing.TB) string {
	t.Helper()
	args := []string{"--totp=" + strings.ToLower(k.alg), "--digits=" + strconv.Itoa(k.digits),
		"--time-step-size=" + strconv.Itoa(k.period) + "s", "-N", "@" + strconv.FormatInt(time.Now().Unix(), 10), "-b", k.base32()}
	out, err := exec.Command("oathtool", args...).Output()
	if err != nil {
		t.Fatalf("oathtool %s: %v (is oathtool installed? apt-get install oathtool)", strings.Join(args[:3], " "), err)
	}
	c := strings.TrimSpace(string(out))
	if len(c) != k.digits {
		t.Fatalf("oathtool printed %q", out)
	}
	return c
}

// noSecret fails if a command's output or the database file holds k's
// secret, in base32 (any case) or raw.
func (e *env) noSecret(k otpKey, rs ...result) {
	e.t.Helper()
	s := k.base32()
	for _, r := range rs {
		for _, out := range []string{r.stdout, r.stderr} {
			if strings.Contains(strings.ToUpper(strings.ReplaceAll(out, " ", "")), s[:16]) {
				e.t.Errorf("authctl printed the secret:\n%s", r)
			}
		}
	}
	db, err := os.ReadFile(e.db)
	if err != nil {
		e.t.Fatal(err)
	}
	if bytes.Contains(db, []byte(s[:16])) || bytes.Contains(db, k.raw) || bytes.Contains(db, []byte(base64.StdEncoding.EncodeToString(k.raw)[:16])) {
		e.t.Error("the database holds an imported secret in clear")
	}
}

// status is `2fa status NAME -o json`.
func (e *env) status(name string) statusJSON {
	e.t.Helper()
	return decodeJSON[statusJSON](e.t, e.must(0, "", "2fa", "status", name, "-o", "json").stdout)
}

// gaFile writes a ~/.google_authenticator as google-authenticator(1)
// writes it (mode 0400): the secret, the options it asks about, then the
// scratch codes.
func (e *env) gaFile(user string, k otpKey, scratch ...string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "home", user, ".google_authenticator")
	content := k.base32() + "\n\" RATE_LIMIT 3 30 1700000011\n\" WINDOW_SIZE 17\n\" DISALLOW_REUSE 56666667\n\" TOTP_AUTH\n" + strings.Join(scratch, "\n") + "\n"
	writeFile(e.t, p, []byte(content))
	if err := os.Chmod(p, 0o400); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func TestMigrateGoogleAuthenticator(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("alice", pw)
	k := newOTPKey(t, 20, "SHA1", 6, 30)
	file := e.gaFile("alice", k, "56948968", "89230919", "99311059", "90224745", "23222042")

	r := e.must(0, "", "2fa", "import", "alice", file)
	if r.stdout != "2fa imported for alice from google-authenticator (5 scratch codes as backup codes; regenerate them with \"authctl 2fa codes regen alice\" for stronger ones)\n" {
		t.Errorf("2fa import printed %q", r.stdout)
	}
	wantStderr(t, r, "warning: the file allowed 17 codes around the current one (WINDOW_SIZE)")
	if st := e.status("alice"); !st.Enabled || st.BackupLeft != 5 {
		t.Fatalf("after the import: %+v", st)
	}

	// The phone's code logs in; so does a scratch code, once.
	login := e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", k.code(t))
	e.must(0, pw+"\n", "login", "alice", "--password-stdin", "--code", "89230919")
	wantStderr(t, e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", "89230919"), "already used")
	e.must(1, pw+"\n", "login", "alice", "--password-stdin", "--code", "12345678")
	if st := e.status("alice"); st.BackupLeft != 4 {
		t.Errorf("backup codes left after one scratch code: %d, want 4", st.BackupLeft)
	}
	// Regenerating replaces the scratch codes with authctl's own.
	r = e.must(0, pw+"\n", "2fa", "codes", "regen", "alice", "--password-stdin", "--code", "56948968", "-o", "json")
	if codes := decodeJSON[struct {
		Codes []string `json:"backup_codes"`
	}](t, r.stdout).Codes; len(codes) != 8 || !backupCodeRE.MatchString(codes[0]) {
		t.Errorf("codes regen after the import: %s", r.stdout)
	}
	if r := e.run(pw+"\n", "login", "alice", "--password-stdin", "--code", "99311059"); r.code == 0 {
		t.Errorf("a scratch code still logs in after codes regen: %s", r)
	}

	// Audited as an admin action; the secret is nowhere.
	if !hasEvent(e.audit(), auditJSON{Event: "2fa.import", User: "alice"}) {
		t.Error("the audit trail has no 2fa.import for alice")
	}
	e.noSecret(k, r, login)
}

func TestMigrateOtpauthURI(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("bob", pw)
	k := newOTPKey(t, 20, "SHA256", 8, 60)
	// As an app exports it: issuer and account percent-encoded (RFC 3986),
	// the secret in lower case.
	uri := "otpauth://totp/ACME%20Co%20%26%20Sons:bob%2Bops%40example.com?secret=" + strings.ToLower(k.base32()) +
		"&issuer=ACME%20Co%20%26%20Sons&algorithm=SHA256&digits=8&period=60"

	// Pasted on standard input, so it is in no file and no shell history.
	r := e.must(0, uri+"\n", "2fa", "import", "bob", "-", "-o", "json")
	got := decodeJSON[struct {
		User        string   `json:"user"`
		Format      string   `json:"format"`
		Digits      int      `json:"digits"`
		Period      int      `json:"period"`
		Algorithm   string   `json:"algorithm"`
		Issuer      string   `json:"issuer"`
		Account     string   `json:"account"`
		BackupCodes int      `json:"backup_codes"`
		Warnings    []string `json:"warnings"`
	}](t, r.stdout)
	if got.User != "bob" || got.Format != "otpauth" || got.Digits != 8 || got.Period != 60 || got.Algorithm != "SHA256" ||
		got.Issuer != "ACME Co & Sons" || got.Account != "bob+ops@example.com" || got.BackupCodes != 0 || len(got.Warnings) != 0 {
		t.Errorf("2fa import -o json: %s", r.stdout)
	}
	if r.stderr != "" {
		t.Errorf("stderr: %q", r.stderr)
	}
	// oathtool --totp=sha256 --digits=8 --time-step-size=60s.
	login := e.must(0, pw+"\n", "login", "bob", "--password-stdin", "--code", k.code(t))
	// A 6-digit SHA1 code of the same secret is not the phone's code.
	six := k
	six.alg, six.digits, six.period = "SHA1", 6, 30
	e.must(2, pw+"\n", "login", "bob", "--password-stdin", "--code", six.code(t))
	e.noSecret(k, r, login)
}

func TestMigratePSKC(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("carol", pw)
	e.addUser("dave", pw)
	kc := newOTPKey(t, 20, "SHA1", 6, 30)
	kd := newOTPKey(t, 32, "SHA512", 8, 30)
	pkg := func(serial string, k otpKey, suite string) string {
		return fmt.Sprintf(`
  <pskc:KeyPackage>
    <pskc:DeviceInfo>
      <pskc:Manufacturer>Token2</pskc:Manufacturer>
      <pskc:SerialNo>%s</pskc:SerialNo>
    </pskc:DeviceInfo>
    <pskc:Key Id="%s" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <pskc:Issuer>ACME</pskc:Issuer>
      <pskc:AlgorithmParameters>
        <pskc:Suite>%s</pskc:Suite>
        <pskc:ResponseFormat Length="%d" Encoding="DECIMAL"/>
      </pskc:AlgorithmParameters>
      <pskc:Data>
        <pskc:Secret><pskc:PlainValue>%s</pskc:PlainValue></pskc:Secret>
        <pskc:Time><pskc:PlainValue>0</pskc:PlainValue></pskc:Time>
        <pskc:TimeInterval><pskc:PlainValue>%d</pskc:PlainValue></pskc:TimeInterval>
      </pskc:Data>
    </pskc:Key>
  </pskc:KeyPackage>`, serial, serial, suite, k.digits, base64.StdEncoding.EncodeToString(k.raw), k.period)
	}
	file := e.importFile("tokens.xml", `<?xml version="1.0" encoding="UTF-8"?>
<pskc:KeyContainer xmlns:pskc="urn:ietf:params:xml:ns:keyprov:pskc" Version="1.0">`+
		pkg("60233847", kc, "HMAC-SHA1")+pkg("60233848", kd, "SHA-512")+"\n</pskc:KeyContainer>\n")

	// Two keys: which one is whose is the admin's to say.
	r := e.must(2, "", "2fa", "import", "carol", file)
	wantStderr(t, r, `holds 2 keys (serial numbers "60233847", "60233848")`, "--serial")
	r = e.must(2, "", "2fa", "import", "carol", file, "--serial", "60233849")
	wantStderr(t, r, `no key in the PSKC file has serial number "60233849"`)
	if e.status("carol").Enabled {
		t.Fatal("a refused import turned 2fa on")
	}

	rc := e.must(0, "", "2fa", "import", "carol", file, "--serial", "60233847")
	rd := e.must(0, "", "2fa", "import", "dave", file, "--format", "pskc", "--serial", "60233848")
	if rd.stdout != "2fa imported for dave from pskc (no backup codes; the user can make a set with \"authctl 2fa codes regen dave\")\n" {
		t.Errorf("2fa import printed %q", rd.stdout)
	}
	e.must(0, pw+"\n", "login", "carol", "--password-stdin", "--code", kc.code(t))
	e.must(0, pw+"\n", "login", "dave", "--password-stdin", "--code", kd.code(t))
	// Each user got the key of their own device.
	e.must(1, pw+"\n", "login", "carol", "--password-stdin", "--code", newOTPKey(t, 20, "SHA1", 6, 30).code(t))
	e.noSecret(kc, rc, rd)
	e.noSecret(kd, rc, rd)
}

// A whole user base in one command: CSV and JSON lines with totp_secret.
func TestMigrateUserImportTOTPSecret(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	ke, kf := newOTPKey(t, 20, "SHA1", 6, 30), newOTPKey(t, 16, "SHA1", 6, 30)
	kg := newOTPKey(t, 20, "SHA1", 6, 30)
	// Written as people paste secrets: lower case, in groups, padded.
	csv := e.importFile("users.csv", "name,password,totp_secret\n"+
		"erin,"+pw+","+ke.base32()+"\n"+
		"frank,"+pw+",\""+otp.GroupSecret(strings.ToLower(kf.base32()))+"======\"\n"+
		"gus,"+pw+",\n")
	r := e.run("", "user", "import", csv)
	if r.code == 2 && strings.Contains(r.stderr, "totp_secret is not imported by this build yet") {
		// The guard in cmd/user_import.go: refused, nothing imported,
		// rather than users silently losing their second factor.
		if _, err := os.Stat(e.db); !os.IsNotExist(err) {
			t.Fatalf("a refused import wrote the database: %v", err)
		}
		t.Skip("account.Import does not seal totp_secret yet; this journey runs once it does")
	}
	wantSummary(t, r, 3, 3, 0, 0)
	jsonl := e.importFile("more.jsonl", `{"name":"hana","password":"`+pw+`","totp_secret":"`+kg.base32()+`"}`+"\n")
	rj := e.must(0, "", "user", "import", jsonl)

	for _, u := range []struct {
		name string
		k    *otpKey
	}{{"erin", &ke}, {"frank", &kf}, {"gus", nil}, {"hana", &kg}} {
		st := e.status(u.name)
		if st.Enabled != (u.k != nil) || st.BackupLeft != 0 {
			t.Errorf("%s after the import: %+v", u.name, st)
		}
		if u.k == nil {
			e.loginOK(u.name, pw)
			continue
		}
		e.must(2, pw+"\n", "login", u.name, "--password-stdin")
		e.must(0, pw+"\n", "login", u.name, "--password-stdin", "--code", u.k.code(t))
		e.noSecret(*u.k, r, rj)
	}
}

func TestMigrateRefusals(t *testing.T) {
	t.Parallel()
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("ivan", pw)
	k := newOTPKey(t, 20, "SHA1", 6, 30)
	uri := func(k otpKey) string { return "otpauth://totp/ACME:ivan?secret=" + k.base32() + "&issuer=ACME\n" }
	e.must(0, uri(k), "2fa", "import", "ivan", "-")

	// 2FA already on: exit 3 and nothing changes, unless --replace.
	k2 := newOTPKey(t, 20, "SHA1", 6, 30)
	r := e.must(3, uri(k2), "2fa", "import", "ivan", "-")
	wantStderr(t, r, "2fa is already enabled for ivan", "--replace")
	e.must(0, pw+"\n", "login", "ivan", "--password-stdin", "--code", k.code(t))
	e.must(0, uri(k2), "2fa", "import", "ivan", "-", "--replace")
	e.must(1, pw+"\n", "login", "ivan", "--password-stdin", "--code", k.code(t))
	e.must(0, pw+"\n", "login", "ivan", "--password-stdin", "--code", k2.code(t))

	// Each refusal is one line and exit 2 (3 for an unknown user), and
	// leaves the user as they were.
	e.addUser("judy", pw)
	short := newOTPKey(t, 8, "SHA1", 6, 30)
	encrypted := e.importFile("encrypted.xml", `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc" xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">
  <EncryptionKey><KeyName xmlns="http://www.w3.org/2000/09/xmldsig#">Pre-shared-key</KeyName></EncryptionKey>
  <KeyPackage>
    <DeviceInfo><SerialNo>987654321</SerialNo></DeviceInfo>
    <Key Id="12345678" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp">
      <Data><Secret><EncryptedValue>
        <xenc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>
        <xenc:CipherData><xenc:CipherValue>AAECAwQFBgcICQoLDA0OD+cIHItlB3Wra1DUpxVvOx2lef1VmNPCMl8jwZqIUqGv</xenc:CipherValue></xenc:CipherData>
      </EncryptedValue></Secret></Data>
    </Key>
  </KeyPackage>
</KeyContainer>
`)
	fifo := mkfifo(t, filepath.Join(e.dir, "fifo"))
	refusals := []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"", []string{encrypted}, 2, "keys are encrypted (EncryptedValue)"},
		{"otpauth://hotp/ACME:judy?secret=" + k.base32() + "&counter=0\n", []string{"-"}, 2, "counter-based codes (hotp)"},
		{k.base32() + "\n\" HOTP_COUNTER 1\n12345678\n", []string{"-"}, 2, "counter-based codes (HOTP_COUNTER)"},
		{uri(short), []string{"-"}, 2, "the secret is only 64 bits; authctl refuses fewer than 80 (--allow-short-secrets imports it anyway)"},
		{"", []string{fifo}, 2, "is a named pipe, not a regular file"},
		{"", []string{e.dir}, 2, "is a directory"},
		{"hello\n", []string{"-"}, 2, "cannot tell the file's format"},
		{uri(k), []string{"-", "--format", "pskc"}, 2, "not a PSKC file"},
	}
	for _, tt := range refusals {
		r := e.runWithin(10*time.Second, tt.stdin, append([]string{"2fa", "import", "judy"}, tt.args...)...)
		if r.code != tt.code {
			t.Errorf("2fa import judy %q: want exit %d, got %s", tt.args, tt.code, r)
			continue
		}
		wantStderr(t, r, tt.want)
		e.noSecret(k, r)
	}
	if st := e.status("judy"); st.Enabled {
		t.Fatalf("a refused import turned 2fa on: %+v", st)
	}
	r = e.must(3, uri(k), "2fa", "import", "nobody", "-")
	wantStderr(t, r, "nobody")

	// --allow-short-secrets lets the 64-bit secret in, with a warning.
	r = e.must(0, uri(short), "2fa", "import", "judy", "-", "--allow-short-secrets")
	wantStderr(t, r, "warning: the secret is only 64 bits, below the 128 recommended")
	e.must(0, pw+"\n", "login", "judy", "--password-stdin", "--code", short.code(t))
}

// The loop of docs/migrating.md works as printed (with the test's /home and
// a sudo that just runs the command): every user with a file is imported,
// the others are reported and skipped, and the loop goes on.
func TestMigratingGuideLoop(t *testing.T) {
	t.Parallel()
	script, ok := testedBlocks(t, "migrating.md")["google-authenticator"]
	if !ok || !strings.Contains(script, "/home/*/.google_authenticator") {
		t.Fatal("docs/migrating.md has no tested google-authenticator loop")
	}
	const pw = "correct horse battery"
	e := newEnv(t)
	shims := filepath.Join(e.dir, "bin")
	writeFile(t, filepath.Join(shims, "sudo"), []byte("#!/bin/sh\nexec \"$@\"\n"))
	if err := os.Chmod(filepath.Join(shims, "sudo"), 0o755); err != nil {
		t.Fatal(err)
	}
	keys := map[string]otpKey{}
	for _, u := range []string{"kim", "lee"} {
		e.addUser(u, pw)
		keys[u] = newOTPKey(t, 20, "SHA1", 6, 30)
		e.gaFile(u, keys[u], "12345678")
	}
	e.addUser("max", pw) // no file
	e.addUser("ned", pw) // a HOTP file: refused, the loop goes on
	writeFile(t, filepath.Join(e.dir, "home", "ned", ".google_authenticator"), []byte(keys["kim"].base32()+"\n\" HOTP_COUNTER 1\n"))
	e.gaFile("olga", keys["kim"]) // no such authctl user

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", strings.ReplaceAll(script, "/home/", filepath.Join(e.dir, "home")+"/"))
	c.Dir = e.dir
	c.Env = append(e.environ(), "PATH="+shims+string(os.PathListSeparator)+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Run(); err != nil {
		t.Fatalf("the guide's loop failed: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if got := out.String(); !strings.Contains(got, "kim: imported\n") || !strings.Contains(got, "lee: imported\n") || strings.Contains(got, "ned: imported") {
		t.Errorf("the loop printed:\n%s", got)
	}
	for _, want := range []string{"ned: NOT imported", "counter-based codes (HOTP_COUNTER)", "olga: NOT imported", "no such user: olga"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("the loop's stderr does not mention %q:\n%s", want, errb.String())
		}
	}
	for _, u := range []string{"kim", "lee"} {
		e.must(0, pw+"\n", "login", u, "--password-stdin", "--code", keys[u].code(t))
	}
	for _, u := range []string{"max", "ned"} {
		if e.status(u).Enabled {
			t.Errorf("%s has 2fa on after the loop", u)
		}
	}
}
