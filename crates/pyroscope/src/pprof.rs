//! pprof helpers: gzip detection, bounded gunzip, decoding and encoding, and the client-side
//! delta of cumulative profiles (pyroscope-scrape §5.5).
//!
//! Design decisions:
//! - Decompression is always bounded ([`gunzip_limited`]): a gzip bomb stops at the limit with
//!   [`PprofError::TooLarge`] instead of exhausting memory. Concatenated gzip members are read as
//!   one stream, like Go's `gzip.Reader`. The output is reserved once from the gzip trailer's
//!   size (capped by the limit and by what the input could inflate to), and the input is read in
//!   place, also when it arrives as several chunks ([`gunzip_chunks_limited`]): gunzip is the
//!   largest cost of forwarding a pushed profile, so it does no copy or regrowth of its own.
//! - [`DeltaProfiler`] identifies a sample by what it *means* (addresses, function and file names
//!   and lines, labels resolved through the string table), never by raw ids, so two scrapes of the
//!   same process that number their locations differently still line up. Location identities
//!   are built once per profile and shared (`Arc`) by every sample that uses them.
//! - Nothing here panics on malformed input: an out-of-range string index reads as `""`, a
//!   missing location or function contributes its raw id, missing values count as 0.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io::{Read, Write};
use std::sync::Arc;

use bytes::Bytes;
use flate2::Compression;
use flate2::bufread::MultiGzDecoder;
use flate2::write::GzEncoder;
use prost::Message;

pub use crate::generated::perftools::profiles::{
    Function, Label, Line, Location, Mapping, Profile, Sample, ValueType,
};

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

/// The largest ratio of output to input of a deflate stream (a 258-byte match costs at least
/// about two bits): a trailer announcing more than this is not believed when pre-sizing.
const MAX_DEFLATE_RATIO: usize = 1032;

/// The output size to reserve for gunzipping `len` bytes whose last four are `trailer`: the last
/// member's `ISIZE` (the uncompressed size mod 2^32, little-endian), capped by what `len` bytes
/// could inflate to and by `limit` + 1. Only a hint: a lying or wrapped trailer costs a regrowth
/// or an unused reservation, never a wrong result.
fn gunzip_size_hint(len: usize, trailer: Option<[u8; 4]>, limit: usize) -> usize {
    trailer.map_or(0, |bytes| {
        usize::try_from(u32::from_le_bytes(bytes))
            .unwrap_or(usize::MAX)
            .min(len.saturating_mul(MAX_DEFLATE_RATIO))
            .min(limit.saturating_add(1))
    })
}

/// The last four bytes of the concatenation of `chunks`, if it has four.
fn last_four<T: AsRef<[u8]>>(chunks: &[T]) -> Option<[u8; 4]> {
    let mut out = [0u8; 4];
    let mut missing = out.len();
    for byte in chunks.iter().rev().flat_map(|c| c.as_ref().iter().rev()) {
        missing -= 1;
        out[missing] = *byte;
        if missing == 0 {
            return Some(out);
        }
    }
    None
}

/// Reads the concatenation of `chunks` without joining them (a `BufRead` over the slices).
struct ChunkReader<'a, T> {
    chunks: &'a [T],
    /// Bytes of `chunks[0]` already consumed.
    at: usize,
}

impl<T: AsRef<[u8]>> std::io::BufRead for ChunkReader<'_, T> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        while let Some((first, rest)) = self.chunks.split_first() {
            match first.as_ref().get(self.at..) {
                Some(left) if !left.is_empty() => break,
                _ => {
                    self.chunks = rest;
                    self.at = 0;
                }
            }
        }
        Ok(self
            .chunks
            .first()
            .and_then(|c| c.as_ref().get(self.at..))
            .unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        self.at += amount;
    }
}

impl<T: AsRef<[u8]>> Read for ChunkReader<'_, T> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::io::BufRead as _;
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

/// Gunzip `data` (all members), failing with [`PprofError::TooLarge`] as soon as the output would
/// exceed `limit` bytes.
pub fn gunzip_limited(data: &[u8], limit: usize) -> Result<Vec<u8>, PprofError> {
    gunzip_chunks_limited(&[data], limit)
}

