//! `string.format(fmt, v, …)` (syntax §7.1): Go's `fmt.Sprintf` for the verbs `%% %s %v %q %d
//! %b %o %x %X %e %E %f %F %g %G %t`, with flags `- + # 0 space`, width, precision and explicit
//! `[n]` argument indexes.
//!
//! Design decisions:
//! - The directive parser and each verb's layout are ports of Go's `fmt` (`doPrintf`, `fmtInteger`,
//!   `fmtFloat`, `fmtS`, `fmtSbx`, `fmtQ`, `pad`), so widths, zero padding after the sign, `%#x`
//!   prefixes, `%x` of strings, `%5.2s` truncation by characters and `%+v` (which, as in Go, does
//!   not add a sign) come out byte for byte as Go prints them.
//! - Where Go would write `%!verb(type=value)`, `%!v(MISSING)` or `%!(EXTRA …)` into the result,
//!   the call fails instead (E4) and returns nothing: a wrong verb for the argument's type, a
//!   missing or malformed argument index, an unknown verb (`%c`, `%U`, `%T`, `%p`, `*` widths are
//!   not supported), a directive with no verb at the end of the format, and arguments that no
//!   directive used. Unlike Go, the unused-argument check also applies when `[n]` indexes reorder
//!   the arguments: an argument that nothing prints is always a mistake in a configuration.
//! - Kinds stay invisible (syntax §4.1): `%d`, `%b`, `%o`, `%x` accept any integral number,
//!   floats included (`%d` of `encoding.from_json("7")` is `7`), and `%#v` prints every number like
//!   `%v` (Go prints a `uint64` as `0x…` there). `%s` prints numbers as conversions to string do
//!   (§6.2) and also accepts bools.
//! - Secrets are refused before anything is formatted, whatever the verb; a plain optional secret
//!   is its text.
//! - The messages of failures of the call carry no `string.format:` prefix: the evaluator reports
//!   them as `<callee> <message>` (§4.5), which already names the function.

use ferroalloy_syntax::quote::{is_print, quote};

use crate::number_format::{FloatFormat, float_to_text, format_float};
use crate::value::{Capsule, FunctionError, Number, Value, ValuePath, ValueType};

/// The message for a secret used as text.
const SECRET_TO_STRING: &str = "secrets may not be converted into strings";

/// Widths and precisions above this are refused (Go's `fmt` gives up on them too).
const MAX_WIDTH: usize = 1_000_000;

/// The verbs §7.1 lists (besides `%%`).
const KNOWN_VERBS: &str = "vsqdboxXeEfFgGt";

