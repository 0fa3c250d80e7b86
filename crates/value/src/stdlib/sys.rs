//! `sys.env`, `convert.nonsensitive` and `constants`.

use std::sync::Arc;

use crate::convert;
use crate::value::{FunctionError, NativeFn, Object, Value};

use super::{EnvLookup, arg, expect_args, string_arg};

/// `sys.env(name)` reading through `env`; an unset variable is `""`.
pub(super) fn env_function(env: EnvLookup) -> Arc<NativeFn> {
    Arc::new(move |args: &[Value]| {
        expect_args(args, 1)?;
        let name = string_arg(args, 0)?;
        Ok(Value::String(env(&name).unwrap_or_default()))
    })
}

/// `convert.nonsensitive(s)`: the text of a secret or optional secret (a string is accepted
/// too, as it converts to a secret).
pub(super) fn nonsensitive(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 1)?;
    let secret = arg(args, 0, convert::to_secret)?;
    Ok(Value::string(secret.expose()))
}

/// The `constants` object: `hostname`, `os` and `arch` (Go's names), `version` (`v<semver>`).
pub(super) fn constants() -> Object {
    let mut o = Object::new();
    o.insert(
        "hostname",
        Value::String(gethostname::gethostname().to_string_lossy().into_owned()),
    );
    o.insert("os", Value::string(go_os(std::env::consts::OS)));
    o.insert("arch", Value::string(go_arch(std::env::consts::ARCH)));
    o.insert(
        "version",
        Value::String(format!("v{}", env!("CARGO_PKG_VERSION"))),
    );
    o
}

/// Go's `GOOS` for a Rust target OS.
pub(crate) fn go_os(os: &str) -> &str {
    match os {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's `GOARCH` for a Rust target architecture.
pub(crate) fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "x86" => "386",
        "aarch64" => "arm64",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "loongarch64" => "loong64",
        "mips64" if cfg!(target_endian = "little") => "mips64le",
        "mips" if cfg!(target_endian = "little") => "mipsle",
        other => other,
    }
}
