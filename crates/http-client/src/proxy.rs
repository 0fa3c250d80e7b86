//! Proxy selection (§8): `proxy_url`, `no_proxy`, `proxy_from_environment`,
//! `proxy_connect_header`.
//!
//! Decisions:
//! - reqwest's own proxy matching (and its environment lookup) is switched off with `no_proxy()`;
//!   the client gets two `Proxy::custom` closures over one [`ProxyRules`]: one for `https://`
//!   destinations that carries `proxy_connect_header` (reqwest sends a custom proxy's headers in
//!   the `CONNECT`), one for `http://` destinations without them (reqwest would otherwise add them
//!   to every request forwarded in absolute form).
//! - `proxy_url` alone proxies every request, loopback included. With `no_proxy`, and for
//!   environment proxies, Go's `httpproxy` rules apply ([`NoProxy`]), including its exemption of
//!   `localhost` and loopback IPs.
//! - The environment is read once, when the client is built; changes need a reload.
//! - Userinfo of the proxy URL stays in the URL handed to reqwest, which turns it into
//!   `Proxy-Authorization: Basic …` (HTTP proxies) or SOCKS credentials.

use std::net::IpAddr;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use crate::config::ProxyConfig;

/// Which proxy, if any, each destination goes through.
#[derive(Clone, Debug, Default)]
pub struct ProxyRules {
    http: Option<Url>,
    https: Option<Url>,
    /// `None`: every destination is proxied (a `proxy_url` without `no_proxy`).
    exclusions: Option<NoProxy>,
}

impl ProxyRules {
    /// The rules of a validated proxy configuration, reading the environment through `env` when
    /// `proxy_from_environment` is set. `None` when no proxy is configured.
    pub fn from_config(
        cfg: &ProxyConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Option<ProxyRules> {
        if cfg.proxy_from_environment {
            return Some(Self::from_env(env));
        }
        if cfg.proxy_url.is_empty() {
            return None;
        }
        let url = Url::parse(&cfg.proxy_url).ok()?;
        let exclusions = (!cfg.no_proxy.is_empty()).then(|| NoProxy::parse(&cfg.no_proxy));
        Some(ProxyRules {
            http: Some(url.clone()),
            https: Some(url),
            exclusions,
        })
    }

    /// The rules of the environment variables, as Go's `httpproxy.FromEnvironment` reads them.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> ProxyRules {
        let get = |upper: &str, lower: &str| {
            env(upper)
                .filter(|v| !v.is_empty())
                .or_else(|| env(lower).filter(|v| !v.is_empty()))
        };
        let cgi = env("REQUEST_METHOD").is_some_and(|v| !v.is_empty());
        let http = if cgi {
            None
        } else {
            get("HTTP_PROXY", "http_proxy").and_then(|v| parse_env_proxy(&v))
        };
        let https = get("HTTPS_PROXY", "https_proxy").and_then(|v| parse_env_proxy(&v));
        let no_proxy = get("NO_PROXY", "no_proxy").unwrap_or_default();
        ProxyRules {
            http,
            https,
            exclusions: Some(NoProxy::parse(&no_proxy)),
        }
    }

    /// The proxy for a request to `url`, `None` to go direct.
    pub fn proxy_for(&self, url: &Url) -> Option<&Url> {
        let proxy = match url.scheme() {
            "http" => self.http.as_ref(),
            "https" => self.https.as_ref(),
            _ => None,
        }?;
        if let Some(exclusions) = &self.exclusions {
            let host = url.host_str()?;
            let port = url.port_or_known_default().unwrap_or(0);
            if !exclusions.use_proxy(host, port) {
                return None;
            }
        }
        Some(proxy)
    }

    /// The reqwest proxies: `https` destinations carry `connect_headers` in their `CONNECT`,
    /// `http` destinations carry none.
    pub(crate) fn into_reqwest(self, connect_headers: HeaderMap) -> Vec<reqwest::Proxy> {
        let https_rules = self.clone();
        let https = reqwest::Proxy::custom(move |url| {
            (url.scheme() == "https")
                .then(|| https_rules.proxy_for(url).cloned())
                .flatten()
        })
        .headers(connect_headers);
        let http = reqwest::Proxy::custom(move |url| {
            (url.scheme() == "http")
                .then(|| self.proxy_for(url).cloned())
                .flatten()
        });
        vec![https, http]
    }
}

