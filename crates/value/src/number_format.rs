//! Go-compatible text for floats: `strconv.FormatFloat` (`%e`, `%f`, `%g` with or without a
//! precision), the `%v` form, the plain decimal form of syntax §6.2 and the `encoding/json` form.
//!
//! Design decisions:
//! - Digit generation is delegated to Rust's float formatting, which is correctly rounded (ties
//!   to even on the exact binary value, like Go's `strconv`), in both its shortest round-trip
//!   mode (`{}` / `{:e}`) and its fixed-precision modes (`{:.N}` / `{:.Ne}`). This module only
//!   lays the digits out the way Go does (exponent `e+06` with at least two digits, `%g`'s choice
//!   between exponent and plain form, trailing-zero removal), porting `strconv`'s `formatDigits`,
//!   `fmtE` and `fmtF` rule for rule.
//! - Non-finite values print as Go prints them (`NaN`, `+Inf`, `-Inf`), although the evaluator
//!   never produces them (E2).

/// The layout of [`format_float`], named after Go's format bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FloatFormat {
    /// `e`: `-d.dddde±dd`.
    Exp,
    /// `E`: `-d.ddddE±dd`.
    ExpUpper,
    /// `f`: `-ddd.dddd`, never an exponent.
    Fixed,
    /// `g`: `e` for large or small exponents, `f` otherwise, without trailing zeros.
    General,
    /// `G`: `E` for large or small exponents, `f` otherwise.
    GeneralUpper,
}

/// Go's `%v` for a float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the shortest digits that
/// read back to the same float, in exponent form (`1e+06`, `1e-05`) when the decimal exponent is
/// below −4 or at least 6 (syntax §7.1), else in plain form (`123456`, `0.0001`, `3`).
pub fn go_float_v(f: f64) -> String {
    format_float(f, FloatFormat::General, None)
}

/// A float as text for conversions to string (syntax §6.2, Go's `FormatFloat(f, 'f', -1, 64)`):
/// the shortest round-trip digits, never an exponent (`1e20` → `100000000000000000000`,
/// `.9` → `0.9`, `3.0` → `3`).
pub fn float_to_text(f: f64) -> String {
    format_float(f, FloatFormat::Fixed, None)
}

/// A float as `encoding/json` writes it: integral values without a fraction, exponent form only
/// below 1e-6 and from 1e21 (`1e+21`, `1e-7`), else the shortest plain decimal. `None` for NaN
/// and infinities, which JSON cannot hold.
pub fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let mut text = format_float(f, FloatFormat::Exp, None);
        // Go's encoder cleans `e-07` up to `e-7` (only negative exponents have the padding
        // removed, as `encoding/json` does).
        let bytes = text.as_bytes();
        let n = bytes.len();
        if n >= 4 && bytes[n - 4] == b'e' && bytes[n - 3] == b'-' && bytes[n - 2] == b'0' {
            text.remove(n - 2);
        }
        Some(text)
    } else {
        Some(format_float(f, FloatFormat::Fixed, None))
    }
}

/// Go's `strconv.FormatFloat(f, fmt, prec, 64)`: `prec` is the number of digits after the point
/// for `e`/`f`, the number of significant digits for `g` (0 counts as 1), and `None` means the
/// shortest digits that read back to `f` (Go's `-1`).
pub fn format_float(f: f64, format: FloatFormat, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    let neg = f.is_sign_negative();
    let abs = f.abs();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    match format {
        FloatFormat::Fixed => {
            match prec {
                Some(p) => out.push_str(&format!("{abs:.p$}")),
                None => out.push_str(&format!("{abs}")),
            }
            out
        }
        FloatFormat::Exp | FloatFormat::ExpUpper => {
            let letter = if format == FloatFormat::Exp { 'e' } else { 'E' };
            let (digits, prec) = match prec {
                Some(p) => (Digits::fixed(abs, p.saturating_add(1)), p),
                None => {
                    let d = Digits::shortest(abs);
                    let p = d.nd().saturating_sub(1);
                    (d, p)
                }
            };
            digits.write_exp(&mut out, prec, letter);
            out
        }
        FloatFormat::General | FloatFormat::GeneralUpper => {
            let letter = if format == FloatFormat::General {
                'e'
            } else {
                'E'
            };
            let shortest = prec.is_none();
            let (digits, prec) = match prec {
                Some(p) => {
                    let p = p.max(1);
                    (Digits::fixed(abs, p), p)
                }
                None => {
                    let d = Digits::shortest(abs);
                    let p = d.nd();
                    (d, p)
                }
            };
            digits.write_general(&mut out, prec, shortest, letter);
            out
        }
    }
}

/// Decimal digits of a non-negative float: the value is `0.d[0]d[1]… × 10^dp`. No trailing
/// zeros; zero has no digits and `dp == 0` (Go's `decimalSlice`).
struct Digits {
    d: Vec<u8>,
    dp: i64,
}

