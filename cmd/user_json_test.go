package cmd

import (
	"bytes"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/account"
)

// checkUserJSON fails unless appendUserJSON writes what encoding/json
// writes for v, and fails where it fails.
func checkUserJSON(t *testing.T, v account.UserView) {
	t.Helper()
	var want bytes.Buffer
	err := newJSONEncoder(&want).Encode(v)
	got, ok := appendUserJSON([]byte("prefix"), v)
	if ok != (err == nil) {
		t.Fatalf("appendUserJSON(%#v): ok %v, encoding/json: %v", v, ok, err)
	}
	if ok && string(got) != "prefix"+want.String() {
		t.Fatalf("appendUserJSON(%#v) =\n%s\nencoding/json:\n%s", v, got[len("prefix"):], want.Bytes())
	}
}

var jsonNames = []string{
	"alice", "", "Zoë", "李小龙", "user0000042", "emoji 🔐 ok",
	`quote" back\slash`, "<tag> & amp", "tab\tnew\nline\rret\bbs\fff",
	"\x00\x01\x1f\x7f", "line\u2028para\u2029end", "bad \xff\xfe utf8", "cut \xe2\x82",
	"\ufffd real replacement", "\U0010ffff max", "\xed\xa0\x80 surrogate",
}

func jsonTimes() []*time.Time {
	at := time.Date(2026, 11, 30, 15, 4, 5, 123456789, time.UTC)
	ts := []time.Time{
		at, at.Truncate(time.Second), at.Truncate(time.Millisecond), {},
		at.In(time.FixedZone("", 5*3600+45*60)), at.In(time.FixedZone("X", -12*3600)), at.Local(),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), // encoding/json refuses it
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),    // and this
	}
	r := []*time.Time{nil}
	for i := range ts {
		r = append(r, &ts[i])
	}
	return r
}

// Every view, JSON as encoding/json writes it: names with every kind of
// escape, times in zones and out of range, nil and set pointers.
func TestAppendUserJSON(t *testing.T) {
	times := jsonTimes()
	for i, name := range jsonNames {
		for j, tm := range times {
			v := account.UserView{
				Name: name, TwoFactor: i%2 == 0, TwoFactorSince: tm,
				BackupCodesLeft: i - 3, PendingEnrollment: j%2 == 1,
				Locked: j%3 == 0, LockedUntil: times[(i+j)%len(times)],
				Failures: j * 1000003, LastLoginAt: times[(i*7+j)%len(times)],
			}
			if tm != nil {
				v.CreatedAt, v.PasswordChangedAt = *tm, tm.Add(time.Hour)
			}
			checkUserJSON(t, v)
		}
	}
	checkUserJSON(t, account.UserView{Failures: -1 << 63, BackupCodesLeft: 1<<63 - 1})
}

func FuzzAppendUserJSON(f *testing.F) {
	for i, name := range jsonNames {
		f.Add(name, int64(1764515045+i), int64(i*123456789), 3600*i, i, true, false)
	}
	f.Add("far", int64(253402300800), int64(0), 0, 0, false, true)
	f.Add("zone", int64(0), int64(-1), -86399, -5, true, true)
	f.Fuzz(func(t *testing.T, name string, sec, nsec int64, offset, n int, b1, b2 bool) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset))
		v := account.UserView{Name: name, TwoFactor: b1, BackupCodesLeft: n, Locked: b2, Failures: -n,
			CreatedAt: tm, PasswordChangedAt: tm.UTC()}
		if b1 {
			v.TwoFactorSince = &tm
		}
		if b2 {
			v.LockedUntil, v.LastLoginAt = &v.PasswordChangedAt, &tm
		}
		checkUserJSON(t, v)
	})
}
