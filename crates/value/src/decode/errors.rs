//! Validation errors of typed arguments (runtime §4, "Errors" row).
//!
//! `validate` is pure and knows nothing about source positions: it names the offending argument
//! with an [`ArgPath`] such as `endpoint[1].url` (the second `endpoint` block, 0-based) and the
//! decoder ([`super::body::locate`]) turns the path back into a span of the block it came from.

use std::fmt;

use crate::value::PathSegment;

/// A route to an argument: block and attribute names, block instance indices and, inside an
/// attribute's value, object keys and array indices. Displays as `endpoint[1].basic_auth.password`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArgPath(pub Vec<PathSegment>);

impl ArgPath {
    /// The empty path: the block itself.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// A path of one name.
    pub fn field(name: impl Into<String>) -> Self {
        Self(vec![PathSegment::Field(name.into())])
    }

    /// This path followed by `.name`.
    pub fn join(mut self, name: impl Into<String>) -> Self {
        self.0.push(PathSegment::Field(name.into()));
        self
    }

    /// This path followed by `[index]`.
    pub fn index(mut self, index: usize) -> Self {
        self.0.push(PathSegment::Index(index));
        self
    }

    /// Parse the text form (`endpoint[1].url`); `None` when it is malformed.
    pub fn parse(text: &str) -> Option<Self> {
        let mut segments = Vec::new();
        let mut rest = text;
        let mut first = true;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('[') {
                let end = after.find(']')?;
                segments.push(PathSegment::Index(after[..end].parse().ok()?));
                rest = &after[end + 1..];
            } else {
                let after = if first { rest } else { rest.strip_prefix('.')? };
                let end = after.find(['.', '[']).unwrap_or(after.len());
                if end == 0 {
                    return None;
                }
                segments.push(PathSegment::Field(after[..end].to_owned()));
                rest = &after[end..];
            }
            first = false;
        }
        Some(Self(segments))
    }

    /// Whether the path is empty.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ArgPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

impl From<&str> for ArgPath {
    /// Parse `endpoint[1].url`; text that is not a well-formed path becomes a single name.
    fn from(text: &str) -> Self {
        if text.is_empty() {
            return Self::root();
        }
        Self::parse(text).unwrap_or_else(|| Self::field(text))
    }
}

/// One problem found by `validate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgError {
    /// The offending argument; empty for the block as a whole.
    pub path: ArgPath,
    /// The component's message, shown verbatim.
    pub message: String,
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_root() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// The problems `validate` (or a component's `update`) found, in the order found.
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
pub struct ArgErrors(pub Vec<ArgError>);

impl fmt::Display for ArgErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            error.fmt(f)?;
        }
        Ok(())
    }
}

impl ArgErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// A single error at `path` (`"endpoint[1].url"`, or `""` for the block).
    pub fn one(path: impl Into<ArgPath>, message: impl Into<String>) -> Self {
        Self(vec![ArgError {
            path: path.into(),
            message: message.into(),
        }])
    }

    /// Record an error at `path`.
    pub fn push(&mut self, path: impl Into<ArgPath>, message: impl Into<String>) {
        self.0.push(ArgError {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Record the errors of a nested block's `validate`, prefixing their paths with `prefix`
    /// (`"endpoint[1]"`, built with [`ArgPath::field`] and [`ArgPath::index`]).
    pub fn nest(&mut self, prefix: impl Into<ArgPath>, result: Result<(), ArgErrors>) {
        if let Err(errors) = result {
            let prefix = prefix.into();
            for error in errors.0 {
                let mut path = prefix.clone();
                path.0.extend(error.path.0);
                self.0.push(ArgError {
                    path,
                    message: error.message,
                });
            }
        }
    }

    /// Record the errors of every block of a repeated block field: instance `i` is prefixed with
    /// `name[i]`.
    pub fn nest_each<'a, T: 'a>(
        &mut self,
        name: &str,
        blocks: impl IntoIterator<Item = &'a T>,
        validate: impl Fn(&T) -> Result<(), ArgErrors>,
    ) {
        for (i, block) in blocks.into_iter().enumerate() {
            self.nest(ArgPath::field(name).index(i), validate(block));
        }
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when empty, else `Err(self)`.
    pub fn into_result(self) -> Result<(), ArgErrors> {
        if self.0.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl From<ArgError> for ArgErrors {
    fn from(error: ArgError) -> Self {
        Self(vec![error])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip_through_text() {
        for text in [
            "endpoint[1].url",
            "url",
            "endpoint[0].basic_auth.password",
            "headers.X-Scope",
        ] {
            assert_eq!(
                ArgPath::parse(text).map(|p| p.to_string()).as_deref(),
                Some(text)
            );
        }
        assert_eq!(ArgPath::parse("a..b"), None);
        assert_eq!(ArgPath::parse("a[x]"), None);
        assert_eq!(ArgPath::from("").to_string(), "");
    }

    #[test]
    fn nested_errors_get_their_prefix() {
        let mut errors = ArgErrors::new();
        errors.nest(
            ArgPath::field("endpoint").index(1),
            Err(ArgErrors::one("url", "bad url")),
        );
        errors.nest("queue_config", Ok(()));
        assert_eq!(errors.to_string(), "endpoint[1].url: bad url");
    }
}
