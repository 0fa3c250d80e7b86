//! Runs every row of `conformance/syntax/eval/expressions.jsonl` as the corpus README says:
//! parse (`expr` as a standalone expression, or `body` as file `file`), evaluate over `scope`
//! with the row's environment injected (never the process environment), decode into `into`,
//! and compare with `value` / `error` / `error_contains`, checking `phase` and `unordered`.
//!
//! Every failing row is reported with what was expected and what happened, in one run.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use ferroalloy_syntax::parser::{parse_expression, parse_file};
use ferroalloy_syntax::{Diagnostic, Diagnostics, SourceFile, Span};
use ferroalloy_value::decode::{ObjectField, Schema, Type, conform, decode_body};
use ferroalloy_value::eval::{Evaluator, Scope};
use ferroalloy_value::stdlib::{EnvLookup, standard_library};
use ferroalloy_value::{Capsule, Number, Object, OptionalSecret, Secret, Value};
use serde_json::Value as Json;

const CORPUS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../conformance/syntax/eval/expressions.jsonl"
));

/// What running a row produced.
#[derive(Debug)]
enum Outcome {
    Value(Value),
    ParseError(Diagnostic),
    EvalError(Diagnostic),
}

// ---------------------------------------------------------------------------------------------
// `into` notation

fn parse_type(text: &str) -> Result<Type, String> {
    let mut parser = TypeParser { text, pos: 0 };
    let ty = parser.ty()?;
    parser.skip_ws();
    if parser.pos != text.len() {
        return Err(format!("trailing text in type {text:?} at {}", parser.pos));
    }
    Ok(ty)
}

struct TypeParser<'a> {
    text: &'a str,
    pos: usize,
}

impl TypeParser<'_> {
    fn skip_ws(&mut self) {
        while self.text[self.pos..].starts_with(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_ws();
        if self.text[self.pos..].starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &str) -> Result<(), String> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(format!("expected {s:?} at {} in {:?}", self.pos, self.text))
        }
    }

    fn ident(&mut self) -> Result<&str, String> {
        self.skip_ws();
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(format!(
                "expected a name at {} in {:?}",
                self.pos, self.text
            ));
        }
        self.pos += len;
        Ok(&rest[..len])
    }

    fn ty(&mut self) -> Result<Type, String> {
        let name = self.ident()?.to_owned();
        Ok(match name.as_str() {
            "any" => Type::Any,
            "string" => Type::String,
            "bool" => Type::Bool,
            "int" | "i64" => Type::INT,
            "i8" => Type::Int {
                min: i8::MIN.into(),
                max: i8::MAX.into(),
            },
            "i16" => Type::Int {
                min: i16::MIN.into(),
                max: i16::MAX.into(),
            },
            "i32" => Type::Int {
                min: i32::MIN.into(),
                max: i32::MAX.into(),
            },
            "uint" | "u64" => Type::UINT,
            "u8" => Type::Uint {
                min: 0,
                max: u8::MAX.into(),
            },
            "u16" => Type::Uint {
                min: 0,
                max: u16::MAX.into(),
            },
            "u32" => Type::Uint {
                min: 0,
                max: u32::MAX.into(),
            },
            "float" | "f64" => Type::Float,
            "secret" => Type::Secret,
            "optional_secret" => Type::OptionalSecret,
            "duration" => Type::Duration,
            "list" | "map" => {
                self.expect("(")?;
                let inner = self.ty()?;
                self.expect(")")?;
                if name == "list" {
                    Type::list(inner)
                } else {
                    Type::map(inner)
                }
            }
            "struct" => {
                self.expect("{")?;
                let mut fields = Vec::new();
                while !self.eat("}") {
                    let field = self.ident()?.to_owned();
                    let optional = self.eat("?");
                    self.expect(":")?;
                    let ty = self.ty()?;
                    fields.push(if optional {
                        ObjectField::optional(field, ty)
                    } else {
                        ObjectField::required(field, ty)
                    });
                    if !self.eat(",") {
                        self.expect("}")?;
                        break;
                    }
                }
                Type::Object(fields)
            }
            other => return Err(format!("unknown type {other:?}")),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// value encoding

fn json_to_value(json: &Json) -> Result<Value, String> {
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(Number::Int(i))
            } else if let Some(u) = n.as_u64() {
                Value::Number(Number::Uint(u))
            } else {
                Value::Number(Number::Float(n.as_f64().ok_or("bad number")?))
            }
        }
        Json::String(s) => Value::String(s.clone()),
        Json::Array(items) => {
            Value::Array(items.iter().map(json_to_value).collect::<Result<_, _>>()?)
        }
        Json::Object(map) => {
            if let Some(tagged) = tagged(json)? {
                return Ok(tagged);
            }
            Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), json_to_value(v)?)))
                    .collect::<Result<Object, String>>()?,
            )
        }
    })
}

