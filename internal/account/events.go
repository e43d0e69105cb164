package account

// Audit events.
const (
	EvUserAdd      = "user.add"
	EvUserDelete   = "user.delete"
	EvUserRename   = "user.rename"
	EvUserImport   = "user.import"
	EvPassword     = "password.change"
	EvLoginOK      = "login.ok"
	EvLoginFail    = "login.fail"
	EvLockout      = "lockout"
	EvUnlock       = "user.unlock"
	EvEnrollBegin  = "2fa.begin"
	EvEnrollCancel = "2fa.cancel"
	EvEnable       = "2fa.enable"
	EvDisable      = "2fa.disable"
	EvReset        = "2fa.reset"
	EvImport2FA    = "2fa.import"
	EvSync         = "2fa.sync"
	EvCodesRegen   = "codes.regen"
	EvKeyRotate    = "key.rotate"
	FactorPassword = "password"
	FactorTOTP     = "code"
	FactorBackup   = "backup code"
	FactorNone     = "none"
)
