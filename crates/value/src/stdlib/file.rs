//! The `file` namespace: `file.path_join`, Go's `filepath.Join`.
//!
//! The path is cleaned lexically exactly as Go's `filepath.Clean` does (no file-system access):
//! repeated separators collapse, `.` elements go, `..` removes the element before it (and is
//! dropped at the root of an absolute path). The separator is the platform's (`/` on Unix; on
//! Windows `\`, with `/` accepted as well; volume names get no special treatment).

use crate::value::{FunctionError, Value};

use super::string_arg;

const SEPARATOR: u8 = std::path::MAIN_SEPARATOR as u8;

/// `file.path_join(p, …)`: the non-empty parts joined with the separator and cleaned; no
/// (non-empty) parts → `""`.
pub(super) fn path_join(args: &[Value]) -> Result<Value, FunctionError> {
    let parts = (0..args.len())
        .map(|i| string_arg(args, i))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = parts.iter().position(|p| !p.is_empty()) else {
        return Ok(Value::string(""));
    };
    let sep = char::from(SEPARATOR).to_string();
    Ok(Value::String(clean(&parts[first..].join(&sep))))
}

fn is_separator(b: u8) -> bool {
    b == SEPARATOR || (cfg!(windows) && b == b'/')
}

/// Go's `filepath.Clean` (lexical).
pub(crate) fn clean(path: &str) -> String {
    let p = path.as_bytes();
    if p.is_empty() {
        return ".".to_owned();
    }
    let n = p.len();
    let rooted = is_separator(p[0]);
    let mut out: Vec<u8> = Vec::with_capacity(n);
    let (mut r, mut dotdot) = (0, 0);
    if rooted {
        out.push(SEPARATOR);
        r = 1;
        dotdot = 1;
    }
    while r < n {
        let at_end = |i: usize| i == n || is_separator(p[i]);
        if is_separator(p[r]) || (p[r] == b'.' && at_end(r + 1)) {
            r += 1;
        } else if p[r] == b'.' && p.get(r + 1) == Some(&b'.') && at_end(r + 2) {
            r += 2;
            if out.len() > dotdot {
                // Drop the last element and the separator before it (Go's `out.w--` loop).
                let mut w = out.len() - 1;
                while w > dotdot && !is_separator(out[w]) {
                    w -= 1;
                }
                out.truncate(w);
            } else if !rooted {
                if !out.is_empty() {
                    out.push(SEPARATOR);
                }
                out.extend_from_slice(b"..");
                dotdot = out.len();
            }
        } else {
            if (rooted && out.len() != 1) || (!rooted && !out.is_empty()) {
                out.push(SEPARATOR);
            }
            while r < n && !is_separator(p[r]) {
                out.push(p[r]);
                r += 1;
            }
        }
    }
    if out.is_empty() {
        return ".".to_owned();
    }
    // Only whole elements separated at ASCII separators were copied, so this is valid UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}
