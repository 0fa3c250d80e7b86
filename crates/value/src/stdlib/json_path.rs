//! `json_path(json, path)`: an RFC 9535 JSONPath query over JSON text (`serde_json_path`).
//!
//! `$` is prepended when the path does not start with it, so `.a` and `[0]` work as in Alloy.
//! Unlike `encoding.from_json`, integers in the result stay integers (Alloy's JSONPath library
//! parses them as `int64`). The result is always an array, empty when nothing matches.

use serde_json_path::JsonPath;

use crate::value::{FunctionError, Value};

use super::encoding::{NumberMode, json_to_value};
use super::{expect_args, string_arg};

/// `json_path(json, path)`.
pub(super) fn json_path(args: &[Value]) -> Result<Value, FunctionError> {
    expect_args(args, 2)?;
    let json = string_arg(args, 0)?;
    let path = string_arg(args, 1)?;
    let path = if path.starts_with('$') {
        path
    } else {
        format!("${path}")
    };
    let query = JsonPath::parse(&path).map_err(|e| FunctionError::Call(e.to_string()))?;
    let document: serde_json::Value =
        serde_json::from_str(&json).map_err(|e| FunctionError::Call(e.to_string()))?;
    Ok(Value::Array(
        query
            .query(&document)
            .all()
            .into_iter()
            .map(|v| json_to_value(v.clone(), NumberMode::KeepIntegers))
            .collect(),
    ))
}
