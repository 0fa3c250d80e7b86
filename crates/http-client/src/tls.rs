//! `tls_config` → a `rustls::ClientConfig` on the ring provider (§4, §9, §10).
//!
//! Decisions:
//! - Everything is loaded and checked at build, so a bad file or PEM fails the component's build
//!   or update with the spec's text (also for `oauth2 > tls_config`, where Go waits for the first
//!   token request).
//! - Server verification is one custom [`ServerCertVerifier`]: it wraps rustls'
//!   `WebPkiServerVerifier` so that `server_name` can replace the URL host for verification (SNI
//!   still carries the URL host: reqwest offers no override), and so that a `ca_file` can be
//!   reloaded. `insecure_skip_verify` accepts any certificate but still checks the handshake
//!   signatures with the provider's algorithms.
//! - TLS files are re-read on every new handshake (a few kilobytes next to a handshake's cost),
//!   so a rotated `ca_file`, `cert_file` or `key_file` is used by the next new connection without
//!   reload or polling task; open connections are kept. Content that does not load keeps the
//!   previous material and logs a warning at most once a minute per file.
//! - rustls has no TLS 1.0/1.1: `TLS10`/`TLS11` allow TLS 1.2 and 1.3 and warn once at build.
//! - Without `ca_pem`/`ca_file` the system roots come from `rustls-native-certs` (which honours
//!   `SSL_CERT_FILE`/`SSL_CERT_DIR`); none found is a warning, and every handshake then fails.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme,
};

use crate::config::TlsConfig;
use crate::error::{BuildError, KeyPairProblem, MaterialSource};

/// How long a file that fails to reload stays quiet after a warning.
const WARN_INTERVAL: Duration = Duration::from_secs(60);

/// The most PEM sections read from one input (a bound on hostile input).
const MAX_PEM_SECTIONS: usize = 10_000;

