//! The arguments of `pyroscope.scrape` (spec §2), the `profiling_config` block and its profile
//! types (§3), the `clustering` block (§10), and their validation (§2.1).
//!
//! Decisions:
//! - Defaults live in the `Default` impls. A written block is decoded from its own type's
//!   `Default` (the SDK's rule), so each built-in `profile.*` block is its own type,
//!   [`ProfileBlock<I>`], whose default is row `I` of [`BUILTIN_PROFILES`]:
//!   `profile.block { enabled = false }` keeps `/debug/pprof/block`, and the API encoding of a
//!   block omits exactly the attributes equal to that type's defaults.
//! - `profile.custom "<name>"` replaces a built-in of the same name (Alloy's map semantics, even
//!   when the custom block is disabled); [`ProfilingConfig::enabled_types`] is the effective list
//!   and [`ProfilingConfig::overridden_builtins`] tells the component what to warn about.
//! - Validation is pure and reports only the first failure, in §2.1's order: the HTTP client's
//!   attribute-decoding and nested-block rules first (they "run at decode"), then rules 1–4,
//!   then the client's host-level rules (rule 5). Each error carries the path of the attribute
//!   or block at fault so the diagnostic points at it.
//! - `delta_profiling_duration` is an `Option`: "set" means written (D1), never "differs from
//!   14s" as in Alloy.
//! - The HTTP client settings are squashed into the component block, as `pyroscope.write` does
//!   for `endpoint`; `Debug` of the arguments therefore shows no secret (the client config
//!   redacts them).

use std::collections::BTreeMap;

use ferroalloy_component::{ArgErrors, Arguments, FieldVisitor};
use ferroalloy_http_client::HttpClientConfig;
use ferroalloy_pyroscope::ReceiverRef;
use ferroalloy_value::decode::{ArgPath, Labelled};
use ferroalloy_value::duration::Duration;

const SECOND: i64 = 1_000_000_000;

/// The arguments of a `pyroscope.scrape` block (§2).
#[derive(Clone, Debug, PartialEq)]
pub struct ScrapeArguments {
    /// `targets`: each map is one target (§4).
    pub targets: Vec<BTreeMap<String, String>>,
    /// `forward_to`: the receivers every profile is handed to (`[]` and `null` discard).
    pub forward_to: Vec<ReceiverRef>,
    /// `job_name`: when non-empty, sets the `job` label (§4.2 step 3).
    pub job_name: String,
    /// `params`: extra query parameters of every request (§4.5).
    pub params: BTreeMap<String, Vec<String>>,
    /// `scrape_interval` (default 15s).
    pub scrape_interval: Duration,
    /// `scrape_timeout` (default 10s).
    pub scrape_timeout: Duration,
    /// `delta_profiling_duration`: the `seconds` of `delta = true` types; `None` = unset
    /// (effective `scrape_interval − 1s`).
    pub delta_profiling_duration: Option<Duration>,
    /// `scheme` (default `http`): used when a target has no `__scheme__`.
    pub scheme: String,
    /// The HTTP client settings, written directly in the component block.
    pub client: HttpClientConfig,
    /// The `profiling_config` block (its defaults when absent).
    pub profiling_config: ProfilingConfig,
    /// The `clustering` block (accepted; a single node, §10).
    pub clustering: Option<ClusteringConfig>,
}

impl Default for ScrapeArguments {
    fn default() -> Self {
        Self {
            targets: Vec::new(),
            forward_to: Vec::new(),
            job_name: String::new(),
            params: BTreeMap::new(),
            scrape_interval: Duration::from_nanos(15 * SECOND),
            scrape_timeout: Duration::from_nanos(10 * SECOND),
            delta_profiling_duration: None,
            scheme: "http".to_owned(),
            client: HttpClientConfig::default(),
            profiling_config: ProfilingConfig::default(),
            clustering: None,
        }
    }
}

