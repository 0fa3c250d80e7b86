//! The arguments of `local.file` (spec §1): defaults in one `Default` impl, pure validation in
//! the order the spec lists the rules.

use ferroalloy_component::{ArgErrors, Arguments, FieldVisitor};
use ferroalloy_value::duration::Duration;

/// How `local.file` notices changes (spec §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detector {
    /// Filesystem notifications on the parent directory, plus a fallback poll.
    Fsnotify,
    /// A read every `poll_frequency`.
    Poll,
}

impl Detector {
    /// The detector's name in the configuration and the debug info.
    pub fn as_str(self) -> &'static str {
        match self {
            Detector::Fsnotify => "fsnotify",
            Detector::Poll => "poll",
        }
    }

    /// The detector named `name` (`""` means `fsnotify`), `None` for any other text.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "" | "fsnotify" => Some(Detector::Fsnotify),
            "poll" => Some(Detector::Poll),
            _ => None,
        }
    }
}

/// The arguments of a `local.file` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LocalFileArguments {
    /// The file to read; a relative path resolves against the working directory.
    pub filename: String,
    /// `fsnotify` (also `""`) or `poll`.
    pub detector: String,
    /// The period of the `poll` detector and of the `fsnotify` detector's fallback poll.
    pub poll_frequency: Duration,
    /// Export the content as a secret.
    pub is_secret: bool,
}

/// One minute, the default `poll_frequency`.
const ONE_MINUTE: Duration = Duration::from_nanos(60_000_000_000);

impl Default for LocalFileArguments {
    fn default() -> Self {
        Self {
            filename: String::new(),
            detector: Detector::Fsnotify.as_str().to_owned(),
            poll_frequency: ONE_MINUTE,
            is_secret: false,
        }
    }
}

impl LocalFileArguments {
    /// Arguments reading `filename` with every other argument at its default.
    pub fn new(filename: impl Into<String>) -> Self {
        Self {
            filename: filename.into(),
            ..Self::default()
        }
    }

    /// The chosen detector; `fsnotify` for a name that [`Arguments::validate`] would refuse.
    pub fn detector_kind(&self) -> Detector {
        Detector::parse(&self.detector).unwrap_or(Detector::Fsnotify)
    }

    /// `poll_frequency` as a standard duration (zero for a negative one, which validation
    /// refuses).
    pub fn poll_period(&self) -> std::time::Duration {
        self.poll_frequency.to_std().unwrap_or_default()
    }
}

impl Arguments for LocalFileArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("filename", |s| &mut s.filename);
        v.optional("detector", |s| &mut s.detector);
        v.optional("poll_frequency", |s| &mut s.poll_frequency);
        v.optional("is_secret", |s| &mut s.is_secret);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        if Detector::parse(&self.detector).is_none() {
            return Err(ArgErrors::one(
                "detector",
                format!(
                    "unrecognized detector {:?}, expected fsnotify or poll",
                    self.detector
                ),
            ));
        }
        if self.poll_frequency.as_nanos() <= 0 {
            return Err(ArgErrors::one(
                "poll_frequency",
                "poll_frequency must be greater than 0",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_spec() {
        let args = LocalFileArguments::new("/tmp/x");
        assert_eq!(args.detector_kind(), Detector::Fsnotify);
        assert_eq!(args.poll_period(), std::time::Duration::from_secs(60));
        assert!(!args.is_secret);
        assert!(args.validate().is_ok());
    }

    #[test]
    fn validation_reports_the_first_failing_rule() {
        let mut args = LocalFileArguments::new("/tmp/x");
        args.detector = "inotify".into();
        args.poll_frequency = Duration::ZERO;
        let errors = args.validate().unwrap_err();
        assert_eq!(errors.0.len(), 1);
        assert_eq!(
            errors.0[0].message,
            "unrecognized detector \"inotify\", expected fsnotify or poll"
        );
        args.detector = String::new();
        let errors = args.validate().unwrap_err();
        assert_eq!(errors.0[0].message, "poll_frequency must be greater than 0");
        args.poll_frequency = Duration::from_nanos(-1);
        assert!(args.validate().is_err());
    }
}