impl Digits {
    /// The shortest digits that read back to `abs`.
    fn shortest(abs: f64) -> Self {
        Self::parse_exp(&format!("{abs:e}"))
    }

    /// `n` (≥ 1) significant digits, correctly rounded, trailing zeros removed.
    fn fixed(abs: f64, n: usize) -> Self {
        let after_point = n.saturating_sub(1);
        Self::parse_exp(&format!("{abs:.after_point$e}"))
    }

    /// Parse Rust's exponent form `d.ddde-5` / `de3`.
    fn parse_exp(text: &str) -> Self {
        let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let mut d: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while d.last() == Some(&b'0') {
            d.pop();
        }
        if d.is_empty() {
            return Self { d, dp: 0 };
        }
        Self { d, dp: exp + 1 }
    }

    fn nd(&self) -> usize {
        self.d.len()
    }

    /// Go's `%e` layout with `prec` digits after the point.
    fn write_exp(&self, out: &mut String, prec: usize, letter: char) {
        out.push(self.d.first().map_or('0', |&c| char::from(c)));
        if prec > 0 {
            out.push('.');
            let m = self.nd().min(prec.saturating_add(1));
            let mut i = 1;
            if m > 1 {
                out.extend(self.d[1..m].iter().map(|&c| char::from(c)));
                i = m;
            }
            while i <= prec {
                out.push('0');
                i += 1;
            }
        }
        out.push(letter);
        let mut exp = if self.d.is_empty() { 0 } else { self.dp - 1 };
        if exp < 0 {
            out.push('-');
            exp = -exp;
        } else {
            out.push('+');
        }
        if exp < 10 {
            out.push('0');
        }
        out.push_str(&exp.to_string());
    }

    /// Go's `%f` layout with `prec` digits after the point.
    fn write_fixed(&self, out: &mut String, prec: usize) {
        if self.dp > 0 {
            let dp = usize::try_from(self.dp).unwrap_or(usize::MAX);
            let m = self.nd().min(dp);
            out.extend(self.d[..m].iter().map(|&c| char::from(c)));
            for _ in m..dp {
                out.push('0');
            }
        } else {
            out.push('0');
        }
        if prec > 0 {
            out.push('.');
            for i in 1..=prec {
                // The digit at position dp + i - 1 of `d`, or 0 outside it.
                let j = self.dp + i64::try_from(i).unwrap_or(i64::MAX) - 1;
                let c = usize::try_from(j)
                    .ok()
                    .and_then(|j| self.d.get(j))
                    .copied()
                    .unwrap_or(b'0');
                out.push(char::from(c));
            }
        }
    }

    /// Go's `%g`: `prec` significant digits (`shortest` when they came from the shortest mode).
    fn write_general(&self, out: &mut String, prec: usize, shortest: bool, letter: char) {
        let nd = i64::try_from(self.nd()).unwrap_or(i64::MAX);
        let mut prec = i64::try_from(prec).unwrap_or(i64::MAX);
        let mut eprec = prec;
        if eprec > nd && nd >= self.dp {
            eprec = nd;
        }
        // %e is used when the exponent is below -4 or at least the precision; the shortest form
        // decides with precision 6.
        if shortest {
            eprec = 6;
        }
        let exp = self.dp - 1;
        if exp < -4 || exp >= eprec {
            if prec > nd {
                prec = nd;
            }
            let after_point = usize::try_from(prec - 1).unwrap_or(0);
            self.write_exp(out, after_point, letter);
            return;
        }
        if prec > self.dp {
            prec = nd;
        }
        let after_point = usize::try_from((prec - self.dp).max(0)).unwrap_or(0);
        self.write_fixed(out, after_point);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v_form_switches_to_exponent_at_six_digits() {
        assert_eq!(go_float_v(123456.0), "123456");
        assert_eq!(go_float_v(1e6), "1e+06");
        assert_eq!(go_float_v(0.0001), "0.0001");
        assert_eq!(go_float_v(0.00001), "1e-05");
        assert_eq!(go_float_v(0.0), "0");
        assert_eq!(go_float_v(-0.0), "-0");
        assert_eq!(go_float_v(1.5), "1.5");
        assert_eq!(go_float_v(1e100), "1e+100");
    }

    #[test]
    fn plain_text_never_has_an_exponent() {
        assert_eq!(float_to_text(1e20), "100000000000000000000");
        assert_eq!(float_to_text(0.9), "0.9");
        assert_eq!(float_to_text(3.0), "3");
        assert_eq!(float_to_text(1e-7), "0.0000001");
    }

    #[test]
    fn json_uses_exponent_outside_1e_minus_6_to_1e21() {
        assert_eq!(json_float(1e21).as_deref(), Some("1e+21"));
        assert_eq!(json_float(1e20).as_deref(), Some("100000000000000000000"));
        assert_eq!(json_float(1e-7).as_deref(), Some("1e-7"));
        assert_eq!(json_float(0.000001).as_deref(), Some("0.000001"));
        assert_eq!(json_float(f64::NAN), None);
    }
}
