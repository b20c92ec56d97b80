//! TLS for the PVE API: verified by default (system roots, a CA file, or a pinned certificate
//! fingerprint); skipping verification only when asked, and then logged.

use std::sync::Arc;

use relay_core::infra::InfraError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::settings::TlsTrust;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for `trust`.
pub(crate) fn client_config(trust: &TlsTrust, url: &str) -> Result<ClientConfig, InfraError> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| InfraError::Config(format!("TLS setup failed: {e}")))?;
    let config = match trust {
        TlsTrust::System => {
            let loaded = rustls_native_certs::load_native_certs();
            let mut roots = RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(loaded.certs);
            if added == 0 {
                return Err(InfraError::Config(format!(
                    "no system CA certificates found to verify {url}; set PROXMOX_CA_FILE to the node's CA \
                     (/etc/pve/pve-root-ca.pem) or PROXMOX_FINGERPRINT to its certificate fingerprint"
                )));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsTrust::CaFile(path) => {
            let pem = std::fs::read(path).map_err(|e| {
                InfraError::Config(format!(
                    "cannot read the Proxmox CA file {} (PROXMOX_CA_FILE): {e}",
                    path.display()
                ))
            })?;
            let roots = roots_from_pem(&pem, &path.display().to_string())?;
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsTrust::CaPem(pem) => {
            let roots = roots_from_pem(pem.as_bytes(), "the CA PEM")?;
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        TlsTrust::Fingerprint(text) => {
            let expected = parse_fingerprint(text)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedCertificate {
                    expected: Some(expected),
                    provider,
                }))
                .with_no_client_auth()
        }
        TlsTrust::Insecure => {
            tracing::warn!(
                url,
                "TLS certificate verification is OFF for the Proxmox API (PROXMOX_INSECURE / \
                 infra.proxmox.insecure); anyone on the network path can read the credentials"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(PinnedCertificate {
                    expected: None,
                    provider,
                }))
                .with_no_client_auth()
        }
    };
    Ok(config)
}

fn roots_from_pem(pem: &[u8], source: &str) -> Result<RootCertStore, InfraError> {
    let mut roots = RootCertStore::empty();
    let mut count = 0;
    for cert in CertificateDer::pem_slice_iter(pem) {
        let cert = cert.map_err(|e| {
            InfraError::Config(format!("{source} is not a valid PEM certificate file: {e}"))
        })?;
        roots.add(cert).map_err(|e| {
            InfraError::Config(format!(
                "{source} holds a certificate rustls cannot use: {e}"
            ))
        })?;
        count += 1;
    }
    if count == 0 {
        return Err(InfraError::Config(format!(
            "{source} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)"
        )));
    }
    Ok(roots)
}

/// Parses `AB:CD:...` (or without colons, any case) into 32 bytes.
pub(crate) fn parse_fingerprint(text: &str) -> Result<Vec<u8>, InfraError> {
    let hex: String = text
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    match bytes {
        Some(b) if b.len() == 32 => Ok(b),
        _ => Err(InfraError::Config(format!(
            "PROXMOX_FINGERPRINT `{text}` is not a SHA-256 fingerprint (32 hex bytes such as AB:CD:...); \
             PVE shows it under Node > System > Certificates"
        ))),
    }
}

fn format_fingerprint(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Accepts exactly the certificate with the pinned fingerprint (or any, when `expected` is None:
/// the explicit insecure mode). Handshake signatures are still checked.
#[derive(Debug)]
struct PinnedCertificate {
    expected: Option<Vec<u8>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for PinnedCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(expected) = &self.expected else {
            return Ok(ServerCertVerified::assertion());
        };
        let actual = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
        if actual.as_ref() == expected.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server certificate's fingerprint {} is not the pinned {}",
                format_fingerprint(actual.as_ref()),
                format_fingerprint(expected)
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_with_or_without_colons() {
        let hex = "AB".repeat(32);
        assert_eq!(parse_fingerprint(&hex).unwrap(), vec![0xAB; 32]);
        let colons = vec!["0f"; 32].join(":");
        assert_eq!(parse_fingerprint(&colons).unwrap(), vec![0x0F; 32]);
        let err = parse_fingerprint("AB:CD").unwrap_err().to_string();
        assert!(err.contains("not a SHA-256 fingerprint"), "{err}");
    }
}
