//! Label rules of `pyroscope.write` and the `/ingest` `name` grammar.
//!
//! - [`validate`]: pyroscope-write §7.1, the check both Append paths run on incoming labels, with
//!   Alloy's exact detail texts ([`LabelError`]).
//! - [`push_labels`]: pyroscope-write §7.2, the label list a push series carries on the wire.
//! - [`ingest_query`]: pyroscope-write §9.1, the rewritten query string of a forwarded `/ingest`
//!   request, built from [`render_name`], [`parse_query`] and [`encode_query`].
//! - [`parse_name`]: `wire.md` §3.3 and pyroscope-receive-http §5 step 3, the `name=` grammar
//!   (`app{k=v,…}`) that `pyroscope.receive_http` parses.
//! - [`join_path`]: Go's `path.Join`, for the forwarded `/ingest` URL path (pyroscope-write §9.2).
//!
//! Design decisions:
//! - Query keys and values are kept as bytes: Go's `url.ParseQuery` decodes `%XX` escapes into
//!   arbitrary bytes (not necessarily UTF-8) and `url.Values.Encode` escapes them back byte by
//!   byte, so a pair that is not the `name` passes through unchanged in meaning.
//! - Rune quoting follows Go's `strconv.QuoteRune`, with the printable-character table of
//!   `ferroalloy_syntax::quote` so messages match Alloy byte for byte.
//! - Nothing here allocates per character on the hot path beyond the output: Append calls
//!   [`validate`] and [`push_labels`] for every profile series.

use std::fmt::{self, Write as _};

use crate::generated::types::v1::LabelPair;
use crate::receiver::{AppendError, Labels};

/// The prefix of every label-validation error returned to an Append caller.
pub const INVALID_LABELS_PREFIX: &str = "invalid labels in profile: ";

/// The profile-kind label.
pub const NAME_LABEL: &str = "__name__";
/// The label that tells the server not to compute deltas; kept on the push path.
pub const DELTA_LABEL: &str = "__delta__";
/// The application label.
pub const SERVICE_NAME_LABEL: &str = "service_name";

/// Why a label set failed [`validate`] (pyroscope-write §7.1). Displays as the detail text, the
/// part after `invalid labels in profile: `.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LabelError {
    /// The set is empty.
    #[error("service name is required")]
    ServiceNameRequired,
    /// A label has an empty name (Alloy reports it as a duplicate; ferroalloy deviates).
    #[error("invalid label name: label name is required")]
    EmptyName,
    /// Two labels share a name.
    #[error("duplicate label name: {0}")]
    Duplicate(String),
    /// A name other than `__name__` holds a character outside `[A-Za-z0-9_.]`.
    #[error(
        "invalid label name: invalid label name: {name}: character is not allowed: {}",
        quote_rune(*character)
    )]
    InvalidName {
        /// The label name.
        name: String,
        /// The first character not allowed.
        character: char,
    },
}

impl LabelError {
    /// The full text returned to the caller: `invalid labels in profile: <detail>`.
    pub fn full_text(&self) -> String {
        format!("{INVALID_LABELS_PREFIX}{self}")
    }
}

impl From<LabelError> for AppendError {
    fn from(error: LabelError) -> Self {
        AppendError::Rejected(error.full_text())
    }
}

/// Whether `c` may appear in a label name: `[A-Za-z0-9_.]` (dots and leading digits allowed).
pub fn is_label_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Whether `c` may appear in an `/ingest` application name: `[A-Za-z0-9_.\-/]`.
pub fn is_app_name_char(c: char) -> bool {
    is_label_name_char(c) || c == '-' || c == '/'
}

pub use ferroalloy_syntax::quote::quote_rune;

/// Validate incoming labels (pyroscope-write §7.1): sorted by name byte-wise and checked in that
/// order, the first failure wins.
pub fn validate(labels: &Labels) -> Result<(), LabelError> {
    if labels.is_empty() {
        return Err(LabelError::ServiceNameRequired);
    }
    let mut names: Vec<&str> = labels.iter().map(|(name, _)| name).collect();
    names.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    let mut previous: Option<&str> = None;
    for name in names {
        if name.is_empty() {
            return Err(LabelError::EmptyName);
        }
        if previous == Some(name) {
            return Err(LabelError::Duplicate(name.to_owned()));
        }
        // Values are `String`s: valid UTF-8 by construction, so the value check cannot fail.
        if name != NAME_LABEL
            && let Some(character) = name.chars().find(|c| !is_label_name_char(*c))
        {
            return Err(LabelError::InvalidName {
                name: name.to_owned(),
                character,
            });
        }
        previous = Some(name);
    }
    Ok(())
}

/// Whether the push path drops a label (pyroscope-write §7.2 step 2): names starting with `__`,
/// except `__name__` and `__delta__`.
pub fn is_dropped_on_push(name: &str) -> bool {
    name.starts_with("__") && name != NAME_LABEL && name != DELTA_LABEL
}

