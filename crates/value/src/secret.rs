//! Secrets: text that is never displayed.
//!
//! `Debug` and `Display` print `(secret)`. [`Secret::expose`] is the only way back to the text
//! and is meant for the code that puts it on the wire.

use std::fmt;
use std::sync::Arc;

/// Text that is never displayed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wrap `text`.
    pub fn new(text: impl Into<Arc<str>>) -> Self {
        Self(text.into())
    }

    /// The secret text, for the code that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the secret is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(secret)")
    }
}

/// Text plus a flag saying whether it must be treated as a secret (e.g. `local.file`'s
/// `content`). Displays as `(secret)` when flagged, else as its quoted text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct OptionalSecret {
    text: Arc<str>,
    is_secret: bool,
}

impl OptionalSecret {
    /// Text with its flag.
    pub fn new(text: impl Into<Arc<str>>, is_secret: bool) -> Self {
        Self {
            text: text.into(),
            is_secret,
        }
    }

    /// Whether the text is secret.
    pub fn is_secret(&self) -> bool {
        self.is_secret
    }

    /// The text, for the code that sends it or, when not secret, displays it.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// Whether the text is empty.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl fmt::Debug for OptionalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for OptionalSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_secret {
            f.write_str("(secret)")
        } else {
            write!(f, "{:?}", &*self.text)
        }
    }
}
