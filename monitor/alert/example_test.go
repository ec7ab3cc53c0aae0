package alert_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/qguard/qguard/monitor/alert"
)

// A webhook receiver checks the signature over the raw body before it
// trusts the alert.
func ExampleVerify() {
	secret := []byte("whsec-0123456789abcdef")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		err := alert.Verify(secret, r.Header.Get(alert.HeaderTimestamp), r.Header.Get(alert.HeaderSignature), body, time.Now(), 5*time.Minute)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		fmt.Println("verified:", strings.Contains(string(body), `"type":"auth_failure"`))
	})

	// What qguard sends:
	body := []byte(`{"type":"auth_failure","severity":"high","count":1}`)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req := httptest.NewRequest(http.MethodPost, "/qguard", strings.NewReader(string(body)))
	req.Header.Set(alert.HeaderTimestamp, ts)
	req.Header.Set(alert.HeaderSignature, alert.Sign(secret, ts, body))
	handler.ServeHTTP(httptest.NewRecorder(), req)

	// A forged request:
	rec := httptest.NewRecorder()
	req = httptest.NewRequest(http.MethodPost, "/qguard", strings.NewReader(string(body)))
	req.Header.Set(alert.HeaderTimestamp, ts)
	req.Header.Set(alert.HeaderSignature, "v1=00")
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// verified: true
	// 401
}
