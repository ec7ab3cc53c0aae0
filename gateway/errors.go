package gateway

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/qguard/qguard"
)

// statusOf maps error codes to HTTP statuses; the mapping is part of the
// API contract (docs/openapi.yaml).
var statusOf = map[string]int{
	qguard.EUNAUTHENTICATED:   http.StatusUnauthorized,
	qguard.ESESSIONEXPIRED:    http.StatusUnauthorized,
	qguard.EPOLICYDENIED:      http.StatusForbidden,
	qguard.EBUDGETEXCEEDED:    http.StatusForbidden,
	qguard.EINVALIDCIRCUIT:    http.StatusBadRequest,
	qguard.EINVALID:           http.StatusBadRequest,
	qguard.ENOTFOUND:          http.StatusNotFound,
	qguard.EDEVICEUNAVAILABLE: http.StatusConflict,
	qguard.ECONFLICT:          http.StatusConflict,
	qguard.ETOOLARGE:          http.StatusRequestEntityTooLarge,
	qguard.ERATELIMITED:       http.StatusTooManyRequests,
	qguard.EAUDITUNAVAILABLE:  http.StatusServiceUnavailable,
	qguard.EPROVIDER:          http.StatusBadGateway,
	qguard.EUNAVAILABLE:       http.StatusServiceUnavailable,
	qguard.EINTERNAL:          http.StatusInternalServerError,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
}

// writeError answers with the error's code and client-safe message. Only
// internal errors are logged with their cause; the client never sees a
// cause, a stack trace or a secret.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := qguard.ErrorCode(err)
	if code == qguard.EINTERNAL && s.storeDown(r.Context()) {
		// A database that is down is not a bug: say so, with a status a
		// load balancer and a client retry on.
		err = &qguard.Error{Code: qguard.EUNAVAILABLE, Message: "the store is unreachable; retry shortly", Err: err}
		code = qguard.EUNAVAILABLE
		w.Header().Set("Retry-After", "2")
	}
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if code == qguard.EINTERNAL || code == qguard.EUNAVAILABLE {
		s.log.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
	if code == qguard.ERATELIMITED {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: qguard.ErrorMessage(err), RequestID: requestID(r.Context())}})
}

// storeDown reports whether the store fails a ping: an internal error
// while it is down is reported as unavailable.
func (s *Server) storeDown(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return s.Store.Ping(ctx) != nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
