package provider

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/qguard/qguard"
)

// Registry merges the devices of every configured provider behind a TTL
// cache. A provider that cannot be reached keeps its last known devices,
// marked unavailable; the other providers are not affected.
type Registry struct {
	ttl       time.Duration
	providers map[string]qguard.Provider
	order     []string
	price     func(qguard.Device) *qguard.Price
	log       *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	devices []qguard.Device
	fetched time.Time
	err     error
	loading chan struct{} // closed when the fetch in flight finishes
}

// NewRegistry returns a registry over providers. price sets each device's
// price from the device's own figure, overrides and built-in tables
// (cost.Table.Price); it may be nil.
func NewRegistry(ttl time.Duration, price func(qguard.Device) *qguard.Price, log *slog.Logger, providers ...qguard.Provider) *Registry {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{ttl: ttl, providers: map[string]qguard.Provider{}, price: price, log: log, now: time.Now, entries: map[string]*entry{}}
	for _, p := range providers {
		r.providers[p.Name()] = p
		r.order = append(r.order, p.Name())
	}
	sort.Strings(r.order)
	return r
}

// Provider returns the provider called name.
func (r *Registry) Provider(name string) (qguard.Provider, bool) {
	p, ok := r.providers[name]
	return p, ok
}

// Devices returns every provider's devices, sorted by id. Providers are
// asked in parallel when their cache entry is older than the TTL.
func (r *Registry) Devices(ctx context.Context) []qguard.Device {
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		all []qguard.Device
	)
	for _, name := range r.order {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds := r.devicesOf(ctx, name)
			mu.Lock()
			all = append(all, ds...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// Device finds a device by id ("<provider>:<name>"). It returns ENOTFOUND
// for an unknown id and EDEVICEUNAVAILABLE when the device is not online.
func (r *Registry) Device(ctx context.Context, id string) (qguard.Device, qguard.Provider, error) {
	name, _, ok := strings.Cut(id, ":")
	p, found := r.providers[name]
	if !ok || !found {
		return qguard.Device{}, nil, qguard.Errorf(qguard.ENOTFOUND, "unknown device %q; see `qguard devices list`", id)
	}
	for _, d := range r.devicesOf(ctx, name) {
		if d.ID != id {
			continue
		}
		if d.Status != qguard.DeviceOnline {
			return d, p, qguard.Errorf(qguard.EDEVICEUNAVAILABLE, "device %s is %s; choose another with `qguard devices list`", id, d.Status)
		}
		return d, p, nil
	}
	return qguard.Device{}, nil, qguard.Errorf(qguard.ENOTFOUND, "unknown device %q; see `qguard devices list`", id)
}

// Invalidate drops a provider's cached devices, for example after it
// answered that a device went offline.
func (r *Registry) Invalidate(provider string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.entries[provider]; e != nil && e.loading == nil {
		e.fetched = time.Time{}
	}
}

func (r *Registry) devicesOf(ctx context.Context, name string) []qguard.Device {
	r.mu.Lock()
	e := r.entries[name]
	if e == nil {
		e = &entry{}
		r.entries[name] = e
	}
	for e.loading != nil { // someone else is fetching: wait for it
		ch := e.loading
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			r.mu.Lock()
			out := snapshot(e)
			r.mu.Unlock()
			return out
		}
		r.mu.Lock()
	}
	if !e.fetched.IsZero() && r.now().Sub(e.fetched) < r.ttl {
		out := snapshot(e)
		r.mu.Unlock()
		return out
	}
	e.loading = make(chan struct{})
	r.mu.Unlock()

	ds, err := r.providers[name].Devices(ctx)

	r.mu.Lock()
	defer r.mu.Unlock()
	close(e.loading)
	e.loading = nil
	if err != nil && ctx.Err() != nil {
		// This caller gave up; that says nothing about the provider.
		return snapshot(e)
	}
	e.fetched = r.now()
	e.err = err
	if err != nil {
		r.log.Warn("provider devices unavailable", slog.String("provider", name), slog.String("code", qguard.ErrorCode(err)), slog.String("error", qguard.ErrorMessage(err)))
		for i := range e.devices {
			e.devices[i].Status = qguard.DeviceUnavailable
		}
		// Ask again soon rather than after a whole TTL.
		e.fetched = e.fetched.Add(-r.ttl + min(r.ttl, 15*time.Second))
		return snapshot(e)
	}
	for i := range ds {
		d := &ds[i]
		if d.Provider == "" {
			d.Provider = name
		}
		if d.ID == "" {
			d.ID = name + ":" + d.Name
		}
		if d.Class == "" {
			d.Class = qguard.QPUClass(d.Qubits)
		}
		if r.price != nil { // the pricer weighs the device's own figure against overrides
			d.Price = r.price(*d)
		}
	}
	e.devices = ds
	return snapshot(e)
}

func snapshot(e *entry) []qguard.Device { return append([]qguard.Device(nil), e.devices...) }
