package secret

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"
)

// commonGz is the list of commonly used passwords that CheckCommon refuses:
// the entries of at least MinPasswordChars characters of the password
// frequency data of github.com/trustelem/zxcvbn v1.0.1 (MIT licence; see
// the file's NOTICE header), lowercased and sorted. It stays compressed in
// the binary and is decoded on the first CheckCommon call, so start-up and
// the login path pay nothing for it.
//
//go:generate go run ../../scripts/common-passwords -o common-passwords.txt.gz
//go:embed common-passwords.txt.gz
var commonGz []byte

var (
	// ErrCommonPassword means the password is on the list of commonly used
	// passwords (NIST SP 800-63B §5.1.1.2).
	ErrCommonPassword = errors.New("password is one of the most commonly used passwords; choose another")
	// ErrContextPassword means the password is a word of its context: the
	// user name or the service's name.
	ErrContextPassword = errors.New("password is the same as the user name or the service name; choose another")
)

var common struct {
	once sync.Once
	list []string // sorted
	err  error
}

// commonList decodes the embedded list once.
func commonList() ([]string, error) {
	common.once.Do(func() { common.list, common.err = decodeCommon(commonGz) })
	return common.list, common.err
}

// decodeCommon reads the gzipped list: a header of "# " lines, a blank
// line, then one password a line in sorted order.
func decodeCommon(gz []byte) ([]string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, errors.New("the built-in list of common passwords is damaged")
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, errors.New("the built-in list of common passwords is damaged")
	}
	_, body, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, errors.New("the built-in list of common passwords has no header")
	}
	list := strings.Split(strings.TrimSuffix(string(body), "\n"), "\n")
	if !slices.IsSorted(list) {
		return nil, errors.New("the built-in list of common passwords is not sorted")
	}
	return list, nil
}

// CheckCommon refuses a password that is on the list of commonly used and
// leaked passwords, compared after NFKC normalisation and ignoring case, or
// that equals one of the context words (the user name, the service name),
// also ignoring case. It does not check the length rules: CheckPassword
// does. The list is decoded on the first call, a few milliseconds once per
// process; later calls take a binary search.
func CheckCommon(pw string, context ...string) error {
	n := norm.NFKC.String(pw)
	for _, c := range context {
		if c != "" && strings.EqualFold(n, norm.NFKC.String(c)) {
			return ErrContextPassword
		}
	}
	list, err := commonList()
	if err != nil {
		return err
	}
	if _, found := slices.BinarySearch(list, strings.ToLower(n)); found {
		return ErrCommonPassword
	}
	return nil
}
