package otp

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// otpauth URIs in Google's Key Uri Format:
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=ISSUER&algorithm=SHA1&digits=6&period=30
//
// The format asks for RFC 3986 percent-encoding of the label and of every
// parameter. authctl encodes every byte but the unreserved characters
// (A-Z a-z 0-9 - . _ ~): a space is %20, never "+" (which apps would show
// literally), and "&", "=", "+", "#", "?", "/", "%" and a colon inside the
// issuer or the account are encoded, so that no parser can mistake them for
// delimiters. The colon between issuer and account stays literal, as the
// format wants. pquerna/otp's Key.URL escapes query values with
// url.PathEscape, which leaves "&", "+" and "=" as they are; so authctl
// builds the URI itself.

// uriParam is one query parameter, in the order it is written.
type uriParam struct{ key, value string }

// formatURI writes an otpauth URI of type typ with the label
// issuer:account (just account when issuer is "").
func formatURI(typ, issuer, account string, params []uriParam) string {
	var b strings.Builder
	b.WriteString("otpauth://")
	b.WriteString(escape(typ))
	b.WriteByte('/')
	if issuer != "" {
		b.WriteString(escape(issuer))
		b.WriteByte(':')
	}
	b.WriteString(escape(account))
	for i, p := range params {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(escape(p.key))
		b.WriteByte('=')
		b.WriteString(escape(p.value))
	}
	return b.String()
}

// totpParams are the parameters of a TOTP key with authctl's settings.
// full adds those whose values are the format's defaults.
func totpParams(secret, issuer string, full bool) []uriParam {
	ps := []uriParam{{"secret", secret}, {"issuer", issuer}}
	if full {
		ps = append(ps, uriParam{"algorithm", "SHA1"}, uriParam{"digits", strconv.Itoa(Digits)}, uriParam{"period", strconv.Itoa(Period)})
	}
	return ps
}

// escape percent-encodes s per RFC 3986, leaving only unreserved characters.
func escape(s string) string {
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	return string(b)
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

// parsedURI is an otpauth URI taken apart and decoded.
type parsedURI struct {
	typ, issuer, account string // issuer from the label prefix
	params               []uriParam
}

// parseURI reads an otpauth URI as RFC 3986 and the Key Uri Format define
// it: the label is split at its first literal colon before decoding, and
// "+" is a plus sign everywhere (not a space, as in HTML forms).
func parseURI(s string) (parsedURI, error) {
	var p parsedURI
	u, err := url.Parse(s)
	if err != nil {
		return p, err
	}
	if u.Scheme != "otpauth" || u.Opaque != "" || u.User != nil || u.Fragment != "" {
		return p, errors.New("not an otpauth URI")
	}
	p.typ = u.Host
	label, ok := strings.CutPrefix(u.EscapedPath(), "/")
	if !ok || strings.Contains(label, "/") {
		return p, errors.New("otpauth URI without a label")
	}
	if iss, acc, found := strings.Cut(label, ":"); found {
		if p.issuer, err = url.PathUnescape(iss); err != nil {
			return p, err
		}
		label = acc
	}
	if p.account, err = url.PathUnescape(label); err != nil {
		return p, err
	}
	if u.RawQuery == "" {
		return p, nil
	}
	for _, kv := range strings.Split(u.RawQuery, "&") {
		k, v, _ := strings.Cut(kv, "=")
		var q uriParam
		if q.key, err = url.PathUnescape(k); err != nil {
			return p, err
		}
		if q.value, err = url.PathUnescape(v); err != nil {
			return p, err
		}
		p.params = append(p.params, q)
	}
	return p, nil
}

// param returns the value of the first parameter named key.
func (p parsedURI) param(key string) (string, bool) {
	for _, q := range p.params {
		if q.key == key {
			return q.value, true
		}
	}
	return "", false
}

// QRURI is uri without the parameters whose values are the Key Uri Format's
// defaults (algorithm=SHA1, digits=6, period=30), which every authenticator
// app assumes when they are absent, in the same strict encoding as KeyFor.
// The QR code drawn in a terminal carries this form: 34 bytes fewer keep it
// in a smaller QR version, so longer account names still fit an 80x24
// terminal, and a sparser code scans more easily. A uri that does not parse
// is returned as it is.
func QRURI(uri string) string {
	p, err := parseURI(uri)
	if err != nil {
		return uri
	}
	defaults := map[string]string{"algorithm": "SHA1", "digits": strconv.Itoa(Digits), "period": strconv.Itoa(Period)}
	kept := p.params[:0:0]
	for _, q := range p.params {
		if def, ok := defaults[q.key]; ok && q.value == def {
			continue
		}
		kept = append(kept, q)
	}
	return formatURI(p.typ, p.issuer, p.account, kept)
}
