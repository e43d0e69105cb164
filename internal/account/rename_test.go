package account

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authctl/authctl/internal/apperr"
	"github.com/authctl/authctl/internal/otp"
	"github.com/authctl/authctl/internal/store"
)

func TestRenameUser(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "battery staple")
	before := f.user("alice")

	got, err := f.svc.RenameUser("alice", "Alice.B")
	if err != nil || got != "Alice.B" {
		t.Fatalf("RenameUser = %q, %v", got, err)
	}
	if ok, _ := f.svc.Exists("alice"); ok {
		t.Error("the old name still exists")
	}
	after := f.user("Alice.B")
	if after.PasswordHash != before.PasswordHash || !after.CreatedAt.Equal(before.CreatedAt) || after.Rev != before.Rev+1 {
		t.Errorf("record changed beyond its name: %+v -> %+v", before, after)
	}
	if _, err := f.login("Alice.B", "correct horse", ""); err != nil {
		t.Errorf("login under the new name: %v", err)
	}
	if !hasAudit(t, f, EvUserRename, "Alice.B", "renamed from alice") {
		t.Error("no user.rename audit entry")
	}

	// The new name is stored normalised, and the old one may be typed in
	// any spelling of the stored name.
	if got, err := f.svc.RenameUser("Alice.B", "re\u0301.sume\u0301"); err != nil || got != "ré.sumé" {
		t.Fatalf("RenameUser to a decomposed name = %q, %v", got, err)
	}
	if got, err := f.svc.RenameUser("re\u0301.sume\u0301", "carol"); err != nil || got != "carol" {
		t.Fatalf("RenameUser from a decomposed spelling = %q, %v", got, err)
	}

	// Refusals change nothing.
	tests := []struct {
		name, old, next string
		kind            apperr.Kind
		msg             string
	}{
		{"new name taken", "carol", "bob", apperr.Conflict, "user bob already exists"},
		{"same name", "carol", "carol", apperr.Conflict, "already exists"},
		{"taken in another spelling", "carol", "ｂｏｂ", apperr.Conflict, "user bob already exists"},
		{"no such user", "dave", "erin", apperr.Conflict, "no such user: dave"},
		{"invalid new name", "carol", "car ol", apperr.Invalid, "whitespace"},
		{"invisible new name", "carol", "carol\u3164", apperr.Invalid, "invisible"},
		{"empty new name", "carol", "", apperr.Invalid, "empty"},
		{"invalid old name", "a\x1b[2J", "erin", apperr.Invalid, "control character"},
		{"huge old name", strings.Repeat("a", 1<<20), "erin", apperr.Invalid, "longer than"},
	}
	for _, tt := range tests {
		_, err := f.svc.RenameUser(tt.old, tt.next)
		wantKind(t, tt.name, err, tt.kind, tt.msg)
		if strings.Contains(err.Error(), "\x1b") || len(err.Error()) > 200 {
			t.Errorf("%s: error echoes its input: %q", tt.name, err)
		}
	}
	var names []string
	f.svc.EachUser(func(u UserView) error { names = append(names, u.Name); return nil })
	if strings.Join(names, ",") != "bob,carol" {
		t.Errorf("users after the refusals: %q", names)
	}
}

