package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/term"
)

func TestTwoFAImportFlags(t *testing.T) {
	tests := []struct {
		args []string
		want twofaImportOptions
	}{
		{[]string{"alice", "ga"}, twofaImportOptions{Name: "alice", File: "ga", Format: "auto"}},
		{[]string{"bob", "-", "--format", "otpauth", "--replace", "--allow-short-secrets"},
			twofaImportOptions{Name: "bob", File: "-", Format: "otpauth", Replace: true, AllowShortSecrets: true}},
		{[]string{"carol", "tokens.xml", "--serial", "1000133508267", "-o", "json"},
			twofaImportOptions{Name: "carol", File: "tokens.xml", Format: "auto", Serial: "1000133508267", JSON: true}},
	}
	for _, tt := range tests {
		io, _, _ := term.Test("", false)
		app := NewApp(io)
		var got *twofaImportOptions
		root := NewRootCmd(app)
		// Swap in a runF: the same command, built with one.
		twofa, _, err := root.Find([]string{"2fa"})
		if err != nil {
			t.Fatal(err)
		}
		old, _, _ := twofa.Find([]string{"import"})
		twofa.RemoveCommand(old)
		twofa.AddCommand(newTwoFAImportCmd(app, func(o *twofaImportOptions) error { got = o; return nil }))
		root.SetArgs(append([]string{"2fa", "import"}, tt.args...))
		if err := root.Execute(); err != nil || got == nil {
			t.Fatalf("2fa import %q: %v", tt.args, err)
		}
		want := tt.want
		want.App = app
		if *got != want {
			t.Errorf("2fa import %q:\n got %+v\nwant %+v", tt.args, *got, want)
		}
	}
	for _, args := range [][]string{{}, {"alice"}, {"alice", "a", "b"}} {
		io, _, _ := term.Test("", false)
		c := newTwoFAImportCmd(NewApp(io), func(*twofaImportOptions) error { t.Fatal("ran with bad arguments"); return nil })
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("2fa import %q: %v, want a usage error", args, err)
		}
	}
}

// Everything wrong with the file or the flags is a usage error (exit 2)
// found before the database is opened, and no message holds the secret.
func TestTwoFAImportRefusals(t *testing.T) {
	data, _ := configEnv(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	uri := write("uri.txt", "otpauth://totp/ACME:alice?secret="+secret+"\n")
	pskc := write("two.xml", `<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
<KeyPackage><DeviceInfo><SerialNo>A1</SerialNo></DeviceInfo><Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>
<KeyPackage><DeviceInfo><SerialNo>B2</SerialNo></DeviceInfo><Key Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:totp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret></Data></Key></KeyPackage>
</KeyContainer>`)
	tests := []struct {
		args  []string
		stdin string
		want  string
	}{
		{[]string{uri, "--format", "csv"}, "", `unknown --format "csv" (use auto, google-authenticator, otpauth, pskc)`},
		{[]string{uri, "--format", "otpauth", "--serial", "A1"}, "", "--serial picks a key of a PSKC file"},
		{[]string{uri, "--serial", "A1"}, "", "a serial number picks a key of a PSKC file"},
		{[]string{filepath.Join(dir, "missing")}, "", "cannot read the 2fa import file"},
		{[]string{dir}, "", "is a directory, not a regular file"},
		{[]string{fifo}, "", "is a named pipe, not a regular file"},
		{[]string{"/dev/zero"}, "", "is a character device, not a regular file"},
		{[]string{write("big", strings.Repeat("A", 1<<20+1))}, "", "is larger than 1 MiB"},
		{[]string{"-"}, "", "standard input is empty"},
		{[]string{"-"}, strings.Repeat("x", 1<<20+1), "standard input is larger than 1 MiB"},
		{[]string{"-"}, "name,password\n", "standard input: cannot tell the file's format (google-authenticator, otpauth or pskc); pass --format google-authenticator, otpauth, pskc"},
		{[]string{uri, "--format", "pskc"}, "", "not a PSKC file"},
		{[]string{pskc}, "", `holds 2 keys (serial numbers "A1", "B2"); pick one by its serial number with --serial`},
		{[]string{pskc, "--serial", "C3"}, "", `no key in the PSKC file has serial number "C3"`},
		{[]string{"-"}, "otpauth://hotp/alice?secret=" + secret, "counter-based codes (hotp)"},
		{[]string{"-"}, "otpauth://totp/alice?secret=TI62CQGQIP776", "only 64 bits; authctl refuses fewer than 80 (--allow-short-secrets imports it anyway)"},
		{[]string{"-", "--allow-short-secrets"}, "otpauth://totp/alice?secret=GEZDGNA", "never accepts fewer than 40"},
		{[]string{"-"}, "otpauth://totp/alice?secret=" + secret + "&digits=7", "7 digits"},
	}
	for _, tt := range tests {
		io, out, errb := term.Test(tt.stdin, false)
		root := NewRootCmd(NewApp(io))
		root.SetArgs(append([]string{"2fa", "import", "alice"}, tt.args...))
		err := root.Execute()
		if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("2fa import %q: %v (exit %d), want exit 2 mentioning %q", tt.args, err, ExitCode(err), tt.want)
			continue
		}
		if strings.ContainsAny(err.Error(), "\r\n") || strings.Contains(err.Error(), "JBSWY3DP") || strings.Contains(err.Error(), "MTIzNDU2") {
			t.Errorf("2fa import %q: error is not one line without the secret: %q", tt.args, err)
		}
		if out.Len() != 0 || strings.Contains(errb.String(), "JBSWY3DP") {
			t.Errorf("2fa import %q printed %q, %q", tt.args, out, errb)
		}
	}
	if _, err := os.Stat(filepath.Join(data, "authctl")); !os.IsNotExist(err) {
		t.Errorf("a refused import touched the data directory: %v", err)
	}
}

// At a terminal, "-" asks for the URI (without echo on a real terminal)
// and reads one line.
func TestTwoFAImportPaste(t *testing.T) {
	configEnv(t)
	io, out, errb := term.Test("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n", true)
	root := NewRootCmd(NewApp(io))
	root.SetArgs([]string{"2fa", "import", "alice", "-"})
	err := root.Execute()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "standard input: the otpauth URI is for counter-based codes") {
		t.Errorf("pasted hotp URI: %v", err)
	}
	if !strings.Contains(errb.String(), "Paste the otpauth URI (it is not shown): ") || out.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", out, errb)
	}
	io, _, _ = term.Test("", true)
	root = NewRootCmd(NewApp(io))
	root.SetArgs([]string{"2fa", "import", "alice", "-"})
	if err := root.Execute(); ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "no otpauth URI was pasted") {
		t.Errorf("nothing pasted: %v", err)
	}
}
