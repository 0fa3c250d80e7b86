//! The list of component types the runtime knows, checked once at start-up.
//!
//! Names are one or more `.`-separated segments matching `[A-Za-z][0-9A-Za-z_]*`, and no name is
//! a whole-segment prefix of another (`remote` beside `remote.http` would make references
//! ambiguous under the shortest-prefix rule). Arguments and exports may not use the reserved
//! names, and a type's argument and export names never overlap (runtime §4).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::erased::Registration;

/// How far a feature is from general availability (runtime §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stability {
    /// May change or go away.
    Experimental,
    /// Close to stable.
    PublicPreview,
    /// Stable.
    GenerallyAvailable,
}

impl Stability {
    /// The level's name on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Stability::Experimental => "experimental",
            Stability::PublicPreview => "public-preview",
            Stability::GenerallyAvailable => "generally-available",
        }
    }
}

impl fmt::Display for Stability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Stability {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "experimental" => Ok(Stability::Experimental),
            "public-preview" => Ok(Stability::PublicPreview),
            "generally-available" => Ok(Stability::GenerallyAvailable),
            other => Err(format!(
                "invalid stability level {other:?}: expected experimental, public-preview or \
                 generally-available"
            )),
        }
    }
}

/// Names no argument or export may have.
pub const RESERVED_NAMES: &[&str] = &["for_each", "enabled", "health", "debug"];

/// A registration that breaks a naming rule — a bug in the component list.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// A name with an empty or malformed segment.
    #[error("invalid component name {0:?}")]
    InvalidName(String),
    /// Two registrations with one name.
    #[error("component {0:?} is registered twice")]
    Duplicate(String),
    /// One name is a whole-segment prefix of another.
    #[error("component name {0:?} is a prefix of {1:?}")]
    Prefix(String, String),
    /// An argument or export uses a reserved name.
    #[error("component {0:?} uses the reserved name {1:?}")]
    Reserved(String, String),
    /// An argument and an export share a name.
    #[error("component {0:?} has an argument and an export named {1:?}")]
    Overlap(String, String),
}

/// The registered component types, by name.
#[derive(Clone, Debug, Default)]
pub struct ComponentRegistry {
    by_name: BTreeMap<&'static str, Registration>,
}

impl ComponentRegistry {
    /// Check every rule over `registrations` and index them.
    pub fn new(registrations: Vec<Registration>) -> Result<Self, RegistryError> {
        let mut by_name = BTreeMap::new();
        for registration in registrations {
            check_name(registration.name)?;
            check_fields(&registration)?;
            if by_name
                .insert(registration.name, registration.clone())
                .is_some()
            {
                return Err(RegistryError::Duplicate(registration.name.to_owned()));
            }
        }
        let names: Vec<&str> = by_name.keys().copied().collect();
        for a in &names {
            for b in &names {
                if a != b && b.starts_with(a) && b.as_bytes().get(a.len()) == Some(&b'.') {
                    return Err(RegistryError::Prefix((*a).to_owned(), (*b).to_owned()));
                }
            }
        }
        Ok(Self { by_name })
    }

    /// The registration named `name`.
    pub fn get(&self, name: &str) -> Option<&Registration> {
        self.by_name.get(name)
    }

    /// Every registration, by name.
    pub fn iter(&self) -> impl Iterator<Item = &Registration> {
        self.by_name.values()
    }
}

