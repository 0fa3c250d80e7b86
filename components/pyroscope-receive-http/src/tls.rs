//! Server TLS (spec §2 `http` > `tls`): loading the certificate material into a rustls
//! configuration (ring provider) with ALPN `h2` and `http/1.1`.
//!
//! Decisions:
//! - Loading happens in build and Update (it reads files); any failure is one error,
//!   `failed to load server certificate: <err>`, which fails the build or the Update.
//! - `RequestClientCert` and `RequireAnyClientCert` ask for a certificate without verifying its
//!   chain (Go's semantics): [`AcceptAnyClientCert`] checks only the handshake signatures.
//!   The verifying modes use rustls' WebPKI verifier over `client_ca`/`client_ca_file`.

use std::sync::Arc;

use rustls::DigitallySignedStruct;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig, WebPkiClientVerifier};

use crate::config::{ClientAuth, MinVersion, TlsServerConfig};

/// Why the TLS configuration could not be built; displays as
/// `failed to load server certificate: <err>`.
#[derive(Debug, thiserror::Error)]
#[error("failed to load server certificate: {0}")]
pub struct TlsError(pub String);

fn read_pem(inline: &str, file: &str, what: &str) -> Result<Vec<u8>, TlsError> {
    if !inline.is_empty() {
        return Ok(inline.as_bytes().to_vec());
    }
    if file.is_empty() {
        return Err(TlsError(format!("no {what} configured")));
    }
    std::fs::read(file).map_err(|e| TlsError(format!("failed to read {what} {file}: {e}")))
}

/// Build the rustls server configuration of `cfg`. Warnings (raised `min_version`, ignored
/// `cipher_suites`) are logged here.
pub fn server_config(cfg: &TlsServerConfig) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let versions: &[&'static rustls::SupportedProtocolVersion] =
        match MinVersion::parse(&cfg.min_version) {
            Some(MinVersion::Tls13) => &[&rustls::version::TLS13],
            Some(MinVersion::Raised) => {
                tracing::warn!(
                    min_version = %cfg.min_version,
                    "tls versions below 1.2 are not supported; using VersionTLS12"
                );
                &[&rustls::version::TLS12, &rustls::version::TLS13]
            }
            _ => &[&rustls::version::TLS12, &rustls::version::TLS13],
        };
    if cfg.cipher_suites.as_ref().is_some_and(|c| !c.is_empty()) {
        tracing::warn!("cipher_suites is accepted for compatibility and ignored");
    }
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| TlsError(e.to_string()))?;

    let auth = ClientAuth::parse(&cfg.client_auth_type).unwrap_or(ClientAuth::None);
    let builder = match auth {
        ClientAuth::None => builder.with_no_client_auth(),
        ClientAuth::Request | ClientAuth::RequireAny => {
            builder.with_client_cert_verifier(Arc::new(AcceptAnyClientCert {
                mandatory: auth == ClientAuth::RequireAny,
                algorithms: provider.signature_verification_algorithms,
            }))
        }
        ClientAuth::VerifyIfGiven | ClientAuth::RequireAndVerify => {
            let ca = read_pem(&cfg.client_ca, &cfg.client_ca_file, "client CA")?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&ca) {
                let cert = cert.map_err(|e| TlsError(format!("client CA: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| TlsError(format!("client CA: {e}")))?;
            }
            if roots.is_empty() {
                return Err(TlsError("client CA: no certificate found".to_owned()));
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if auth == ClientAuth::VerifyIfGiven {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            let verifier = verifier
                .build()
                .map_err(|e| TlsError(format!("client CA: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };

    let cert_pem = read_pem(&cfg.cert_pem, &cfg.cert_file, "certificate")?;
    let key_inline = cfg.key_pem.as_ref().map(|k| k.expose()).unwrap_or("");
    let key_pem = read_pem(key_inline, &cfg.key_file, "key")?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError(format!("certificate: {e}")))?;
    if chain.is_empty() {
        return Err(TlsError("certificate: no certificate found".to_owned()));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError(format!("key: {e}")))?;
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| TlsError(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Asks for a client certificate and accepts any (Go's `RequestClientCert` /
/// `RequireAnyClientCert`); only the handshake signature is checked.
#[derive(Debug)]
struct AcceptAnyClientCert {
    mandatory: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AcceptAnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        self.mandatory
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
