package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI layout inside DIR/pki. Everything is generated once with Go's crypto and
// reused on later runs, so a kubeconfig handed out earlier stays valid.
type pki struct {
	dir string
}

func (p pki) path(name string) string { return filepath.Join(p.dir, name) }

func (p pki) caCert() string       { return p.path("ca.crt") }
func (p pki) caKey() string        { return p.path("ca.key") }
func (p pki) servingCert() string  { return p.path("apiserver.crt") }
func (p pki) servingKey() string   { return p.path("apiserver.key") }
func (p pki) saKey() string        { return p.path("sa.key") }
func (p pki) saPub() string        { return p.path("sa.pub") }
func (p pki) adminCert() string    { return p.path("admin.crt") }
func (p pki) adminKey() string     { return p.path("admin.key") }
func (p pki) kcmCert() string      { return p.path("kube-controller-manager.crt") }
func (p pki) kcmKey() string       { return p.path("kube-controller-manager.key") }
func (p pki) frontProxyCA() string { return p.path("front-proxy-ca.crt") }
func (p pki) frontProxyCAKey() string {
	return p.path("front-proxy-ca.key")
}
func (p pki) frontProxyCert() string { return p.path("front-proxy-client.crt") }
func (p pki) frontProxyKey() string  { return p.path("front-proxy-client.key") }

const certValidity = 10 * 365 * 24 * time.Hour

// ensure creates whatever is missing. A CA that is regenerated invalidates
// every certificate signed by the old one, so those are regenerated too.
func (p pki) ensure() error {
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return err
	}
	freshCA, err := p.ensureCA(p.caCert(), p.caKey(), "kopp-controlplane-ca")
	if err != nil {
		return err
	}
	freshFP, err := p.ensureCA(p.frontProxyCA(), p.frontProxyCAKey(), "kopp-controlplane-front-proxy-ca")
	if err != nil {
		return err
	}
	leafs := []struct {
		cert, key, caCert, caKey string
		fresh                    bool
		tmpl                     x509.Certificate
	}{
		{p.servingCert(), p.servingKey(), p.caCert(), p.caKey(), freshCA, x509.Certificate{
			Subject:     pkix.Name{CommonName: "kube-apiserver"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
			DNSNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local"},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1"), net.ParseIP("10.0.0.1")},
		}},
		{p.adminCert(), p.adminKey(), p.caCert(), p.caKey(), freshCA, x509.Certificate{
			Subject:     pkix.Name{CommonName: "kopp-admin", Organization: []string{"system:masters"}},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
		{p.kcmCert(), p.kcmKey(), p.caCert(), p.caKey(), freshCA, x509.Certificate{
			Subject:     pkix.Name{CommonName: "system:kube-controller-manager"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
		{p.frontProxyCert(), p.frontProxyKey(), p.frontProxyCA(), p.frontProxyCAKey(), freshFP, x509.Certificate{
			Subject:     pkix.Name{CommonName: "front-proxy-client"},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}},
	}
	for _, l := range leafs {
		if !l.fresh && exists(l.cert) && exists(l.key) {
			continue
		}
		if err := p.issue(l.cert, l.key, l.caCert, l.caKey, l.tmpl); err != nil {
			return fmt.Errorf("issue %s: %w", filepath.Base(l.cert), err)
		}
	}
	if !exists(p.saKey()) || !exists(p.saPub()) {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return err
		}
		if err := writeKey(p.saKey(), key); err != nil {
			return err
		}
		pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return err
		}
		if err := writePEM(p.saPub(), "PUBLIC KEY", pub, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ensureCA returns true when it had to create a new CA.
func (p pki) ensureCA(certPath, keyPath, cn string) (bool, error) {
	if exists(certPath) && exists(keyPath) {
		return false, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return false, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return false, err
	}
	if err := writeKey(keyPath, key); err != nil {
		return false, err
	}
	return true, writePEM(certPath, "CERTIFICATE", der, 0o644)
}

func (p pki) issue(certPath, keyPath, caCertPath, caKeyPath string, tmpl x509.Certificate) error {
	caCert, caKey, err := loadCA(caCertPath, caKeyPath)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore = now.Add(-time.Hour)
	tmpl.NotAfter = now.Add(certValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	tmpl.BasicConstraintsValid = true
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(keyPath, key); err != nil {
		return err
	}
	return writePEM(certPath, "CERTIFICATE", der, 0o644)
}

func loadCA(certPath, keyPath string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	b, _ := pem.Decode(certPEM)
	if b == nil {
		return nil, nil, fmt.Errorf("%s: no PEM data", certPath)
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, err
	}
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, nil, fmt.Errorf("%s: no PEM data", keyPath)
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, errors.New("CA key is not a signer")
	}
	return cert, signer, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		panic(err)
	}
	return n
}

func writeKey(path string, key any) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der, 0o600)
}

func writePEM(path, typ string, der []byte, mode os.FileMode) error {
	data := pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
