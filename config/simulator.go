package config

// Simulator configures the embedded state-vector simulator.
type Simulator struct {
	MaxQubits int `yaml:"max_qubits"`
	MaxShots  int `yaml:"max_shots"`
}

func defaultSimulator() Simulator { return Simulator{MaxQubits: 28, MaxShots: 1000000} }

func (c *Simulator) validate() error { return nil }
