package store

import "time"

// User is the stored account record. It is encoded as JSON; field names
// are part of the schema.
type User struct {
	Name         string    `json:"name"`
	PasswordHash string    `json:"password_hash"`
	CreatedAt    time.Time `json:"created_at"`
	PasswordAt   time.Time `json:"password_changed_at"`
	LastLoginAt  time.Time `json:"last_login_at,omitzero"`

	// TOTP is set while 2FA is on.
	TOTP *TOTP `json:"totp,omitempty"`
	// Pending is an enrollment begun but not yet confirmed.
	Pending *Pending `json:"pending,omitempty"`
	// Backup holds the hashed backup codes while 2FA is on.
	Backup *BackupSet `json:"backup,omitempty"`
	// LastStep is the last accepted TOTP time step; codes at or before it
	// are replays.
	LastStep int64 `json:"last_step,omitempty"`

	// Failures counts consecutive failed authentications, and attempts in
	// progress: each attempt is counted (reserved) before it is verified,
	// and released only when it succeeds or turns out not to be a guess.
	Failures    int       `json:"failures,omitempty"`
	LockedUntil time.Time `json:"locked_until,omitzero"`

	// Rev increases on every write, so a writer can tell that the record
	// changed since it was read.
	Rev uint64 `json:"rev"`
}

// TOTP is an enabled authenticator.
type TOTP struct {
	Secret    []byte    `json:"secret"` // sealed with the key file's key
	EnabledAt time.Time `json:"enabled_at"`
	// Digits, Period and Algorithm are set for imported secrets whose
	// parameters are not the defaults (6, 30 s, SHA1).
	Digits    int    `json:"digits,omitempty"`
	Period    int    `json:"period,omitempty"`
	Algorithm string `json:"algorithm,omitempty"`
	// Offset is how many time steps the device's clock is off, measured by
	// a resync; codes are checked around the shifted step.
	Offset int64 `json:"offset,omitempty"`
	// Source says where an imported secret came from.
	Source string `json:"source,omitempty"`
}

// Pending is an enrollment waiting for its first code.
type Pending struct {
	Secret    []byte    `json:"secret"` // sealed
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// BackupSet is one generation of backup codes: a salt shared by the set and
// one hash per code; a used code's hash is nil.
type BackupSet struct {
	Salt        []byte    `json:"salt"`
	Memory      uint32    `json:"m"`
	Time        uint32    `json:"t"`
	Threads     uint8     `json:"p"`
	Hashes      [][]byte  `json:"hashes"`
	GeneratedAt time.Time `json:"generated_at"`
	// LastUsed is the hash of the code used last, so a double submit of it
	// is told from a guess.
	LastUsed []byte `json:"last_used,omitempty"`
	// Kind is "scratch" for 8-digit scratch codes imported from
	// google-authenticator-libpam, "" for authctl's own codes.
	Kind string `json:"kind,omitempty"`
}

// BackupScratch is the Kind of imported scratch codes.
const BackupScratch = "scratch"

// Left counts the unused codes.
func (b *BackupSet) Left() int {
	if b == nil {
		return 0
	}
	n := 0
	for _, h := range b.Hashes {
		if h != nil {
			n++
		}
	}
	return n
}

// AuditEntry is one line of the audit trail. It never holds a password,
// secret or code.
type AuditEntry struct {
	Time   time.Time `json:"time"`
	Event  string    `json:"event"`
	User   string    `json:"user,omitempty"`
	Factor string    `json:"factor,omitempty"`
	Detail string    `json:"detail,omitempty"`
}