impl Arguments for ScrapeArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("targets", |s| &mut s.targets);
        v.required("forward_to", |s| &mut s.forward_to);
        v.optional("job_name", |s| &mut s.job_name);
        v.optional("params", |s| &mut s.params);
        v.optional("scrape_interval", |s| &mut s.scrape_interval);
        v.optional("scrape_timeout", |s| &mut s.scrape_timeout);
        v.optional("delta_profiling_duration", |s| {
            &mut s.delta_profiling_duration
        });
        v.optional("scheme", |s| &mut s.scheme);
        v.squash(|s| &mut s.client);
        v.block("profiling_config", |s| &mut s.profiling_config);
        v.block("clustering", |s| &mut s.clustering);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        self.client.validate_blocks()?;
        self.check()?;
        self.client.validate_host()
    }
}

impl ScrapeArguments {
    /// §2.1 rules 1–4, first failure only.
    fn check(&self) -> Result<(), ArgErrors> {
        if self.scrape_timeout.as_nanos() <= 0 {
            return Err(ArgErrors::one(
                "scrape_timeout",
                "scrape_timeout must be greater than 0",
            ));
        }
        if self.scrape_interval.as_nanos() <= 0 {
            return Err(ArgErrors::one(
                "scrape_interval",
                "scrape_interval must be greater than 0",
            ));
        }
        let any_delta = self
            .profiling_config
            .enabled_types()
            .iter()
            .any(|t| t.delta);
        if any_delta {
            if self.scrape_interval.as_nanos() < 2 * SECOND {
                return Err(ArgErrors::one(
                    "scrape_interval",
                    "scrape_interval must be at least 2 seconds when using delta profiling",
                ));
            }
            if let Some(duration) = self.delta_profiling_duration {
                if duration.as_nanos() <= SECOND {
                    return Err(ArgErrors::one(
                        "delta_profiling_duration",
                        "delta_profiling_duration must be larger than 1 second when using delta profiling",
                    ));
                }
                if duration.as_nanos() > self.scrape_interval.as_nanos() - SECOND {
                    return Err(ArgErrors::one(
                        "delta_profiling_duration",
                        "delta_profiling_duration must be at least 1 second smaller than scrape_interval when using delta profiling",
                    ));
                }
            }
        }
        let mut errors = ArgErrors::new();
        errors.nest("profiling_config", self.profiling_config.check_custom());
        errors.into_result()
    }

    /// `scrape_interval` as a standard duration (1 ns at the least; validation refuses ≤ 0).
    pub fn interval(&self) -> std::time::Duration {
        positive(self.scrape_interval)
    }

    /// `scrape_timeout` as a standard duration (1 ns at the least; validation refuses ≤ 0).
    pub fn timeout(&self) -> std::time::Duration {
        positive(self.scrape_timeout)
    }

    /// The bound of one scrape's HTTP exchange (§5.2): `scrape_timeout`, plus
    /// `scrape_interval − 1s` when the URL carries `seconds` (the target holds the response).
    pub fn fetch_timeout(&self, has_seconds: bool) -> std::time::Duration {
        if has_seconds {
            self.timeout()
                + self
                    .interval()
                    .saturating_sub(std::time::Duration::from_secs(1))
        } else {
            self.timeout()
        }
    }

    /// N of `seconds=N` for `delta = true` types (§4.5): `delta_profiling_duration` truncated
    /// to whole seconds when set, else `scrape_interval` truncated to whole seconds minus 1
    /// (14 with the defaults). Never negative.
    pub fn delta_seconds(&self) -> u64 {
        match self.delta_profiling_duration {
            Some(duration) => whole_seconds(duration),
            None => whole_seconds(self.scrape_interval).saturating_sub(1),
        }
    }
}

/// Whole seconds of `d`, truncated; 0 for a negative duration.
fn whole_seconds(d: Duration) -> u64 {
    u64::try_from(d.as_nanos() / SECOND).unwrap_or(0)
}

/// A duration validation requires to be positive, as a standard one (1 ns at the least).
fn positive(d: Duration) -> std::time::Duration {
    d.to_std()
        .filter(|d| !d.is_zero())
        .unwrap_or(std::time::Duration::from_nanos(1))
}

