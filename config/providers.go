package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"
)

// Providers configures the quantum clouds.
type Providers struct {
	// Enabled lists the providers to use besides the local simulator:
	// "ibm", "braket", "ionq".
	Enabled        []string      `yaml:"enabled"`
	DeviceCacheTTL time.Duration `yaml:"device_cache_ttl"`
	// RequestTimeout bounds one attempt of one outbound call.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// Retries after a 429, a 503 or (for idempotent calls) any 5xx or
	// transport error, with exponential back-off.
	Retries int `yaml:"retries"`
	// MaxRetryWait is the longest Retry-After qguard honours; a provider
	// asking for more fails the call with rate_limited.
	MaxRetryWait time.Duration `yaml:"max_retry_wait"`

	IBM    IBMProvider    `yaml:"ibm"`
	Braket BraketProvider `yaml:"braket"`
	IonQ   IonQProvider   `yaml:"ionq"`
}

// IBMProvider configures IBM Quantum (Qiskit Runtime REST). Credentials are
// the vault's ibm_quantum profile {token, instance, region, url}.
type IBMProvider struct {
	Profile string `yaml:"profile"`
	// URL overrides the runtime API (default from the profile's region:
	// https://quantum.cloud.ibm.com/api/v1 or https://eu-de.quantum.cloud.ibm.com/api/v1).
	URL    string `yaml:"url"`
	IAMURL string `yaml:"iam_url"` // default https://iam.cloud.ibm.com
	// APIVersion is sent as IBM-API-Version.
	APIVersion string `yaml:"api_version"`
	// MaxExecutionTime caps each job's quantum seconds (sent as `cost`); 0
	// leaves the service's own limit.
	MaxExecutionTime time.Duration `yaml:"max_execution_time"`
}

// BraketProvider configures AWS Braket. Credentials are the vault's
// aws_braket profile, or the standard AWS chain when the profile has no
// access key.
type BraketProvider struct {
	Profile    string   `yaml:"profile"`
	Region     string   `yaml:"region"`      // default us-east-1 (or the profile's region)
	Endpoint   string   `yaml:"endpoint"`    // default https://braket.<region>.amazonaws.com
	S3Endpoint string   `yaml:"s3_endpoint"` // default https://s3.<region>.amazonaws.com (path-style)
	Devices    []string `yaml:"devices"`     // device ARNs to offer; empty: every device SearchDevices lists
}

// IonQProvider configures IonQ. Credentials are the vault's ionq profile
// {api_key, base_url}.
type IonQProvider struct {
	Profile string `yaml:"profile"`
	BaseURL string `yaml:"base_url"` // default https://api.ionq.co/v0.4
	// Format of submitted jobs: "ionq.circuit.v1" (default) or "openqasm".
	Format string `yaml:"format"`
}

// ProviderNames are the provider names Enabled accepts.
var ProviderNames = []string{"ibm", "braket", "ionq"}

func defaultProviders() Providers {
	return Providers{
		DeviceCacheTTL: 5 * time.Minute,
		RequestTimeout: 30 * time.Second,
		Retries:        3,
		MaxRetryWait:   30 * time.Second,
		IBM:            IBMProvider{Profile: "default", APIVersion: "2026-04-15"},
		Braket:         BraketProvider{Profile: "default"},
		IonQ:           IonQProvider{Profile: "default", Format: "ionq.circuit.v1"},
	}
}

func (c *Providers) validate() error {
	var errs []error
	for _, p := range c.Enabled {
		if !slices.Contains(ProviderNames, p) {
			errs = append(errs, fmt.Errorf("providers.enabled: unknown provider %q (known: ibm, braket, ionq)", p))
		}
	}
	if c.DeviceCacheTTL <= 0 {
		errs = append(errs, errors.New("providers.device_cache_ttl must be positive"))
	}
	if c.RequestTimeout <= 0 {
		errs = append(errs, errors.New("providers.request_timeout must be positive"))
	}
	if c.Retries < 0 || c.Retries > 10 {
		errs = append(errs, errors.New("providers.retries must be between 0 and 10"))
	}
	if c.MaxRetryWait < 0 {
		errs = append(errs, errors.New("providers.max_retry_wait must not be negative"))
	}
	for name, u := range map[string]string{"ibm.url": c.IBM.URL, "ibm.iam_url": c.IBM.IAMURL,
		"braket.endpoint": c.Braket.Endpoint, "braket.s3_endpoint": c.Braket.S3Endpoint, "ionq.base_url": c.IonQ.BaseURL} {
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		switch {
		case err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "":
			errs = append(errs, fmt.Errorf("providers.%s: %q is not an http(s) URL", name, u))
		case pu.Scheme == "http" && !isLoopback(pu.Hostname()):
			// Credentials would cross the network in clear.
			errs = append(errs, fmt.Errorf("providers.%s: %q must use https (plain http is allowed only on loopback)", name, u))
		}
	}
	switch c.IonQ.Format {
	case "", "ionq.circuit.v1", "openqasm":
	default:
		errs = append(errs, fmt.Errorf("providers.ionq.format must be ionq.circuit.v1 or openqasm, not %q", c.IonQ.Format))
	}
	if c.IBM.MaxExecutionTime < 0 {
		errs = append(errs, errors.New("providers.ibm.max_execution_time must not be negative"))
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
