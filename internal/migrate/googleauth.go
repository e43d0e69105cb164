package migrate

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A google-authenticator-libpam file (~/.google_authenticator), as the
// google-authenticator tool writes it and pam_google_authenticator reads it
// (FILEFORMAT in that project):
//
//	JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP    the base32 secret
//	" RATE_LIMIT 3 30 1700000000         options: a double quote, a space,
//	" WINDOW_SIZE 17                     an upper-case name with an
//	" DISALLOW_REUSE 56666666            underscore, parameters (the module
//	" TOTP_AUTH                          appends its state to some)
//	83920475                             8-digit single-use scratch codes
//
// TOTP codes are accepted only with TOTP_AUTH and without HOTP_COUNTER; the
// codes are SHA1 with 6 digits, in steps of STEP_SIZE seconds (30 when it
// is absent).
func parseGoogleAuthenticator(data []byte) (Token, []string, error) {
	t := Token{Digits: 6, Period: 30, Algorithm: SHA1}
	var warns []string
	text := strings.TrimPrefix(string(data), "\ufeff")
	lines := strings.Split(text, "\n")
	first := strings.TrimRight(lines[0], "\r")
	if strings.HasPrefix(first, `"`) || strings.TrimSpace(first) == "" {
		return Token{}, nil, errors.New("the google-authenticator file does not start with its secret")
	}
	t.Secret = first
	totp, hotp := false, false
	seen := map[string]bool{}
	for i, line := range lines[1:] {
		n := i + 2
		line = strings.TrimRight(line, "\r")
		switch {
		case strings.TrimSpace(line) == "":
			continue
		case strings.HasPrefix(line, `" `):
			name, arg, _ := strings.Cut(strings.TrimSpace(line[2:]), " ")
			arg = strings.TrimSpace(arg)
			switch name {
			case "TOTP_AUTH":
				totp = true
			case "HOTP_COUNTER":
				hotp = true
			case "STEP_SIZE":
				// pam_google_authenticator ignores what follows the number.
				f := strings.Fields(arg)
				p, err := strconv.Atoi(firstOr(f, ""))
				if err != nil {
					return Token{}, nil, fmt.Errorf("line %d: STEP_SIZE is not a number of seconds", n)
				}
				t.Period = p
			case "WINDOW_SIZE":
				if w, err := strconv.Atoi(firstOr(strings.Fields(arg), "")); err == nil && w > 3 {
					warns = append(warns, fmt.Sprintf("the file allowed %d codes around the current one (WINDOW_SIZE); authctl accepts 3 (one step either side), so a phone whose clock is more than one step off needs its time set", w))
				}
			case "RATE_LIMIT", "DISALLOW_REUSE":
				// authctl always throttles failures and refuses a used code.
			case "OTP_DISABLED":
				return Token{}, nil, errors.New("the google-authenticator file has OTP_DISABLED: the user does not use one-time codes")
			default:
				if !seen[name] {
					warns = append(warns, fmt.Sprintf("line %d: option %q of the google-authenticator file is not known and was ignored", n, clip(name)))
				}
			}
			seen[name] = true
		case isScratch(line):
			if len(t.Scratch) == MaxScratch {
				return Token{}, nil, fmt.Errorf("the google-authenticator file has more than %d scratch codes", MaxScratch)
			}
			if !slices.Contains(t.Scratch, line) {
				t.Scratch = append(t.Scratch, line)
			}
		default:
			return Token{}, nil, fmt.Errorf("line %d of the google-authenticator file is neither an option nor an 8-digit scratch code", n)
		}
	}
	switch {
	case hotp:
		return Token{}, nil, errors.New("the google-authenticator file is for counter-based codes (HOTP_COUNTER); authctl supports time-based codes (TOTP) only")
	case !totp:
		return Token{}, nil, errors.New(`the google-authenticator file has no " TOTP_AUTH line: pam_google_authenticator accepts no time-based codes with it`)
	}
	if err := checkParams(t.Digits, t.Period, t.Algorithm); err != nil {
		return Token{}, nil, fmt.Errorf("STEP_SIZE: %w", err)
	}
	return t, warns, nil
}

// isScratch reports whether line is a scratch code as
// pam_google_authenticator accepts one: exactly 8 digits, not starting
// with 0.
func isScratch(line string) bool {
	if len(line) != 8 || line[0] == '0' {
		return false
	}
	for i := 0; i < len(line); i++ {
		if line[i] < '0' || line[i] > '9' {
			return false
		}
	}
	return true
}

func firstOr(f []string, def string) string {
	if len(f) == 0 {
		return def
	}
	return f[0]
}
