package cost

import "github.com/qguard/qguard"

// Sources of the built-in prices (reference/providers.md §2.5, §1.5, §3).
const (
	srcBraketPricing = "aws.amazon.com/braket/pricing (copy of unknown date)"
	srcBraketSV1     = "aws.amazon.com/braket/pricing; amazon-braket-sdk-python#975 ($0.00375 for a 3 s SV1 task)"
	srcUnverified    = "UNVERIFIED: not in the stored price list; set costs.overrides in config.yaml"
	srcIBM           = "Pay-As-You-Go $96/min billed per second (third-party; ibm.com/quantum/pricing not checked)"
	srcIonQ          = "price of the same QPU on Braket (IonQ's direct price list is not published)"
	srcLocal         = "qguard's embedded simulator"
)

// braketTask is the per-task fee, the same on every Braket QPU.
const braketTask = 0.30

// builtin is the default table. Suffixes match the end of the device id.
var builtin = []rule{
	{"local", "", qguard.Price{Source: srcLocal}},

	// Braket QPUs: per task + per shot.
	{"braket", "device/qpu/ionq/Forte-1", qguard.Price{PerTask: braketTask, PerShot: 0.08, Source: srcBraketPricing}},
	{"braket", "device/qpu/ionq/Forte-Enterprise-1", qguard.Price{PerTask: braketTask, PerShot: 0.08, Source: srcUnverified + " (assumed equal to Forte)"}},
	{"braket", "device/qpu/ionq/Aria-1", qguard.Price{PerTask: braketTask, PerShot: 0.03, Source: srcBraketPricing + "; retired 2026-03-02"}},
	{"braket", "device/qpu/ionq/Aria-2", qguard.Price{PerTask: braketTask, PerShot: 0.03, Source: srcBraketPricing + "; retired 2025-10-28"}},
	{"braket", "device/qpu/iqm/Garnet", qguard.Price{PerTask: braketTask, PerShot: 0.00145, Source: srcBraketPricing}},
	{"braket", "device/qpu/iqm/Emerald", qguard.Price{PerTask: braketTask, PerShot: 0.00145, Source: srcUnverified + " (assumed equal to Garnet)"}},
	{"braket", "device/qpu/quera/Aquila", qguard.Price{PerTask: braketTask, PerShot: 0.01, Source: srcBraketPricing}},
	{"braket", "device/qpu/rigetti/Ankaa-3", qguard.Price{PerTask: braketTask, PerShot: 0.0009, Source: srcBraketPricing + "; retired 2026-04-20"}},
	{"braket", "device/qpu/rigetti/Cepheus-1-108Q", qguard.Price{PerTask: braketTask, PerShot: 0.0009, Source: srcUnverified + " (assumed equal to Ankaa)"}},
	{"braket", "device/qpu/aqt/Ibex-Q1", qguard.Price{PerTask: braketTask, Source: srcUnverified + " (per-shot fee unknown)"}},

	// Braket simulators: per minute, 3 s minimum.
	{"braket", "device/quantum-simulator/amazon/sv1", qguard.Price{PerMinute: 0.075, Source: srcBraketSV1}},
	{"braket", "device/quantum-simulator/amazon/dm1", qguard.Price{PerMinute: 0.075, Source: srcUnverified + " (assumed equal to SV1)"}},

	// IBM Quantum: per second of quantum time, every QPU alike.
	{"ibm", "", qguard.Price{PerSecond: 96.0 / 60, Source: srcIBM}},

	// IonQ direct.
	{"ionq", ":simulator", qguard.Price{Source: "IonQ's cloud simulator is free"}},
	{"ionq", ":qpu.forte-1", qguard.Price{PerTask: braketTask, PerShot: 0.08, Source: srcIonQ}},
	{"ionq", ":qpu.forte-enterprise-1", qguard.Price{PerTask: braketTask, PerShot: 0.08, Source: srcIonQ + "; " + srcUnverified}},
	{"ionq", ":qpu.aria-1", qguard.Price{PerTask: braketTask, PerShot: 0.03, Source: srcIonQ}},
	{"ionq", ":qpu.aria-2", qguard.Price{PerTask: braketTask, PerShot: 0.03, Source: srcIonQ}},
}
