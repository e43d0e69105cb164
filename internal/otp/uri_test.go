package otp

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

func TestKeyURIEncoding(t *testing.T) {
	tests := []struct {
		issuer, account, want string
	}{
		{"authctl", "alice", "otpauth://totp/authctl:alice?secret=" + testSecret + "&issuer=authctl&algorithm=SHA1&digits=6&period=30"},
		{"Example Co", "alice@example.com", "otpauth://totp/Example%20Co:alice%40example.com?secret=" + testSecret + "&issuer=Example%20Co&algorithm=SHA1&digits=6&period=30"},
		{"Acme & Co+ = %", "a&b+c=d%e?f#g", "otpauth://totp/Acme%20%26%20Co%2B%20%3D%20%25:a%26b%2Bc%3Dd%25e%3Ff%23g?secret=" + testSecret + "&issuer=Acme%20%26%20Co%2B%20%3D%20%25&algorithm=SHA1&digits=6&period=30"},
		{"a/b", "x:y", "otpauth://totp/a%2Fb:x%3Ay?secret=" + testSecret + "&issuer=a%2Fb&algorithm=SHA1&digits=6&period=30"},
		{"Société", "日本", "otpauth://totp/Soci%C3%A9t%C3%A9:%E6%97%A5%E6%9C%AC?secret=" + testSecret + "&issuer=Soci%C3%A9t%C3%A9&algorithm=SHA1&digits=6&period=30"},
		{"~a-b_c.d", "~", "otpauth://totp/~a-b_c.d:~?secret=" + testSecret + "&issuer=~a-b_c.d&algorithm=SHA1&digits=6&period=30"},
	}
	for _, tt := range tests {
		k, err := KeyFor(testSecret, tt.issuer, tt.account)
		if err != nil {
			t.Fatal(err)
		}
		if k.URI != tt.want {
			t.Errorf("KeyFor(%q, %q).URI\n = %s\nwant %s", tt.issuer, tt.account, k.URI, tt.want)
		}
	}
	for _, bad := range [][2]string{{"", "alice"}, {"authctl", ""}} {
		if _, err := KeyFor(testSecret, bad[0], bad[1]); err == nil {
			t.Errorf("KeyFor(%q, %q) accepted an empty part", bad[0], bad[1])
		}
	}
}

// strictURI is the shape of every URI KeyFor writes: only unreserved
// characters and percent-escapes in the label and values, a literal colon
// between issuer and account, and nothing else.
var strictURI = regexp.MustCompile(`^otpauth://totp/([A-Za-z0-9._~-]|%[0-9A-F]{2})+:([A-Za-z0-9._~-]|%[0-9A-F]{2})+\?secret=[A-Z2-7]+&issuer=([A-Za-z0-9._~-]|%[0-9A-F]{2})+(&algorithm=SHA1&digits=6&period=30)?$`)

var uriCases = [][2]string{
	{"authctl", "alice"},
	{"Acme Corp", "alice@example.com"},
	{"Acme & Co+ = no", "a&b+c=d%e?f#g"},
	{"100%", "%41%"},
	{"a=b&c=d", "x=y&z"},
	{"Q?#/", "?#/"},
	{"plus+plus", "+"},
	{"  spaced  out ", " a b "},
	{"Société Générale", "ré.sumé"},
	{"日本", "日本語"},
	{"issuer", "a:b:c"},
	{"%3A", "%20"},
	{"\x00\x1b\xff", "\u202e\u3164"},
}

