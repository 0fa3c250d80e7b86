//! The receiver contract between profile producers and consumers (pyroscope-write §6.2).
//!
//! Producers (`pyroscope.scrape`, `pyroscope.receive_http`) hold a `forward_to` list of
//! [`ReceiverRef`]s and call [`Appender::append`] / [`Appender::append_ingest`] on each.
//! Consumers (`pyroscope.write`, test receivers) implement [`Appendable`] and export it as a
//! capsule of type `pyroscope.Appendable` with [`receiver_value`] or [`ProfilesReceiver::capsule`].
//!
//! Design decisions:
//! - [`Appender`] uses `async_trait` so it stays object-safe (`Arc<dyn Appender>`): a
//!   `forward_to` list mixes receivers of different components.
//! - The capsule carries a [`ProfilesReceiver`], a small concrete wrapper around
//!   `Arc<dyn Appendable>`, because capsule decoding downcasts to a concrete type
//!   ([`CapsuleType`]). Two capsules are equal when they hold the same wrapper, so a component
//!   that wants a stable export (pyroscope-write §6.1) builds its capsule **once** and publishes
//!   that same value for its whole life.
//! - [`Labels`] is a plain list of `(name, value)` pairs in any order, as received: validation
//!   and normalisation are the consumer's job ([`crate::labels`]), so duplicates and empty names
//!   survive until they can be reported with the exact texts of pyroscope-write §7.1.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use ferroalloy_value::Value;
use ferroalloy_value::decode::{CapsuleRef, CapsuleType};

/// The capsule type name of a profiles receiver (syntax §6.5).
pub const RECEIVER_TYPE_NAME: &str = "pyroscope.Appendable";

/// One pprof profile of an [`Appender::append`] call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawSample {
    /// Optional free-form identifier, forwarded as `RawSample.ID` (empty = field omitted).
    pub id: String,
    /// The pprof bytes, gzip-compressed or plain; never inspected by pyroscope.write.
    pub raw_profile: Bytes,
}

impl RawSample {
    /// A sample without an id.
    pub fn new(raw_profile: impl Into<Bytes>) -> Self {
        Self {
            id: String::new(),
            raw_profile: raw_profile.into(),
        }
    }

    /// A sample with an id.
    pub fn with_id(id: impl Into<String>, raw_profile: impl Into<Bytes>) -> Self {
        Self {
            id: id.into(),
            raw_profile: raw_profile.into(),
        }
    }
}

/// A raw `/ingest` request to forward unchanged (pyroscope-write §9).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncomingProfile {
    /// The request body exactly as received (no `Content-Encoding` decoding).
    pub raw_body: Bytes,
    /// Every `Content-Type` value of the original request, in order.
    pub content_type: Vec<String>,
    /// The path to forward: `/ingest` (also for `/pyroscope/ingest`).
    pub path: String,
    /// The query string exactly as received, without `?`.
    pub raw_query: String,
    /// The labels parsed from `name=` by the receiving component.
    pub labels: Labels,
}

/// A list of `(name, value)` label pairs, in any order, possibly with duplicates (they are
/// reported by validation, [`crate::labels::validate`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Labels(Vec<(String, String)>);

impl Labels {
    /// An empty label list.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Labels from pairs, in the given order.
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        pairs.into_iter().collect()
    }

    /// Append a pair (no check for an existing name).
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.push((name.into(), value.into()));
    }

    /// The value of the first label called `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Set `name` to `value`: replaces the first label called `name`, or appends one.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        let value = value.into();
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(pair) => pair.1 = value,
            None => self.0.push((name, value)),
        }
    }

    /// Remove every label called `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }

    /// The pairs as `(&name, &value)`, in list order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no pairs.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The pairs.
    pub fn as_slice(&self) -> &[(String, String)] {
        &self.0
    }

    /// Sort by name, byte-wise ascending (stable: equal names keep their order).
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    }

    /// The pairs, by value.
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }
}

impl From<Vec<(String, String)>> for Labels {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Labels {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        )
    }
}

impl IntoIterator for Labels {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// Why an append was refused. `receive_http` maps the variants to HTTP 400 / 503 / 500.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AppendError {
    /// The profile is invalid (e.g. `invalid labels in profile: service name is required`);
    /// displays as its text.
    #[error("{0}")]
    Rejected(String),
    /// The receiver is shut down or shutting down.
    #[error("pyroscope.write is shutting down")]
    Stopped,
    /// Any other failure of a receiver that is not pyroscope.write; displays as its text.
    #[error("{0}")]
    Other(String),
}

