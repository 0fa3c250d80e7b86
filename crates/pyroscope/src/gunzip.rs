//! Bounded gunzip: the gzip framing (RFC 1952) read here, the deflate data inflated by zlib-rs.
//!
//! Design decisions:
//! - **zlib-rs for inflate only.** Gunzip is the largest cost of forwarding a pushed profile
//!   (receive_http must read the Push body's series). zlib-rs, a pure-Rust port of zlib-ng that
//!   picks its SIMD paths at run time, inflates about 30% faster than miniz_oxide
//!   (docs/performance.md). flate2 stays on miniz_oxide for everything else, compression
//!   included: zlib-rs's compressor allocations left heap slack behind.
//! - **One raw-deflate state per thread**, reset for every member: a gunzip allocates nothing but
//!   its output. Making zlib-rs's state and window (64-byte-aligned, ~40 KiB) per call is what
//!   fragments glibc's heap; reusing them costs no memory that grows with traffic.
//! - **The framing is ours**: header (with `FEXTRA`, `FNAME`, `FCOMMENT` and a checked
//!   `FHCRC`), then the trailer's CRC-32 and `ISIZE` checked against the member's output.
//!   Members concatenate into one stream and whatever follows a member must be another member,
//!   as Go's `gzip.Reader` reads them (trailing bytes are an invalid header, not ignored).
//! - **Bounded and in place**: the input is read from its chunks where they lie (an HTTP body's
//!   frames are never joined); the output is sized once from the last trailer's `ISIZE` (capped
//!   by the limit and by deflate's largest ratio, so a lying trailer costs a regrowth, never a
//!   wrong result or an oversized reservation) and never grows past `limit + 1` bytes.
//! - The output is zero-filled before inflate writes it (no `unsafe`, which the workspace
//!   forbids): a `memset` of the reservation, about 2% of an inflate.

use std::cell::RefCell;
use std::io;

use zlib_rs::{Inflate, InflateFlush, Status};

use crate::pprof::PprofError;

/// The largest ratio of output to input of a deflate stream (a 258-byte match costs at least
/// about two bits): a trailer announcing more than this is not believed when pre-sizing.
const MAX_DEFLATE_RATIO: usize = 1032;

/// How much the output grows at least when the trailer's hint was too small.
const MIN_GROWTH: usize = 32 * 1024;

/// The gzip magic and the one compression method (deflate).
const MAGIC: [u8; 2] = [0x1f, 0x8b];
const METHOD_DEFLATE: u8 = 8;

/// Header flags (RFC 1952 §2.3.1).
const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const RESERVED_FLAGS: u8 = 0xe0;

/// Raw deflate with a 32 KiB window.
const WINDOW_BITS: u8 = 15;

thread_local! {
    static INFLATE: RefCell<Option<Inflate>> = const { RefCell::new(None) };
}

/// Gunzip `data` (all members), failing with [`PprofError::TooLarge`] as soon as the output would
/// exceed `limit` bytes.
pub fn gunzip_limited(data: &[u8], limit: usize) -> Result<Vec<u8>, PprofError> {
    gunzip_chunks_limited(&[data], limit)
}

/// [`gunzip_limited`] of the concatenation of `chunks` (e.g. the frames of an HTTP body), read
/// in place: the compressed bytes are never joined or copied into an intermediate buffer.
pub fn gunzip_chunks_limited<T: AsRef<[u8]>>(
    chunks: &[T],
    limit: usize,
) -> Result<Vec<u8>, PprofError> {
    let len = chunks.iter().map(|c| c.as_ref().len()).sum();
    let mut output = Output::new(gunzip_size_hint(len, last_four(chunks), limit), limit);
    let mut input = Input { chunks, at: 0 };
    INFLATE.with(|cell| match cell.try_borrow_mut() {
        Ok(mut slot) => {
            let inflate = slot.get_or_insert_with(|| Inflate::new(false, WINDOW_BITS));
            gunzip_members(inflate, &mut input, &mut output)
        }
        // Only reachable if a gunzip ever ran inside another on one thread: use a fresh state.
        Err(_) => gunzip_members(
            &mut Inflate::new(false, WINDOW_BITS),
            &mut input,
            &mut output,
        ),
    })?;
    output.finish()
}

