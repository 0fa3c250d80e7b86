//! pprof helpers: gzip detection, bounded gunzip, decoding and encoding, and the client-side
//! delta of cumulative profiles (pyroscope-scrape §5.5).
//!
//! Design decisions:
//! - Decompression is always bounded ([`gunzip_limited`], from [`crate::gunzip`]): a gzip bomb
//!   stops at the limit with [`PprofError::TooLarge`] instead of exhausting memory.
//! - [`DeltaProfiler`] identifies a sample by what it *means* (addresses, function and file names
//!   and lines, labels resolved through the string table), never by raw ids, so two scrapes of the
//!   same process that number their locations differently still line up. Location identities
//!   are built once per profile and shared (`Arc`) by every sample that uses them.
//! - Nothing here panics on malformed input: an out-of-range string index reads as `""`, a
//!   missing location or function contributes its raw id, missing values count as 0.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::Write;
use std::sync::Arc;

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message;

pub use crate::generated::perftools::profiles::{
    Function, Label, Line, Location, Mapping, Profile, Sample, ValueType,
};
pub use crate::gunzip::{gunzip_chunks_limited, gunzip_limited};

/// Why a pprof payload could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PprofError {
    /// The gzip stream is corrupt or truncated.
    #[error("gzip: {0}")]
    Gzip(std::io::Error),
    /// The decompressed data would exceed the limit.
    #[error("decompressed profile exceeds {0} bytes")]
    TooLarge(usize),
    /// The bytes are not a pprof `Profile`.
    #[error("{0}")]
    Decode(#[from] prost::DecodeError),
}

/// Whether `data` starts with the gzip magic `1f 8b`.
pub fn is_gzip(data: &[u8]) -> bool {
    data.starts_with(&[0x1f, 0x8b])
}

/// Decode a pprof payload, gunzipping it first (bounded by `limit`) when it is gzip.
pub fn decode_profile(data: &[u8], limit: usize) -> Result<Profile, PprofError> {
    if is_gzip(data) {
        let plain = gunzip_limited(data, limit)?;
        Ok(Profile::decode(plain.as_slice())?)
    } else {
        Ok(Profile::decode(data)?)
    }
}