/// The labels of a push series (pyroscope-write §7.2), from labels that passed [`validate`]:
/// reserved `__` labels dropped (except `__name__`, `__delta__`), then each external label
/// applied (a non-empty value sets or overrides, an empty one deletes; not filtered, not
/// validated), then sorted by name byte-wise.
pub fn push_labels<I, K, V>(labels: Labels, external: I) -> Vec<LabelPair>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut out: Vec<LabelPair> = labels
        .into_iter()
        .filter(|(name, _)| !is_dropped_on_push(name))
        .map(|(name, value)| LabelPair { name, value })
        .collect();
    apply_external(&mut out, external);
    out.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    out
}

/// Validate then build the push labels: what Append does first. The error is the caller's
/// `Rejected` text (`invalid labels in profile: …`).
pub fn prepare_push<I, K, V>(labels: Labels, external: I) -> Result<Vec<LabelPair>, LabelError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    validate(&labels)?;
    Ok(push_labels(labels, external))
}

/// Apply external labels: a non-empty value replaces every label of that name with one pair, an
/// empty value deletes every label of that name.
fn apply_external<I, K, V>(out: &mut Vec<LabelPair>, external: I)
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    for (name, value) in external {
        let (name, value) = (name.as_ref(), value.as_ref());
        if value.is_empty() {
            out.retain(|pair| pair.name != name);
            continue;
        }
        let mut seen = false;
        out.retain_mut(|pair| {
            if pair.name != name {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            value.clone_into(&mut pair.value);
            true
        });
        if !seen {
            out.push(LabelPair {
                name: name.to_owned(),
                value: value.to_owned(),
            });
        }
    }
}

/// The query string of a forwarded `/ingest` request (pyroscope-write §9.1): `__name__` set from
/// a non-empty `service_name`, validation, external labels, the rendered `name`, and
/// `raw_query` re-encoded with every `name` pair replaced by the rendered one.
pub fn ingest_query<I, K, V>(
    labels: &Labels,
    external: I,
    raw_query: &str,
) -> Result<String, LabelError>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    // Step 1: `service_name` (first one) becomes `__name__`, replacing every `__name__`.
    let mut labels = labels.clone();
    if let Some(service) = labels
        .get(SERVICE_NAME_LABEL)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
    {
        labels.remove(NAME_LABEL);
        labels.push(NAME_LABEL, service);
    }
    // Step 2.
    validate(&labels)?;
    // Step 3: a map without empty values (names are unique after validation).
    let mut pairs: Vec<LabelPair> = labels
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| LabelPair { name, value })
        .collect();
    apply_external(&mut pairs, external);
    // Step 4.
    let name = render_name(pairs.iter().map(|p| (p.name.as_str(), p.value.as_str())));
    // Step 5.
    let mut query = parse_query(raw_query);
    query.retain(|(key, _)| key.as_slice() != b"name");
    query.push((b"name".to_vec(), name.into_bytes()));
    Ok(encode_query(query))
}

/// Render a label set in the `/ingest` `name` form (`wire.md` §3.3): the `__name__` value (empty
/// if absent), `{`, the other labels as `key=value` sorted by key byte-wise and joined by `,`,
/// `}`. No quoting or escaping: `{__name__=app, b=2, a=1}` → `app{a=1,b=2}`, `{a=1}` → `{a=1}`.
pub fn render_name<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut app = "";
    let mut others: Vec<(&str, &str)> = Vec::new();
    for (name, value) in labels {
        if name == NAME_LABEL {
            app = value;
        } else {
            others.push((name, value));
        }
    }
    others.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::with_capacity(
        app.len()
            + 2
            + others
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>(),
    );
    out.push_str(app);
    out.push('{');
    for (i, (name, value)) in others.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out.push('}');
    out
}

/// Parse a query string like Go's `url.ParseQuery`, keeping the pair order: split on `&`, skip
/// empty segments and segments containing `;`, split each at the first `=` (none → empty
/// value), decode `+` as space and `%XX`; a segment with an invalid escape is skipped.
pub fn parse_query(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|segment| !segment.is_empty() && !segment.contains(';'))
        .filter_map(|segment| {
            let (key, value) = segment.split_once('=').unwrap_or((segment, ""));
            Some((query_unescape(key)?, query_unescape(value)?))
        })
        .collect()
}

/// Decode `+` as space and `%XX` (either case); `None` on a `%` not followed by two hex digits.
fn query_unescape(text: &str) -> Option<Vec<u8>> {
    ferroalloy_value::stdlib::query_unescape(text).ok()
}

/// Encode pairs like Go's `url.Values.Encode`: keys sorted byte-wise (the values of one key keep
/// their order), `key=value` joined by `&`, each escaped by [`query_escape`].
pub fn encode_query(mut pairs: Vec<(Vec<u8>, Vec<u8>)>) -> String {
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        query_escape_into(&mut out, key);
        out.push('=');
        query_escape_into(&mut out, value);
    }
    out
}

