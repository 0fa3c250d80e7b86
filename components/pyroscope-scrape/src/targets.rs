//! From arguments to scrape jobs (spec §4): label building, port completion, invalid targets,
//! `service_name` inference, the godeltaprof rename, job keys and URLs.
//!
//! Decisions:
//! - [`expand`] is a pure function of the arguments: the component calls it on build and on
//!   every Update and diffs the job keys, so equal input gives equal jobs in equal order.
//! - An invalid target (§4.6) is skipped on its own (D2); its reason is the same for every
//!   profile type, so it is reported once per target, with the labels built before it failed.
//! - The job key (§4.4) is a hand-written FNV-1a 64 over fixed bytes, never a seeded hasher, so
//!   it (and the phase it sets) is the same across restarts and builds.
//! - `params` is never mutated: each URL's query is built from a fresh copy (D9), and `seconds`
//!   only appears for `delta = true` types (D1 for its value).
//! - Labels are kept in byte-wise name order (a target is a map); a label set by a later step
//!   replaces the value in place.

use std::collections::BTreeMap;

use ferroalloy_pyroscope::Labels;
use ferroalloy_pyroscope::labels::{clean_path, encode_query, join_path};

use crate::config::{
    ProfileType, ScrapeArguments, client_delta_columns, go_quote, godeltaprof_rename,
};
use crate::job_spec::{Expansion, InvalidTarget, JobSpec};

/// `__address__`: the target's `host:port`.
pub const ADDRESS_LABEL: &str = "__address__";
/// `__scheme__`: `http` or `https`.
pub const SCHEME_LABEL: &str = "__scheme__";
/// `__name__`: the profile type name.
pub const NAME_LABEL: &str = "__name__";
/// `__profile_path__`: the path of the profile endpoint.
pub const PROFILE_PATH_LABEL: &str = "__profile_path__";
/// `__profile_path_prefix__`: prepended to `__profile_path__`.
pub const PROFILE_PATH_PREFIX_LABEL: &str = "__profile_path_prefix__";
/// The prefix of labels that set a query parameter (`__param_<k>`).
pub const PARAM_LABEL_PREFIX: &str = "__param_";
/// `job`.
pub const JOB_LABEL: &str = "job";
/// `instance`.
pub const INSTANCE_LABEL: &str = "instance";
/// `service_name`.
pub const SERVICE_NAME_LABEL: &str = "service_name";

/// Expand `args` into scrape jobs (§4.1–§4.6): one job per (valid target, enabled profile
/// type), jobs with equal keys merged (the first kept), sorted by URL then key; invalid targets
/// listed in target order.
pub fn expand(args: &ScrapeArguments) -> Expansion {
    let types = args.profiling_config.enabled_types();
    let mut jobs: BTreeMap<u64, JobSpec> = BTreeMap::new();
    let mut invalid = Vec::new();
    for target in &args.targets {
        let mut base = target_labels(target);
        if let Err(reason) = complete_target(args, &mut base) {
            invalid.push(InvalidTarget {
                labels: base,
                reason,
            });
            continue;
        }
        // Step 9 depends on the target only.
        if !has_value(&base, SERVICE_NAME_LABEL) {
            set_sorted(&mut base, SERVICE_NAME_LABEL, &infer_service_name(target));
        }
        for profile_type in &types {
            let job = build_job(args, &base, profile_type);
            jobs.entry(job.key).or_insert(job);
        }
    }
    let mut jobs: Vec<JobSpec> = jobs.into_values().collect();
    jobs.sort_by(|a, b| a.url.cmp(&b.url).then(a.key.cmp(&b.key)));
    Expansion { jobs, invalid }
}

