package cost

import (
	"math"
	"strings"
	"testing"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/circuit"
	"github.com/qguard/qguard/config"
)

func braket(arn string, class string) qguard.Device {
	return qguard.Device{ID: "braket:" + arn, Provider: "braket", Name: arn, Class: class}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// TestDocumentedPrices checks the table against reference/providers.md.
func TestDocumentedPrices(t *testing.T) {
	tab := Default()
	for _, tc := range []struct {
		name  string
		dev   qguard.Device
		shots int
		m     Metrics
		want  float64
	}{
		// Braket QPUs: $0.30 per task + per-shot fee.
		{"Forte-1 1000 shots", braket("arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1", qguard.ClassQPUMedium), 1000, Metrics{}, 0.30 + 80},
		{"Aria-1 100 shots", braket("arn:aws:braket:us-east-1::device/qpu/ionq/Aria-1", qguard.ClassQPUMedium), 100, Metrics{}, 0.30 + 3},
		{"Garnet 1000 shots", braket("arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet", qguard.ClassQPUMedium), 1000, Metrics{}, 0.30 + 1.45},
		{"Aquila 100 shots", braket("arn:aws:braket:us-east-1::device/qpu/quera/Aquila", qguard.ClassQPULarge), 100, Metrics{}, 0.30 + 1},
		{"Ankaa-3 10000 shots", braket("arn:aws:braket:us-west-1::device/qpu/rigetti/Ankaa-3", qguard.ClassQPULarge), 10000, Metrics{}, 0.30 + 9},
		// SV1: $0.075/min, 3 s minimum: the $0.00375 of braket-sdk #975.
		{"SV1 small circuit", braket("arn:aws:braket:::device/quantum-simulator/amazon/sv1", qguard.ClassSimulator), 1000, Metrics{Qubits: 5, Gates1Q: 10}, 0.00375},
		// IBM: $96/min billed per second; 1000 shots of depth 10 ≈ 2.253 s → 3 s.
		{"IBM 1000 shots", qguard.Device{ID: "ibm:ibm_brisbane", Provider: "ibm", Name: "ibm_brisbane"}, 1000, Metrics{Depth: 10}, 3 * 1.6},
		{"IBM 4096 shots", qguard.Device{ID: "ibm:ibm_brisbane", Provider: "ibm"}, 4096, Metrics{Depth: 100}, 4 * 1.6},
		{"IonQ direct Forte", qguard.Device{ID: "ionq:qpu.forte-1", Provider: "ionq"}, 100, Metrics{}, 0.30 + 8},
		{"IonQ simulator", qguard.Device{ID: "ionq:simulator", Provider: "ionq", Class: qguard.ClassSimulator}, 100000, Metrics{}, 0},
		{"local", qguard.Device{ID: "local:statevector", Provider: "local", Class: qguard.ClassSimulator}, 1000, Metrics{Qubits: 20}, 0},
		{"unpriced", qguard.Device{ID: "rigetti:x", Provider: "rigetti"}, 1000, Metrics{}, 0},
	} {
		if got := tab.Estimate(tc.dev, tc.shots, tc.m); !near(got, tc.want) {
			t.Errorf("%s: Estimate = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestEverySourceNamed(t *testing.T) {
	for _, r := range builtin {
		if r.price.Source == "" {
			t.Errorf("%s %s has no source", r.provider, r.suffix)
		}
	}
}

func TestPricePrecedence(t *testing.T) {
	forte := braket("arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1", qguard.ClassQPUMedium)
	// The device's own figure (Braket deviceCost) beats the table…
	forte.Price = &qguard.Price{PerTask: 0.30, PerShot: 0.05, Source: "deviceCost"}
	if got := Default().Estimate(forte, 100, Metrics{}); !near(got, 5.30) {
		t.Fatalf("device price: %v", got)
	}
	// …and config.yaml's override beats both.
	tab := FromConfig(config.Costs{Overrides: map[string]config.PriceOverride{forte.ID: {PerTask: 1, PerShot: 0.01}}})
	if got := tab.Estimate(forte, 100, Metrics{}); !near(got, 2) {
		t.Fatalf("override: %v", got)
	}
	if p := tab.Price(forte); p.Source != "config.yaml costs.overrides" {
		t.Fatalf("source = %q", p.Source)
	}
	// Overrides do not leak into the default table.
	if got := Default().Price(qguard.Device{ID: forte.ID, Provider: "braket"}); got.PerShot != 0.08 {
		t.Fatalf("default changed: %+v", got)
	}
}

func TestActual(t *testing.T) {
	tab := Default()
	ibm := qguard.Device{ID: "ibm:ibm_torino", Provider: "ibm"}
	cost := 1.25
	for _, tc := range []struct {
		name string
		dev  qguard.Device
		r    *qguard.Result
		want float64
	}{
		{"not run", ibm, nil, 0},
		{"provider's figure", ibm, &qguard.Result{Shots: 100, Cost: &cost, Seconds: 99}, 1.25},
		{"billed seconds", ibm, &qguard.Result{Shots: 100, Seconds: 2.2}, 3 * 1.6},
		{"SV1 run of 1.2 s bills 3 s", braket("arn:aws:braket:::device/quantum-simulator/amazon/sv1", qguard.ClassSimulator), &qguard.Result{Shots: 10, Seconds: 1.2}, 0.00375},
		{"SV1 run of 120 s", braket("arn:aws:braket:::device/quantum-simulator/amazon/sv1", qguard.ClassSimulator), &qguard.Result{Shots: 10, Seconds: 120}, 0.15},
		{"QPU by shots", braket("arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1", qguard.ClassQPUMedium), &qguard.Result{Shots: 10}, 1.10},
	} {
		if got := tab.Actual(tc.dev, Metrics{}, tc.r); !near(got, tc.want) {
			t.Errorf("%s: Actual = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTimeModels(t *testing.T) {
	if s := IBMSeconds(4096, Metrics{}); s < 3 || s > 3.2 {
		t.Errorf("IBMSeconds(4096) = %v", s)
	}
	if IBMSeconds(1000, Metrics{Depth: 1000}) <= IBMSeconds(1000, Metrics{Depth: 10}) {
		t.Error("deeper circuits should take longer")
	}
	if s := SimulatorSeconds(false, Metrics{Qubits: 10, Gates1Q: 5}); s != MinBilledSeconds {
		t.Errorf("small circuit: %v", s)
	}
	sv, dm := SimulatorSeconds(false, Metrics{Qubits: 30, Gates2Q: 100}), SimulatorSeconds(true, Metrics{Qubits: 17, Gates2Q: 100})
	if sv <= MinBilledSeconds || dm <= MinBilledSeconds {
		t.Errorf("big circuits: sv1 %v dm1 %v", sv, dm)
	}
}

func TestUnverifiedMarked(t *testing.T) {
	p := Default().Price(braket("arn:aws:braket:us-west-1::device/qpu/rigetti/Cepheus-1-108Q", qguard.ClassQPULarge))
	if p == nil || !strings.Contains(p.Source, "UNVERIFIED") {
		t.Fatalf("Cepheus price %+v", p)
	}
}

func TestFromCircuit(t *testing.T) {
	c, err := circuit.Parse([]byte("OPENQASM 3.0;\ninclude \"stdgates.inc\";\nqubit[3] q;\nh q[0];\ncx q[0], q[1];\nccx q[0], q[1], q[2];\nx q[2];\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := FromCircuit(c.Metrics())
	if m.Qubits != 3 || m.Gates1Q != 2 || m.Gates2Q != 2 || m.Depth != 4 {
		t.Fatalf("metrics = %+v", m)
	}
}
