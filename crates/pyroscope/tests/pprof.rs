//! pprof helpers: bounded gunzip and the client-side delta of pyroscope-scrape §5.5.

use std::io::Write;

use ferroalloy_pyroscope::pprof::{
    DeltaProfiler, Function, Label, Line, Location, PprofError, Profile, Sample, ValueType,
    decode_profile, encode_gzip, gunzip_limited, gzip, is_gzip, sample_types,
};
use flate2::Compression;
use flate2::write::GzEncoder;
use prost::Message;

const MEMORY_DELTA: [(&str, &str); 2] = [("alloc_objects", "count"), ("alloc_space", "bytes")];
const LIMIT: usize = 1 << 20;

/// A profile builder that numbers strings, functions and locations itself, so tests can build
/// the same stacks with different ids.
struct Builder {
    profile: Profile,
    /// Offset added to every location and function id.
    id_offset: u64,
}

impl Builder {
    fn new(types: &[(&str, &str)], id_offset: u64, reverse_strings: bool) -> Self {
        let mut b = Self {
            profile: Profile {
                string_table: vec![String::new()],
                ..Profile::default()
            },
            id_offset,
        };
        if reverse_strings {
            // pre-fill the string table in another order
            for s in [
                "main.go", "main", "worker", "lib.go", "alloc", "span", "thread",
            ]
            .iter()
            .rev()
            {
                b.string(s);
            }
        }
        for (t, u) in types {
            let vt = ValueType {
                r#type: b.string(t),
                unit: b.string(u),
            };
            b.profile.sample_type.push(vt);
        }
        b
    }

    fn string(&mut self, s: &str) -> i64 {
        if let Some(i) = self.profile.string_table.iter().position(|x| x == s) {
            return i as i64;
        }
        self.profile.string_table.push(s.to_owned());
        (self.profile.string_table.len() - 1) as i64
    }

    /// The id of a location for `(function, file, line)` at `address`, created on first use.
    fn location(&mut self, function: &str, file: &str, line: i64, address: u64) -> u64 {
        let name = self.string(function);
        let filename = self.string(file);
        let fid = match self
            .profile
            .function
            .iter()
            .find(|f| f.name == name && f.filename == filename)
        {
            Some(f) => f.id,
            None => {
                let id = self.id_offset + self.profile.function.len() as u64 + 1;
                self.profile.function.push(Function {
                    id,
                    name,
                    system_name: name,
                    filename,
                    start_line: 0,
                });
                id
            }
        };
        if let Some(loc) = self.profile.location.iter().find(|l| {
            l.address == address
                && l.line.first().map(|x| (x.function_id, x.line)) == Some((fid, line))
        }) {
            return loc.id;
        }
        let id = self.id_offset + 100 + self.profile.location.len() as u64;
        self.profile.location.push(Location {
            id,
            mapping_id: 0,
            address,
            line: vec![Line {
                function_id: fid,
                line,
                column: 0,
            }],
            is_folded: false,
        });
        id
    }

    fn sample(&mut self, stack: &[(&str, i64)], labels: &[(&str, &str)], values: &[i64]) {
        let location_id = stack
            .iter()
            .map(|(f, line)| self.location(f, "main.go", *line, 0x1000 + *line as u64))
            .collect();
        let label = labels
            .iter()
            .map(|(k, v)| Label {
                key: self.string(k),
                str: self.string(v),
                num: 0,
                num_unit: 0,
            })
            .collect();
        self.profile.sample.push(Sample {
            location_id,
            value: values.to_vec(),
            label,
        });
    }

    fn at(mut self, time_nanos: i64) -> Profile {
        self.profile.time_nanos = time_nanos;
        self.profile.duration_nanos = 1;
        self.profile
    }
}

const MEMORY_TYPES: [(&str, &str); 4] = [
    ("alloc_objects", "count"),
    ("alloc_space", "bytes"),
    ("inuse_objects", "count"),
    ("inuse_space", "bytes"),
];

/// `(stack text, labels text, values)` of every sample, for readable assertions.
fn summary(profile: &Profile) -> Vec<(String, Vec<i64>)> {
    let s = |i: i64| profile.string_table[i as usize].clone();
    profile
        .sample
        .iter()
        .map(|sample| {
            let stack: Vec<String> = sample
                .location_id
                .iter()
                .map(|id| {
                    let loc = profile.location.iter().find(|l| l.id == *id);
                    let line = loc.and_then(|l| l.line.first());
                    let f =
                        line.and_then(|x| profile.function.iter().find(|f| f.id == x.function_id));
                    match (f, line) {
                        (Some(f), Some(line)) => format!("{}:{}", s(f.name), line.line),
                        _ => format!("?{id}"),
                    }
                })
                .collect();
            let mut labels: Vec<String> = sample
                .label
                .iter()
                .map(|l| format!("{}={}", s(l.key), s(l.str)))
                .collect();
            labels.sort();
            (
                format!("{}{{{}}}", stack.join(";"), labels.join(",")),
                sample.value.clone(),
            )
        })
        .collect()
}