/// A target map as labels, in name order.
fn target_labels(target: &BTreeMap<String, String>) -> Labels {
    target
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Whether `labels` has `name` with a non-empty value.
fn has_value(labels: &Labels, name: &str) -> bool {
    labels.get(name).is_some_and(|v| !v.is_empty())
}

/// Set `name` keeping the labels in name order.
fn set_sorted(labels: &mut Labels, name: &str, value: &str) {
    let had = labels.get(name).is_some();
    labels.set(name, value);
    if !had {
        labels.sort();
    }
}

/// Steps 3–8 of §4.2 on a target's `labels`; the error is the invalid-target reason (§4.6).
fn complete_target(args: &ScrapeArguments, labels: &mut Labels) -> Result<(), String> {
    // Step 3.
    if !args.job_name.is_empty() && !has_value(labels, JOB_LABEL) {
        set_sorted(labels, JOB_LABEL, &args.job_name);
    }
    if !has_value(labels, SCHEME_LABEL) {
        set_sorted(labels, SCHEME_LABEL, &args.scheme);
    }
    // Step 4.
    for (key, values) in &args.params {
        if let Some(first) = values.first() {
            set_sorted(labels, &format!("{PARAM_LABEL_PREFIX}{key}"), first);
        }
    }
    // Step 5.
    let address = labels.get(ADDRESS_LABEL).unwrap_or_default().to_owned();
    if address.is_empty() {
        return Err("no address".to_owned());
    }
    // Step 6.
    let mut address = address;
    if split_host_port(&address).is_none() && split_host_port(&format!("{address}:1234")).is_some()
    {
        let scheme = labels.get(SCHEME_LABEL).unwrap_or_default();
        let port = match scheme {
            "http" | "" => "80",
            "https" => "443",
            other => return Err(format!("invalid scheme: {}", go_quote(other))),
        };
        address = format!("{address}:{port}");
        set_sorted(labels, ADDRESS_LABEL, &address);
    }
    // Step 7.
    if address.contains('/') {
        return Err(format!("{} is not a valid hostname", go_quote(&address)));
    }
    // Step 8.
    if !has_value(labels, INSTANCE_LABEL) {
        set_sorted(labels, INSTANCE_LABEL, &address);
    }
    Ok(())
}

/// §4.2 steps 2 and 11, §4.4 and §4.5 for one profile type of a target whose other labels
/// (steps 1 and 3–9) are `base`. Steps 2 and 3–9 set disjoint labels, so their order does not
/// matter and the type-independent part runs once per target.
fn build_job(args: &ScrapeArguments, base: &Labels, profile_type: &ProfileType) -> JobSpec {
    let mut labels = base.clone();
    // Step 2.
    if !profile_type.path.is_empty() && !has_value(&labels, PROFILE_PATH_LABEL) {
        set_sorted(&mut labels, PROFILE_PATH_LABEL, &profile_type.path);
    }
    if !has_value(&labels, NAME_LABEL) {
        set_sorted(&mut labels, NAME_LABEL, &profile_type.name);
    }
    let prefix = &args.profiling_config.path_prefix;
    if !prefix.is_empty() && !has_value(&labels, PROFILE_PATH_PREFIX_LABEL) {
        set_sorted(&mut labels, PROFILE_PATH_PREFIX_LABEL, prefix);
    }
    // Step 11.
    let mut name = labels.get(NAME_LABEL).unwrap_or_default().to_owned();
    let godeltaprof = match godeltaprof_rename(&name) {
        Some(renamed) => {
            name = renamed.to_owned();
            set_sorted(&mut labels, NAME_LABEL, renamed);
            true
        }
        None => false,
    };

    let delta_seconds = profile_type.delta.then(|| args.delta_seconds());
    let url = job_url(args, &labels, delta_seconds);
    let key = job_key(&labels, &url);
    let client_delta = if godeltaprof || profile_type.delta {
        None
    } else {
        client_delta_columns(&name).map(<[_]>::to_vec)
    };
    JobSpec {
        key,
        url,
        profile_name: name,
        labels,
        delta_seconds,
        client_delta,
        godeltaprof,
        job_name: args.job_name.clone(),
    }
}

/// §4.2 step 9: `service_name` from the original target labels, first non-empty match wins.
pub fn infer_service_name(target: &BTreeMap<String, String>) -> String {
    let get = |name: &str| target.get(name).filter(|v| !v.is_empty());
    if let Some(name) = get("__meta_kubernetes_pod_annotation_pyroscope_io_service_name") {
        return name.clone();
    }
    if let (Some(namespace), Some(container)) = (
        get("__meta_kubernetes_namespace"),
        get("__meta_kubernetes_pod_container_name"),
    ) {
        return format!("{namespace}/{container}");
    }
    [
        "__meta_docker_container_name",
        "__meta_dockerswarm_container_label_service_name",
        "__meta_dockerswarm_service_name",
    ]
    .into_iter()
    .find_map(get)
    .cloned()
    .unwrap_or_else(|| "unspecified".to_owned())
}

/// Go's `net.SplitHostPort`: `Some((host, port))` when `hostport` has the form `host:port` or
/// `[host]:port` (the port is not checked to be a number), `None` otherwise.
pub fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let i = hostport.rfind(':')?;
    let (host, j, k) = if hostport.starts_with('[') {
        let end = hostport.find(']')?;
        if end + 1 != i {
            return None;
        }
        (&hostport[1..end], 1, end + 1)
    } else {
        let host = &hostport[..i];
        if host.contains(':') {
            return None;
        }
        (host, 0, 0)
    };
    if hostport[j..].contains('[') || hostport[k..].contains(']') {
        return None;
    }
    Some((host, &hostport[i + 1..]))
}