/// A `{"$secret": …}` / `{"$optional_secret": …}` tag, when `json` is one.
fn tagged(json: &Json) -> Result<Option<Value>, String> {
    let Json::Object(map) = json else {
        return Ok(None);
    };
    if map.len() != 1 {
        return Ok(None);
    }
    let Some((key, inner)) = map.iter().next() else {
        return Ok(None);
    };
    if !key.starts_with('$') {
        return Ok(None);
    }
    match key.as_str() {
        "$secret" => {
            let text = inner.as_str().ok_or("$secret must hold a string")?;
            Ok(Some(Value::Capsule(Capsule::Secret(Secret::new(text)))))
        }
        "$optional_secret" => {
            let text = inner
                .get("value")
                .and_then(Json::as_str)
                .ok_or("$optional_secret.value")?;
            let flag = inner
                .get("is_secret")
                .and_then(Json::as_bool)
                .ok_or("$optional_secret.is_secret")?;
            Ok(Some(Value::Capsule(Capsule::OptionalSecret(
                OptionalSecret::new(text, flag),
            ))))
        }
        other => Err(format!("unsupported tag {other}")),
    }
}

fn numbers_match(expected: &serde_json::Number, actual: Number) -> bool {
    if let Some(i) = expected.as_i64() {
        return actual.equals(Number::Int(i));
    }
    if let Some(u) = expected.as_u64() {
        return actual.equals(Number::Uint(u));
    }
    let Some(want) = expected.as_f64() else {
        return false;
    };
    let got = actual.as_f64();
    if want == got {
        return true;
    }
    let scale = want.abs().max(got.abs());
    (want - got).abs() <= 1e-12 * scale
}

fn matches(expected: &Json, actual: &Value, unordered: bool) -> bool {
    if let Ok(Some(tag)) = tagged(expected) {
        return match (&tag, actual) {
            (Value::Capsule(Capsule::Secret(a)), Value::Capsule(Capsule::Secret(b))) => {
                a.expose() == b.expose()
            }
            (
                Value::Capsule(Capsule::OptionalSecret(a)),
                Value::Capsule(Capsule::OptionalSecret(b)),
            ) => a.expose() == b.expose() && a.is_secret() == b.is_secret(),
            _ => false,
        };
    }
    match (expected, actual) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Number(a), Value::Number(b)) => numbers_match(a, *b),
        (Json::Array(want), Value::Array(got)) => {
            if want.len() != got.len() {
                return false;
            }
            if !unordered {
                return want.iter().zip(got).all(|(w, g)| matches(w, g, false));
            }
            let mut used = vec![false; got.len()];
            want.iter().all(|w| {
                let found = got
                    .iter()
                    .enumerate()
                    .find(|(i, g)| !used[*i] && matches(w, g, false));
                match found {
                    Some((i, _)) => {
                        used[i] = true;
                        true
                    }
                    None => false,
                }
            })
        }
        (Json::Object(want), Value::Object(got)) => {
            want.len() == got.len()
                && want
                    .iter()
                    .all(|(k, w)| got.get(k).is_some_and(|g| matches(w, g, false)))
        }
        _ => false,
    }
}