fn check_name(name: &str) -> Result<(), RegistryError> {
    let valid_segment = |segment: &str| {
        let mut chars = segment.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if name.split('.').all(valid_segment) {
        Ok(())
    } else {
        Err(RegistryError::InvalidName(name.to_owned()))
    }
}

fn check_fields(registration: &Registration) -> Result<(), RegistryError> {
    let schema = (registration.schema)();
    let argument_names: Vec<&str> = schema
        .attrs
        .iter()
        .map(|attr| attr.name.as_str())
        .chain(schema.blocks.iter().map(|block| block.name.as_str()))
        .collect();
    let export_names = registration.exports.iter().map(|spec| spec.name);
    for name in argument_names.iter().copied().chain(export_names.clone()) {
        if RESERVED_NAMES.contains(&name) {
            return Err(RegistryError::Reserved(
                registration.name.to_owned(),
                name.to_owned(),
            ));
        }
    }
    for export in export_names {
        if argument_names.contains(&export) {
            return Err(RegistryError::Overlap(
                registration.name.to_owned(),
                export.to_owned(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ferroalloy_value::Object;
    use ferroalloy_value::decode::{Arguments, FieldVisitor};
    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::component::{BuildError, Component, ExportSpec, Exports};
    use crate::erased::registration;
    use crate::options::Options;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Args {
        path: String,
    }

    impl Arguments for Args {
        fn fields<V: FieldVisitor<Self>>(v: &mut V) {
            v.optional("path", |s| &mut s.path);
        }
    }

    #[derive(Clone)]
    struct PathExport;

    impl Exports for PathExport {
        fn specs() -> &'static [ExportSpec] {
            &[ExportSpec {
                name: "path",
                receiver: false,
            }]
        }

        fn to_object(&self) -> Object {
            Object::new()
        }
    }

    #[derive(Clone)]
    struct HealthExport;

    impl Exports for HealthExport {
        fn specs() -> &'static [ExportSpec] {
            &[ExportSpec {
                name: "health",
                receiver: false,
            }]
        }

        fn to_object(&self) -> Object {
            Object::new()
        }
    }

    struct Plain<E>(std::marker::PhantomData<E>);

    impl<E: Exports> Component for Plain<E> {
        type Args = Args;
        type Exports = E;

        async fn build(_: Options, _: Args) -> Result<Arc<Self>, BuildError> {
            Ok(Arc::new(Plain(std::marker::PhantomData)))
        }

        async fn run(self: Arc<Self>, cancel: CancellationToken) -> anyhow::Result<()> {
            cancel.cancelled().await;
            Ok(())
        }

        async fn update(&self, _: Args) -> Result<(), BuildError> {
            Ok(())
        }
    }

    fn plain(name: &'static str) -> Registration {
        registration::<Plain<crate::component::NoExports>>(name, Stability::GenerallyAvailable)
    }

    #[test]
    fn names_are_dotted_segments_starting_with_a_letter() {
        assert!(ComponentRegistry::new(vec![plain("local.file"), plain("a.b_2.C")]).is_ok());
        for bad in [
            "",
            "local.",
            ".file",
            "local..file",
            "1local.file",
            "local.fi-le",
            "_x",
        ] {
            assert_eq!(
                ComponentRegistry::new(vec![plain(bad)]).err(),
                Some(RegistryError::InvalidName(bad.to_owned())),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_name_may_not_be_a_whole_segment_prefix_of_another() {
        assert_eq!(
            ComponentRegistry::new(vec![plain("remote.http"), plain("remote")]).err(),
            Some(RegistryError::Prefix("remote".into(), "remote.http".into()))
        );
        assert!(ComponentRegistry::new(vec![plain("remote.http"), plain("remote.h")]).is_ok());
        assert_eq!(
            ComponentRegistry::new(vec![plain("local.file"), plain("local.file")]).err(),
            Some(RegistryError::Duplicate("local.file".into()))
        );
    }

    #[test]
    fn reserved_and_overlapping_names_are_refused() {
        let reserved = registration::<Plain<HealthExport>>("x.y", Stability::Experimental);
        assert_eq!(
            ComponentRegistry::new(vec![reserved]).err(),
            Some(RegistryError::Reserved("x.y".into(), "health".into()))
        );
        let overlap = registration::<Plain<PathExport>>("x.y", Stability::Experimental);
        assert_eq!(
            ComponentRegistry::new(vec![overlap]).err(),
            Some(RegistryError::Overlap("x.y".into(), "path".into()))
        );
    }

    #[test]
    fn stability_levels_parse_and_order() {
        assert_eq!("experimental".parse(), Ok(Stability::Experimental));
        assert_eq!("public-preview".parse(), Ok(Stability::PublicPreview));
        assert_eq!(
            "generally-available".parse(),
            Ok(Stability::GenerallyAvailable)
        );
        assert!("beta".parse::<Stability>().is_err());
        assert!(Stability::Experimental < Stability::PublicPreview);
        assert!(Stability::PublicPreview < Stability::GenerallyAvailable);
    }
}