fn row(text: &str, values: &[i64]) -> (String, Vec<i64>) {
    (text.to_owned(), values.to_vec())
}

#[test]
fn gzip_helpers() -> Result<(), PprofError> {
    let data = b"hello pprof".repeat(10);
    let packed = gzip(&data);
    assert!(is_gzip(&packed));
    assert!(!is_gzip(&data));
    assert!(!is_gzip(&[0x1f]));
    assert_eq!(gunzip_limited(&packed, LIMIT)?, data);
    // exactly at the limit is fine, one byte less is not
    assert_eq!(gunzip_limited(&packed, data.len())?.len(), data.len());
    assert!(matches!(
        gunzip_limited(&packed, data.len() - 1),
        Err(PprofError::TooLarge(n)) if n == data.len() - 1
    ));
    // concatenated members are one stream, like Go's gzip.Reader
    let two = [gzip(b"ab").to_vec(), gzip(b"cd").to_vec()].concat();
    assert_eq!(gunzip_limited(&two, LIMIT)?, b"abcd");
    // corrupt and truncated streams are errors
    let mut corrupt = packed.to_vec();
    let middle = corrupt.len() / 2;
    corrupt[middle] ^= 0xff;
    assert!(gunzip_limited(&corrupt, LIMIT).is_err());
    assert!(matches!(
        gunzip_limited(&packed[..packed.len() - 4], LIMIT),
        Err(PprofError::Gzip(_))
    ));
    Ok(())
}

#[test]
fn gzip_bomb_stops_at_the_limit() -> Result<(), Box<dyn std::error::Error>> {
    // 8 MiB of zeros compress to ~8 KiB
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..8 {
        encoder.write_all(&zeros)?;
    }
    let bomb = encoder.finish()?;
    let err = decode_profile(&bomb, LIMIT).err();
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("decompressed profile exceeds 1048576 bytes")
    );
    Ok(())
}

#[test]
fn decode_plain_and_gzip() -> Result<(), PprofError> {
    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(&[("main", 1)], &[], &[1, 2, 3, 4]);
    let profile = b.at(5);
    let plain = profile.encode_to_vec();
    assert_eq!(decode_profile(&plain, LIMIT)?, profile);
    assert_eq!(decode_profile(&encode_gzip(&profile), LIMIT)?, profile);
    assert_eq!(
        sample_types(&profile),
        MEMORY_TYPES.to_vec(),
        "strings resolved through the table"
    );
    // garbage is a decode error
    assert!(matches!(
        decode_profile(&[0x0a, 0x7f, 0x01], LIMIT),
        Err(PprofError::Decode(_))
    ));
    Ok(())
}

#[test]
fn delta_of_cumulative_memory_profiles() {
    let mut delta = DeltaProfiler::new(MEMORY_DELTA);

    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(
        &[("alloc", 10), ("main", 1)],
        &[("span", "a")],
        &[10, 1000, 5, 500],
    );
    b.sample(&[("alloc", 10), ("worker", 2)], &[], &[4, 400, 1, 100]);
    b.sample(&[("alloc", 10), ("main", 3)], &[], &[7, 700, 0, 0]);
    b.sample(&[("alloc", 10), ("main", 4)], &[], &[5, 50, 0, 0]);
    // first profile: stored, nothing forwarded
    assert_eq!(delta.delta(b.at(1_000)), None);
    assert!(delta.has_baseline());

    // same stacks with other ids and another string-table order
    let mut b = Builder::new(&MEMORY_TYPES, 50, true);
    // label order does not matter; duplicates of one identity are summed
    b.sample(
        &[("alloc", 10), ("main", 1)],
        &[("span", "a")],
        &[8, 800, 2, 200],
    );
    b.sample(
        &[("alloc", 10), ("main", 1)],
        &[("span", "a")],
        &[7, 700, 1, 100],
    );
    // decreased: the target restarted, the current value is taken (per value)
    b.sample(&[("alloc", 10), ("worker", 2)], &[], &[2, 500, 1, 100]);
    // unchanged cumulative values and zero in-use values: all zero, omitted
    b.sample(&[("alloc", 10), ("main", 3)], &[], &[7, 700, 0, 0]);
    // new identity (another label value): baseline 0
    b.sample(
        &[("alloc", 10), ("main", 1)],
        &[("span", "b")],
        &[3, 300, 3, 300],
    );
    let out = delta.delta(b.at(11_000));
    let Some(out) = out else {
        panic!("second profile must produce a delta");
    };
    assert_eq!(
        summary(&out),
        [
            row("alloc:10;main:1{span=a}", &[5, 500, 3, 300]),
            row("alloc:10;worker:2{}", &[2, 100, 1, 100]),
            row("alloc:10;main:1{span=b}", &[3, 300, 3, 300]),
        ]
    );
    assert_eq!(out.time_nanos, 11_000);
    assert_eq!(out.duration_nanos, 10_000);

    // the baseline is now the second profile (aggregated); absent identities are forgotten
    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(
        &[("alloc", 10), ("main", 1)],
        &[("span", "a")],
        &[16, 1600, 0, 0],
    );
    // main:3 was omitted from the output (all zero) but is part of the baseline
    b.sample(&[("alloc", 10), ("main", 3)], &[], &[9, 900, 0, 0]);
    // main:4 was in the first profile only: forgotten, so its baseline is 0
    b.sample(&[("alloc", 10), ("main", 4)], &[], &[6, 60, 0, 0]);
    let out = delta.delta(b.at(21_000)).map(|p| summary(&p));
    assert_eq!(
        out,
        Some(vec![
            row("alloc:10;main:1{span=a}", &[1, 100, 0, 0]),
            row("alloc:10;main:3{}", &[2, 200, 0, 0]),
            row("alloc:10;main:4{}", &[6, 60, 0, 0]),
        ])
    );
}