/// One row of §3's table of built-in profile types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuiltinProfile {
    /// The block name inside `profiling_config` (`profile.process_cpu`).
    pub block: &'static str,
    /// The type name: the `__name__` set at label building, before the godeltaprof rename
    /// (`process_cpu`, `godeltaprof_memory`); also the key a `profile.custom` replaces.
    pub name: &'static str,
    /// Default of `enabled`.
    pub enabled: bool,
    /// Default of `path`.
    pub path: &'static str,
    /// Default of `delta`.
    pub delta: bool,
}

const fn builtin(
    block: &'static str,
    name: &'static str,
    enabled: bool,
    path: &'static str,
    delta: bool,
) -> BuiltinProfile {
    BuiltinProfile {
        block,
        name,
        enabled,
        path,
        delta,
    }
}

/// The built-in profile types of §3, in the table's order; [`ProfileBlock<I>`] takes its
/// defaults from row `I`.
pub const BUILTIN_PROFILES: [BuiltinProfile; 9] = [
    builtin(
        "profile.process_cpu",
        "process_cpu",
        true,
        "/debug/pprof/profile",
        true,
    ),
    builtin(
        "profile.memory",
        "memory",
        true,
        "/debug/pprof/allocs",
        false,
    ),
    builtin(
        "profile.goroutine",
        "goroutine",
        true,
        "/debug/pprof/goroutine",
        false,
    ),
    builtin("profile.mutex", "mutex", true, "/debug/pprof/mutex", false),
    builtin("profile.block", "block", true, "/debug/pprof/block", false),
    builtin("profile.fgprof", "fgprof", false, "/debug/fgprof", true),
    builtin(
        "profile.godeltaprof_memory",
        "godeltaprof_memory",
        false,
        "/debug/pprof/delta_heap",
        false,
    ),
    builtin(
        "profile.godeltaprof_mutex",
        "godeltaprof_mutex",
        false,
        "/debug/pprof/delta_mutex",
        false,
    ),
    builtin(
        "profile.godeltaprof_block",
        "godeltaprof_block",
        false,
        "/debug/pprof/delta_block",
        false,
    ),
];

/// Row index of `profile.process_cpu` in [`BUILTIN_PROFILES`].
pub const PROCESS_CPU: usize = 0;
/// Row index of `profile.memory`.
pub const MEMORY: usize = 1;
/// Row index of `profile.goroutine`.
pub const GOROUTINE: usize = 2;
/// Row index of `profile.mutex`.
pub const MUTEX: usize = 3;
/// Row index of `profile.block`.
pub const BLOCK: usize = 4;
/// Row index of `profile.fgprof`.
pub const FGPROF: usize = 5;
/// Row index of `profile.godeltaprof_memory`.
pub const GODELTAPROF_MEMORY: usize = 6;
/// Row index of `profile.godeltaprof_mutex`.
pub const GODELTAPROF_MUTEX: usize = 7;
/// Row index of `profile.godeltaprof_block`.
pub const GODELTAPROF_BLOCK: usize = 8;

/// The `(type, unit)` delta columns of the client-side delta (§3, §5.5) for a final `__name__`:
/// `Some` for `memory`, `mutex` and `block`, `None` otherwise.
pub fn client_delta_columns(name: &str) -> Option<&'static [(&'static str, &'static str)]> {
    const MEMORY_COLUMNS: &[(&str, &str)] = &[("alloc_objects", "count"), ("alloc_space", "bytes")];
    const CONTENTION_COLUMNS: &[(&str, &str)] =
        &[("contentions", "count"), ("delay", "nanoseconds")];
    match name {
        "memory" => Some(MEMORY_COLUMNS),
        "mutex" | "block" => Some(CONTENTION_COLUMNS),
        _ => None,
    }
}

