package secret

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"errors"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestCheckCommon(t *testing.T) {
	refused := []string{
		"password123", "12345678", "qwertyuiop", "iloveyou", "Password1",
		"PASSWORD123", "QwErTyUiOp", "ILoveYou", "1qaz2wsx3edc", "football1",
		"ｐａｓｓｗｏｒｄ１２３", // full-width forms, NFKC "password123"
	}
	for _, pw := range refused {
		err := CheckCommon(pw, "alice")
		if !errors.Is(err, ErrCommonPassword) {
			t.Errorf("CheckCommon(%q) = %v, want ErrCommonPassword", pw, err)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, pw) || strings.Contains(msg, "\n") || !strings.Contains(msg, "choose another") {
			t.Errorf("CheckCommon(%q): message %q should be one line, say why, and not repeat the password", pw, msg)
		}
	}
	accepted := []string{
		"correct horse battery", // the tests' everyday password
		"alice's first password",
		"Tr0ub4dour&3-but-longer",
		passphrase(t), passphrase(t), passphrase(t),
		"ちょっと長いパスワードです",
		"",
	}
	for _, pw := range accepted {
		if err := CheckCommon(pw, "alice", "authctl"); err != nil {
			t.Errorf("CheckCommon(%q) = %v, want nil", pw, err)
		}
	}
}

func TestCheckCommonContext(t *testing.T) {
	tests := []struct {
		pw      string
		context []string
		want    error
	}{
		{"alice-the-admin", []string{"alice-the-admin"}, ErrContextPassword},
		{"Alice-The-Admin", []string{"alice-the-admin", "authctl"}, ErrContextPassword},
		{"AUTHCTL", []string{"bob", "authctl"}, ErrContextPassword},
		{"Ａｃｍｅ Ｃｏｒｐ", []string{"carol", "Acme Corp"}, ErrContextPassword},
		{"alice-the-admin!", []string{"alice-the-admin"}, nil},
		{"alice-the-admin", []string{""}, nil},
		{"alice-the-admin", nil, nil},
	}
	for _, tt := range tests {
		if err := CheckCommon(tt.pw, tt.context...); !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("CheckCommon(%q, %q) = %v, want %v", tt.pw, tt.context, err, tt.want)
		}
	}
	if msg := ErrContextPassword.Error(); strings.Contains(msg, "alice") {
		t.Errorf("the message names the user, who is also the password: %q", msg)
	}
}

// The embedded list is what scripts/common-passwords writes: large enough,
// made for the current length rule, lowercase, NFKC-stable and sorted.
func TestCommonList(t *testing.T) {
	list, err := commonList()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) < 10000 {
		t.Fatalf("only %d common passwords", len(list))
	}
	zr, err := gzip.NewReader(bytes.NewReader(commonGz))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(zr)
	header, _, _ := strings.Cut(string(b), "\n\n")
	for _, want := range []string{"github.com/trustelem/zxcvbn v1.0.1", "NOTICE:", "MIT", "min-chars: " + strconv.Itoa(MinPasswordChars) + "\n"} {
		if !strings.Contains(header+"\n", want) {
			t.Errorf("list header does not say %q (MinPasswordChars changed? run go generate ./internal/secret):\n%s", want, header)
		}
	}
	for i, pw := range list {
		if utf8.RuneCountInString(pw) < MinPasswordChars || pw != strings.ToLower(pw) || pw != norm.NFKC.String(pw) || strings.ContainsAny(pw, " \t\r\n") {
			t.Errorf("entry %d %q does not belong in the list", i, pw)
		}
		if i > 0 && list[i-1] >= pw {
			t.Fatalf("entries %d and %d are not in strictly increasing order", i-1, i)
		}
	}
	if _, err := decodeCommon([]byte("not gzip")); err == nil {
		t.Error("a damaged list was accepted")
	}
}

// passphrase returns four words drawn at random from a list of 64, about
// 24 bits: well outside any list of common passwords.
func passphrase(t *testing.T) string {
	t.Helper()
	words := strings.Fields(`anchor basalt cobalt dune ember fjord glacier harbor
		indigo juniper kelp lantern meadow nectar orbit pebble quiver raven saffron
		tundra umber velvet willow xenon yarrow zephyr amber birch cinder delta
		falcon garnet heron iris jasper kestrel lichen marble nimbus onyx prairie
		quartz ridge sable thistle upland vapor walnut yonder zinnia acorn bramble
		canyon driftwood estuary fennel grotto hollow islet jetty knoll lagoon mesa`)
	var b strings.Builder
	for i := range 4 {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(words))))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(words[n.Int64()])
	}
	return b.String()
}

// BenchmarkCheckCommonFirst is the first call in a process: decoding the
// embedded list, then one lookup.
func BenchmarkCheckCommonFirst(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		list, err := decodeCommon(commonGz)
		if err != nil {
			b.Fatal(err)
		}
		if _, found := slices.BinarySearch(list, "a perfectly fine passphrase"); found {
			b.Fatal("found")
		}
	}
}

// BenchmarkCheckCommonWarm is every later call.
func BenchmarkCheckCommonWarm(b *testing.B) {
	if _, err := commonList(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := CheckCommon("a perfectly fine passphrase", "alice", "authctl"); err != nil {
			b.Fatal(err)
		}
	}
}
