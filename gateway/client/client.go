// Package client talks to a qguard gateway over HTTP; the CLI's submit,
// jobs, devices, budget and report commands use it.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/gateway"
)

// Client is a gateway client authenticated with an API key or a session
// token.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// New returns a client for the gateway at baseURL ("http://127.0.0.1:8080").
func New(baseURL, token string, hc *http.Client) *Client {
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: hc}
}

// APIError is an error answered by the gateway, in the contract's shape.
type APIError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (%s, HTTP %d, request %s)", e.Message, e.Code, e.Status, e.RequestID)
}

// Denied reports whether the gateway refused the request on policy or
// budget grounds (the CLI then exits 1).
func (e *APIError) Denied() bool {
	return e.Code == qguard.EPOLICYDENIED || e.Code == qguard.EBUDGETEXCEEDED
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %w", c.base, stripURL(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var eb struct {
			Error struct{ Code, Message, Request_ID string }
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &APIError{Status: resp.StatusCode, Code: "http_" + strconv.Itoa(resp.StatusCode), Message: strings.TrimSpace(string(data))}
		}
		return &APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, RequestID: eb.Error.Request_ID}
	}
	if out == nil || len(data) == 0 {
		return nil
	}
	return json.Unmarshal(data, out)
}

// stripURL keeps the cause of a transport error without repeating the URL.
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// Login exchanges the client's API key for a session token.
func (c *Client) Login(ctx context.Context) (token string, expires time.Time, err error) {
	var out struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	err = c.do(ctx, http.MethodPost, "/v1/sessions", nil, &out)
	return out.Token, out.ExpiresAt, err
}

// Submit submits a circuit.
func (c *Client) Submit(ctx context.Context, req gateway.SubmitRequest) (*gateway.JobResponse, error) {
	var out gateway.JobResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/jobs", req, &out)
}

// Job returns a job, with its result once finished.
func (c *Client) Job(ctx context.Context, id string) (*gateway.JobResponse, error) {
	var out gateway.JobResponse
	return &out, c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &out)
}

// Wait polls a job until it is finished or ctx ends.
func (c *Client) Wait(ctx context.Context, id string) (*gateway.JobResponse, error) {
	delay := 200 * time.Millisecond
	for {
		j, err := c.Job(ctx, id)
		if err != nil || qguard.JobDone(j.Status) {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// Jobs lists jobs: the caller's own, or everyone's for admins with all.
func (c *Client) Jobs(ctx context.Context, all bool, status string, limit int) ([]*qguard.Job, error) {
	q := url.Values{}
	if all {
		q.Set("all", "true")
	}
	if status != "" {
		q.Set("status", status)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out struct{ Jobs []*qguard.Job }
	return out.Jobs, c.do(ctx, http.MethodGet, "/v1/jobs?"+q.Encode(), nil, &out)
}

// Cancel cancels a job.
func (c *Client) Cancel(ctx context.Context, id string) (*gateway.JobResponse, error) {
	var out gateway.JobResponse
	return &out, c.do(ctx, http.MethodPost, "/v1/jobs/"+url.PathEscape(id)+"/cancel", nil, &out)
}

// Devices lists the devices of every configured provider.
func (c *Client) Devices(ctx context.Context) ([]qguard.Device, error) {
	var out struct{ Devices []qguard.Device }
	return out.Devices, c.do(ctx, http.MethodGet, "/v1/devices", nil, &out)
}

// BudgetView is a daily limit with today's spend.
type BudgetView struct {
	qguard.BudgetLimit
	Today qguard.Spend `json:"today"`
}

// Budgets lists daily limits with today's spend.
func (c *Client) Budgets(ctx context.Context) ([]BudgetView, error) {
	var out struct{ Budgets []BudgetView }
	return out.Budgets, c.do(ctx, http.MethodGet, "/v1/budgets", nil, &out)
}

// SetBudget sets a daily limit for a user or project (admins only).
func (c *Client) SetBudget(ctx context.Context, scope, name string, daily float64) error {
	return c.do(ctx, http.MethodPut, "/v1/budgets/"+url.PathEscape(scope)+"/"+url.PathEscape(name), map[string]float64{"daily_usd": daily}, nil)
}

// Get fetches any JSON endpoint into out, for reports.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out)
}