/// The godeltaprof rename (§4.2 step 11): `godeltaprof_memory|mutex|block` → `memory|mutex|block`;
/// `None` for any other name.
pub fn godeltaprof_rename(name: &str) -> Option<&'static str> {
    match name {
        "godeltaprof_memory" => Some("memory"),
        "godeltaprof_mutex" => Some("mutex"),
        "godeltaprof_block" => Some("block"),
        _ => None,
    }
}

/// A built-in `profile.*` block; `I` is its row in [`BUILTIN_PROFILES`], which gives its
/// defaults (so a written block keeps the defaults of the attributes it omits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileBlock<const I: usize> {
    /// `enabled`.
    pub enabled: bool,
    /// `path`.
    pub path: String,
    /// `delta`: ask the target for a delta with `seconds=N` (§4.5).
    pub delta: bool,
}

impl<const I: usize> ProfileBlock<I> {
    /// The row of §3's table this block type stands for.
    pub fn builtin() -> &'static BuiltinProfile {
        BUILTIN_PROFILES
            .get(I)
            .unwrap_or(&BUILTIN_PROFILES[PROCESS_CPU])
    }
}

impl<const I: usize> Default for ProfileBlock<I> {
    fn default() -> Self {
        let row = Self::builtin();
        Self {
            enabled: row.enabled,
            path: row.path.to_owned(),
            delta: row.delta,
        }
    }
}

impl<const I: usize> Arguments for ProfileBlock<I> {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("enabled", |s| &mut s.enabled);
        v.optional("path", |s| &mut s.path);
        v.optional("delta", |s| &mut s.delta);
    }
}

/// A `profile.custom "<name>"` block (the label is the type name): `enabled` and `path` are
/// required, `delta` defaults to `false`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomProfile {
    /// `enabled` (required).
    pub enabled: bool,
    /// `path` (required).
    pub path: String,
    /// `delta` (default `false`).
    pub delta: bool,
}

impl Arguments for CustomProfile {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("enabled", |s| &mut s.enabled);
        v.required("path", |s| &mut s.path);
        v.optional("delta", |s| &mut s.delta);
    }
}

/// The `profiling_config` block (§3).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfilingConfig {
    /// `path_prefix`: prepended to every profile path (§4.5).
    pub path_prefix: String,
    /// `profile.process_cpu`.
    pub process_cpu: ProfileBlock<PROCESS_CPU>,
    /// `profile.memory`.
    pub memory: ProfileBlock<MEMORY>,
    /// `profile.goroutine`.
    pub goroutine: ProfileBlock<GOROUTINE>,
    /// `profile.mutex`.
    pub mutex: ProfileBlock<MUTEX>,
    /// `profile.block`.
    pub block: ProfileBlock<BLOCK>,
    /// `profile.fgprof`.
    pub fgprof: ProfileBlock<FGPROF>,
    /// `profile.godeltaprof_memory`.
    pub godeltaprof_memory: ProfileBlock<GODELTAPROF_MEMORY>,
    /// `profile.godeltaprof_mutex`.
    pub godeltaprof_mutex: ProfileBlock<GODELTAPROF_MUTEX>,
    /// `profile.godeltaprof_block`.
    pub godeltaprof_block: ProfileBlock<GODELTAPROF_BLOCK>,
    /// The `profile.custom "<name>"` blocks, in order (label = type name).
    pub custom: Vec<Labelled<CustomProfile>>,
}

impl Arguments for ProfilingConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.optional("path_prefix", |s| &mut s.path_prefix);
        v.block("profile.process_cpu", |s| &mut s.process_cpu);
        v.block("profile.memory", |s| &mut s.memory);
        v.block("profile.goroutine", |s| &mut s.goroutine);
        v.block("profile.mutex", |s| &mut s.mutex);
        v.block("profile.block", |s| &mut s.block);
        v.block("profile.fgprof", |s| &mut s.fgprof);
        v.block("profile.godeltaprof_memory", |s| &mut s.godeltaprof_memory);
        v.block("profile.godeltaprof_mutex", |s| &mut s.godeltaprof_mutex);
        v.block("profile.godeltaprof_block", |s| &mut s.godeltaprof_block);
        v.block("profile.custom", |s| &mut s.custom);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        self.check_custom()
    }
}