/// `string.format(fmt, v, …)`: format the arguments after `fmt` as Go's `fmt.Sprintf` does
/// (syntax §7.1).
///
/// Errors: no argument → `expected at least 1 args, got 0`; a `fmt` that is not text →
/// an argument error at index 0; a secret argument → `secrets may not be converted into strings`
/// at that argument; and, for the call, `verb %<c> cannot format a value of type <type>`,
/// `missing argument for verb %<c>`, `too many arguments (<n> given, <m> used)`,
/// `unknown verb %<c>`, `missing verb at end of format`,
/// `width or precision too large (at most 1000000)`.
pub fn string_format(args: &[Value]) -> Result<Value, FunctionError> {
    let Some((format, rest)) = args.split_first() else {
        return Err(FunctionError::Call(
            "expected at least 1 args, got 0".to_owned(),
        ));
    };
    let format = format_text(format)?;
    let operands = rest
        .iter()
        .enumerate()
        .map(|(i, value)| {
            Operand::of(value).map_err(|message| FunctionError::Argument {
                index: i + 1,
                path: ValuePath::root(),
                message: message.to_owned(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    sprintf(&format, &operands)
        .map(Value::String)
        .map_err(FunctionError::Call)
}

/// The format argument as text (§6.2 string conversion).
fn format_text(value: &Value) -> Result<String, FunctionError> {
    let argument_error = |message: String| FunctionError::Argument {
        index: 0,
        path: ValuePath::root(),
        message,
    };
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_text(*n)),
        Value::Null => Ok(String::new()),
        Value::Capsule(Capsule::OptionalSecret(o)) if !o.is_secret() => Ok(o.expose().to_owned()),
        Value::Capsule(Capsule::Secret(_) | Capsule::OptionalSecret(_)) => {
            Err(argument_error(SECRET_TO_STRING.to_owned()))
        }
        other => Err(argument_error(format!(
            "should be string, got {}",
            other.value_type()
        ))),
    }
}

/// A number as text (§6.2).
fn number_text(n: Number) -> String {
    match n {
        Number::Int(i) => i.to_string(),
        Number::Uint(u) => u.to_string(),
        Number::Float(f) => float_to_text(f),
    }
}

/// An argument after the format, as the verbs see it.
enum Operand<'a> {
    Text(&'a str),
    Number(Number),
    Bool(bool),
    Other(ValueType),
}

impl<'a> Operand<'a> {
    /// Classify `value`; secrets are refused.
    fn of(value: &'a Value) -> Result<Self, &'static str> {
        Ok(match value {
            Value::String(s) => Operand::Text(s),
            Value::Number(n) => Operand::Number(*n),
            Value::Bool(b) => Operand::Bool(*b),
            Value::Capsule(Capsule::OptionalSecret(o)) if !o.is_secret() => {
                Operand::Text(o.expose())
            }
            Value::Capsule(Capsule::Secret(_) | Capsule::OptionalSecret(_)) => {
                return Err(SECRET_TO_STRING);
            }
            other => Operand::Other(other.value_type()),
        })
    }

    fn type_name(&self) -> &'static str {
        match self {
            Operand::Text(_) => "string",
            Operand::Number(_) => "number",
            Operand::Bool(_) => "bool",
            Operand::Other(t) => t.name(),
        }
    }
}

/// The flags, width and precision of one directive (Go's `fmtFlags` plus `wid`/`prec`).
#[derive(Default)]
struct Spec {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%#v`: Go syntax (strings quoted).
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

/// Go's `doPrintf`, failing where Go writes `%!` text.
fn sprintf(format: &str, operands: &[Operand<'_>]) -> Result<String, String> {
    let b = format.as_bytes();
    let end = b.len();
    let mut out = String::with_capacity(format.len());
    let mut used = vec![false; operands.len()];
    let mut arg_num = 0usize;
    let mut i = 0usize;
    while i < end {
        let start = i;
        while i < end && b[i] != b'%' {
            i += 1;
        }
        // `%` is ASCII, so `start..i` lies on character boundaries.
        out.push_str(&format[start..i]);
        if i >= end {
            break;
        }
        i += 1;

        let mut spec = Spec::default();
        let mut good_arg_num = true;
        while i < end {
            match b[i] {
                b'#' => spec.sharp = true,
                b'0' => spec.zero = !spec.minus,
                b'+' => spec.plus = true,
                b'-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                b' ' => spec.space = true,
                _ => break,
            }
            i += 1;
        }

        let mut after_index;
        (arg_num, i, after_index) = arg_number(arg_num, b, i, operands.len(), &mut good_arg_num);

        let (wid, present, next) = parse_num(b, i)?;
        i = next;
        if present {
            spec.wid = Some(wid);
            if after_index {
                // "%[3]2d"
                good_arg_num = false;
            }
        }

        if i + 1 < end && b[i] == b'.' {
            i += 1;
            if after_index {
                // "%[3].2d"
                good_arg_num = false;
            }
            (arg_num, i, after_index) =
                arg_number(arg_num, b, i, operands.len(), &mut good_arg_num);
            let (prec, _, next) = parse_num(b, i)?;
            i = next;
            spec.prec = Some(prec);
        }

        if !after_index {
            (arg_num, i, _) = arg_number(arg_num, b, i, operands.len(), &mut good_arg_num);
        }

        let Some(verb) = format.get(i..).and_then(|rest| rest.chars().next()) else {
            return Err("missing verb at end of format".to_owned());
        };
        i += verb.len_utf8();

        if verb == '%' {
            out.push('%');
            continue;
        }
        if !KNOWN_VERBS.contains(verb) {
            return Err(format!("unknown verb %{verb}"));
        }
        let Some(operand) = operands.get(arg_num).filter(|_| good_arg_num) else {
            return Err(format!("missing argument for verb %{verb}"));
        };
        if verb == 'v' {
            spec.sharp_v = spec.sharp;
            spec.sharp = false;
            // `%+v` is Go's struct-field syntax: it adds no sign to numbers.
            spec.plus = false;
        }
        print_operand(&mut out, operand, verb, &spec)?;
        if let Some(slot) = used.get_mut(arg_num) {
            *slot = true;
        }
        arg_num += 1;
    }

    let used_count = used.iter().filter(|u| **u).count();
    if used_count < operands.len() {
        return Err(format!(
            "too many arguments ({} given, {used_count} used)",
            operands.len()
        ));
    }
    Ok(out)
}

/// Go's `parsenum`: a decimal number at `b[i..]`, whether there was one, and the next index.
fn parse_num(b: &[u8], mut i: usize) -> Result<(usize, bool, usize), String> {
    let mut num = 0usize;
    let mut present = false;
    while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
        num = num.saturating_mul(10).saturating_add(usize::from(c - b'0'));
        if num > MAX_WIDTH {
            return Err(format!(
                "width or precision too large (at most {MAX_WIDTH})"
            ));
        }
        present = true;
        i += 1;
    }
    Ok((num, present, i))
}

/// Go's `argNumber`: an explicit `[n]` at `b[i..]` selects argument `n - 1`. Returns the next
/// argument number, the next index and whether an index was written (even out of range).
fn arg_number(
    arg_num: usize,
    b: &[u8],
    i: usize,
    num_args: usize,
    good_arg_num: &mut bool,
) -> (usize, usize, bool) {
    if b.get(i) != Some(&b'[') {
        return (arg_num, i, false);
    }
    // Find the closing bracket; without one, only the `[` is consumed.
    let Some(close) = b[i..].iter().position(|&c| c == b']').map(|p| i + p) else {
        *good_arg_num = false;
        return (arg_num, i + 1, false);
    };
    let inner = &b[i + 1..close];
    let index = if !inner.is_empty() && inner.iter().all(u8::is_ascii_digit) {
        inner.iter().try_fold(0usize, |acc, &c| {
            acc.checked_mul(10)
                .and_then(|acc| acc.checked_add(usize::from(c - b'0')))
        })
    } else {
        None
    };
    match index {
        Some(n) if n >= 1 && n <= num_args => (n - 1, close + 1, true),
        Some(_) => {
            *good_arg_num = false;
            (arg_num, close + 1, true)
        }
        None => {
            *good_arg_num = false;
            (arg_num, close + 1, false)
        }
    }
}

/// Format one operand with `verb` (Go's `printArg` for the types a value can have).
fn print_operand(
    out: &mut String,
    operand: &Operand<'_>,
    verb: char,
    spec: &Spec,
) -> Result<(), String> {
    let wrong_type = || {
        format!(
            "verb %{verb} cannot format a value of type {}",
            operand.type_name()
        )
    };
    match operand {
        Operand::Text(s) => match verb {
            'v' if spec.sharp_v => fmt_q(out, s, spec),
            'v' | 's' => fmt_s(out, s, spec),
            'x' => fmt_sx(out, s, spec, false),
            'X' => fmt_sx(out, s, spec, true),
            'q' => fmt_q(out, s, spec),
            _ => return Err(wrong_type()),
        },
        Operand::Bool(v) => {
            let text = if *v { "true" } else { "false" };
            match verb {
                't' | 'v' => pad(out, text, spec),
                's' => fmt_s(out, text, spec),
                _ => return Err(wrong_type()),
            }
        }
        Operand::Number(n) => match verb {
            'v' => match *n {
                Number::Float(f) => fmt_float(out, f, FloatFormat::General, None, spec),
                _ => fmt_integer(
                    out,
                    &Integral::of(*n).ok_or_else(wrong_type)?,
                    10,
                    false,
                    spec,
                ),
            },
            'd' | 'b' | 'o' | 'x' | 'X' => {
                let value = Integral::of(*n).ok_or_else(wrong_type)?;
                let base = match verb {
                    'd' => 10,
                    'b' => 2,
                    'o' => 8,
                    _ => 16,
                };
                fmt_integer(out, &value, base, verb == 'X', spec);
            }
            'e' => fmt_float(out, n.as_f64(), FloatFormat::Exp, Some(6), spec),
            'E' => fmt_float(out, n.as_f64(), FloatFormat::ExpUpper, Some(6), spec),
            'f' | 'F' => fmt_float(out, n.as_f64(), FloatFormat::Fixed, Some(6), spec),
            'g' => fmt_float(out, n.as_f64(), FloatFormat::General, None, spec),
            'G' => fmt_float(out, n.as_f64(), FloatFormat::GeneralUpper, None, spec),
            's' => fmt_s(out, &number_text(*n), spec),
            _ => return Err(wrong_type()),
        },
        Operand::Other(_) => return Err(wrong_type()),
    }
    Ok(())
}

/// Append `n` padding characters: zeros when the `0` flag applies, else spaces.
fn write_padding(out: &mut String, n: usize, zero: bool) {
    let c = if zero { '0' } else { ' ' };
    out.extend(std::iter::repeat_n(c, n));
}

/// Go's `pad`: `text` padded to the width (counted in characters) on the left, or on the right
/// with `-`.
fn pad_with(out: &mut String, text: &str, spec: &Spec, zero: bool) {
    let Some(wid) = spec.wid.filter(|w| *w > 0) else {
        out.push_str(text);
        return;
    };
    let missing = wid.saturating_sub(text.chars().count());
    if spec.minus {
        out.push_str(text);
        write_padding(out, missing, false);
    } else {
        write_padding(out, missing, zero);
        out.push_str(text);
    }
}

/// Pad with the directive's own `0` flag (strings and bools are zero-padded too, as in Go).
fn pad(out: &mut String, text: &str, spec: &Spec) {
    pad_with(out, text, spec, spec.zero);
}

/// The first `prec` characters of `s` when a precision is set.
fn truncate<'s>(s: &'s str, spec: &Spec) -> &'s str {
    match spec.prec {
        Some(p) => s.char_indices().nth(p).map_or(s, |(i, _)| &s[..i]),
        None => s,
    }
}

/// `%s`.
fn fmt_s(out: &mut String, s: &str, spec: &Spec) {
    pad(out, truncate(s, spec), spec);
}

/// `%x` / `%X` of text: two hex digits per byte, `#` adds `0x`, space separates bytes; the
/// precision counts bytes.
fn fmt_sx(out: &mut String, s: &str, spec: &Spec, upper: bool) {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let x = if upper { 'X' } else { 'x' };
    let bytes = s.as_bytes();
    let length = spec.prec.map_or(bytes.len(), |p| p.min(bytes.len()));
    let mut width = 2 * length;
    if width > 0 {
        if spec.space {
            if spec.sharp {
                width *= 2;
            }
            width += length - 1;
        } else if spec.sharp {
            width += 2;
        }
    } else {
        if let Some(wid) = spec.wid {
            write_padding(out, wid, spec.zero);
        }
        return;
    }
    let wid = spec.wid.unwrap_or(0);
    if wid > width && !spec.minus {
        write_padding(out, wid - width, spec.zero);
    }
    if spec.sharp {
        out.push('0');
        out.push(x);
    }
    for (i, &c) in bytes[..length].iter().enumerate() {
        if spec.space && i > 0 {
            out.push(' ');
            if spec.sharp {
                out.push('0');
                out.push(x);
            }
        }
        out.push(char::from(digits[usize::from(c >> 4)]));
        out.push(char::from(digits[usize::from(c & 0xF)]));
    }
    if wid > width && spec.minus {
        write_padding(out, wid - width, false);
    }
}

/// `%q` (and `%#v` of text): Go-quoted; `#` prefers a raw backquoted string, `+` escapes all
/// non-ASCII characters.
fn fmt_q(out: &mut String, s: &str, spec: &Spec) {
    let s = truncate(s, spec);
    if spec.sharp && can_backquote(s) {
        pad(out, &format!("`{s}`"), spec);
    } else if spec.plus {
        pad(out, &quote_ascii(s), spec);
    } else {
        pad(out, &quote(s), spec);
    }
}

/// An integral number: sign and magnitude as little-endian 32-bit limbs.
struct Integral {
    negative: bool,
    limbs: Vec<u32>,
}

impl Integral {
    /// `n` when it is integral (every int, floats without a fraction).
    fn of(n: Number) -> Option<Self> {
        match n {
            Number::Int(i) => Some(Self::from_u64(i < 0, i.unsigned_abs())),
            Number::Uint(u) => Some(Self::from_u64(false, u)),
            Number::Float(f) if f.is_finite() && f.fract() == 0.0 => {
                let abs = f.abs();
                let negative = f < 0.0;
                if abs < 18_446_744_073_709_551_616.0 {
                    // Exact: `abs` is integral and below 2^64.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let magnitude = abs as u64;
                    return Some(Self::from_u64(negative, magnitude));
                }
                // abs = mantissa × 2^shift with shift ≥ 12.
                let bits = abs.to_bits();
                let mantissa = u128::from((bits & ((1u64 << 52) - 1)) | (1u64 << 52));
                let exponent = i64::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
                let shift = usize::try_from(exponent - 1075).unwrap_or(0);
                let mut limbs = vec![0u32; shift / 32];
                let mut rest = mantissa << (shift % 32);
                while rest > 0 {
                    limbs.push((rest & 0xFFFF_FFFF) as u32);
                    rest >>= 32;
                }
                Some(Self { negative, limbs })
            }
            Number::Float(_) => None,
        }
    }

    fn from_u64(negative: bool, magnitude: u64) -> Self {
        let limbs = vec![(magnitude & 0xFFFF_FFFF) as u32, (magnitude >> 32) as u32];
        Self { negative, limbs }
    }

    fn is_zero(&self) -> bool {
        self.limbs.iter().all(|l| *l == 0)
    }

    /// The magnitude's digits in `base` (2..=16), most significant first; `0` for zero.
    fn digits(&self, base: u32, upper: bool) -> String {
        let table: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let mut limbs = self.limbs.clone();
        let mut out = Vec::new();
        loop {
            while limbs.last() == Some(&0) {
                limbs.pop();
            }
            if limbs.is_empty() {
                break;
            }
            let mut rem = 0u64;
            for limb in limbs.iter_mut().rev() {
                let cur = (rem << 32) | u64::from(*limb);
                *limb = (cur / u64::from(base)) as u32;
                rem = cur % u64::from(base);
            }
            out.push(table[usize::try_from(rem).unwrap_or(0)]);
        }
        if out.is_empty() {
            out.push(b'0');
        }
        out.reverse();
        out.into_iter().map(char::from).collect()
    }
}

/// Go's `fmtInteger`.
fn fmt_integer(out: &mut String, value: &Integral, base: u32, upper: bool, spec: &Spec) {
    let mut prec = 0usize;
    if let Some(p) = spec.prec {
        // Precision 0 and value 0 print nothing but the padding.
        if p == 0 && value.is_zero() {
            write_padding(out, spec.wid.unwrap_or(0), false);
            return;
        }
        prec = p;
    } else if let Some(wid) = spec.wid.filter(|_| spec.zero && !spec.minus) {
        prec = wid;
        if value.negative || spec.plus || spec.space {
            // Leave room for the sign.
            prec = prec.saturating_sub(1);
        }
    }
    let digits = value.digits(base, upper);
    let mut text = String::new();
    if value.negative {
        text.push('-');
    } else if spec.plus {
        text.push('+');
    } else if spec.space {
        text.push(' ');
    }
    if spec.sharp {
        match base {
            2 => text.push_str("0b"),
            8 if prec <= digits.len() && !digits.starts_with('0') => text.push('0'),
            16 => text.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    write_padding(&mut text, prec.saturating_sub(digits.len()), true);
    text.push_str(&digits);
    pad_with(out, &text, spec, false);
}

/// Go's `fmtFloat`: `default_prec` applies when the directive has no precision (`None`: the
/// shortest digits).
fn fmt_float(
    out: &mut String,
    f: f64,
    format: FloatFormat,
    default_prec: Option<usize>,
    spec: &Spec,
) {
    let prec = spec.prec.or(default_prec);
    let num = format_float(f, format, prec);
    let (mut sign, mut body) = match num.strip_prefix('-') {
        Some(rest) => ('-', rest.to_owned()),
        None => ('+', num.strip_prefix('+').unwrap_or(&num).to_owned()),
    };
    if spec.space && sign == '+' && !spec.plus {
        sign = ' ';
    }
    if body.starts_with('I') || body.starts_with('N') {
        // Infinities and NaN are never zero-padded; NaN shows a sign only when asked for.
        let text = if body.starts_with('N') && !spec.space && !spec.plus {
            body
        } else {
            format!("{sign}{body}")
        };
        pad_with(out, &text, spec, false);
        return;
    }
    if spec.sharp {
        // `#` forces a decimal point and keeps trailing zeros of %g.
        let mut digits: i64 = match format {
            FloatFormat::General | FloatFormat::GeneralUpper => {
                prec.map_or(6, |p| i64::try_from(p).unwrap_or(i64::MAX))
            }
            _ => 0,
        };
        let mut tail = String::new();
        if let Some(at) = body.find(['e', 'E']) {
            tail = body.split_off(at);
        }
        let has_point = body.contains('.');
        let mut saw_nonzero = false;
        for c in body.chars().filter(char::is_ascii_digit) {
            if c != '0' {
                saw_nonzero = true;
            }
            if saw_nonzero {
                digits -= 1;
            }
        }
        if !has_point {
            if body == "0" {
                // A leading zero counts once.
                digits -= 1;
            }
            body.push('.');
        }
        while digits > 0 {
            body.push('0');
            digits -= 1;
        }
        body.push_str(&tail);
    }
    if spec.plus || sign != '+' {
        let len = body.len() + 1;
        if let Some(wid) = spec.wid.filter(|w| spec.zero && !spec.minus && *w > len) {
            // Zero padding goes between the sign and the digits.
            out.push(sign);
            write_padding(out, wid - len, true);
            out.push_str(&body);
            return;
        }
        pad(out, &format!("{sign}{body}"), spec);
        return;
    }
    pad(out, &body, spec);
}

/// Go's `strconv.CanBackquote`.
fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| {
        if c.len_utf8() > 1 {
            return c != '\u{feff}';
        }
        !((c < ' ' && c != '\t') || c == '`' || c == '\u{7f}')
    })
}

/// Go's `strconv.QuoteToASCII` (`%+q`): [`quote`] with every non-ASCII character escaped too.
fn quote_ascii(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        if is_print(c) && c.is_ascii() {
            out.push(c);
            continue;
        }
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if c < ' ' || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}
