package cmd

import (
	"strings"
	"testing"

	"github.com/authctl/authctl/internal/apperr"
)

// The issuer is checked with PRECIS Nickname and kept in its normal form,
// which is what goes into otpauth URIs and what authenticator apps show.
func TestIssuerSetting(t *testing.T) {
	tests := []struct {
		in, want, msg string
	}{
		{"Acme Corp", "Acme Corp", ""},
		{"  Acme\u00a0 Corp ", "Acme Corp", ""},
		{"Socie\u0301te\u0301 & Co+ = %", "Société & Co+ = %", ""},
		{"a:b", "", "colon"},
		{"a\uff1ab", "", "colon"},
		{"Acme\u3164", "", "invisible or bidi-control"},
		{"Acme\u202e", "", "invisible or bidi-control"},
		{"Acme\u0085", "", "control character"},
		{strings.Repeat("x", 65), "", "longer than 64 bytes"},
	}
	for _, tt := range tests {
		configEnv(t)
		c, err := configFor(t, "--issuer", tt.in)
		if tt.msg == "" {
			if err != nil {
				t.Errorf("--issuer %+q: %v", tt.in, err)
			} else if c.Issuer != tt.want {
				t.Errorf("--issuer %+q: issuer %+q, want %+q", tt.in, c.Issuer, tt.want)
			}
			continue
		}
		if err == nil || apperr.KindOf(err) != apperr.Invalid || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("--issuer %+q: %v, want an Invalid error with %q", tt.in, err, tt.msg)
		}
	}
}