/// A profile type as configured (built-in or custom), one entry of
/// [`ProfilingConfig::enabled_types`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileType {
    /// The type name: the `__name__` label building sets (§4.2 step 2), before the godeltaprof
    /// rename of step 11.
    pub name: String,
    /// `path` (may be empty: then the target's `__profile_path__` alone decides).
    pub path: String,
    /// `delta`: the URL carries `seconds=N` (§4.5).
    pub delta: bool,
    /// Whether this entry comes from a `profile.custom` block.
    pub custom: bool,
}

impl ProfileType {
    /// The `__name__` profiles of this type are sent with when the target sets none: the type
    /// name after the godeltaprof rename (§4.2 step 11).
    pub fn final_name(&self) -> &str {
        godeltaprof_rename(&self.name).unwrap_or(&self.name)
    }

    /// Whether jobs of this type are godeltaprof jobs (§5.6) when the target sets no `__name__`.
    pub fn is_godeltaprof(&self) -> bool {
        godeltaprof_rename(&self.name).is_some()
    }

    /// The `(type, unit)` columns of the client-side delta (§5.5) for jobs of this type when
    /// the target sets no `__name__`: `Some` for a final name `memory`, `mutex` or `block` that
    /// is not a godeltaprof type and whose block has `delta = false`.
    pub fn client_delta(&self) -> Option<&'static [(&'static str, &'static str)]> {
        if self.delta || self.is_godeltaprof() {
            return None;
        }
        client_delta_columns(&self.name)
    }
}

impl ProfilingConfig {
    /// Every profile type in effect, enabled or not: the built-ins in §3's order, each replaced
    /// by a `profile.custom` of the same name, then the other custom types in block order (a
    /// later custom of the same name wins, though validation refuses duplicates).
    pub fn all_types(&self) -> Vec<(ProfileType, bool)> {
        let builtin_rows = [
            (
                PROCESS_CPU,
                &self.process_cpu.enabled,
                &self.process_cpu.path,
                self.process_cpu.delta,
            ),
            (
                MEMORY,
                &self.memory.enabled,
                &self.memory.path,
                self.memory.delta,
            ),
            (
                GOROUTINE,
                &self.goroutine.enabled,
                &self.goroutine.path,
                self.goroutine.delta,
            ),
            (
                MUTEX,
                &self.mutex.enabled,
                &self.mutex.path,
                self.mutex.delta,
            ),
            (
                BLOCK,
                &self.block.enabled,
                &self.block.path,
                self.block.delta,
            ),
            (
                FGPROF,
                &self.fgprof.enabled,
                &self.fgprof.path,
                self.fgprof.delta,
            ),
            (
                GODELTAPROF_MEMORY,
                &self.godeltaprof_memory.enabled,
                &self.godeltaprof_memory.path,
                self.godeltaprof_memory.delta,
            ),
            (
                GODELTAPROF_MUTEX,
                &self.godeltaprof_mutex.enabled,
                &self.godeltaprof_mutex.path,
                self.godeltaprof_mutex.delta,
            ),
            (
                GODELTAPROF_BLOCK,
                &self.godeltaprof_block.enabled,
                &self.godeltaprof_block.path,
                self.godeltaprof_block.delta,
            ),
        ];
        let mut types: Vec<(ProfileType, bool)> = builtin_rows
            .into_iter()
            .filter_map(|(row, enabled, path, delta)| {
                let name = BUILTIN_PROFILES.get(row)?.name;
                Some((
                    ProfileType {
                        name: name.to_owned(),
                        path: path.clone(),
                        delta,
                        custom: false,
                    },
                    *enabled,
                ))
            })
            .collect();
        for custom in &self.custom {
            let entry = (
                ProfileType {
                    name: custom.label.clone(),
                    path: custom.block.path.clone(),
                    delta: custom.block.delta,
                    custom: true,
                },
                custom.block.enabled,
            );
            match types.iter_mut().find(|(t, _)| t.name == custom.label) {
                Some(slot) => *slot = entry,
                None => types.push(entry),
            }
        }
        types
    }

