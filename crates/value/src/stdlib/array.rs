//! The `array` namespace: `concat`, `combine_maps` and `group_by`.
//!
//! These take their arguments as they are (no §6.2 conversion) and type-check them, reporting a
//! wrong element at the element (`[2]`), as Alloy does. Two deliberate differences (E6):
//! `group_by` orders groups by first appearance (Alloy's order is random), and `combine_maps`
//! with `pass = true` emits an unmatched left element once (Alloy: once per non-matching right
//! element).

use crate::value::{FunctionError, Object, PathSegment, Value, ValuePath};

use super::type_mismatch;

/// `array.concat(a, …)`: the concatenation of array arguments; no arguments → `[]`.
pub(super) fn concat(args: &[Value]) -> Result<Value, FunctionError> {
    let mut total = 0;
    for (i, a) in args.iter().enumerate() {
        match a {
            Value::Array(items) => total += items.len(),
            other => return Err(type_mismatch(i, ValuePath::root(), "array", other)),
        }
    }
    let mut out = Vec::with_capacity(total);
    for a in args {
        if let Value::Array(items) = a {
            out.extend(items.iter().cloned());
        }
    }
    Ok(Value::Array(out))
}

/// Argument `index` as an array, or the type error.
fn array_arg(args: &[Value], index: usize) -> Result<&[Value], FunctionError> {
    match args.get(index) {
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(type_mismatch(index, ValuePath::root(), "array", other)),
        None => Err(type_mismatch(
            index,
            ValuePath::root(),
            "array",
            &Value::Null,
        )),
    }
}

/// Argument `index` as an array of objects, or the type error at the first bad element.
fn objects_arg(args: &[Value], index: usize) -> Result<Vec<&Object>, FunctionError> {
    array_arg(args, index)?
        .iter()
        .enumerate()
        .map(|(j, item)| match item {
            Value::Object(o) => Ok(o),
            other => Err(type_mismatch(index, at_index(j), "object", other)),
        })
        .collect()
}

fn at_index(i: usize) -> ValuePath {
    ValuePath(vec![PathSegment::Index(i)])
}

/// Argument `index` as a bool, or the type error.
fn bool_arg(args: &[Value], index: usize) -> Result<bool, FunctionError> {
    match args.get(index) {
        Some(Value::Bool(b)) => Ok(*b),
        Some(other) => Err(type_mismatch(index, ValuePath::root(), "bool", other)),
        None => Err(type_mismatch(
            index,
            ValuePath::root(),
            "bool",
            &Value::Null,
        )),
    }
}

/// `array.combine_maps(l, r, keys [, pass])` (experimental): for each `l[i]` then each `r[j]`,
/// when every key in `keys` exists in both with equal values, emit `l[i]` merged with `r[j]`
/// (`r` wins); with `pass = true` an `l[i]` that matched nothing is emitted once, unchanged.
pub(super) fn combine_maps(args: &[Value]) -> Result<Value, FunctionError> {
    if !(3..=4).contains(&args.len()) {
        return Err(FunctionError::Call(format!(
            "combine_maps: expected 3 or 4 arguments, got {}",
            args.len()
        )));
    }
    let left = objects_arg(args, 0)?;
    let right = objects_arg(args, 1)?;
    let keys: Vec<&str> = array_arg(args, 2)?
        .iter()
        .enumerate()
        .map(|(k, key)| match key {
            Value::String(s) => Ok(s.as_str()),
            other => Err(type_mismatch(2, at_index(k), "string", other)),
        })
        .collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err(FunctionError::Call(
            "combine_maps: merge conditions must not be empty".to_owned(),
        ));
    }
    let pass = if args.len() == 4 {
        bool_arg(args, 3)?
    } else {
        false
    };

    let mut out = Vec::new();
    for l in &left {
        let mut matched = false;
        for r in &right {
            let joins = keys.iter().all(|k| match (l.get(k), r.get(k)) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            });
            if joins {
                matched = true;
                let mut merged = (*l).clone();
                for (k, v) in r.iter() {
                    merged.insert(k.clone(), v.clone());
                }
                out.push(Value::Object(merged));
            }
        }
        if pass && !matched {
            out.push(Value::Object((*l).clone()));
        }
    }
    Ok(Value::Array(out))
}

/// `array.group_by(arr, key, drop)` (experimental): objects grouped by the string value of
/// `key` as `[{<key> = v, items = [...]}]`, groups in order of first appearance; objects without
/// `key` form the group `""` unless `drop`.
pub(super) fn group_by(args: &[Value]) -> Result<Value, FunctionError> {
    if args.len() != 3 {
        return Err(FunctionError::Call(format!(
            "group_by: expected 3 arguments, got {}",
            args.len()
        )));
    }
    let items = array_arg(args, 0)?;
    let key = match &args[1] {
        Value::String(s) => s.as_str(),
        other => return Err(type_mismatch(1, ValuePath::root(), "string", other)),
    };
    let drop_missing = bool_arg(args, 2)?;

    let mut groups: indexmap::IndexMap<&str, Vec<Value>> = indexmap::IndexMap::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(object) = item else {
            return Err(type_mismatch(0, at_index(i), "object", item));
        };
        let group = match object.get(key) {
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                let path = ValuePath(vec![
                    PathSegment::Index(i),
                    PathSegment::Field(key.to_owned()),
                ]);
                return Err(type_mismatch(0, path, "string", other));
            }
            None if drop_missing => continue,
            None => "",
        };
        groups.entry(group).or_default().push(item.clone());
    }
    Ok(Value::Array(
        groups
            .into_iter()
            .map(|(group, members)| {
                let mut o = Object::new();
                o.insert(key, Value::string(group));
                o.insert("items", Value::Array(members));
                Value::Object(o)
            })
            .collect(),
    ))
}
