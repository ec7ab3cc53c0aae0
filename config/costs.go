package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Costs configures pricing.
type Costs struct {
	// Overrides replace a device's built-in price, keyed by device id
	// ("braket:arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1",
	// "ibm:ibm_brisbane", "ionq:qpu.forte-1"). Use them for negotiated rates
	// and for devices whose public price qguard does not know.
	Overrides map[string]PriceOverride `yaml:"overrides"`
}

// PriceOverride is a price in USD.
type PriceOverride struct {
	PerTask   float64 `yaml:"per_task"`
	PerShot   float64 `yaml:"per_shot"`
	PerSecond float64 `yaml:"per_second"`
	PerMinute float64 `yaml:"per_minute"`
}

func defaultCosts() Costs { return Costs{} }

func (c *Costs) validate() error {
	ids := make([]string, 0, len(c.Overrides))
	for id := range c.Overrides {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	for _, id := range ids {
		p := c.Overrides[id]
		if !strings.Contains(id, ":") {
			errs = append(errs, fmt.Errorf("costs.overrides: %q is not a device id; write <provider>:<device>, as `qguard devices list` shows", id))
		}
		if p.PerTask < 0 || p.PerShot < 0 || p.PerSecond < 0 || p.PerMinute < 0 {
			errs = append(errs, fmt.Errorf("costs.overrides.%s: prices must not be negative", id))
		}
	}
	return errors.Join(errs...)
}
