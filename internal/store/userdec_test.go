package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// sampleUsers are records as the domain writes them: every field set in
// one of them, names that encoding/json escapes in others.
func sampleUsers() []*User {
	at := time.Date(2026, 11, 30, 15, 4, 5, 123456789, time.UTC)
	zone := time.FixedZone("", -(3*3600 + 30*60))
	return []*User{
		{Name: "alice", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$SGVsbG9IZWxsb0hlbGxvSGVsbG9IZWxsb0hlbGxvMTI", CreatedAt: at, PasswordAt: at, Rev: 1},
		{Name: "bob", PasswordHash: "h", CreatedAt: at, PasswordAt: at.Add(time.Hour), LastLoginAt: at.In(zone),
			TOTP:    &TOTP{Secret: []byte("sealed secret bytes"), EnabledAt: at, Digits: 8, Period: 60, Algorithm: "SHA256", Offset: -2, Source: "google-authenticator"},
			Pending: &Pending{Secret: []byte{}, CreatedAt: at, ExpiresAt: at.Add(10 * time.Minute)},
			Backup: &BackupSet{Salt: []byte("0123456789abcdef"), Memory: 19456, Time: 2, Threads: 1,
				Hashes: [][]byte{[]byte("h1"), nil, []byte("h3"), {}}, GeneratedAt: at, LastUsed: []byte("h2"), Kind: BackupScratch},
			LastStep: 1<<62 + 5, Failures: 7, LockedUntil: at.Add(30 * time.Second), Rev: 1<<63 + 1},
		{Name: "Zoë 李", PasswordHash: "x", Backup: &BackupSet{Hashes: [][]byte{}}, Failures: -3},
		{Name: `quote" back\slash <tag> & ` + "\u2028 tab\t", PasswordHash: "x"},
		{Name: "pending", PasswordHash: "x", Pending: &Pending{CreatedAt: at}, TOTP: &TOTP{}},
		{},
	}
}

// The fast path takes every record EncodeUser writes, and gives what
// encoding/json gives.
func TestDecodeUserFastTakesEncodedRecords(t *testing.T) {
	for _, u := range sampleUsers() {
		v, err := EncodeUser(u)
		if err != nil {
			t.Fatal(err)
		}
		_, ok := decodeUserFast(v)
		escaped := strings.ContainsRune(string(v), '\\')
		if !ok && !escaped {
			t.Errorf("fast path refused %s", v)
		}
		if ok && escaped {
			t.Errorf("fast path took a string with escapes: %s", v)
		}
		checkAgainstJSON(t, v)
		if d, err := DecodeUser(v); err != nil || !reflect.DeepEqual(d, want(v)) {
			t.Errorf("DecodeUser(%s) = %+v, %v", v, d, err)
		}
	}
}

// Whatever the fast path refuses, DecodeUser still decodes as encoding/json
// does, with its error message for a damaged record.
func TestDecodeUserFallsBack(t *testing.T) {
	for _, v := range []string{
		`{"name":"a","extra":1}`,
		`{"NAME":"a"}`,
		`{"name":"a","name":"b"}`,
		`{"name":"\u0061"}`,
		`{"name":null}`,
		`{"rev":18446744073709551615}`,
		`{"totp":{"secret":"c2VjcmV0"},"totp":{"digits":8}}`,
		`{"created_at":null}`,
		"{\"name\":\"a\xffb\"}",
	} {
		if _, ok := decodeUserFast([]byte(v)); ok {
			t.Errorf("fast path took %s", v)
		}
		u, err := DecodeUser([]byte(v))
		if err != nil || !reflect.DeepEqual(u, want([]byte(v))) {
			t.Errorf("DecodeUser(%s) = %+v, %v", v, u, err)
		}
	}
	for _, v := range []string{
		`{not json`,
		`{"name":"a"`,
		`{"name":"a"}x`,
		`{"failures":"7"}`,
		`{"failures":1.0}`,
		`{"failures":1e2}`,
		`{"failures":99999999999999999999}`,
		`{"rev":-1}`,
		`{"backup":{"p":256}}`,
		`{"totp":{"secret":"not base64!"}}`,
		`{"created_at":"yesterday"}`,
		`{"backup":{"hashes":[1]}}`,
		`[]`,
		``,
	} {
		if _, ok := decodeUserFast([]byte(v)); ok {
			t.Errorf("fast path took %s", v)
		}
		var u User
		jerr := json.Unmarshal([]byte(v), &u)
		_, err := DecodeUser([]byte(v))
		if jerr == nil || err == nil || err.Error() != "corrupt user record: "+jerr.Error() {
			t.Errorf("DecodeUser(%s): %v, encoding/json: %v", v, err, jerr)
		}
	}
}

func want(v []byte) *User {
	u := new(User)
	if err := json.Unmarshal(v, u); err != nil {
		return nil
	}
	return u
}

// checkAgainstJSON fails when the fast path takes v and decodes it to
// anything but what encoding/json decodes it to.
func checkAgainstJSON(t *testing.T, v []byte) {
	t.Helper()
	got, ok := decodeUserFast(v)
	if !ok {
		return
	}
	w := new(User)
	if err := json.Unmarshal(v, w); err != nil {
		t.Fatalf("fast path took %q, which encoding/json refuses: %v", v, err)
	}
	if !reflect.DeepEqual(got, w) {
		t.Fatalf("fast path decoded %q to\n%#v\nencoding/json to\n%#v", v, got, w)
	}
}

func FuzzDecodeUserFast(f *testing.F) {
	for _, u := range sampleUsers() {
		v, err := EncodeUser(u)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(v)
		i, _ := json.MarshalIndent(u, " ", "\t")
		f.Add(i)
	}
	f.Add([]byte(`{"failures":-0,"last_step":-9223372036854775808,"rev":0,"backup":{"m":4294967295,"p":255,"hashes":[null,"",null]}}`))
	f.Add([]byte(`{"created_at":"2026-01-02T03:04:05+01:00","locked_until":"0001-01-01T00:00:00Z"}`))
	f.Fuzz(checkAgainstJSON)
}
