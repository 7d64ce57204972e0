// Command hybrid seals and unseals sealed-secrets values with Go's standard crypto, the
// primitives the sealed-secrets controller and kubeseal use (pkg/crypto/crypto.go in
// bitnami-labs/sealed-secrets v0.36.6): a value is
//
//	uint16 big-endian len(rsa) || rsa || gcm
//
// with rsa = rsa.EncryptOAEP(sha256, session key of 32 bytes, label) and gcm = AES-GCM of
// the plaintext under the session key with an all-zero nonce. Written from that
// description for the tests, not copied.
//
// stdin: {"op": "unseal", "key": "<PEM private key>", "label": "ns/name", "value": "<base64>"}
//
//	or {"op": "seal", "cert": "<PEM certificate>", "label": "ns/name", "plaintext": "<base64>"}
//
//	or {"op": "keygen", "bits": 2048}
//
// stdout: base64 of the plaintext (unseal) or the sealed value (seal); for keygen the PEM
// private key (PKCS#1, as the controller stores it) followed by a certificate made the way
// the controller makes its own (pkg/crypto/keys.go: self-signed, CA, key usage
// encipher-only, empty common name unless --my-cn, 10 years). Errors on stderr, never with
// the plaintext.
package main

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"time"
)

type input struct {
	Op        string `json:"op"`
	Key       string `json:"key"`
	Cert      string `json:"cert"`
	Label     string `json:"label"`
	Value     string `json:"value"`
	Plaintext string `json:"plaintext"`
	Bits      int    `json:"bits"`
}

func privateKey(pemText string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block in key")
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func unseal(in input) ([]byte, error) {
	key, err := privateKey(in.Key)
	if err != nil {
		return nil, err
	}
	data, err := base64.StdEncoding.DecodeString(in.Value)
	if err != nil {
		return nil, err
	}
	if len(data) < 2 {
		return nil, errors.New("too short")
	}
	n := int(binary.BigEndian.Uint16(data))
	if len(data) < 2+n {
		return nil, errors.New("too short")
	}
	session, err := rsa.DecryptOAEP(sha256.New(), rand.Reader, key, data[2:2+n], []byte(in.Label))
	if err != nil {
		return nil, err
	}
	aead, err := gcm(session)
	if err != nil {
		return nil, err
	}
	return aead.Open(nil, make([]byte, aead.NonceSize()), data[2+n:], nil)
}

func seal(in input) ([]byte, error) {
	block, _ := pem.Decode([]byte(in.Cert))
	if block == nil {
		return nil, errors.New("no PEM block in certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA certificate")
	}
	plaintext, err := base64.StdEncoding.DecodeString(in.Plaintext)
	if err != nil {
		return nil, err
	}
	session := make([]byte, 32)
	if _, err := io.ReadFull(rand.Reader, session); err != nil {
		return nil, err
	}
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, session, []byte(in.Label))
	if err != nil {
		return nil, err
	}
	aead, err := gcm(session)
	if err != nil {
		return nil, err
	}
	out := binary.BigEndian.AppendUint16(nil, uint16(len(wrapped)))
	out = append(out, wrapped...)
	return aead.Seal(out, make([]byte, aead.NonceSize()), plaintext, nil), nil
}

func keygen(in input) ([]byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, in.Bits)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := x509.Certificate{
		SerialNumber:          serial,
		KeyUsage:              x509.KeyUsageEncipherOnly,
		NotBefore:             now.UTC(),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour).UTC(),
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	out := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...), nil
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		fmt.Fprintln(os.Stderr, "hybrid: bad input:", err)
		os.Exit(2)
	}
	var out []byte
	var err error
	switch in.Op {
	case "unseal":
		out, err = unseal(in)
	case "seal":
		out, err = seal(in)
	case "keygen":
		out, err = keygen(in)
		if err == nil {
			os.Stdout.Write(out)
			return
		}
	default:
		err = fmt.Errorf("unknown op %q", in.Op)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hybrid:", in.Op+":", err)
		os.Exit(1)
	}
	fmt.Print(base64.StdEncoding.EncodeToString(out))
}
