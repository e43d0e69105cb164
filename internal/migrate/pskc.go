package migrate

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// PSKC (RFC 6030) key containers, as token vendors ship them and FreeIPA's
// ipa-otptoken-import reads them: one KeyPackage per device, its
// DeviceInfo/SerialNo naming the device, one Key with the algorithm URI
// urn:ietf:params:xml:ns:keyprov:pskc:totp, AlgorithmParameters/Suite
// naming the hash (sha1 when absent; "hmac-sha256", "SHA-256" and the like,
// in any case), ResponseFormat giving the digits, and Data holding the
// secret (base64 in PlainValue) and the TimeInterval.
//
// Only plain values are read: a container whose keys are encrypted
// (EncryptedValue) is refused, as are the features that would change the
// codes and that authctl does not have (a PIN, check digits, a T0 other
// than 0).

const pskcNS = "urn:ietf:params:xml:ns:keyprov:pskc"

type pskcContainer struct {
	XMLName  xml.Name
	Packages []pskcPackage `xml:"KeyPackage"`
}

type pskcPackage struct {
	Device struct {
		SerialNo string `xml:"SerialNo"`
		UserID   string `xml:"UserId"`
	} `xml:"DeviceInfo"`
	Keys []pskcKey `xml:"Key"`
}

type pskcKey struct {
	ID        string `xml:"Id,attr"`
	Algorithm string `xml:"Algorithm,attr"`
	Issuer    string `xml:"Issuer"`
	Params    struct {
		Suite    *string `xml:"Suite"`
		Response *struct {
			Length      string `xml:"Length,attr"`
			Encoding    string `xml:"Encoding,attr"`
			CheckDigits string `xml:"CheckDigits,attr"`
		} `xml:"ResponseFormat"`
	} `xml:"AlgorithmParameters"`
	KeyReference *string `xml:"KeyReference"`
	Data         struct {
		Secret       *pskcValue `xml:"Secret"`
		Time         *pskcValue `xml:"Time"`
		TimeInterval *pskcValue `xml:"TimeInterval"`
		TimeDrift    *pskcValue `xml:"TimeDrift"`
	} `xml:"Data"`
	UserID string `xml:"UserId"`
	Policy struct {
		PINPolicy    *struct{} `xml:"PINPolicy"`
		KeyUsage     []string  `xml:"KeyUsage"`
		Transactions *string   `xml:"NumberOfTransactions"`
	} `xml:"Policy"`
}

type pskcValue struct {
	Plain     *string   `xml:"PlainValue"`
	Encrypted *struct{} `xml:"EncryptedValue"`
}

type pskcCandidate struct {
	serial, user string
	key          *pskcKey
}

var errEncrypted = errors.New("the PSKC file's keys are encrypted (EncryptedValue); authctl reads plain values only: decrypt the file with its pre-shared key or password first, for example with the vendor's tool")

func parsePSKC(data []byte, serial string) (Token, []string, error) {
	var c pskcContainer
	if err := decodePSKC(data, &c); err != nil {
		return Token{}, nil, err
	}
	var all []pskcCandidate
	var serials []string
	for i := range c.Packages {
		p := &c.Packages[i]
		s := strings.TrimSpace(p.Device.SerialNo)
		for j := range p.Keys {
			all = append(all, pskcCandidate{serial: s, user: strings.TrimSpace(p.Device.UserID), key: &p.Keys[j]})
			if s != "" {
				serials = append(serials, s)
			}
		}
	}
	var picked []pskcCandidate
	for _, k := range all {
		if serial == "" || k.serial == serial {
			picked = append(picked, k)
		}
	}
	switch {
	case len(all) == 0:
		return Token{}, nil, errors.New("the PSKC file holds no key")
	case len(picked) == 0 || serial == "" && len(picked) > 1:
		return Token{}, nil, &SerialError{Want: serial, Serials: serials, Count: len(all)}
	case len(picked) > 1:
		return Token{}, nil, fmt.Errorf("%d keys in the PSKC file have serial number %q", len(picked), serial)
	}
	return pskcToken(picked[0])
}

