//! Health: the state of a component as people see it (runtime §9).

use std::fmt;
use std::time::SystemTime;

/// The four health states, ordered from least to most severe for the shown-health rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HealthState {
    /// Working as configured.
    Healthy,
    /// Not known yet (just created).
    Unknown,
    /// Failing: bad arguments, an unreadable file, …
    Unhealthy,
    /// The component's task is not running.
    Exited,
}

impl HealthState {
    /// The state's name in the API and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::Unknown => "unknown",
            HealthState::Unhealthy => "unhealthy",
            HealthState::Exited => "exited",
        }
    }

    /// Every state, in the order metrics list them.
    pub const ALL: [HealthState; 4] = [
        HealthState::Healthy,
        HealthState::Unhealthy,
        HealthState::Unknown,
        HealthState::Exited,
    ];
}

impl fmt::Display for HealthState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A health state with its message and the time it was set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// The state.
    pub state: HealthState,
    /// Why, in a few words (`read file`, `failed to read file: …`).
    pub message: String,
    /// When the state was set.
    pub updated: SystemTime,
}

impl Health {
    /// A health record set now.
    pub fn now(state: HealthState, message: impl Into<String>) -> Self {
        Self {
            state,
            message: message.into(),
            updated: SystemTime::now(),
        }
    }

    /// `healthy` with `message`, now.
    pub fn healthy(message: impl Into<String>) -> Self {
        Self::now(HealthState::Healthy, message)
    }

    /// `unhealthy` with `message`, now.
    pub fn unhealthy(message: impl Into<String>) -> Self {
        Self::now(HealthState::Unhealthy, message)
    }

    /// The health to show among several sources (run, evaluation, component): the most severe
    /// state; among equal states the most recent; among equal times the first given.
    pub fn least_healthy<'a>(sources: impl IntoIterator<Item = &'a Health>) -> Option<&'a Health> {
        let mut shown: Option<&Health> = None;
        for health in sources {
            shown = match shown {
                None => Some(health),
                Some(current) => {
                    let worse = health.state > current.state
                        || (health.state == current.state && health.updated > current.updated);
                    Some(if worse { health } else { current })
                }
            };
        }
        shown
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(state: HealthState, secs: u64) -> Health {
        Health {
            state,
            message: format!("{state} at {secs}"),
            updated: SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        }
    }

    #[test]
    fn shown_health_prefers_severity_then_recency_then_order() {
        let healthy = at(HealthState::Healthy, 30);
        let unknown = at(HealthState::Unknown, 10);
        let unhealthy = at(HealthState::Unhealthy, 5);
        let exited = at(HealthState::Exited, 1);
        let shown = |list: &[&Health]| Health::least_healthy(list.iter().copied()).cloned();
        assert_eq!(shown(&[&healthy, &unknown]), Some(unknown.clone()));
        assert_eq!(
            shown(&[&unhealthy, &unknown, &healthy]),
            Some(unhealthy.clone())
        );
        assert_eq!(shown(&[&healthy, &exited, &unhealthy]), Some(exited));

        let older = at(HealthState::Unhealthy, 1);
        let newer = at(HealthState::Unhealthy, 2);
        assert_eq!(shown(&[&older, &newer]), Some(newer.clone()));
        let tie_a = at(HealthState::Healthy, 7);
        let mut tie_b = at(HealthState::Healthy, 7);
        tie_b.message = "second".into();
        assert_eq!(shown(&[&tie_a, &tie_b]), Some(tie_a));
        assert_eq!(shown(&[]), None);
    }
}
