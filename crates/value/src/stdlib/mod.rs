//! The standard library (syntax §7): the values that identifiers resolve to when the scope has
//! no binding for them.
//!
//! Design decisions:
//! - The library is a plain [`Object`] of root names, built by [`standard_library`]: namespaces
//!   (`string`, `encoding`, `array`, `convert`, `file`, `sys`) are objects of functions,
//!   `constants` is an object, `coalesce`, `json_path` and the deprecated aliases are functions.
//!   The evaluator looks names up in it like in any object, so `string.to_upper` needs no
//!   special case. The graph builder uses [`DEPRECATED_ALIASES`] and [`EXPERIMENTAL_FUNCTIONS`]
//!   for its warnings and stability gate; the functions themselves do not know about either.
//! - The environment is injected ([`EnvLookup`]) so tests and the corpus can set variables
//!   without touching the process environment; [`process_env`] is the real one.
//! - Every function checks its own arity and converts its own arguments (§6.2, so
//!   `string.to_upper(12)` is `"12"`). Conversion and type problems come back as
//!   [`FunctionError::Argument`] with the argument index and the route to the offending part;
//!   everything else as [`FunctionError::Call`]. The evaluator turns those into `<value><path>
//!   <message>` at the argument and `<f> <message>` at the callee.
//! - No function panics, and decoders bound what they build (JSON nesting, YAML depth and
//!   alias expansion), so no input can exhaust the stack or memory.

mod array;
mod coalesce;
mod encoding;
pub use encoding::query_unescape;
mod file;
mod json_path;
mod string;
pub mod string_format;
mod sys;
pub mod to_json;
mod yaml;

use std::sync::Arc;

use crate::convert::ConvertError;
use crate::value::{Function, FunctionError, Object, Value, ValuePath};

/// How `sys.env` reads a variable: `None` when unset.
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The process environment (a variable that is not valid Unicode reads as unset).
pub fn process_env() -> EnvLookup {
    Arc::new(|name: &str| {
        if name.is_empty() || name.contains(['=', '\0']) {
            // `std::env::var` may panic on such names on some platforms; they cannot be set.
            return None;
        }
        std::env::var(name).ok()
    })
}

/// Deprecated root aliases and what they stand for: `("env", "sys.env")`, ...
pub const DEPRECATED_ALIASES: &[(&str, &str)] = &[
    ("env", "sys.env"),
    ("nonsensitive", "convert.nonsensitive"),
    ("concat", "array.concat"),
    ("json_decode", "encoding.from_json"),
    ("yaml_decode", "encoding.from_yaml"),
    ("base64_decode", "encoding.from_base64"),
    ("format", "string.format"),
    ("join", "string.join"),
    ("replace", "string.replace"),
    ("split", "string.split"),
    ("to_lower", "string.to_lower"),
    ("to_upper", "string.to_upper"),
    ("trim", "string.trim"),
    ("trim_prefix", "string.trim_prefix"),
    ("trim_suffix", "string.trim_suffix"),
    ("trim_space", "string.trim_space"),
];

/// Functions at experimental stability (`array.combine_maps`, `array.group_by`).
pub const EXPERIMENTAL_FUNCTIONS: &[&str] = &["array.combine_maps", "array.group_by"];

/// The message graph building emits (as a warning, at the identifier) for a deprecated alias.
pub const DEPRECATION_WARNING: &str = "this stdlib function is deprecated; please refer to the documentation for updated usage and alternatives";

/// The root names of the standard library (a component whose first name segment is one of
/// these shadows it).
pub const ROOT_NAMES: &[&str] = &[
    "array",
    "coalesce",
    "constants",
    "convert",
    "encoding",
    "file",
    "json_path",
    "string",
    "sys",
    "env",
    "nonsensitive",
    "concat",
    "json_decode",
    "yaml_decode",
    "base64_decode",
    "format",
    "join",
    "replace",
    "split",
    "to_lower",
    "to_upper",
    "trim",
    "trim_prefix",
    "trim_suffix",
    "trim_space",
];

/// The signature of the functions registered here.
type Native = fn(&[Value]) -> Result<Value, FunctionError>;