#[test]
fn delta_restarts_when_the_columns_change() {
    let mut delta = DeltaProfiler::new(MEMORY_DELTA);
    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(&[("main", 1)], &[], &[1, 1, 1, 1]);
    assert_eq!(delta.delta(b.at(1)), None);
    // only one delta column now: a new baseline, nothing forwarded
    let mut b = Builder::new(
        &[("alloc_objects", "count"), ("inuse_objects", "count")],
        0,
        false,
    );
    b.sample(&[("main", 1)], &[], &[5, 1]);
    assert_eq!(delta.delta(b.at(2)), None);
    let mut b = Builder::new(
        &[("alloc_objects", "count"), ("inuse_objects", "count")],
        0,
        false,
    );
    b.sample(&[("main", 1)], &[], &[6, 1]);
    let out = delta.delta(b.at(3)).map(|p| summary(&p));
    assert_eq!(out, Some(vec![row("main:1{}", &[1, 1])]));
    delta.reset();
    assert!(!delta.has_baseline());
}

#[test]
fn profile_without_delta_columns_passes_values_through() {
    // a Node heap profile: objects/count, space/bytes
    let mut delta = DeltaProfiler::new(MEMORY_DELTA);
    let types = [("objects", "count"), ("space", "bytes")];
    let mut b = Builder::new(&types, 0, false);
    b.sample(&[("main", 1)], &[], &[3, 30]);
    assert_eq!(delta.delta(b.at(0)), None, "still first-scrape dropped");
    let mut b = Builder::new(&types, 0, false);
    b.sample(&[("main", 1)], &[], &[3, 30]);
    b.sample(&[("worker", 2)], &[], &[0, 0]);
    let out = delta.delta(b.at(0));
    let Some(out) = out else {
        panic!("second profile must be forwarded");
    };
    assert_eq!(summary(&out), [row("main:1{}", &[3, 30])]);
    // time_nanos 0: the input's duration is kept
    assert_eq!(out.duration_nanos, 1);
}

#[test]
fn delta_bytes_gzips_and_keeps_the_baseline_on_error() -> Result<(), PprofError> {
    let mut delta = DeltaProfiler::new(MEMORY_DELTA);
    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(&[("main", 1)], &[], &[1, 10, 1, 10]);
    assert_eq!(delta.delta_bytes(&encode_gzip(&b.at(1)), LIMIT)?, None);
    // undecodable input: error, baseline kept
    assert!(delta.delta_bytes(&[0x0a, 0x7f], LIMIT).is_err());
    assert!(delta.has_baseline());
    let mut b = Builder::new(&MEMORY_TYPES, 0, false);
    b.sample(&[("main", 1)], &[], &[3, 30, 1, 10]);
    let out = delta.delta_bytes(&b.at(2).encode_to_vec(), LIMIT)?;
    let Some(out) = out else {
        panic!("second profile must produce a delta");
    };
    assert!(is_gzip(&out), "output is always gzip");
    let decoded = decode_profile(&out, LIMIT)?;
    assert_eq!(summary(&decoded), [row("main:1{}", &[2, 20, 1, 10])]);
    Ok(())
}

#[test]
fn malformed_profiles_do_not_panic() {
    let mut delta = DeltaProfiler::new(MEMORY_DELTA);
    let profile = Profile {
        sample_type: vec![ValueType {
            r#type: 99,
            unit: -1,
        }],
        sample: vec![
            Sample {
                location_id: vec![7, 8],
                value: vec![],
                label: vec![Label {
                    key: 1000,
                    str: -5,
                    num: 1,
                    num_unit: 3,
                }],
            },
            Sample {
                location_id: vec![],
                value: vec![1, 2, 3],
                label: vec![],
            },
        ],
        location: vec![Location {
            id: 7,
            line: vec![Line {
                function_id: 42,
                line: 1,
                column: 0,
            }],
            ..Location::default()
        }],
        ..Profile::default()
    };
    assert_eq!(delta.delta(profile.clone()), None);
    let out = delta.delta(profile).map(|p| p.sample.len());
    // the first sample has no values (all zero after padding) and is omitted
    assert_eq!(out, Some(1));
}