/// [`gunzip_limited`] of the concatenation of `chunks` (e.g. the frames of an HTTP body), read
/// in place: the compressed bytes are never joined or copied into an intermediate buffer.
///
/// The output is reserved up front from the gzip trailer's `ISIZE` ([`gunzip_size_hint`]), so a
/// well-formed single-member body inflates without regrowth copies.
pub fn gunzip_chunks_limited<T: AsRef<[u8]>>(
    chunks: &[T],
    limit: usize,
) -> Result<Vec<u8>, PprofError> {
    let len = chunks.iter().map(|c| c.as_ref().len()).sum();
    let mut out = Vec::with_capacity(gunzip_size_hint(len, last_four(chunks), limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    MultiGzDecoder::new(ChunkReader { chunks, at: 0 })
        .take(cap)
        .read_to_end(&mut out)
        .map_err(PprofError::Gzip)?;
    if out.len() > limit {
        return Err(PprofError::TooLarge(limit));
    }
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: usize = 1 << 20;

    /// `data` cut at `cuts` (sorted offsets) into owned chunks.
    fn split(data: &[u8], cuts: &[usize]) -> Vec<Bytes> {
        let mut out = Vec::new();
        let mut from = 0;
        for &cut in cuts.iter().chain(std::iter::once(&data.len())) {
            out.push(Bytes::copy_from_slice(&data[from..cut]));
            from = cut;
        }
        out
    }

    #[test]
    fn chunks_read_like_one_buffer() {
        let data: Vec<u8> = (0..5000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let packed = [gzip(&data[..7000]).to_vec(), gzip(&data[7000..]).to_vec()].concat();
        let whole = gunzip_limited(&packed, LIMIT).ok();
        assert_eq!(whole.as_deref(), Some(data.as_slice()));
        // every single cut (including empty chunks at the ends), and cuts inside the header and
        // the trailer of both members
        for cut in 0..=packed.len() {
            let chunks = split(&packed, &[cut]);
            assert_eq!(
                gunzip_chunks_limited(&chunks, LIMIT).ok(),
                whole,
                "cut {cut}"
            );
        }
        let n = packed.len();
        let chunks = split(&packed, &[1, 2, 3, 10, n - 3, n - 2, n - 1, n]);
        assert_eq!(gunzip_chunks_limited(&chunks, LIMIT).ok(), whole);
        let none: [&[u8]; 0] = [];
        assert_eq!(
            gunzip_chunks_limited(&none, LIMIT).ok(),
            gunzip_limited(&[], LIMIT).ok()
        );
        // the limit and the errors are the same as for one buffer
        assert!(matches!(
            gunzip_chunks_limited(&split(&packed, &[100]), data.len() - 1),
            Err(PprofError::TooLarge(_))
        ));
        assert!(matches!(
            gunzip_chunks_limited(&split(&packed[..n - 4], &[100]), LIMIT),
            Err(PprofError::Gzip(_))
        ));
    }

    #[test]
    fn size_hint_trusts_the_trailer_only_within_bounds() {
        let packed = gzip(&[7u8; 10_000]);
        let trailer = last_four(&[&packed[..]]);
        assert_eq!(gunzip_size_hint(packed.len(), trailer, LIMIT), 10_000);
        assert_eq!(
            last_four(&split(&packed, &[packed.len() - 2])),
            trailer,
            "the trailer is found across chunks"
        );
        // capped by the limit (+1, to see that it is passed) and by the deflate ratio
        assert_eq!(gunzip_size_hint(packed.len(), trailer, 100), 101);
        let lie = Some(u32::MAX.to_le_bytes());
        assert_eq!(
            gunzip_size_hint(20, lie, usize::MAX),
            20 * MAX_DEFLATE_RATIO
        );
        assert_eq!(gunzip_size_hint(3, None, LIMIT), 0);
        assert_eq!(last_four(&[&b"abc"[..]]), None);
        // a lying trailer only sizes the reservation: the body is still checked against it
        let mut lying = packed.to_vec();
        let n = lying.len();
        lying[n - 4..].copy_from_slice(&1u32.to_le_bytes());
        assert!(matches!(
            gunzip_limited(&lying, LIMIT),
            Err(PprofError::Gzip(_))
        ));
        let mut bigger = packed.to_vec();
        bigger[n - 4..].copy_from_slice(&20_000u32.to_le_bytes());
        assert!(gunzip_limited(&bigger, LIMIT).is_err());
    }
}
