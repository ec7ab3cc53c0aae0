package config

import "fmt"

// Simulator configures the embedded state-vector simulator (package sim).
type Simulator struct {
	// MaxQubits caps the state size: a complex128 state of n qubits takes
	// 16·2^n bytes (4 GiB at 28). Larger circuits are refused before
	// anything is allocated, as are circuits that need more memory than
	// the machine has available.
	MaxQubits int `yaml:"max_qubits"`
	// MaxShots caps the shots of one run.
	MaxShots int `yaml:"max_shots"`
}

// maxSimulatorQubits is the largest cap accepted: 34 qubits is a 256 GiB
// state, beyond any machine qguard targets.
const maxSimulatorQubits = 34

func defaultSimulator() Simulator { return Simulator{MaxQubits: 28, MaxShots: 1000000} }

func (c *Simulator) validate() error {
	if c.MaxQubits < 1 || c.MaxQubits > maxSimulatorQubits {
		return fmt.Errorf("simulator.max_qubits must be between 1 and %d, got %d", maxSimulatorQubits, c.MaxQubits)
	}
	if c.MaxShots < 1 {
		return fmt.Errorf("simulator.max_shots must be at least 1, got %d", c.MaxShots)
	}
	return nil
}