/// Takes profiles. Both methods return without awaiting network I/O in pyroscope.write; other
/// implementations may await.
#[async_trait::async_trait]
pub trait Appender: Send + Sync {
    /// Take one series: `samples` share `labels`.
    async fn append(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError>;

    /// Take one raw `/ingest` request to forward.
    async fn append_ingest(&self, profile: IncomingProfile) -> Result<(), AppendError>;
}

/// Something that hands out [`Appender`]s: what a `forward_to` entry points at.
pub trait Appendable: Send + Sync {
    /// An appender. pyroscope.write returns its handle itself (no per-call state).
    fn appender(&self) -> Arc<dyn Appender>;
}

/// The object inside a `pyroscope.Appendable` capsule: a shared [`Appendable`].
///
/// Decode `forward_to` as `Vec<ReceiverRef>`; export with [`ProfilesReceiver::capsule`] or
/// [`receiver_value`].
pub struct ProfilesReceiver {
    inner: Arc<dyn Appendable>,
}

/// A decoded `pyroscope.Appendable` capsule argument (e.g. one `forward_to` entry).
pub type ReceiverRef = CapsuleRef<ProfilesReceiver>;

impl ProfilesReceiver {
    /// Wrap an appendable.
    pub fn new(inner: Arc<dyn Appendable>) -> Self {
        Self { inner }
    }

    /// Wrap an appendable in a new capsule. Build it once and keep it: every call makes a
    /// distinct capsule (capsules compare by identity).
    pub fn capsule(inner: Arc<dyn Appendable>) -> ReceiverRef {
        CapsuleRef::new(Arc::new(Self::new(inner)))
    }

    /// The wrapped appendable.
    pub fn appendable(&self) -> &Arc<dyn Appendable> {
        &self.inner
    }
}

impl Appendable for ProfilesReceiver {
    fn appender(&self) -> Arc<dyn Appender> {
        self.inner.appender()
    }
}

impl CapsuleType for ProfilesReceiver {
    const TYPE_NAME: &'static str = RECEIVER_TYPE_NAME;
}

impl fmt::Debug for ProfilesReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "capsule({RECEIVER_TYPE_NAME:?})")
    }
}

/// The export value for an appendable: `Value::Capsule(Capsule::Handle(..))` of type
/// `pyroscope.Appendable`. Each call makes a new capsule; call it once per component life.
pub fn receiver_value(inner: Arc<dyn Appendable>) -> Value {
    ProfilesReceiver::capsule(inner).to_capsule()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroalloy_value::decode::ArgValue;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect {
        got: Mutex<Vec<(Labels, Vec<RawSample>)>>,
    }

    #[async_trait::async_trait]
    impl Appender for Collect {
        async fn append(&self, labels: Labels, samples: Vec<RawSample>) -> Result<(), AppendError> {
            self.got
                .lock()
                .map_err(|_| AppendError::Other("poisoned".into()))?
                .push((labels, samples));
            Ok(())
        }
        async fn append_ingest(&self, _: IncomingProfile) -> Result<(), AppendError> {
            Err(AppendError::Stopped)
        }
    }

    struct CollectHandle(Arc<Collect>);
    impl Appendable for CollectHandle {
        fn appender(&self) -> Arc<dyn Appender> {
            self.0.clone()
        }
    }

    #[test]
    fn append_error_texts() {
        assert_eq!(
            AppendError::Stopped.to_string(),
            "pyroscope.write is shutting down"
        );
        assert_eq!(
            AppendError::Rejected("invalid labels in profile: service name is required".into())
                .to_string(),
            "invalid labels in profile: service name is required"
        );
        assert_eq!(AppendError::Other("boom".into()).to_string(), "boom");
    }

    #[tokio::test]
    async fn capsule_round_trip_reaches_the_appender() -> Result<(), Box<dyn std::error::Error>> {
        let collect = Arc::new(Collect::default());
        let value = receiver_value(Arc::new(CollectHandle(collect.clone())));
        assert!(
            format!("{value:?}").contains("pyroscope.Appendable"),
            "{value:?}"
        );
        let decoded = ReceiverRef::from_value(&value)?;
        assert_eq!(decoded.to_value(), value, "same capsule identity");
        decoded
            .get()
            .appender()
            .append(
                Labels::from_pairs([("service_name", "s")]),
                vec![RawSample::with_id("x", vec![1u8, 2, 3])],
            )
            .await?;
        let got = collect.got.lock().map_err(|_| "poisoned")?;
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0.get("service_name"), Some("s"));
        assert_eq!(&got[0].1[0].raw_profile[..], &[1, 2, 3]);
        Ok(())
    }

    #[test]
    fn other_capsule_types_do_not_decode() {
        let secret = ArgValue::to_value(&ferroalloy_value::Secret::new("s"));
        let err = ReceiverRef::from_value(&secret)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("expected capsule(\"pyroscope.Appendable\"), got capsule(\"alloytypes.Secret\")")
        );
    }

    #[test]
    fn labels_helpers() {
        let mut l = Labels::from_pairs([("b", "2"), ("a", "1"), ("b", "3")]);
        assert_eq!(l.get("b"), Some("2"));
        l.set("c", "4");
        l.set("a", "0");
        l.sort();
        let pairs: Vec<_> = l.iter().collect();
        assert_eq!(pairs, [("a", "0"), ("b", "2"), ("b", "3"), ("c", "4")]);
        l.remove("b");
        assert_eq!(l.len(), 2);
    }
}