    /// The enabled profile types (§3), in the order of [`ProfilingConfig::all_types`]: what each
    /// target expands into (§4.1).
    pub fn enabled_types(&self) -> Vec<ProfileType> {
        self.all_types()
            .into_iter()
            .filter_map(|(t, enabled)| enabled.then_some(t))
            .collect()
    }

    /// The names of built-in types a `profile.custom` block replaces (§3: the component logs a
    /// warning once for each), in block order, without repeats.
    pub fn overridden_builtins(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for custom in &self.custom {
            if let Some(row) = BUILTIN_PROFILES.iter().find(|b| b.name == custom.label)
                && !names.contains(&row.name)
            {
                names.push(row.name);
            }
        }
        names
    }

    /// §2.1 rule 4: custom labels non-empty and unique.
    fn check_custom(&self) -> Result<(), ArgErrors> {
        for (i, custom) in self.custom.iter().enumerate() {
            let path = ArgPath::field("profile.custom").index(i);
            if custom.label.is_empty() {
                return Err(ArgErrors::one(
                    path,
                    "profile.custom block label must not be empty",
                ));
            }
            if self.custom[..i].iter().any(|c| c.label == custom.label) {
                return Err(ArgErrors::one(
                    path,
                    format!(
                        "profile.custom {} is defined more than once",
                        go_quote(&custom.label)
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The `clustering` block (§10): accepted, a single node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusteringConfig {
    /// `enabled` (required inside the block).
    pub enabled: bool,
}

impl Arguments for ClusteringConfig {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("enabled", |s| &mut s.enabled);
    }
}

/// Go's `%q` of a string (the quoting of the spec's messages).
pub(crate) fn go_quote(text: &str) -> String {
    ferroalloy_syntax::quote::quote(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroalloy_value::decode::EncodedStmt;

    fn names(body: &ferroalloy_value::decode::EncodedBody) -> Vec<String> {
        body.0
            .iter()
            .map(|s| match s {
                EncodedStmt::Attr { name, .. } => name.clone(),
                EncodedStmt::Block { name, .. } => format!("{name} {{}}"),
            })
            .collect()
    }

    #[test]
    fn the_api_encoding_omits_defaults() {
        let args = ScrapeArguments::default();
        assert_eq!(names(&args.to_body()), ["targets", "forward_to"]);

        let mut args = ScrapeArguments {
            scrape_interval: Duration::from_nanos(3 * SECOND),
            ..ScrapeArguments::default()
        };
        args.profiling_config.block.enabled = false;
        let body = args.to_body();
        assert_eq!(
            names(&body),
            [
                "targets",
                "forward_to",
                "scrape_interval",
                "profiling_config {}"
            ]
        );
        let Some(EncodedStmt::Block {
            body: profiling, ..
        }) = body.0.last()
        else {
            unreachable!("profiling_config is last")
        };
        assert_eq!(names(profiling), ["profile.block {}"]);
        let Some(EncodedStmt::Block { body: block, .. }) = profiling.0.first() else {
            unreachable!("profile.block")
        };
        // The path equals the block type's default, so only `enabled` is shown.
        assert_eq!(names(block), ["enabled"]);
    }

    #[test]
    fn delta_seconds_follow_the_interval_or_the_explicit_duration() {
        let mut args = ScrapeArguments::default();
        assert_eq!(args.delta_seconds(), 14);
        args.scrape_interval = Duration::from_nanos(10 * SECOND + SECOND / 2);
        assert_eq!(args.delta_seconds(), 9);
        args.delta_profiling_duration = Some(Duration::from_nanos(5 * SECOND + 900_000_000));
        assert_eq!(args.delta_seconds(), 5);
        assert_eq!(
            ScrapeArguments::default().fetch_timeout(true),
            std::time::Duration::from_secs(24)
        );
    }
}