/// The ring crypto provider every client uses.
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Build the rustls configuration of `tls`, with `alpn` as ALPN protocols (§7).
pub(crate) fn client_config(
    tls: &TlsConfig,
    alpn: Vec<Vec<u8>>,
) -> Result<rustls::ClientConfig, BuildError> {
    let provider = provider();
    let versions: &[&'static rustls::SupportedProtocolVersion] = match tls.min_version.as_str() {
        "TLS13" => &[&rustls::version::TLS13],
        other => {
            if other == "TLS10" || other == "TLS11" {
                tracing::warn!(
                    min_version = other,
                    "tls_config min_version {other} is below TLS 1.2, the lowest version supported; TLS 1.2 is used"
                );
            }
            &[&rustls::version::TLS12, &rustls::version::TLS13]
        }
    };
    let verifier = server_verifier(tls, &provider)?;
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(versions)
        .map_err(|e| BuildError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match client_cert_resolver(tls, &provider)? {
        Some(resolver) => builder.with_client_cert_resolver(resolver),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn;
    Ok(config)
}

/// The server certificate verifier of `tls` (§10 rows `ca_*`, `server_name`,
/// `insecure_skip_verify`).
fn server_verifier(
    tls: &TlsConfig,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, BuildError> {
    let algorithms = provider.signature_verification_algorithms;
    let server_name = if tls.server_name.is_empty() {
        None
    } else {
        Some(
            ServerName::try_from(tls.server_name.clone())
                .map_err(|_| BuildError::InvalidServerName(tls.server_name.clone()))?,
        )
    };
    if tls.insecure_skip_verify {
        tracing::warn!(
            "tls_config insecure_skip_verify is set: server certificates are not verified"
        );
        return Ok(Arc::new(Verifier {
            roots: Roots::Insecure,
            server_name,
            algorithms,
        }));
    }
    let roots = if !tls.ca_pem.is_empty() {
        let store = parse_roots(tls.ca_pem.as_bytes())
            .ok_or(BuildError::NoCaCertificate(MaterialSource::Inline))?;
        Roots::Fixed(Some(webpki_verifier(store, provider)?))
    } else if !tls.ca_file.is_empty() {
        let path = PathBuf::from(&tls.ca_file);
        let content = std::fs::read(&path).map_err(|source| BuildError::ReadCaFile {
            path: path.clone(),
            source,
        })?;
        let store = parse_roots(&content)
            .ok_or_else(|| BuildError::NoCaCertificate(MaterialSource::File(path.clone())))?;
        let verifier = webpki_verifier(store, provider)?;
        Roots::File(FileRoots {
            path,
            provider: provider.clone(),
            state: Mutex::new(FileRootsState {
                content,
                verifier,
                warned_at: None,
            }),
        })
    } else {
        let loaded = rustls_native_certs::load_native_certs();
        let mut store = RootCertStore::empty();
        let (added, _) = store.add_parsable_certificates(loaded.certs);
        if added == 0 {
            tracing::warn!(
                "no system root certificates found: servers cannot be verified without ca_pem or ca_file"
            );
            Roots::Fixed(None)
        } else {
            Roots::Fixed(Some(webpki_verifier(store, provider)?))
        }
    };
    Ok(Arc::new(Verifier {
        roots,
        server_name,
        algorithms,
    }))
}

/// The certificates of a CA PEM; `None` when no `CERTIFICATE` block decodes to a usable one
/// (others are skipped, Go parity).
fn parse_roots(pem: &[u8]) -> Option<RootCertStore> {
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem)
        .take(MAX_PEM_SECTIONS)
        .flatten()
    {
        let _ = store.add(cert);
    }
    (!store.is_empty()).then_some(store)
}

fn webpki_verifier(
    store: RootCertStore,
    provider: &Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, BuildError> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
        .build()
        .map_err(|e| BuildError::Tls(e.to_string()))
}

/// Where the trusted roots come from.
enum Roots {
    /// Inline or system roots; `None` when the system has none.
    Fixed(Option<Arc<WebPkiServerVerifier>>),
    /// `ca_file`, re-read on each handshake.
    File(FileRoots),
    /// `insecure_skip_verify`.
    Insecure,
}

struct FileRoots {
    path: PathBuf,
    provider: Arc<CryptoProvider>,
    state: Mutex<FileRootsState>,
}

struct FileRootsState {
    content: Vec<u8>,
    verifier: Arc<WebPkiServerVerifier>,
    warned_at: Option<Instant>,
}

impl FileRoots {
    /// The verifier of the file's current content, or of the last content that loaded.
    fn current(&self) -> Arc<WebPkiServerVerifier> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match std::fs::read(&self.path) {
            Ok(content) if content != state.content => {
                let verifier = parse_roots(&content)
                    .ok_or_else(|| "no certificate found in PEM input".to_owned())
                    .and_then(|store| {
                        webpki_verifier(store, &self.provider).map_err(|e| e.to_string())
                    });
                match verifier {
                    Ok(verifier) => {
                        state.content = content;
                        state.verifier = verifier;
                        state.warned_at = None;
                    }
                    Err(reason) => {
                        warn_reload(&mut state.warned_at, &self.path, "CA cert", &reason)
                    }
                }
            }
            Ok(_) => {}
            Err(e) => warn_reload(&mut state.warned_at, &self.path, "CA cert", &e.to_string()),
        }
        state.verifier.clone()
    }
}

/// Log that `path` failed to reload, at most once per [`WARN_INTERVAL`].
fn warn_reload(warned_at: &mut Option<Instant>, path: &Path, what: &str, reason: &str) {
    if warned_at.is_none_or(|at| at.elapsed() >= WARN_INTERVAL) {
        *warned_at = Some(Instant::now());
        tracing::warn!(
            path = %path.display(),
            "unable to reload {what} from file {}: {reason}; keeping the previous one",
            path.display()
        );
    }
}

/// The server certificate verifier (see the module docs).
struct Verifier {
    roots: Roots,
    server_name: Option<ServerName<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let roots = match &self.roots {
            Roots::Fixed(Some(_)) => "fixed",
            Roots::Fixed(None) => "none",
            Roots::File(_) => "file",
            Roots::Insecure => "insecure",
        };
        f.debug_struct("Verifier")
            .field("roots", &roots)
            .field("server_name", &self.server_name)
            .finish()
    }
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let name = self.server_name.as_ref().unwrap_or(server_name);
        let inner = match &self.roots {
            Roots::Insecure => return Ok(ServerCertVerified::assertion()),
            Roots::Fixed(None) => {
                return Err(TlsError::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                ));
            }
            Roots::Fixed(Some(verifier)) => verifier.clone(),
            Roots::File(file) => file.current(),
        };
        inner.verify_server_cert(end_entity, intermediates, name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// One piece of client TLS material: inline text or a file.
#[derive(Clone)]
enum Material {
    Inline(Vec<u8>),
    File(PathBuf),
}

impl Material {
    fn of(inline: &str, file: &str) -> Self {
        if inline.is_empty() {
            Self::File(PathBuf::from(file))
        } else {
            Self::Inline(inline.as_bytes().to_vec())
        }
    }

    fn source(&self) -> MaterialSource {
        match self {
            Self::Inline(_) => MaterialSource::Inline,
            Self::File(path) => MaterialSource::File(path.clone()),
        }
    }

    fn read(&self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Inline(bytes) => Ok(bytes.clone()),
            Self::File(path) => std::fs::read(path),
        }
    }
}