/// Every member of `input` into `output`: at least one, and nothing after the last.
fn gunzip_members<T: AsRef<[u8]>>(
    inflate: &mut Inflate,
    input: &mut Input<'_, T>,
    output: &mut Output,
) -> Result<(), PprofError> {
    loop {
        read_header(input)?;
        let start = output.filled;
        inflate.reset(false);
        inflate_member(inflate, input, output)?;
        let trailer = input.take::<8>().ok_or_else(truncated)?;
        let member = &output.written()[start..];
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        if zlib_rs::crc32::crc32(0, member) != crc {
            return Err(invalid("gzip checksum mismatch"));
        }
        // ISIZE is the member's size modulo 2^32.
        if member.len() as u32 != size {
            return Err(invalid("gzip size mismatch"));
        }
        if input.is_empty() {
            return Ok(());
        }
    }
}

/// Inflate one member's deflate data until its end, feeding `input` chunk by chunk.
fn inflate_member<T: AsRef<[u8]>>(
    inflate: &mut Inflate,
    input: &mut Input<'_, T>,
    output: &mut Output,
) -> Result<(), PprofError> {
    loop {
        if output.spare().is_empty() {
            output.grow()?;
        }
        let (in_before, out_before) = (inflate.total_in(), inflate.total_out());
        let status = inflate
            .decompress(input.current(), output.spare(), InflateFlush::NoFlush)
            .map_err(|error| {
                let detail = inflate.error_message().unwrap_or(error.as_str());
                invalid(&format!("corrupt deflate stream: {detail}"))
            })?;
        let consumed = usize::try_from(inflate.total_in() - in_before).unwrap_or(usize::MAX);
        let produced = usize::try_from(inflate.total_out() - out_before).unwrap_or(usize::MAX);
        input.advance(consumed);
        output.filled += produced;
        if status == Status::StreamEnd {
            return Ok(());
        }
        // Without progress inflate wants room (grown above), or input that is not there.
        if consumed == 0 && produced == 0 && !output.spare().is_empty() {
            if input.is_empty() {
                return Err(truncated());
            }
            // Input and room both offered and neither used: never seen; ends the loop for sure.
            return Err(invalid("corrupt deflate stream: no progress"));
        }
    }
}

/// Read and check one member's header, leaving `input` at its deflate data.
fn read_header<T: AsRef<[u8]>>(input: &mut Input<'_, T>) -> Result<(), PprofError> {
    let mut header = HeaderReader { input, crc: 0 };
    let fixed = header.take::<10>()?;
    if fixed[..2] != MAGIC || fixed[2] != METHOD_DEFLATE || fixed[3] & RESERVED_FLAGS != 0 {
        return Err(invalid("invalid gzip header"));
    }
    let flags = fixed[3];
    if flags & FEXTRA != 0 {
        let length = header.take::<2>()?;
        for _ in 0..u16::from_le_bytes(length) {
            header.byte()?;
        }
    }
    for field in [FNAME, FCOMMENT] {
        if flags & field != 0 {
            while header.byte()? != 0 {}
        }
    }
    if flags & FHCRC != 0 {
        let expected = header.crc & 0xffff;
        let stored = header.input.take::<2>().ok_or_else(truncated)?;
        if u32::from(u16::from_le_bytes(stored)) != expected {
            return Err(invalid("gzip header checksum mismatch"));
        }
    }
    Ok(())
}

/// Header bytes from the input, with the running CRC-32 that `FHCRC` checks.
struct HeaderReader<'i, 'c, T> {
    input: &'i mut Input<'c, T>,
    crc: u32,
}

impl<T: AsRef<[u8]>> HeaderReader<'_, '_, T> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], PprofError> {
        let bytes = self.input.take::<N>().ok_or_else(truncated)?;
        self.crc = zlib_rs::crc32::crc32(self.crc, &bytes);
        Ok(bytes)
    }

    fn byte(&mut self) -> Result<u8, PprofError> {
        Ok(self.take::<1>()?[0])
    }
}