// The URI parses back to the same issuer, account and secret, with
// authctl's parser and with net/url (which reads "+" in a query as a
// space: the strict encoding never leaves one there).
func TestURIRoundTrip(t *testing.T) {
	for _, c := range uriCases {
		issuer, account := c[0], c[1]
		k, err := KeyFor(testSecret, issuer, account)
		if err != nil {
			t.Fatal(err)
		}
		for _, uri := range []string{k.URI, QRURI(k.URI)} {
			if !strictURI.MatchString(uri) {
				t.Errorf("URI %s is not strictly encoded", uri)
			}
			checkParsed(t, uri, issuer, account, testSecret)
			u, err := url.Parse(uri)
			if err != nil {
				t.Fatalf("net/url cannot parse %s: %v", uri, err)
			}
			q := u.Query()
			if q.Get("issuer") != issuer || q.Get("secret") != testSecret || u.Fragment != "" || u.Host != "totp" {
				t.Errorf("net/url reads %s as issuer %q, secret %q, fragment %q", uri, q.Get("issuer"), q.Get("secret"), u.Fragment)
			}
			iss, acc, ok := strings.Cut(strings.TrimPrefix(u.EscapedPath(), "/"), ":")
			iss, _ = url.PathUnescape(iss)
			acc, _ = url.PathUnescape(acc)
			if !ok || iss != issuer || acc != account {
				t.Errorf("net/url reads the label of %s as %q : %q", uri, iss, acc)
			}
		}
		if q := QRURI(k.URI); strings.Contains(q, "algorithm=") || strings.Contains(q, "digits=") || strings.Contains(q, "period=") || len(k.URI)-len(q) != 34 {
			t.Errorf("QRURI(%s) = %s: the defaults should be left out", k.URI, q)
		}
	}
}

func checkParsed(t *testing.T, uri, issuer, account, secret string) {
	t.Helper()
	p, err := parseURI(uri)
	if err != nil {
		t.Fatalf("parseURI(%s): %v", uri, err)
	}
	gotIssuer, _ := p.param("issuer")
	gotSecret, _ := p.param("secret")
	if p.typ != "totp" || p.issuer != issuer || p.account != account || gotIssuer != issuer || gotSecret != secret {
		t.Fatalf("parseURI(%s) = %+v; want issuer %q, account %q", uri, p, issuer, account)
	}
}

func TestParseURI(t *testing.T) {
	// Foreign but valid forms: no issuer prefix, lower-case escapes, a "+"
	// that RFC 3986 reads as a plus sign.
	p, err := parseURI("otpauth://totp/alice%3ax+y?secret=ABC&issuer=A+B%2b")
	if err != nil {
		t.Fatal(err)
	}
	if iss, _ := p.param("issuer"); p.issuer != "" || p.account != "alice:x+y" || iss != "A+B+" {
		t.Errorf("parsed %+v", p)
	}
	for _, bad := range []string{"", "http://totp/a:b", "otpauth:totp/a", "otpauth://totp", "otpauth://totp/a/b", "otpauth://totp/a%zz", "otpauth://totp/a?x=%zz", "otpauth://totp/a#frag", "otpauth://u@totp/a"} {
		if p, err := parseURI(bad); err == nil {
			t.Errorf("parseURI(%q) = %+v, want an error", bad, p)
		}
	}
	// QRURI returns what it cannot parse unchanged.
	if got := QRURI("not a uri %zz"); got != "not a uri %zz" {
		t.Errorf("QRURI changed an unparsable string: %q", got)
	}
}

// FuzzURIRoundTrip: for any issuer and account, KeyFor's URI and its QR
// form are strictly encoded and parse back to the same issuer, account and
// secret, with authctl's parser and with net/url.
func FuzzURIRoundTrip(f *testing.F) {
	for _, c := range uriCases {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, issuer, account string) {
		k, err := KeyFor(testSecret, issuer, account)
		if issuer == "" || account == "" {
			if err == nil {
				t.Fatalf("KeyFor(%q, %q) accepted an empty part", issuer, account)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, uri := range []string{k.URI, QRURI(k.URI)} {
			if !strictURI.MatchString(uri) {
				t.Fatalf("URI %s is not strictly encoded", uri)
			}
			checkParsed(t, uri, issuer, account, testSecret)
			u, err := url.Parse(uri)
			if err != nil || u.Query().Get("issuer") != issuer {
				t.Fatalf("net/url reads %s as issuer %q, %v", uri, u.Query().Get("issuer"), err)
			}
		}
	})
}
