package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/qguard/qguard/circuit"
	"time"

	"github.com/qguard/qguard"
)

// This file adapts Monitor to the gateway's Monitor interface
// (gateway/server.go): the calls the gateway makes on its request path.

// ProcessLogs runs ProcessLine over every line of body: JSON lines or plain
// text, or one JSON array of entries. It returns the events of all lines.
func (m *Monitor) ProcessLogs(ctx context.Context, source string, body []byte) ([]qguard.SecurityEvent, error) {
	var all []qguard.SecurityEvent
	add := func(line []byte) error {
		evs, err := m.ProcessLine(ctx, source, line)
		all = append(all, evs...)
		return err
	}
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '[' {
		var entries []json.RawMessage
		if err := json.Unmarshal(t, &entries); err == nil {
			for _, e := range entries {
				var buf bytes.Buffer
				if json.Compact(&buf, e) != nil {
					buf.Reset()
					buf.Write(e)
				}
				if err := add(buf.Bytes()); err != nil {
					return all, err
				}
			}
			return all, nil
		}
		// Not a JSON array after all: treat it as text.
	}
	for len(body) > 0 {
		i := bytes.IndexByte(body, '\n')
		var line []byte
		if i < 0 {
			line, body = body, nil
		} else {
			line, body = body[:i], body[i+1:]
		}
		line = bytes.TrimRight(line, "\r")
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return all, err
		}
		if err := add(line); err != nil {
			return all, err
		}
	}
	return all, nil
}

// AuthFailure counts a failed authentication of user (may be empty) from
// address addr.
func (m *Monitor) AuthFailure(ctx context.Context, user, addr string) {
	_, _ = m.Observe(ctx, GatewayEvent{Kind: GatewayAuthFailure, User: user, Address: addr})
}

// JobSubmitted counts a job for the usage and circuit detectors, and checks
// the user's spend: costToday is what the user has spent (or reserved)
// today in USD, limit the user's daily cap (0 or negative: none; the
// configured monitor.cost limits still apply).
func (m *Monitor) JobSubmitted(ctx context.Context, user, provider string, c *circuit.Circuit, shots int, costToday, limit float64) {
	now := m.now().UTC()
	shape := ShapeOf(c)
	_, _ = m.Observe(ctx, GatewayEvent{Kind: GatewayJobSubmitted, Time: now, User: user, Provider: provider,
		Circuit: &shape})
	if user == "" || costToday < 0 {
		return
	}
	m.mu.Lock()
	delta, first := m.spendDelta(user, now, costToday)
	base := qguard.SecurityEvent{Time: now, Source: "gateway", User: user, Provider: provider}
	var evs []qguard.SecurityEvent
	if first {
		// Spent before the monitor started: count it for today, but not
		// as the last hour's rate, or a restart would project a spike.
		m.addEarlierSpend(user, now, delta)
		evs = m.costCheck(base, now, user, 0, limit)
	} else {
		evs = m.costCheck(base, now, user, delta, limit)
	}
	m.mu.Unlock()
	_, _ = m.record(ctx, evs)
}

// spendDelta turns the gateway's running "cost today" into the increase
// since the last call; first is true for the first call of the UTC day.
// m.mu is held.
func (m *Monitor) spendDelta(user string, t time.Time, costToday float64) (delta float64, first bool) {
	day := qguard.Day(t)
	last := m.costToday.get(user, t)
	if last.day != day {
		last.day, last.usd = day, costToday
		return costToday, true
	}
	delta = costToday - last.usd
	last.usd = costToday
	if delta < 0 { // a refund or a released reservation
		delta = 0
	}
	return delta, false
}

// Report is the security report of the last hours, for
// GET /v1/security/report.
func (m *Monitor) Report(ctx context.Context, hours int) (any, error) {
	if hours < 1 {
		return nil, qguard.Errorf(qguard.EINVALID, "hours must be at least 1")
	}
	now := m.now().UTC()
	return Report(ctx, m.store, now.Add(-time.Duration(hours)*time.Hour), now)
}
