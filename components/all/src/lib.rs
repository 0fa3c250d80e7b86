//! Every component ferroalloy ships, registered explicitly.

use ferroalloy_component::{ComponentRegistry, Registration, RegistryError};

/// The registrations of every shipped component.
pub fn registrations() -> Vec<Registration> {
    vec![
        ferroalloy_local_file::registration(),
        ferroalloy_pyroscope_write::registration(),
        ferroalloy_pyroscope_receive_http::registration(),
        ferroalloy_pyroscope_scrape::registration(),
        ferroalloy_pyroscope_local_store::registration(),
    ]
}

/// The registry of every shipped component, checked against the naming rules.
pub fn register_all() -> Result<ComponentRegistry, RegistryError> {
    ComponentRegistry::new(registrations())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_component_follows_the_naming_rules() {
        let registry = register_all().expect("the shipped registrations are valid");
        assert!(registry.get("local.file").is_some());
        assert!(registry.get("pyroscope.write").is_some());
    }
}
