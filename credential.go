package qguard

import (
	"context"
	"time"
)

// Provider names in the vault.
const (
	ProviderIBMQuantum   = "ibm_quantum"
	ProviderAWSBraket    = "aws_braket"
	ProviderIonQ         = "ionq"
	ProviderRigetti      = "rigetti"
	ProviderAzureQuantum = "azure_quantum"
)

// Credential is one profile of a provider's credentials. Fields holds every
// field, secret or not; the vault's schema for the provider says which are
// secret.
type Credential struct {
	Provider    string            `json:"provider"`
	Profile     string            `json:"profile"`
	Fields      map[string]string `json:"fields"`
	Version     int               `json:"version"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	LastRotated time.Time         `json:"last_rotated"`
	LastUsed    *time.Time        `json:"last_used,omitempty"`
}

// CredentialSource gives provider adapters a credential at call time, so
// that secrets are not kept in memory beyond the call. Returns ENOTFOUND
// when the profile does not exist.
type CredentialSource interface {
	Credential(ctx context.Context, provider, profile string) (*Credential, error)
}
