package migrate

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

var errMigrationURI = errors.New("an otpauth-migration URI (Google Authenticator's export of several accounts) is not supported; show the account's own QR code or otpauth://totp/ URI in the app instead")

// parseOtpauth reads one otpauth URI in Google's Key Uri Format:
//
//	otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA256&digits=8&period=60
//
// Percent-escapes are decoded as RFC 3986 defines them: "+" is a plus sign,
// not a space. The label is split at its first literal colon, or else at
// its first escaped one (%3A), as the format allows both. Parameters other
// than those above are ignored; one given twice is refused, since apps
// disagree on which of the two wins.
func parseOtpauth(data []byte) (Token, []string, error) {
	label, query, err := otpauthParts(data)
	if err != nil {
		return Token{}, nil, err
	}
	t := Token{Digits: 6, Period: 30, Algorithm: SHA1}
	if t.Issuer, t.Account, err = splitLabel(label); err != nil {
		return Token{}, nil, err
	}
	params, err := otpauthParams(query)
	if err != nil {
		return Token{}, nil, err
	}
	warns, err := t.setParams(params)
	if err != nil {
		return Token{}, nil, err
	}
	return t, warns, nil
}

// otpauthParts checks that data is one otpauth://totp/ URI and returns its
// label and query, still escaped.
func otpauthParts(data []byte) (label, query string, err error) {
	text := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff"))
	uri, rest, _ := strings.Cut(text, "\n")
	uri = strings.TrimSpace(uri)
	if strings.TrimSpace(rest) != "" {
		return "", "", errors.New("the file holds more than one line; put one otpauth URI in it")
	}
	scheme, after, ok := strings.Cut(uri, "://")
	switch {
	case strings.EqualFold(scheme, "otpauth-migration"):
		return "", "", errMigrationURI
	case !ok || !strings.EqualFold(scheme, "otpauth"):
		return "", "", errors.New("not an otpauth URI (otpauth://totp/...)")
	}
	if strings.Contains(after, "#") {
		return "", "", errors.New("the otpauth URI has a fragment (#); a # in a name or a parameter must be written %23")
	}
	typ, after, ok := strings.Cut(after, "/")
	switch {
	case !ok:
		return "", "", errors.New("the otpauth URI has no label (otpauth://totp/ISSUER:ACCOUNT?...)")
	case strings.EqualFold(typ, "hotp"):
		return "", "", errors.New("the otpauth URI is for counter-based codes (hotp); authctl supports time-based codes (totp) only")
	case !strings.EqualFold(typ, "totp"):
		return "", "", fmt.Errorf("the otpauth URI's type %q is not totp", clip(typ))
	}
	label, query, _ = strings.Cut(after, "?")
	return label, query, nil
}

// otpauthParams decodes the query of an otpauth URI into its parameters,
// by lower-case name; one given twice is refused.
func otpauthParams(query string) (map[string]string, error) {
	params := map[string]string{}
	if query == "" {
		return params, nil
	}
	for _, kv := range strings.Split(query, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		key, err := unescape(k, "a parameter name")
		if err != nil {
			return nil, err
		}
		key = strings.ToLower(key)
		if _, dup := params[key]; dup {
			return nil, fmt.Errorf("the otpauth URI gives the parameter %q twice", clip(key))
		}
		if params[key], err = unescape(v, "the parameter "+strconv.Quote(clip(key))); err != nil {
			return nil, err
		}
	}
	return params, nil
}

// setParams takes the secret, the code's parameters and the issuer from
// the parameters of an otpauth URI into t, whose issuer is the label's.
func (t *Token) setParams(params map[string]string) (warns []string, err error) {
	secret, ok := params["secret"]
	if !ok || secret == "" {
		return nil, errors.New("the otpauth URI has no secret parameter")
	}
	t.Secret = secret
	if v, ok := params["algorithm"]; ok {
		t.Algorithm = strings.ToUpper(v)
	}
	if v, ok := params["digits"]; ok {
		if t.Digits, err = number(v, "digits"); err != nil {
			return nil, err
		}
	}
	if v, ok := params["period"]; ok {
		if t.Period, err = number(v, "period"); err != nil {
			return nil, err
		}
	}
	if err := checkParams(t.Digits, t.Period, t.Algorithm); err != nil {
		return nil, fmt.Errorf("the otpauth URI: %w", err)
	}
	if iss, ok := params["issuer"]; ok {
		if t.Issuer != "" && iss != t.Issuer {
			warns = append(warns, "the otpauth URI names two issuers (in the label and the issuer parameter); the app may show either")
		}
		if t.Issuer == "" {
			t.Issuer = iss
		}
	}
	return warns, nil
}

// splitLabel decodes ISSUER:ACCOUNT, or ACCOUNT alone.
func splitLabel(label string) (issuer, account string, err error) {
	if iss, acc, found := strings.Cut(label, ":"); found {
		if issuer, err = unescape(iss, "the issuer"); err != nil {
			return "", "", err
		}
		label = acc
	}
	if account, err = unescape(label, "the account name"); err != nil {
		return "", "", err
	}
	if issuer == "" {
		// An escaped colon separates them too (Key Uri Format).
		if iss, acc, found := strings.Cut(account, ":"); found {
			issuer, account = iss, acc
		}
	}
	// The format allows spaces after the colon.
	return issuer, strings.TrimLeft(account, " "), nil
}

// unescape decodes RFC 3986 percent-escapes; "+" stays a plus sign.
func unescape(s, what string) (string, error) {
	v, err := url.PathUnescape(s)
	if err != nil {
		return "", fmt.Errorf("the otpauth URI has a malformed percent-escape in %s", what)
	}
	if !utf8.ValidString(v) {
		return "", fmt.Errorf("the otpauth URI has %s in invalid UTF-8", what)
	}
	return v, nil
}

// number reads a decimal parameter.
func number(v, name string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || len(v) > 6 || strings.HasPrefix(v, "+") {
		return 0, fmt.Errorf("the otpauth URI's %s parameter is not a number", name)
	}
	return n, nil
}