// decodePSKC checks the document is a PSKC KeyContainer and decodes it.
// A DOCTYPE is refused: PSKC has none, and it is how entity tricks start
// (encoding/xml expands no external entity anyway). Errors give a line, not
// the file's text.
func decodePSKC(data []byte, c *pskcContainer) error {
	if len(data) > MaxFile {
		return ErrTooLarge
	}
	if t := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\ufeff")), " \t\r\n"); len(t) > 0 && t[0] != '<' {
		return errors.New("not a PSKC file: it does not start with an XML element")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return errors.New("the PSKC file holds no XML element")
		}
		if err != nil {
			return xmlError(d, err)
		}
		switch tok := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(tok)) > 0 {
				return errors.New("not a PSKC file: it does not start with an XML element")
			}
		case xml.Directive:
			return errors.New("the PSKC file has a DOCTYPE or another XML directive; PSKC files have none")
		case xml.StartElement:
			if tok.Name.Local != "KeyContainer" {
				return errors.New("not a PSKC file: the XML document is not a KeyContainer")
			}
			if tok.Name.Space != pskcNS {
				return fmt.Errorf("not an RFC 6030 PSKC file: the KeyContainer is in the namespace %q, not %q", clip(tok.Name.Space), pskcNS)
			}
			if err := d.DecodeElement(c, &tok); err != nil {
				return xmlError(d, err)
			}
			return checkTrailer(d)
		}
	}
}

// checkTrailer refuses a second root element or directives after the first.
func checkTrailer(d *xml.Decoder) error {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return xmlError(d, err)
		}
		switch tok.(type) {
		case xml.StartElement, xml.Directive:
			return errors.New("the PSKC file has more after its KeyContainer")
		case xml.CharData:
			if len(bytes.TrimSpace(tok.(xml.CharData))) > 0 {
				return errors.New("the PSKC file has text after its KeyContainer")
			}
		}
	}
}

func xmlError(d *xml.Decoder, err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("the PSKC file is not well-formed XML (line %d)", se.Line)
	}
	line, _ := d.InputPos()
	return fmt.Errorf("the PSKC file cannot be read as XML (line %d)", line)
}

func pskcToken(c pskcCandidate) (Token, []string, error) {
	k := c.key
	t := Token{Digits: 6, Period: 30, Algorithm: SHA1, Serial: c.serial, Issuer: strings.TrimSpace(k.Issuer)}
	t.Account = strings.TrimSpace(k.UserID)
	if t.Account == "" {
		t.Account = c.user
	}
	if err := pskcTOTP(k); err != nil {
		return Token{}, nil, err
	}
	secret, err := pskcSecret(k)
	if err != nil {
		return Token{}, nil, err
	}
	t.Secret = secret
	if err := pskcFormat(k, &t); err != nil {
		return Token{}, nil, err
	}
	warns, err := pskcTime(k, &t)
	if err != nil {
		return Token{}, nil, err
	}
	if err := pskcPolicy(k); err != nil {
		return Token{}, nil, err
	}
	if err := checkParams(t.Digits, t.Period, t.Algorithm); err != nil {
		return Token{}, nil, fmt.Errorf("the PSKC key: %w", err)
	}
	return t, warns, nil
}

// pskcTOTP refuses a key that is not for time-based codes.
func pskcTOTP(k *pskcKey) error {
	switch strings.ToLower(strings.TrimSpace(k.Algorithm)) {
	case pskcNS + ":totp", pskcNS + "#totp":
		return nil
	case pskcNS + ":hotp", pskcNS + "#hotp":
		return errors.New("the PSKC key is for counter-based codes (HOTP); authctl supports time-based codes (TOTP) only")
	}
	return fmt.Errorf("the PSKC key's algorithm %q is not TOTP (%s:totp)", clip(k.Algorithm), pskcNS)
}

// pskcSecret returns the key's secret, in base32, from its plain value.
func pskcSecret(k *pskcKey) (string, error) {
	switch s := k.Data.Secret; {
	case s == nil && k.KeyReference != nil:
		return "", errors.New("the PSKC key refers to a key held elsewhere (KeyReference); authctl needs the secret itself")
	case s == nil:
		return "", errors.New("the PSKC key has no secret")
	case s.Plain == nil && s.Encrypted != nil:
		return "", errEncrypted
	case s.Plain == nil:
		return "", errors.New("the PSKC key's secret has no PlainValue")
	default:
		raw, err := base64.StdEncoding.DecodeString(stripSpace(*s.Plain))
		if err != nil {
			return "", errors.New("the PSKC key's secret is not base64")
		}
		if len(raw) == 0 {
			return "", errors.New("the secret is empty")
		}
		return b32.EncodeToString(raw), nil
	}
}