/// Escape bytes like Go's `url.QueryEscape`: `A-Z a-z 0-9 - _ . ~` stay, space becomes `+`, every
/// other byte becomes `%XX` with upper-case hex digits.
pub fn query_escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    query_escape_into(&mut out, bytes);
    out
}

fn query_escape_into(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
        }
    }
}

/// Go's `path.Join(base, elem)`: join the non-empty parts with `/` and [`clean_path`] the result;
/// `""` when both are empty. `join_path("/base/", "/ingest")` = `/base/ingest`.
pub fn join_path(base: &str, elem: &str) -> String {
    match (base.is_empty(), elem.is_empty()) {
        (true, true) => String::new(),
        (true, false) => clean_path(elem),
        (false, true) => clean_path(base),
        (false, false) => clean_path(&format!("{base}/{elem}")),
    }
}

/// Go's `path.Clean`: collapse repeated `/`, drop `.` segments, resolve `..` (never above the
/// root), drop a trailing `/`; `""` becomes `.`.
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    // Number of leading `..` kept in a relative path (they cannot be resolved).
    let mut leading_dotdots = 0usize;
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                if parts.len() > leading_dotdots {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                    leading_dotdots += 1;
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Why an `/ingest` `name` failed [`parse_name`] (pyroscope-receive-http §5 step 3).
/// `pyroscope.receive_http` answers 400 with `name: <this text>`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// `name` absent, empty, or with an empty application name.
    #[error("service name is required")]
    ServiceNameRequired,
    /// The application name holds a character outside `[A-Za-z0-9_.\-/]`.
    #[error("invalid service name: {app}: character is not allowed: {}", quote_rune(*character))]
    InvalidServiceName {
        /// The trimmed application name.
        app: String,
        /// The first character not allowed.
        character: char,
    },
    /// A committed pair has an empty key.
    #[error("label name is required")]
    LabelNameRequired,
    /// A key other than `__name__` holds a character outside `[A-Za-z0-9_.]`.
    #[error("invalid label name: {key}: character is not allowed: {}", quote_rune(*character))]
    InvalidLabelName {
        /// The trimmed key.
        key: String,
        /// The first character not allowed.
        character: char,
    },
}

/// Parse an `/ingest` `name` (`app{k1=v1,k2=v2}`, `wire.md` §3.3) into labels: `__name__` first
/// (the trimmed application name, or the value of a `__name__` key inside the braces), then the
/// pairs in order of first appearance, a later duplicate replacing the earlier value. Keys and
/// values are trimmed; empty values are kept (the caller decides).
///
/// Parsing after `{`: a key is read up to `=`, and a `}` met while reading a key ends parsing
/// (the partial key is dropped); the value is read up to `,` or `}`, where the pair is
/// committed and checked; then key reading resumes. A value never terminated is dropped, so
/// `app{invalid-label-syntax}` gives only `__name__=app`.
pub fn parse_name(name: &str) -> Result<Labels, NameError> {
    let (app, rest) = match name.split_once('{') {
        Some((app, rest)) => (app.trim(), Some(rest)),
        None => (name.trim(), None),
    };
    if app.is_empty() {
        return Err(NameError::ServiceNameRequired);
    }
    if let Some(character) = app.chars().find(|c| !is_app_name_char(*c)) {
        return Err(NameError::InvalidServiceName {
            app: app.to_owned(),
            character,
        });
    }
    let mut labels = Labels::new();
    labels.push(NAME_LABEL, app);
    let Some(rest) = rest else {
        return Ok(labels);
    };
    let mut key = String::new();
    let mut value = String::new();
    let mut in_value = false;
    for c in rest.chars() {
        if in_value {
            if c == ',' || c == '}' {
                commit_pair(&mut labels, key.trim(), value.trim())?;
                key.clear();
                value.clear();
                in_value = false;
            } else {
                value.push(c);
            }
        } else {
            match c {
                '}' => break,
                '=' => in_value = true,
                c => key.push(c),
            }
        }
    }
    Ok(labels)
}

fn commit_pair(labels: &mut Labels, key: &str, value: &str) -> Result<(), NameError> {
    if key != NAME_LABEL {
        if key.is_empty() {
            return Err(NameError::LabelNameRequired);
        }
        if let Some(character) = key.chars().find(|c| !is_label_name_char(*c)) {
            return Err(NameError::InvalidLabelName {
                key: key.to_owned(),
                character,
            });
        }
    }
    labels.set(key, value);
    Ok(())
}

/// Displays a label list as `{a="1", b="2"}` in list order, for logs and test messages.
pub struct DisplayLabels<'a>(pub &'a [LabelPair]);

impl fmt::Display for DisplayLabels<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, pair) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={:?}", pair.name, pair.value)?;
        }
        f.write_char('}')
    }
}