/// The client certificate resolver of `tls`, `None` without a client certificate.
fn client_cert_resolver(
    tls: &TlsConfig,
    provider: &Arc<CryptoProvider>,
) -> Result<Option<Arc<dyn ResolvesClientCert>>, BuildError> {
    if !tls.has_cert() || !tls.has_key() {
        return Ok(None);
    }
    let cert = Material::of(&tls.cert_pem, &tls.cert_file);
    let key = Material::of(tls.key_pem.expose(), &tls.key_file);
    let cert_bytes = cert.read().map_err(|source| BuildError::ReadCertFile {
        path: PathBuf::from(&tls.cert_file),
        source,
    })?;
    let key_bytes = key.read().map_err(|source| BuildError::ReadKeyFile {
        path: PathBuf::from(&tls.key_file),
        source,
    })?;
    let certified =
        load_pair(&cert_bytes, &key_bytes, provider).map_err(|reason| BuildError::KeyPair {
            cert: cert.source(),
            key: key.source(),
            reason,
        })?;
    Ok(Some(Arc::new(ClientCertResolver {
        cert,
        key,
        provider: provider.clone(),
        state: Mutex::new(ResolverState {
            cert_bytes,
            key_bytes,
            certified: Arc::new(certified),
            warned_at: None,
        }),
    })))
}

/// Parse a certificate chain and its key and check that they belong together.
fn load_pair(
    cert_pem: &[u8],
    key_pem: &[u8],
    provider: &CryptoProvider,
) -> Result<CertifiedKey, KeyPairProblem> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .take(MAX_PEM_SECTIONS)
        .flatten()
        .collect();
    if chain.is_empty() {
        return Err(KeyPairProblem::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|_| KeyPairProblem::NoPrivateKey)?;
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|_| KeyPairProblem::UnsupportedKeyType)?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) | Err(TlsError::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(certified)
        }
        Err(TlsError::InconsistentKeys(_)) => Err(KeyPairProblem::KeyMismatch),
        Err(_) => Err(KeyPairProblem::NoCertificate),
    }
}

/// Serves the client certificate, re-reading file material on each handshake.
struct ClientCertResolver {
    cert: Material,
    key: Material,
    provider: Arc<CryptoProvider>,
    state: Mutex<ResolverState>,
}

struct ResolverState {
    cert_bytes: Vec<u8>,
    key_bytes: Vec<u8>,
    certified: Arc<CertifiedKey>,
    warned_at: Option<Instant>,
}

impl fmt::Debug for ClientCertResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertResolver")
            .field("cert", &self.cert.source())
            .field("key", &self.key.source())
            .finish()
    }
}

impl ClientCertResolver {
    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let both = self.cert.read().and_then(|c| Ok((c, self.key.read()?)));
        let path = match (&self.cert, &self.key) {
            (Material::File(path), _) | (_, Material::File(path)) => path.clone(),
            _ => PathBuf::new(),
        };
        match both {
            Ok((cert, key)) if cert != state.cert_bytes || key != state.key_bytes => {
                match load_pair(&cert, &key, &self.provider) {
                    Ok(certified) => {
                        state.cert_bytes = cert;
                        state.key_bytes = key;
                        state.certified = Arc::new(certified);
                        state.warned_at = None;
                    }
                    Err(reason) => warn_reload(
                        &mut state.warned_at,
                        &path,
                        "client cert & key",
                        &reason.to_string(),
                    ),
                }
            }
            Ok(_) => {}
            Err(e) => warn_reload(
                &mut state.warned_at,
                &path,
                "client cert & key",
                &e.to_string(),
            ),
        }
        state.certified.clone()
    }
}

impl ResolvesClientCert for ClientCertResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
