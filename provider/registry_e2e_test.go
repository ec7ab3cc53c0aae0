package provider_test

import (
	"context"
	"testing"
	"time"

	"github.com/qguard/qguard"
	"github.com/qguard/qguard/config"
	"github.com/qguard/qguard/cost"
	"github.com/qguard/qguard/provider"
	"github.com/qguard/qguard/provider/braket"
	"github.com/qguard/qguard/provider/braket/brakettest"
	"github.com/qguard/qguard/provider/ibm"
	"github.com/qguard/qguard/provider/ibm/ibmtest"
	"github.com/qguard/qguard/provider/ionq"
	"github.com/qguard/qguard/provider/ionq/ionqtest"
	"github.com/qguard/qguard/provider/providertest"
)

// TestRegistryOverFakes: the three adapters behind one registry, priced by
// the cost table with an override; IBM going down marks only IBM's devices
// unavailable.
func TestRegistryOverFakes(t *testing.T) {
	fi, fb, fq := ibmtest.New(t), brakettest.New(t), ionqtest.New(t)
	creds := providertest.NewCreds()
	creds.Set(qguard.ProviderIBMQuantum, "default", map[string]string{"token": fi.APIKey, "instance": fi.CRN})
	creds.Set(qguard.ProviderAWSBraket, "default", map[string]string{"access_key_id": fb.AccessKeyID, "secret_access_key": fb.SecretAccessKey, "s3_bucket": "amazon-braket-t"})
	creds.Set(qguard.ProviderIonQ, "default", map[string]string{"api_key": fq.APIKey, "base_url": fq.BaseURL})
	cfg := config.Default().Providers
	cfg.Retries = 0
	cfg.RequestTimeout = 2 * time.Second
	ic := ibm.ConfigFrom(cfg, nil, nil)
	ic.URL, ic.IAMURL = fi.APIURL(), fi.URL
	bc := braket.ConfigFrom(cfg, nil, nil)
	bc.Endpoint, bc.S3Endpoint = fb.API.URL, fb.S3.URL
	qc := ionq.ConfigFrom(cfg, nil, nil)

	prices := cost.FromConfig(config.Costs{Overrides: map[string]config.PriceOverride{"ibm:ibm_fake_small": {PerSecond: 1}}})
	reg := provider.NewRegistry(time.Millisecond, prices.Price, nil,
		ibm.New(ic, creds, "default", nil), braket.New(bc, creds, "default", nil), ionq.New(qc, creds, "default", nil))
	ctx := context.Background()
	byID := func() map[string]qguard.Device {
		m := map[string]qguard.Device{}
		for _, d := range reg.Devices(ctx) {
			m[d.ID] = d
		}
		return m
	}
	ds := byID()
	if len(ds) != 6 {
		t.Fatalf("devices: %v", ds)
	}
	if p := ds["ibm:ibm_fake_small"].Price; p == nil || p.PerSecond != 1 {
		t.Fatalf("override not applied: %+v", p)
	}
	if p := ds["ibm:ibm_fake_eagle"].Price; p == nil || p.PerSecond != 1.6 {
		t.Fatalf("IBM table price: %+v", p)
	}
	if p := ds["braket:"+brakettest.Forte1].Price; p == nil || p.PerShot != 0.08 || p.Source == "" {
		t.Fatalf("Braket deviceCost: %+v", p)
	}
	fi.Close()
	time.Sleep(2 * time.Millisecond) // past the TTL
	for id, d := range byID() {
		want := qguard.DeviceOnline
		if d.Provider == "ibm" {
			want = qguard.DeviceUnavailable
		}
		if d.Status != want {
			t.Errorf("%s is %s, want %s", id, d.Status, want)
		}
	}
	if _, _, err := reg.Device(ctx, "ibm:ibm_fake_eagle"); qguard.ErrorCode(err) != qguard.EDEVICEUNAVAILABLE {
		t.Fatalf("ibm device: %v", err)
	}
	if _, p, err := reg.Device(ctx, "ionq:qpu.forte-1"); err != nil || p.Name() != "ionq" {
		t.Fatalf("ionq device: %v", err)
	}
}