/// Gzip `data` at the default compression level.
pub fn gzip(data: &[u8]) -> Bytes {
    let mut encoder = GzEncoder::new(
        Vec::with_capacity(data.len() / 4 + 64),
        Compression::default(),
    );
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// Encode a profile and gzip it: the form pyroscope.scrape forwards.
pub fn encode_gzip(profile: &Profile) -> Bytes {
    gzip(&profile.encode_to_vec())
}

/// The string at `index` of the string table, `""` when out of range.
pub fn string_at(profile: &Profile, index: i64) -> &str {
    usize::try_from(index)
        .ok()
        .and_then(|i| profile.string_table.get(i))
        .map_or("", String::as_str)
}

/// The `(type, unit)` strings of each sample type, in column order.
pub fn sample_types(profile: &Profile) -> Vec<(&str, &str)> {
    profile
        .sample_type
        .iter()
        .map(|vt| (string_at(profile, vt.r#type), string_at(profile, vt.unit)))
        .collect()
}

/// One frame of a sample's stack, by meaning.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum LocationKey {
    Known {
        address: u64,
        /// (function name, file name, line) per line entry.
        lines: Vec<(String, String, i64)>,
    },
    /// A location id the profile does not define.
    Missing(u64),
}

/// A sample label, resolved to strings.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct LabelKey {
    key: String,
    str: String,
    num: i64,
    num_unit: String,
}

/// What identifies a sample across scrapes (pyroscope-scrape §5.5 step 3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SampleKey {
    stack: Vec<Arc<LocationKey>>,
    /// Sorted: the label set is unordered.
    labels: Vec<LabelKey>,
}

struct Baseline {
    /// `(type, unit)` of the delta columns, with their column index.
    columns: Vec<(usize, String, String)>,
    /// Aggregated delta-column values per sample identity.
    values: HashMap<SampleKey, Vec<i64>>,
    time_nanos: i64,
}

/// Client-side delta state of one scrape job (pyroscope-scrape §5.5): turns cumulative profiles
/// (totals since process start) into the change since the previous profile.
pub struct DeltaProfiler {
    kinds: Vec<(String, String)>,
    baseline: Option<Baseline>,
}

impl DeltaProfiler {
    /// A profiler that subtracts the columns whose `(type, unit)` is one of `kinds` (e.g.
    /// `alloc_objects/count` and `alloc_space/bytes` for `memory`); other columns pass through.
    pub fn new<T: AsRef<str>, U: AsRef<str>>(kinds: impl IntoIterator<Item = (T, U)>) -> Self {
        Self {
            kinds: kinds
                .into_iter()
                .map(|(t, u)| (t.as_ref().to_owned(), u.as_ref().to_owned()))
                .collect(),
            baseline: None,
        }
    }

    /// Whether a baseline is stored (the next profile produces output).
    pub fn has_baseline(&self) -> bool {
        self.baseline.is_some()
    }

    /// Forget the baseline: the next profile only becomes the new baseline.
    pub fn reset(&mut self) {
        self.baseline = None;
    }

    /// Decode a payload (gzip or plain, bounded by `limit`), compute the delta and gzip it.
    /// `Ok(None)` when there was no baseline (the profile is stored, nothing is forwarded). On
    /// error the baseline is unchanged.
    pub fn delta_bytes(&mut self, data: &[u8], limit: usize) -> Result<Option<Bytes>, PprofError> {
        let profile = decode_profile(data, limit)?;
        Ok(self.delta(profile).map(|p| encode_gzip(&p)))
    }

    /// Compute the delta of `profile` against the baseline and make it the new baseline.
    /// `None` when there was no baseline or the set of delta columns changed.
    pub fn delta(&mut self, mut profile: Profile) -> Option<Profile> {
        let columns: Vec<(usize, String, String)> = sample_types(&profile)
            .into_iter()
            .enumerate()
            .filter(|(_, (t, u))| self.kinds.iter().any(|(kt, ku)| kt == t && ku == u))
            .map(|(i, (t, u))| (i, t.to_owned(), u.to_owned()))
            .collect();
        let width = profile.sample_type.len();

        // Aggregate samples of equal identity, in order of first appearance.
        let location_keys = location_keys(&profile);
        let samples = std::mem::take(&mut profile.sample);
        let mut index: HashMap<SampleKey, usize> = HashMap::with_capacity(samples.len());
        let mut aggregated: Vec<(Sample, Vec<i64>)> = Vec::with_capacity(samples.len());
        let mut keys: Vec<SampleKey> = Vec::with_capacity(samples.len());
        for sample in samples {
            let key = sample_key(&profile, &location_keys, &sample);
            let mut values = sample.value.clone();
            values.resize(width.max(values.len()), 0);
            match index.entry(key) {
                Entry::Occupied(slot) => {
                    let sum = &mut aggregated[*slot.get()].1;
                    if sum.len() < values.len() {
                        sum.resize(values.len(), 0);
                    }
                    for (s, v) in sum.iter_mut().zip(&values) {
                        *s = s.wrapping_add(*v);
                    }
                }
                Entry::Vacant(slot) => {
                    keys.push(slot.key().clone());
                    slot.insert(aggregated.len());
                    aggregated.push((sample, values));
                }
            }
        }

        let previous = self.baseline.take().filter(|b| b.columns == columns);
        let mut values = HashMap::with_capacity(keys.len());
        let mut output = Vec::new();
        for (key, (mut sample, current)) in keys.into_iter().zip(aggregated) {
            let base = previous.as_ref().and_then(|b| b.values.get(&key));
            if previous.is_some() {
                let mut out = current.clone();
                for (n, (column, _, _)) in columns.iter().enumerate() {
                    let Some(cur) = current.get(*column).copied() else {
                        continue;
                    };
                    let before = base.and_then(|b| b.get(n)).copied().unwrap_or(0);
                    out[*column] = match cur.checked_sub(before) {
                        Some(delta) if delta >= 0 => delta,
                        // negative (the target restarted) or overflow: the current value
                        _ => cur,
                    };
                }
                if out.iter().any(|v| *v != 0) {
                    sample.value = out;
                    output.push(sample);
                }
            }
            let delta_values: Vec<i64> = columns
                .iter()
                .map(|(c, _, _)| current.get(*c).copied().unwrap_or(0))
                .collect();
            values.insert(key, delta_values);
        }

        let time_nanos = profile.time_nanos;
        let result = previous.map(|base| {
            if time_nanos > 0 && base.time_nanos > 0 {
                profile.duration_nanos = time_nanos.saturating_sub(base.time_nanos);
            }
            profile.sample = output;
            profile
        });
        self.baseline = Some(Baseline {
            columns,
            values,
            time_nanos,
        });
        result
    }
}

fn location_keys(profile: &Profile) -> HashMap<u64, Arc<LocationKey>> {
    let functions: HashMap<u64, (&str, &str)> = profile
        .function
        .iter()
        .map(|f| {
            (
                f.id,
                (string_at(profile, f.name), string_at(profile, f.filename)),
            )
        })
        .collect();
    profile
        .location
        .iter()
        .map(|loc| {
            let lines = loc
                .line
                .iter()
                .map(|line| {
                    let (name, file) = functions
                        .get(&line.function_id)
                        .copied()
                        .unwrap_or(("", ""));
                    let name = if functions.contains_key(&line.function_id) {
                        name.to_owned()
                    } else {
                        format!("#{}", line.function_id)
                    };
                    (name, file.to_owned(), line.line)
                })
                .collect();
            (
                loc.id,
                Arc::new(LocationKey::Known {
                    address: loc.address,
                    lines,
                }),
            )
        })
        .collect()
}

fn sample_key(
    profile: &Profile,
    locations: &HashMap<u64, Arc<LocationKey>>,
    sample: &Sample,
) -> SampleKey {
    let stack = sample
        .location_id
        .iter()
        .map(|id| {
            locations
                .get(id)
                .cloned()
                .unwrap_or_else(|| Arc::new(LocationKey::Missing(*id)))
        })
        .collect();
    let mut labels: Vec<LabelKey> = sample
        .label
        .iter()
        .map(|l| LabelKey {
            key: string_at(profile, l.key).to_owned(),
            str: string_at(profile, l.str).to_owned(),
            num: l.num,
            num_unit: string_at(profile, l.num_unit).to_owned(),
        })
        .collect();
    labels.sort();
    SampleKey { stack, labels }
}