/// The standard library as an object of root names: namespaces (`string`, `encoding`, `array`,
/// `convert`, `file`, `sys`) are objects of functions, `constants` is an object, and the
/// root functions (`coalesce`, `json_path`) and every deprecated alias are functions.
///
/// `constants.hostname` is read when this is called; call it again to see a new host name.
pub fn standard_library(env: EnvLookup) -> Object {
    let sys_env = sys::env_function(env);

    let string_ns: &[(&str, Native)] = &[
        ("format", string_format::string_format),
        ("join", string::join),
        ("replace", string::replace),
        ("split", string::split),
        ("to_lower", string::to_lower),
        ("to_upper", string::to_upper),
        ("trim", string::trim),
        ("trim_prefix", string::trim_prefix),
        ("trim_suffix", string::trim_suffix),
        ("trim_space", string::trim_space),
    ];
    let encoding_ns: &[(&str, Native)] = &[
        ("from_json", encoding::from_json),
        ("from_yaml", yaml::from_yaml),
        ("from_base64", encoding::from_base64),
        ("from_URLbase64", encoding::from_url_base64),
        ("to_base64", encoding::to_base64),
        ("to_URLbase64", encoding::to_url_base64),
        ("to_json", to_json::to_json),
        ("url_encode", encoding::url_encode),
        ("url_decode", encoding::url_decode),
    ];
    let array_ns: &[(&str, Native)] = &[
        ("concat", array::concat),
        ("combine_maps", array::combine_maps),
        ("group_by", array::group_by),
    ];
    let convert_ns: &[(&str, Native)] = &[("nonsensitive", sys::nonsensitive)];
    let file_ns: &[(&str, Native)] = &[("path_join", file::path_join)];

    let mut root = Object::new();
    root.insert("array", namespace("array", array_ns));
    root.insert("coalesce", native("coalesce", coalesce::coalesce));
    root.insert("constants", Value::Object(sys::constants()));
    root.insert("convert", namespace("convert", convert_ns));
    root.insert("encoding", namespace("encoding", encoding_ns));
    root.insert("file", namespace("file", file_ns));
    root.insert("json_path", native("json_path", json_path::json_path));
    root.insert("string", namespace("string", string_ns));
    let mut sys_ns = Object::new();
    sys_ns.insert(
        "env",
        Value::Function(Function {
            name: "sys.env".into(),
            call: sys_env,
        }),
    );
    root.insert("sys", Value::Object(sys_ns));

    // Each alias is the function it stands for under its own name.
    for (alias, target) in DEPRECATED_ALIASES {
        let call = target
            .split_once('.')
            .and_then(|(ns, name)| lookup(&root, ns, name));
        if let Some(call) = call {
            root.insert(
                *alias,
                Value::Function(Function {
                    name: (*alias).into(),
                    call,
                }),
            );
        }
    }
    root
}

/// The implementation registered under `ns.name` in `root`.
fn lookup(root: &Object, ns: &str, name: &str) -> Option<Arc<crate::value::NativeFn>> {
    match root.get(ns)? {
        Value::Object(o) => match o.get(name)? {
            Value::Function(f) => Some(Arc::clone(&f.call)),
            _ => None,
        },
        _ => None,
    }
}

fn native(name: &str, f: Native) -> Value {
    Value::Function(Function {
        name: name.into(),
        call: Arc::new(f),
    })
}

fn namespace(ns: &str, functions: &[(&str, Native)]) -> Value {
    Value::Object(
        functions
            .iter()
            .map(|(name, f)| ((*name).to_owned(), native(&format!("{ns}.{name}"), *f)))
            .collect(),
    )
}

/// `expected <n> args, got <m>` unless exactly `n` arguments were given.
pub(crate) fn expect_args(args: &[Value], n: usize) -> Result<(), FunctionError> {
    if args.len() == n {
        Ok(())
    } else {
        Err(FunctionError::Call(format!(
            "expected {n} args, got {}",
            args.len()
        )))
    }
}

/// A conversion error of argument `index` as the evaluator expects it.
pub(crate) fn argument_error(index: usize, error: ConvertError) -> FunctionError {
    FunctionError::Argument {
        index,
        path: error.path,
        message: error.message,
    }
}

/// A type error of argument `index`, or of the part of it at `path`.
pub(crate) fn type_mismatch(
    index: usize,
    path: ValuePath,
    want: &str,
    got: &Value,
) -> FunctionError {
    FunctionError::Argument {
        index,
        path,
        message: format!("should be {want}, got {}", got.value_type()),
    }
}

/// Convert argument `index` with `convert` (§6.2), reporting failures at that argument.
pub(crate) fn arg<T>(
    args: &[Value],
    index: usize,
    convert: impl FnOnce(&Value) -> Result<T, ConvertError>,
) -> Result<T, FunctionError> {
    let value = args.get(index).unwrap_or(&Value::Null);
    convert(value).map_err(|e| argument_error(index, e))
}

/// Argument `index` converted to text.
pub(crate) fn string_arg(args: &[Value], index: usize) -> Result<String, FunctionError> {
    arg(args, index, crate::convert::to_string)
}
