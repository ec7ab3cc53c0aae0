package qguard

// Resource classes that policy grants refer to.
const (
	ClassSimulator        = "simulator"
	ClassQPUSmall         = "qpu_small"  // fewer than 10 qubits
	ClassQPUMedium        = "qpu_medium" // 10 to 50 qubits
	ClassQPULarge         = "qpu_large"  // more than 50 qubits
	ClassAlgorithmLibrary = "algorithm_library"
	ClassTrainingData     = "training_data"
)

// QPUClass returns the resource class of a QPU with n qubits.
func QPUClass(n int) string {
	switch {
	case n < 10:
		return ClassQPUSmall
	case n <= 50:
		return ClassQPUMedium
	default:
		return ClassQPULarge
	}
}

// Device statuses.
const (
	DeviceOnline      = "online"
	DeviceOffline     = "offline"
	DeviceUnavailable = "unavailable" // the provider could not be reached
)

// Device is one backend a job can run on, for example "local:statevector",
// "ibm:ibm_brisbane" or "braket:arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1".
type Device struct {
	ID       string `json:"id"`       // "<provider>:<name>", unique
	Provider string `json:"provider"` // "local", "ibm", "braket", "ionq"
	Name     string `json:"name"`
	Class    string `json:"class"` // a Class* constant
	Qubits   int    `json:"qubits"`
	Status   string `json:"status"` // a Device* constant
	MaxShots int    `json:"max_shots,omitempty"`
	Price    *Price `json:"price,omitempty"`
}

// Price is how a provider charges for a device, in US dollars.
type Price struct {
	PerTask   float64 `json:"per_task,omitempty"`
	PerShot   float64 `json:"per_shot,omitempty"`
	PerSecond float64 `json:"per_second,omitempty"`
	PerMinute float64 `json:"per_minute,omitempty"`
	Source    string  `json:"source,omitempty"` // where the figure comes from
}