/// A readable rendering of a value for failure reports (secrets shown, this is a test).
fn show(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Number(Number::Int(i)) => format!("{i}"),
        Value::Number(Number::Uint(u)) => format!("{u}u"),
        Value::Number(Number::Float(f)) => format!("{f:?}"),
        Value::String(s) => format!("{s:?}"),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(show).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => format!(
            "{{{}}}",
            o.iter()
                .map(|(k, v)| format!("{k:?}: {}", show(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Function(f) => format!("function({})", f.name),
        Value::Capsule(Capsule::Secret(s)) => format!("secret({:?})", s.expose()),
        Value::Capsule(Capsule::OptionalSecret(s)) => {
            format!(
                "optional_secret({:?}, is_secret={})",
                s.expose(),
                s.is_secret()
            )
        }
        Value::Capsule(Capsule::Handle(h)) => format!("{h:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// running a row

fn env_lookup(row: &Json) -> EnvLookup {
    let mut vars: BTreeMap<String, Option<String>> = BTreeMap::new();
    if let Some(Json::Object(env)) = row.get("env") {
        for (k, v) in env {
            vars.insert(k.clone(), v.as_str().map(str::to_owned));
        }
    }
    if let Some(Json::Array(unset)) = row.get("unset_env") {
        for name in unset.iter().filter_map(Json::as_str) {
            vars.insert(name.to_owned(), None);
        }
    }
    // Hermetic: only the row's variables exist.
    Arc::new(move |name: &str| vars.get(name).cloned().flatten())
}

fn first_error(diagnostics: Vec<Diagnostic>) -> Option<Diagnostic> {
    Diagnostics::from(diagnostics).first_error().cloned()
}

fn run_row(row: &Json) -> Result<Outcome, String> {
    let into = parse_type(row.get("into").and_then(Json::as_str).unwrap_or("any"))?;
    let mut scope = Scope::with_stdlib(standard_library(env_lookup(row)));
    if let Some(Json::Object(vars)) = row.get("scope") {
        for (name, value) in vars {
            scope.set(name.clone(), json_to_value(value)?);
        }
    }

    if let Some(expr_text) = row.get("expr").and_then(Json::as_str) {
        let src = SourceFile::new("", expr_text);
        let (expr, diagnostics) = parse_expression(&src);
        if let Some(d) = first_error(diagnostics.into_vec()) {
            return Ok(Outcome::ParseError(d));
        }
        let expr = expr.ok_or("the parser returned no expression and no error")?;
        let eval = Evaluator::new(&src, &scope);
        let value = match eval.eval(&expr) {
            Ok(v) => v,
            Err(d) => return Ok(Outcome::EvalError(d)),
        };
        return Ok(match conform(&value, &into) {
            Ok(v) => Outcome::Value(v),
            Err(e) => Outcome::EvalError(eval.error_at(&expr, &e.path, &e.message)),
        });
    }

    let body_text = row
        .get("body")
        .and_then(Json::as_str)
        .ok_or("row has neither expr nor body")?;
    let file = row.get("file").and_then(Json::as_str).unwrap_or("");
    let Type::Object(fields) = &into else {
        return Err(format!("a body row needs a struct target, got {into}"));
    };
    let src = SourceFile::new(file, body_text);
    let (parsed, diagnostics) = parse_file(&src);
    if let Some(d) = first_error(diagnostics.into_vec()) {
        return Ok(Outcome::ParseError(d));
    }
    let mut schema = Schema::new();
    for field in fields {
        schema = if field.required {
            schema.required(field.name.clone(), field.ty.clone())
        } else {
            schema.optional(field.name.clone(), field.ty.clone())
        };
    }
    let eval = Evaluator::new(&src, &scope);
    let (decoded, diagnostics) =
        decode_body(&parsed.body, Span::new(0, body_text.len()), &schema, &eval);
    if let Some(d) = first_error(diagnostics) {
        return Ok(Outcome::EvalError(d));
    }
    let mut object = Object::new();
    for field in fields {
        let value = decoded
            .attr(&field.name)
            .cloned()
            .unwrap_or_else(|| field.ty.zero_value());
        object.insert(field.name.clone(), value);
    }
    Ok(Outcome::Value(Value::Object(object)))
}

/// Compare a row's outcome with its expectation; `Err` explains the mismatch.
fn check_row(row: &Json, outcome: &Outcome) -> Result<(), String> {
    let unordered = row
        .get("unordered")
        .and_then(Json::as_bool)
        .unwrap_or(false);
    let want_parse = row.get("phase").and_then(Json::as_str) == Some("parse");
    let describe = |o: &Outcome| match o {
        Outcome::Value(v) => format!("value {}", show(v)),
        Outcome::ParseError(d) => format!("parse error `{d}`"),
        Outcome::EvalError(d) => format!("evaluation error `{d}`"),
    };

    if let Some(expected) = row.get("value") {
        return match outcome {
            Outcome::Value(v) if matches(expected, v, unordered) => Ok(()),
            other => Err(format!(
                "expected value {expected}, got {}",
                describe(other)
            )),
        };
    }
    let diagnostic = match outcome {
        Outcome::ParseError(d) if want_parse => d,
        Outcome::EvalError(d) if !want_parse => d,
        other => {
            let phase = if want_parse {
                "a parse"
            } else {
                "an evaluation"
            };
            let want = row
                .get("error")
                .or_else(|| row.get("error_contains"))
                .cloned()
                .unwrap_or(Json::Null);
            return Err(format!(
                "expected {phase} error {want}, got {}",
                describe(other)
            ));
        }
    };
    if let Some(error) = row.get("error").and_then(Json::as_str) {
        let got = diagnostic.to_string();
        return if got == error {
            Ok(())
        } else {
            Err(format!("expected error `{error}`, got `{got}`"))
        };
    }
    if let Some(part) = row.get("error_contains").and_then(Json::as_str) {
        return if diagnostic.message.contains(part) {
            Ok(())
        } else {
            Err(format!(
                "expected an error containing `{part}`, got `{diagnostic}`"
            ))
        };
    }
    Err("row has none of value, error, error_contains".to_owned())
}

#[test]
fn every_eval_row_holds() {
    let mut failures = Vec::new();
    let mut ids = HashSet::new();
    let mut rows = 0;
    for (line_no, line) in CORPUS.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        rows += 1;
        let row: Json = match serde_json::from_str(line) {
            Ok(row) => row,
            Err(e) => {
                failures.push(format!("line {}: not JSON: {e}", line_no + 1));
                continue;
            }
        };
        let id = row
            .get("id")
            .and_then(Json::as_str)
            .unwrap_or("<no id>")
            .to_owned();
        if !ids.insert(id.clone()) {
            failures.push(format!("{id}: duplicate id"));
        }
        let expr = row
            .get("expr")
            .or_else(|| row.get("body"))
            .cloned()
            .unwrap_or(Json::Null);
        let result = std::panic::catch_unwind(|| run_row(&row));
        let verdict = match result {
            Err(_) => Err("panicked".to_owned()),
            Ok(Err(setup)) => Err(format!("cannot run: {setup}")),
            Ok(Ok(outcome)) => check_row(&row, &outcome),
        };
        if let Err(why) = verdict {
            failures.push(format!("{id}: {expr}\n    {why}"));
        }
    }
    assert!(rows > 300, "the corpus looks truncated: {rows} rows");
    if !failures.is_empty() {
        let report = failures.join("\n");
        panic!("{} of {rows} eval rows fail:\n{report}", failures.len());
    }
}

/// The comparison rules themselves: a harness that accepts anything proves nothing.
#[test]
fn comparison_rules_reject_near_misses() {
    let j = |text: &str| serde_json::from_str::<Json>(text).expect("json");
    assert!(matches(
        &j("12"),
        &Value::Number(Number::Float(12.0)),
        false
    ));
    assert!(!matches(
        &j("12"),
        &Value::Number(Number::Float(12.000000001)),
        false
    ));
    assert!(matches(
        &j("0.1"),
        &Value::Number(Number::Float(0.1 + 1e-18)),
        false
    ));
    assert!(!matches(
        &j("0.1"),
        &Value::Number(Number::Float(0.1000001)),
        false
    ));
    assert!(!matches(&j("\"1\""), &Value::int(1), false));
    assert!(!matches(
        &j("[1, 2]"),
        &Value::Array(vec![Value::int(2), Value::int(1)]),
        false
    ));
    assert!(matches(
        &j("[1, 2]"),
        &Value::Array(vec![Value::int(2), Value::int(1)]),
        true
    ));
    assert!(!matches(
        &j("[1, 1]"),
        &Value::Array(vec![Value::int(1), Value::int(2)]),
        true
    ));
    assert!(!matches(
        &j("{\"a\": 1}"),
        &Value::Object(Object::new()),
        false
    ));
    let secret = Value::Capsule(Capsule::Secret(Secret::new("x")));
    assert!(matches(&j("{\"$secret\": \"x\"}"), &secret, false));
    assert!(!matches(&j("{\"$secret\": \"y\"}"), &secret, false));
    assert!(!matches(
        &j("{\"$optional_secret\": {\"value\": \"x\", \"is_secret\": true}}"),
        &secret,
        false
    ));
    assert!(!matches(&j("\"x\""), &secret, false));
    assert_eq!(
        parse_type("struct{a: list(u8), b?: map(duration)}").map(|t| t.to_string()),
        Ok("object".to_owned())
    );
    assert!(parse_type("list(int").is_err());
}
