//! A certificate authority made by the test, and a server certificate it signs.
//!
//! Real PVE nodes ship a self-signed CA (`pve-root-ca.pem`) that signs the node certificate, so the
//! fake does the same: clients must trust the CA file or pin the server certificate's fingerprint.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The CA and server certificate of one fake server.
pub struct TestCertificates {
    /// The CA certificate in PEM, to write to a file a client trusts.
    pub ca_pem: String,
    /// The server certificate (DER) presented on every connection.
    pub server_der: CertificateDer<'static>,
    /// The server's private key (PKCS#8 DER).
    pub server_key: PrivatePkcs8KeyDer<'static>,
}

impl TestCertificates {
    /// Makes a fresh CA and a server certificate for `localhost` and `127.0.0.1` signed by it.
    pub fn generate() -> Result<Self, rcgen::Error> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Relay Test PVE Root CA");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])?;
        params
            .distinguished_name
            .push(DnType::CommonName, "pve.relay.test");
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;
        Ok(Self {
            ca_pem: ca.pem(),
            server_der: cert.der().clone(),
            server_key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        })
    }

    /// SHA-256 fingerprint of the server certificate as PVE shows it (`AB:CD:...`).
    pub fn server_fingerprint(&self) -> String {
        let digest = ring::digest::digest(&ring::digest::SHA256, self.server_der.as_ref());
        digest
            .as_ref()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// A rustls server configuration presenting the server certificate.
    pub fn server_config(&self) -> Result<rustls::ServerConfig, rustls::Error> {
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![self.server_der.clone()],
                PrivateKeyDer::Pkcs8(self.server_key.clone_key()),
            )
    }
}