/// The concatenation of `chunks`, read from where they lie.
struct Input<'c, T> {
    chunks: &'c [T],
    /// Bytes of `chunks[0]` already consumed.
    at: usize,
}

impl<T: AsRef<[u8]>> Input<'_, T> {
    /// The unread rest of the first chunk that has any, after dropping consumed chunks.
    fn current(&mut self) -> &[u8] {
        while let Some((first, rest)) = self.chunks.split_first() {
            if self.at < first.as_ref().len() {
                break;
            }
            self.chunks = rest;
            self.at = 0;
        }
        self.chunks
            .first()
            .and_then(|c| c.as_ref().get(self.at..))
            .unwrap_or_default()
    }

    fn advance(&mut self, amount: usize) {
        self.at += amount;
    }

    fn is_empty(&mut self) -> bool {
        self.current().is_empty()
    }

    /// The next `N` bytes, across chunks; `None` (having consumed the rest) when fewer remain.
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let mut out = [0u8; N];
        let mut filled = 0;
        while filled < N {
            let available = self.current();
            if available.is_empty() {
                return None;
            }
            let n = available.len().min(N - filled);
            out[filled..filled + n].copy_from_slice(&available[..n]);
            filled += n;
            self.advance(n);
        }
        Some(out)
    }
}

/// The output buffer: `buffer[..filled]` is written, the rest is room for inflate.
struct Output {
    buffer: Vec<u8>,
    filled: usize,
    limit: usize,
}

impl Output {
    fn new(size: usize, limit: usize) -> Self {
        Self {
            buffer: vec![0; size],
            filled: 0,
            limit,
        }
    }

    fn written(&self) -> &[u8] {
        &self.buffer[..self.filled]
    }

    fn spare(&mut self) -> &mut [u8] {
        &mut self.buffer[self.filled..]
    }

    /// Make room: at least double (or [`MIN_GROWTH`]), never beyond `limit + 1` bytes, so that
    /// one byte past the limit is what tells it was passed.
    fn grow(&mut self) -> Result<(), PprofError> {
        let ceiling = self.limit.saturating_add(1);
        if self.buffer.len() >= ceiling {
            return Err(PprofError::TooLarge(self.limit));
        }
        let wanted = self.buffer.len().saturating_mul(2).max(MIN_GROWTH);
        self.buffer.resize(wanted.min(ceiling), 0);
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, PprofError> {
        if self.filled > self.limit {
            return Err(PprofError::TooLarge(self.limit));
        }
        self.buffer.truncate(self.filled);
        Ok(self.buffer)
    }
}

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

fn invalid(message: &str) -> PprofError {
    PprofError::Gzip(io::Error::new(io::ErrorKind::InvalidData, message))
}

fn truncated() -> PprofError {
    PprofError::Gzip(io::Error::new(
        io::ErrorKind::UnexpectedEof,
        "unexpected end of gzip stream",
    ))
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use bytes::Bytes;
    use flate2::Compression;
    use flate2::write::DeflateEncoder;

    use super::*;
    use crate::pprof::gzip;

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

    /// A deterministic byte generator: compressible runs mixed with noise.
    fn sample_data(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            let r = next();
            if r % 3 == 0 {
                let byte = (r >> 8) as u8;
                out.extend(std::iter::repeat_n(byte, (r >> 16) as usize % 40));
            } else {
                out.extend_from_slice(&r.to_le_bytes()[..(r >> 32) as usize % 8]);
            }
        }
        out.truncate(len);
        out
    }

