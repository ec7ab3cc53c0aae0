package config

// Costs configures pricing.
type Costs struct {
	// Overrides replace a device's built-in price, keyed by device id.
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

func (c *Costs) validate() error { return nil }