/// §4.5: `<__scheme__>://<__address__><path>?<query>`.
pub fn job_url(args: &ScrapeArguments, labels: &Labels, delta_seconds: Option<u64>) -> String {
    let scheme = labels.get(SCHEME_LABEL).unwrap_or_default();
    let address = labels.get(ADDRESS_LABEL).unwrap_or_default();
    let prefix = labels.get(PROFILE_PATH_PREFIX_LABEL).unwrap_or_default();
    let profile_path = labels.get(PROFILE_PATH_LABEL).unwrap_or_default();
    let path = profile_url_path(prefix, profile_path);

    let mut params: Vec<(String, Vec<String>)> = args
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (name, value) in labels.iter() {
        let Some(key) = name.strip_prefix(PARAM_LABEL_PREFIX) else {
            continue;
        };
        match params.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) if !values.is_empty() => values[0] = value.to_owned(),
            Some((_, values)) => values.push(value.to_owned()),
            None => params.push((key.to_owned(), vec![value.to_owned()])),
        }
    }
    if let Some(seconds) = delta_seconds {
        match params.iter_mut().find(|(k, _)| k == "seconds") {
            Some((_, values)) => values.push(seconds.to_string()),
            None => params.push(("seconds".to_owned(), vec![seconds.to_string()])),
        }
    }
    let pairs: Vec<(Vec<u8>, Vec<u8>)> = params
        .into_iter()
        .flat_map(|(k, values)| {
            values
                .into_iter()
                .map(move |v| (k.clone().into_bytes(), v.into_bytes()))
        })
        .collect();
    let query = encode_query(pairs);
    let mut url = format!("{scheme}://{address}{}", escape_path(&path));
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    url
}

/// §4.5's path: prefix and profile path joined with `/` and cleaned, a leading `/` ensured, a
/// trailing `/` of the profile path kept.
pub fn profile_url_path(prefix: &str, profile_path: &str) -> String {
    let joined = join_path(prefix, profile_path);
    let mut path = if joined.is_empty() {
        "/".to_owned()
    } else if joined.starts_with('/') {
        joined
    } else {
        clean_path(&format!("/{joined}"))
    };
    if profile_path.ends_with('/') && !path.ends_with('/') {
        path.push('/');
    }
    path
}

/// Escape a URL path like Go's `url.URL.EscapedPath` (`encodePath` mode): unreserved
/// characters and `$&+,/:;=@` stay, every other byte becomes `%XX`.
fn escape_path(path: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'$'
            | b'&'
            | b'+'
            | b','
            | b'/'
            | b':'
            | b';'
            | b'='
            | b'@' => out.push(char::from(b)),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 0xF)]));
            }
        }
    }
    out
}

/// FNV-1a 64-bit offset basis.
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64-bit prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// The job key (§4.4): FNV-1a 64 over, for each label not starting with `__` in byte-wise name
/// order, the name, `0xff`, the value, `0xff`; then the URL.
pub fn job_key(labels: &Labels, url: &str) -> u64 {
    let mut sorted: Vec<(&str, &str)> = labels
        .iter()
        .filter(|(name, _)| !name.starts_with("__"))
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut hash = FNV_OFFSET;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(FNV_PRIME);
        }
    };
    for (name, value) in sorted {
        feed(name.as_bytes());
        feed(&[0xff]);
        feed(value.as_bytes());
        feed(&[0xff]);
    }
    feed(url.as_bytes());
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_host_port_follows_go() {
        assert_eq!(split_host_port("h:1"), Some(("h", "1")));
        assert_eq!(split_host_port("[::1]:80"), Some(("::1", "80")));
        assert_eq!(split_host_port("h"), None);
        assert_eq!(split_host_port("::1"), None);
        assert_eq!(split_host_port("[::1]"), None);
        assert_eq!(split_host_port("http://h:1"), None);
        assert_eq!(split_host_port("h:"), Some(("h", "")));
    }

    #[test]
    fn fnv1a_of_known_inputs() {
        // Published FNV-1a 64 test vectors: "" and "a".
        assert_eq!(job_key(&Labels::new(), ""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(job_key(&Labels::new(), "a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn paths() {
        assert_eq!(
            profile_url_path("v1/", "/debug/pprof/profile"),
            "/v1/debug/pprof/profile"
        );
        assert_eq!(profile_url_path("", "debug//x/./y/../z/"), "/debug/x/z/");
        assert_eq!(profile_url_path("", ""), "/");
        assert_eq!(escape_path("/a b/%"), "/a%20b/%25");
    }
}