/// The `proxy_connect_header` map as header lines, one per listed value, values sensitive.
pub(crate) fn connect_headers(cfg: &ProxyConfig) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, values) in &cfg.proxy_connect_header {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        for value in values {
            if let Ok(mut value) = HeaderValue::from_str(value.expose()) {
                value.set_sensitive(true);
                headers.append(name.clone(), value);
            }
        }
    }
    headers
}

/// A proxy URL from the environment: without a supported scheme it is taken as
/// `http://<value>`; an unparsable value is ignored.
fn parse_env_proxy(value: &str) -> Option<Url> {
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") => Some(url),
        _ => Url::parse(&format!("http://{value}"))
            .ok()
            .filter(|u| u.host_str().is_some()),
    }
}

/// Go's `NO_PROXY` matching (`golang.org/x/net/http/httpproxy`).
#[derive(Clone, Debug, Default)]
pub struct NoProxy {
    all: bool,
    ips: Vec<IpEntry>,
    domains: Vec<DomainEntry>,
}

#[derive(Clone, Debug)]
enum IpEntry {
    Cidr { network: IpAddr, prefix: u8 },
    Ip { ip: IpAddr, port: Option<u16> },
}

#[derive(Clone, Debug)]
struct DomainEntry {
    /// With a leading dot.
    suffix: String,
    /// Whether the entry also matches the host itself (`example.com`, not `.example.com`).
    match_host: bool,
    port: Option<String>,
}

impl NoProxy {
    /// Parse a comma-separated exclusion list.
    pub fn parse(list: &str) -> NoProxy {
        let mut out = NoProxy::default();
        for entry in list.split(',') {
            let entry = entry.trim().to_lowercase();
            if entry.is_empty() {
                continue;
            }
            if entry == "*" {
                out.all = true;
                continue;
            }
            if let Some((network, prefix)) = parse_cidr(&entry) {
                out.ips.push(IpEntry::Cidr { network, prefix });
                continue;
            }
            let (host, port) = match split_host_port(&entry) {
                Some((host, port)) => {
                    if host.is_empty() {
                        continue;
                    }
                    (host.to_owned(), Some(port.to_owned()))
                }
                None => (entry.clone(), None),
            };
            if let Ok(ip) = host.parse::<IpAddr>() {
                let port = match port {
                    None => None,
                    Some(p) if p.is_empty() => None,
                    Some(p) => match p.parse::<u16>() {
                        Ok(p) => Some(p),
                        Err(_) => continue,
                    },
                };
                out.ips.push(IpEntry::Ip { ip, port });
                continue;
            }
            let host = host
                .strip_prefix('*')
                .filter(|h| h.starts_with('.'))
                .unwrap_or(&host);
            let (suffix, match_host) = match host.strip_prefix('.') {
                Some(_) => (host.to_owned(), false),
                None => (format!(".{host}"), true),
            };
            out.domains.push(DomainEntry {
                suffix,
                match_host,
                port: port.filter(|p| !p.is_empty()),
            });
        }
        out
    }

    /// Whether a request to `host:port` goes through the proxy.
    pub fn use_proxy(&self, host: &str, port: u16) -> bool {
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host)
            .to_lowercase();
        if host == "localhost" {
            return false;
        }
        let ip = host.parse::<IpAddr>().ok();
        if ip.is_some_and(|ip| ip.is_loopback()) {
            return false;
        }
        if self.all {
            return false;
        }
        if let Some(ip) = ip {
            for entry in &self.ips {
                let hit = match entry {
                    IpEntry::Cidr { network, prefix } => cidr_contains(*network, *prefix, ip),
                    IpEntry::Ip {
                        ip: want,
                        port: want_port,
                    } => *want == ip && want_port.is_none_or(|p| p == port),
                };
                if hit {
                    return false;
                }
            }
        }
        let port = port.to_string();
        for entry in &self.domains {
            let hit =
                host.ends_with(&entry.suffix) || (entry.match_host && host == entry.suffix[1..]);
            if hit && entry.port.as_ref().is_none_or(|p| *p == port) {
                return false;
            }
        }
        true
    }
}