    /// One gzip member built by hand around flate2's raw deflate, with the optional header
    /// fields that `flags` names (and a correct header CRC when `FHCRC` is set).
    fn member(data: &[u8], flags: u8) -> Vec<u8> {
        let mut header = vec![0x1f, 0x8b, 8, flags, 1, 2, 3, 4, 0, 3];
        if flags & FEXTRA != 0 {
            header.extend_from_slice(&5u16.to_le_bytes());
            header.extend_from_slice(b"AB\x02\x00z");
        }
        if flags & FNAME != 0 {
            header.extend_from_slice(b"profile.pb\0");
        }
        if flags & FCOMMENT != 0 {
            header.extend_from_slice(b"a comment\0");
        }
        if flags & FHCRC != 0 {
            let crc = zlib_rs::crc32::crc32(0, &header) as u16;
            header.extend_from_slice(&crc.to_le_bytes());
        }
        let mut encoder = DeflateEncoder::new(header, Compression::default());
        encoder.write_all(data).unwrap_or_default();
        let mut out = encoder.finish().unwrap_or_default();
        out.extend_from_slice(&zlib_rs::crc32::crc32(0, data).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    /// What flate2's `MultiGzDecoder` (miniz_oxide) makes of `data`.
    fn reference(data: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        flate2::bufread::MultiGzDecoder::new(data)
            .read_to_end(&mut out)
            .ok()
            .map(|_| out)
    }

    fn message(result: Result<Vec<u8>, PprofError>) -> String {
        match result {
            Ok(out) => format!("ok, {} bytes", out.len()),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn agrees_with_miniz_oxide_on_members_flags_and_splits() {
        let flag_sets = [
            0,
            FNAME,
            FEXTRA | FCOMMENT,
            FHCRC,
            FEXTRA | FNAME | FCOMMENT | FHCRC,
        ];
        for (i, flags) in flag_sets.into_iter().enumerate() {
            for len in [0, 1, 100, 40_000, 150_000] {
                let data = sample_data(i as u64 * 7919 + len as u64, len);
                let one = member(&data, flags);
                assert_eq!(reference(&one).as_deref(), Some(data.as_slice()));
                assert_eq!(gunzip_limited(&one, LIMIT).ok(), Some(data.clone()));
                let two = [one.clone(), member(&data[..len / 2], flags ^ FNAME)].concat();
                let expected = reference(&two);
                assert!(expected.is_some());
                assert_eq!(
                    gunzip_limited(&two, LIMIT).ok(),
                    expected,
                    "flags {flags:#x}"
                );
                let n = two.len();
                let cuts = [1, 7, 11, n / 3, n / 2, n - 9, n - 1];
                let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= n).collect();
                cuts.sort_unstable();
                assert_eq!(
                    gunzip_chunks_limited(&split(&two, &cuts), LIMIT).ok(),
                    expected,
                    "flags {flags:#x}, len {len}"
                );
            }
        }
    }

    #[test]
    fn reuses_its_state_after_errors() {
        let data = sample_data(3, 20_000);
        let good = member(&data, 0);
        let mut corrupt = good.clone();
        corrupt[40] ^= 0x55;
        for _ in 0..3 {
            assert!(gunzip_limited(&corrupt, LIMIT).is_err());
            assert!(gunzip_limited(&good, 100).is_err());
            assert_eq!(gunzip_limited(&good, LIMIT).ok(), Some(data.clone()));
        }
    }

    #[test]
    fn bad_framing_is_named() {
        let data = b"hello gzip".repeat(20);
        let good = member(&data, FHCRC);
        let with = |at: usize, byte: u8| {
            let mut bytes = good.clone();
            bytes[at] = byte;
            bytes
        };
        let n = good.len();
        let cases: [(&str, Vec<u8>, &str); 11] = [
            ("empty", Vec::new(), "gzip: unexpected end of gzip stream"),
            (
                "not gzip",
                b"hello world, plain".to_vec(),
                "gzip: invalid gzip header",
            ),
            ("method 7", with(2, 7), "gzip: invalid gzip header"),
            (
                "reserved flag",
                with(3, FHCRC | 0x20),
                "gzip: invalid gzip header",
            ),
            (
                "header crc",
                with(4, 9),
                "gzip: gzip header checksum mismatch",
            ),
            (
                "data crc",
                with(n - 8, good[n - 8] ^ 1),
                "gzip: gzip checksum mismatch",
            ),
            (
                "size",
                with(n - 4, good[n - 4] ^ 1),
                "gzip: gzip size mismatch",
            ),
            (
                "trailing zeros",
                [good.clone(), vec![0; 3]].concat(),
                "gzip: unexpected end of gzip stream",
            ),
            (
                "trailing garbage",
                [good.clone(), vec![b'x'; 12]].concat(),
                "gzip: invalid gzip header",
            ),
            (
                "truncated trailer",
                good[..n - 3].to_vec(),
                "gzip: unexpected end of gzip stream",
            ),
            (
                "truncated data",
                good[..n / 2].to_vec(),
                "gzip: unexpected end of gzip stream",
            ),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(message(gunzip_limited(&bytes, LIMIT)), expected, "{name}");
        }
        let mut corrupt = good.clone();
        // a stored block type (0b11 is reserved) in the first deflate byte after the 12-byte header
        corrupt[12] |= 0b110;
        assert!(
            message(gunzip_limited(&corrupt, LIMIT)).starts_with("gzip: corrupt deflate stream: "),
            "{}",
            message(gunzip_limited(&corrupt, LIMIT))
        );
    }

    #[test]
    fn every_truncation_is_an_error_and_every_byte_flip_is_safe() {
        let data = sample_data(11, 3_000);
        let first = member(&data, FNAME | FHCRC);
        let good = [first.clone(), member(&data, FHCRC)].concat();
        for end in (0..good.len()).filter(|&end| end != first.len()) {
            assert!(gunzip_limited(&good[..end], LIMIT).is_err(), "cut at {end}");
        }
        for at in 0..good.len() {
            let mut flipped = good.clone();
            flipped[at] ^= 0x81;
            // With FHCRC every header byte is checked, CRC-32 catches any change of the data.
            let result = gunzip_limited(&flipped, LIMIT);
            assert!(result.is_err(), "flip at {at}: {}", message(result));
        }
    }

    #[test]
    fn the_limit_counts_every_member_and_survives_a_lying_trailer() {
        let data = sample_data(5, 70_000);
        let two = [member(&data, 0), member(&data, 0)].concat();
        assert_eq!(
            gunzip_limited(&two, 140_000).map(|o| o.len()).ok(),
            Some(140_000)
        );
        assert!(matches!(
            gunzip_limited(&two, 139_999),
            Err(PprofError::TooLarge(139_999))
        ));
        // The last member's ISIZE says 1 byte: the output regrows and the result is right.
        let small_last = [member(&data, 0), member(b"x", 0)].concat();
        assert_eq!(
            gunzip_limited(&small_last, LIMIT).ok(),
            Some([data.as_slice(), b"x"].concat())
        );
    }

    proptest::proptest! {
        /// Any members, header flags, chunking and one corrupted byte: the result is what
        /// miniz_oxide's `MultiGzDecoder` makes of the same bytes whenever either succeeds, the
        /// chunked read equals the whole read, and nothing panics.
        #[test]
        fn any_stream_reads_as_miniz_oxide_reads_it(
            members in proptest::collection::vec(
                (proptest::collection::vec(proptest::num::u8::ANY, 0..3000), 0u8..32),
                1..4,
            ),
            cuts in proptest::collection::vec(0usize..20_000, 0..6),
            corrupt in proptest::option::of((0usize..20_000, 1u8..=255)),
        ) {
            let mut bytes = Vec::new();
            for (data, flags) in &members {
                bytes.extend(member(data, flags & (FHCRC | FEXTRA | FNAME | FCOMMENT)));
            }
            if let Some((at, mask)) = corrupt
                && !bytes.is_empty()
            {
                let at = at % bytes.len();
                bytes[at] ^= mask;
            }
            let ours = gunzip_limited(&bytes, LIMIT).ok();
            let theirs = reference(&bytes);
            if ours.is_some() || theirs.is_some() {
                proptest::prop_assert_eq!(&ours, &theirs);
            }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            proptest::prop_assert_eq!(gunzip_chunks_limited(&split(&bytes, &cuts), LIMIT).ok(), ours);
        }
    }
}