// pskcFormat reads the codes' length, encoding and hash.
func pskcFormat(k *pskcKey, t *Token) error {
	if r := k.Params.Response; r != nil {
		if r.Length != "" {
			n, err := strconv.Atoi(strings.TrimSpace(r.Length))
			if err != nil {
				return errors.New("the PSKC key's ResponseFormat Length is not a number")
			}
			t.Digits = n
		}
		if e := strings.TrimSpace(r.Encoding); e != "" && !strings.EqualFold(e, "DECIMAL") {
			return fmt.Errorf("the PSKC key's codes are %q, not DECIMAL", clip(e))
		}
		if cd := strings.TrimSpace(r.CheckDigits); cd != "" && !strings.EqualFold(cd, "false") && cd != "0" {
			return errors.New("the PSKC key's codes end with a check digit (CheckDigits), which authctl does not support")
		}
	}
	if k.Params.Suite != nil {
		alg, err := hashName(*k.Params.Suite)
		if err != nil {
			return err
		}
		t.Algorithm = alg
	}
	return nil
}

// pskcTime reads the time step, origin and drift. A drift becomes the
// token's clock offset, as a resync would measure it.
func pskcTime(k *pskcKey, t *Token) ([]string, error) {
	if v, err := pskcInt(k.Data.TimeInterval, "TimeInterval"); err != nil {
		return nil, err
	} else if k.Data.TimeInterval != nil {
		t.Period = v
	}
	if v, err := pskcInt(k.Data.Time, "Time"); err != nil {
		return nil, err
	} else if v != 0 {
		return nil, errors.New("the PSKC key counts time from another origin than 1970 (Time is not 0), which authctl does not support")
	}
	v, err := pskcInt(k.Data.TimeDrift, "TimeDrift")
	if err != nil {
		return nil, err
	}
	if v < -maxDriftSteps || v > maxDriftSteps {
		return []string{fmt.Sprintf("the PSKC key's clock drifts by %d steps (TimeDrift), too far to keep; the device needs resynchronising (2fa sync)", v)}, nil
	}
	t.Drift = v
	return nil, nil
}

// maxDriftSteps is the largest TimeDrift kept as the key's offset.
const maxDriftSteps = 100

// pskcPolicy refuses policies that change what the user types.
func pskcPolicy(k *pskcKey) error {
	switch {
	case k.Policy.PINPolicy != nil:
		return errors.New("the PSKC key needs a PIN with each code (PINPolicy), which authctl does not support")
	case k.Policy.Transactions != nil:
		return errors.New("the PSKC key may be used a limited number of times (NumberOfTransactions), which authctl does not support")
	case len(k.Policy.KeyUsage) > 0 && !hasOTPUsage(k.Policy.KeyUsage):
		return errors.New("the PSKC key's KeyUsage does not include OTP")
	}
	return nil
}

// pskcInt reads an integer data value; absent is 0.
func pskcInt(v *pskcValue, name string) (int, error) {
	switch {
	case v == nil:
		return 0, nil
	case v.Plain == nil && v.Encrypted != nil:
		return 0, errEncrypted
	case v.Plain == nil:
		return 0, fmt.Errorf("the PSKC key's %s has no PlainValue", name)
	}
	s := strings.TrimSpace(*v.Plain)
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 12 {
		return 0, fmt.Errorf("the PSKC key's %s is not a number", name)
	}
	return n, nil
}

// hashName maps a Suite to an algorithm as ipa-otptoken-import does ("sha1",
// "SHA-256", "hmac-sha512", any case; empty is SHA1), but refuses a name it
// does not know instead of taking it as SHA1: a wrong guess would make
// every code fail.
func hashName(suite string) (string, error) {
	v := strings.ToLower(strings.TrimSpace(suite))
	v = strings.TrimPrefix(v, "hmac-")
	v = strings.Replace(v, "sha-", "sha", 1)
	switch v {
	case "", "sha1":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	case "sha512":
		return SHA512, nil
	case "sha224", "sha384":
		return "", fmt.Errorf("the PSKC key uses %s, which authctl does not support (SHA1, SHA256 or SHA512)", strings.ToUpper(v))
	}
	return "", fmt.Errorf("the PSKC key's Suite %q names no hash authctl knows (SHA1, SHA256 or SHA512)", clip(strings.TrimSpace(suite)))
}

func hasOTPUsage(usages []string) bool {
	for _, u := range usages {
		if strings.EqualFold(strings.TrimSpace(u), "OTP") {
			return true
		}
	}
	return false
}

func stripSpace(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}