/// `a.b.c.d/n` or `v6/n` with `n` in range.
fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = text.split_once('/')?;
    let ip: IpAddr = addr.parse().ok()?;
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let prefix: u8 = prefix.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((ip, prefix))
}

fn cidr_contains(network: IpAddr, prefix: u8, ip: IpAddr) -> bool {
    match (network, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(n) & mask == u32::from(i) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(n) & mask == u128::from(i) & mask
        }
        _ => false,
    }
}

/// Go's `net.SplitHostPort`: `host:port` or `[v6]:port`; `None` when there is no port part or
/// the host has colons without brackets.
fn split_host_port(text: &str) -> Option<(&str, &str)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':')?;
        return (!port.contains(':')).then_some((host, port));
    }
    let (host, port) = text.rsplit_once(':')?;
    (!host.contains(':')).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_localhost_are_never_proxied() {
        let np = NoProxy::parse("");
        assert!(!np.use_proxy("localhost", 80));
        assert!(!np.use_proxy("127.0.0.1", 80));
        assert!(!np.use_proxy("[::1]", 443));
        assert!(np.use_proxy("example.com", 80));
    }

    #[test]
    fn entries_follow_go() {
        let np = NoProxy::parse(
            "10.0.0.0/8, 1.2.3.4:80, [fd00::1]:443, example.com, .sub.org, *.star.net, host:8080, fd00::/16",
        );
        assert!(!np.use_proxy("10.1.2.3", 80));
        assert!(np.use_proxy("11.1.2.3", 80));
        assert!(!np.use_proxy("1.2.3.4", 80));
        assert!(np.use_proxy("1.2.3.4", 443));
        assert!(!np.use_proxy("[fd00::1]", 443));
        assert!(!np.use_proxy("fd00::2", 80));
        assert!(!np.use_proxy("example.com", 443));
        assert!(!np.use_proxy("a.example.com", 443));
        assert!(np.use_proxy("notexample.com", 443));
        assert!(np.use_proxy("sub.org", 80));
        assert!(!np.use_proxy("a.sub.org", 80));
        assert!(np.use_proxy("star.net", 80));
        assert!(!np.use_proxy("x.star.net", 80));
        assert!(!np.use_proxy("host", 8080));
        assert!(np.use_proxy("host", 80));
    }

    #[test]
    fn malformed_entries_follow_go() {
        let np = NoProxy::parse("10.0.0.0/33, ,foo.com, :80");
        assert_eq!(np.domains.len(), 2);
        assert!(np.ips.is_empty());
        assert!(np.use_proxy("10.0.0.1", 80));
        assert!(!np.use_proxy("foo.com", 80));
        assert!(!NoProxy::parse("*").use_proxy("anything", 1));
    }

    #[test]
    fn environment_values_without_scheme_are_http() {
        let rules = ProxyRules::from_env(|k| match k {
            "HTTP_PROXY" => Some("127.0.0.1:3128".into()),
            "https_proxy" => Some("localhost:3129".into()),
            _ => None,
        });
        let http = Url::parse("http://example.invalid/").unwrap();
        let https = Url::parse("https://example.invalid/").unwrap();
        assert_eq!(
            rules.proxy_for(&http).map(Url::as_str),
            Some("http://127.0.0.1:3128/")
        );
        assert_eq!(
            rules.proxy_for(&https).map(Url::as_str),
            Some("http://localhost:3129/")
        );
        let cgi = ProxyRules::from_env(|k| match k {
            "HTTP_PROXY" => Some("127.0.0.1:3128".into()),
            "REQUEST_METHOD" => Some("GET".into()),
            _ => None,
        });
        assert!(cgi.proxy_for(&http).is_none());
    }
}
