package qguard

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the HTTP contract (docs/openapi.yaml) and
// must not change.
const (
	EUNAUTHENTICATED   = "unauthenticated"
	ESESSIONEXPIRED    = "session_expired"
	EPOLICYDENIED      = "policy_denied"
	EBUDGETEXCEEDED    = "budget_exceeded"
	EINVALIDCIRCUIT    = "invalid_circuit"
	EDEVICEUNAVAILABLE = "device_unavailable"
	ETOOLARGE          = "too_large"
	ERATELIMITED       = "rate_limited"
	EAUDITUNAVAILABLE  = "audit_unavailable"
	ENOTFOUND          = "not_found"
	ECONFLICT          = "conflict"
	EINVALID           = "invalid" // malformed request other than a circuit
	EPROVIDER          = "provider_error"
	EUNAVAILABLE       = "unavailable" // the store cannot be reached; retry later
	EINTERNAL          = "internal"    // anything unexpected; its message is never shown to clients
)

// Error is an application error with a stable code and a message that is
// safe to show to the caller: it never contains a secret.
type Error struct {
	Code    string
	Message string
	Err     error // optional cause, for logs; not shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, or
// EINTERNAL for any other non-nil error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of err: the message of an
// *Error, or "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