// The TOTP secret is sealed with the name as associated data: a renamed
// user's authenticator and backup codes keep working, and the sealed secret
// no longer opens under the old name.
func TestRenameUserWithTwoFactor(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	secret, codes := f.enable("alice", "correct horse")

	if _, err := f.svc.RenameUser("alice", "alicia"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.login("alicia", "correct horse", f.code(secret, 0)); err != nil {
		t.Fatalf("login with a code after the rename: %v", err)
	}
	f.advance(otp.Period * time.Second)
	if res, err := f.login("alicia", "correct horse", codes[0]); err != nil || res.BackupLeft != 7 {
		t.Fatalf("login with a backup code after the rename: %+v, %v", res, err)
	}
	u := f.user("alicia")
	if plain, err := f.svc.openSecret(f.keyID(), "alicia", u.TOTP.Secret); err != nil || plain != secret {
		t.Fatalf("secret under the new name: %q, %v", plain, err)
	}
	if _, err := f.svc.openSecret(f.keyID(), "alice", u.TOTP.Secret); err == nil {
		t.Fatal("the secret still opens under the old name")
	}

	// A pending enrollment moves too, and is confirmed under the new name.
	f.addUser("bob", "battery staple")
	en, err := f.svc.BeginEnroll("bob", "battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.RenameUser("bob", "robert"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ConfirmEnroll("robert", "battery staple", f.code(en.Key.Secret, 0)); err != nil {
		t.Fatalf("confirming the pending enrollment after the rename: %v", err)
	}

	// Without the key file nothing can be re-sealed, and nothing changes.
	f.svc.Keys.Path += ".missing"
	_, err = f.svc.RenameUser("robert", "rob")
	wantKind(t, "rename without the key file", err, apperr.Env, "key file")
	if ok, _ := f.svc.Exists("robert"); !ok {
		t.Fatal("robert is gone after a failed rename")
	}
}

// A user stored under a name that PRECIS refuses or changes (from before
// names were normalised) is found by its name as stored and can be renamed
// to a valid one, 2FA included.
func TestRenameLegacyUser(t *testing.T) {
	f := newFixture(t)
	f.addUser("template", "correct horse")
	hash := f.user("template").PasswordHash
	for _, legacy := range []string{"ghost\u3164", "ａｎｎ", "re\u0301sume\u0301", "a\u2665b"} {
		if !IsLegacyName(legacy) {
			t.Fatalf("%+q is not a legacy name", legacy)
		}
		err := f.svc.Store.Update(func(tx store.Tx) error {
			return tx.PutUser(&store.User{Name: legacy, PasswordHash: hash, CreatedAt: *f.now, PasswordAt: *f.now})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	secret, _ := f.enable("ghost\u3164", "correct horse")

	if got, err := f.svc.RenameUser("ghost\u3164", "ghost"); err != nil || got != "ghost" {
		t.Fatalf("RenameUser(ghost+U+3164) = %q, %v", got, err)
	}
	if _, err := f.login("ghost", "correct horse", f.code(secret, 0)); err != nil {
		t.Fatalf("login after renaming a legacy name: %v", err)
	}
	if !hasAudit(t, f, EvUserRename, "ghost", `renamed from "ghost\u3164"`) {
		t.Error("the audit entry does not show the old name with its invisible character escaped")
	}
	// A fullwidth legacy name takes its own normal form, which is free.
	if got, err := f.svc.RenameUser("ａｎｎ", "ann"); err != nil || got != "ann" {
		t.Fatalf("RenameUser(fullwidth ann) = %q, %v", got, err)
	}
	if got, err := f.svc.RenameUser("re\u0301sume\u0301", "resume"); err != nil || got != "resume" {
		t.Fatalf("RenameUser(decomposed legacy name) = %q, %v", got, err)
	}
	if _, err := f.svc.RenameUser("a\u2665b", "ann"); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("renaming onto a taken name: %v", err)
	}
	if ok, err := f.svc.Exists("a\u2665b"); err != nil || !ok {
		t.Fatalf("the legacy user is gone after a refused rename: %v", err)
	}
}

// The write re-checks the record it read: a change made between the read
// and the write (another admin, another process) is never lost, and a name
// taken meanwhile is refused.
func TestRenameUserRaces(t *testing.T) {
	f := newFixture(t)
	f.addUser("alice", "correct horse")
	f.addUser("bob", "battery staple")
	inner := f.svc.Store
	other := *f.svc // another process on the same database
	other.Store = inner

	// alice changes her password after the rename read her record.
	var once sync.Once
	f.svc.Store = hookStore{Store: inner, before: func() {
		once.Do(func() {
			if err := other.ChangePassword("alice", Proof{Password: "correct horse"}, "a new password"); err != nil {
				t.Errorf("ChangePassword: %v", err)
			}
		})
	}}
	if _, err := f.svc.RenameUser("alice", "alicia"); err != nil {
		t.Fatal(err)
	}
	f.svc.Store = inner
	if _, err := f.login("alicia", "a new password", ""); err != nil {
		t.Fatalf("the password changed during the rename was lost: %v", err)
	}

	// A new enrollment replaces the pending secret meanwhile: the rename
	// carries the new secret, not the one it read.
	f.addUser("carol", "carol's password")
	if _, err := f.svc.BeginEnroll("carol", "carol's password"); err != nil {
		t.Fatal(err)
	}
	var second Enrollment
	var onceEnroll sync.Once
	f.svc.Store = hookStore{Store: inner, before: func() {
		onceEnroll.Do(func() {
			var err error
			if second, err = other.BeginEnroll("carol", "carol's password"); err != nil {
				t.Errorf("BeginEnroll: %v", err)
			}
		})
	}}
	if _, err := f.svc.RenameUser("carol", "caroline"); err != nil {
		t.Fatal(err)
	}
	f.svc.Store = inner
	if _, err := f.svc.ConfirmEnroll("caroline", "carol's password", f.code(second.Key.Secret, 0)); err != nil {
		t.Fatalf("the enrollment begun during the rename was lost: %v", err)
	}

	// Another admin takes the new name meanwhile.
	var once2 sync.Once
	f.svc.Store = hookStore{Store: inner, before: func() {
		once2.Do(func() {
			if err := other.AddUser("robert", "x-password"); err != nil {
				t.Errorf("AddUser: %v", err)
			}
		})
	}}
	_, err := f.svc.RenameUser("bob", "robert")
	f.svc.Store = inner
	wantKind(t, "name taken meanwhile", err, apperr.Conflict, "already exists")
	if _, err := f.login("robert", "x-password", ""); err != nil {
		t.Fatalf("the other robert was overwritten: %v", err)
	}
	if _, err := f.login("bob", "battery staple", ""); err != nil {
		t.Fatalf("bob is gone: %v", err)
	}

	// Another admin deletes the user meanwhile.
	var once3 sync.Once
	f.svc.Store = hookStore{Store: inner, before: func() {
		once3.Do(func() {
			if err := other.DeleteUser("bob"); err != nil {
				t.Errorf("DeleteUser: %v", err)
			}
		})
	}}
	_, err = f.svc.RenameUser("bob", "bobby")
	f.svc.Store = inner
	wantKind(t, "user deleted meanwhile", err, apperr.Conflict, "no such user: bob")
	if ok, _ := f.svc.Exists("bobby"); ok {
		t.Fatal("a deleted user came back under the new name")
	}
}

// hookStore runs before ahead of every write, with the real store.
type hookStore struct {
	Store
	before func()
}

func (h hookStore) Update(fn func(store.Tx) error) error {
	h.before()
	return h.Store.Update(fn)
}

func (f *fixture) keyID() string {
	f.t.Helper()
	var id string
	if err := f.svc.Store.View(func(tx store.Tx) error { id = tx.KeyID(); return nil }); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func hasAudit(t *testing.T, f *fixture, event, user, detail string) bool {
	t.Helper()
	found := false
	err := f.svc.Audit(AuditQuery{}, func(e Event) error {
		if e.Event == event && e.User == user && e.Detail == detail {
			found = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
