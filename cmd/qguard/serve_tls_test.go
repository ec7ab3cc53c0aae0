//go:build unix

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeTLS: with --tls-cert and --tls-key, serve speaks HTTPS only
// (TLS 1.2 or newer) and says so.
func TestServeTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	p := startServe(t, "serve", filepath.Join(dir, "home"), nil, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.url, "https://") {
		t.Fatalf("serve with a certificate listens on %s", p.url)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(p.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("healthz over TLS: %d %+v", resp.StatusCode, resp.TLS)
	}
	old := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if _, err := old.Get(p.url + "/healthz"); err == nil {
		t.Error("TLS 1.1 was accepted")
	}
	plain := strings.Replace(p.url, "https://", "http://", 1)
	if resp, err := http.Get(plain + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Error("plain HTTP answered on the TLS port")
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key (0600) and
// returns their paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (string, string, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "qguard test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServeWarnsWithoutTLSBeyondLoopback: listening on every address in
// clear gets a warning that names the risk.
func TestServeWarnsWithoutTLSBeyondLoopback(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	p := startServe(t, "serve", filepath.Join(t.TempDir(), "home"), nil, "--addr", "0.0.0.0:0")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.out.String(), "without TLS") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning about listening without TLS:\n%s", p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if loop := startServe(t, "loopback", filepath.Join(t.TempDir(), "home2"), nil); strings.Contains(loop.out.String(), "without TLS") {
		t.Errorf("warned on loopback: %s", loop.out.String())
	}
}
