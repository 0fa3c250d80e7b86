//! The arguments of `pyroscope.local_store`: defaults in one `Default` impl, pure validation.

use ferroalloy_component::{ArgErrors, Arguments, FieldVisitor};

/// The default `max_profiles`.
pub const DEFAULT_MAX_PROFILES: u64 = 1000;

/// The arguments of a `pyroscope.local_store` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalStoreArguments {
    /// Where the profiles go; created when missing; a relative path resolves against the
    /// process's working directory.
    pub directory: String,
    /// How many profile files to keep; the oldest are deleted beyond it.
    pub max_profiles: u64,
}

impl Default for LocalStoreArguments {
    fn default() -> Self {
        Self {
            directory: String::new(),
            max_profiles: DEFAULT_MAX_PROFILES,
        }
    }
}

impl LocalStoreArguments {
    /// Arguments writing to `directory`, with the default `max_profiles`.
    pub fn new(directory: impl Into<String>) -> Self {
        Self {
            directory: directory.into(),
            ..Self::default()
        }
    }
}

impl Arguments for LocalStoreArguments {
    fn fields<V: FieldVisitor<Self>>(v: &mut V) {
        v.required("directory", |s| &mut s.directory);
        v.optional("max_profiles", |s| &mut s.max_profiles);
    }

    fn validate(&self) -> Result<(), ArgErrors> {
        if self.directory.is_empty() {
            return Err(ArgErrors::one("directory", "directory must not be empty"));
        }
        if self.max_profiles == 0 {
            return Err(ArgErrors::one(
                "max_profiles",
                "max_profiles must be at least 1",
            ));
        }
        Ok(())
    }
}
