//! The ingest's settings: the caps on a package ([`Limits`]) and how many times a job is run
//! before it is failed, each from an environment variable read once at start, with a
//! documented default when the variable is not set.

use oneroster_csv::Limits;
use oneroster_settings::{SettingError, Variables};

/// Runs of a job before it is failed (see [`Settings::max_attempts`]).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// What the ingest is configured with beyond its clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The caps on one package.
    pub limits: Limits,
    /// How many runs of one job may start (each delivery that finds it unfinished starts one)
    /// before the job is failed with a report saying so: a worker that dies on an upload
    /// (out of memory, out of time) would otherwise take it up again until SQS gives up, with
    /// the job left "running". Keep it below the queue's `maxReceiveCount`.
    pub max_attempts: u32,
    /// Steps of the apply run at once ([`crate::fanout`]): a file's records are cut into as
    /// many units (up to the 16 record shards) and the packs into as many parts. The pace the
    /// table takes decides it: more workers write faster until the table throttles.
    pub workers: u64,
}

/// Workers of an apply unless set: four, the most the local stack's two cores keep busy.
pub const DEFAULT_WORKERS: u64 = 4;

impl Default for Settings {
    fn default() -> Self {
        Self { limits: Limits::default(), max_attempts: DEFAULT_MAX_ATTEMPTS, workers: DEFAULT_WORKERS }
    }
}

impl Settings {
    /// The variables, each with what it sets.
    pub const VARIABLES: [&'static str; 7] = [
        "INGEST_MAX_INFLATED_BYTES",
        "INGEST_MAX_RATIO",
        "INGEST_MAX_ENTRIES",
        "INGEST_MAX_LINE_BYTES",
        "INGEST_MAX_CELLS",
        "INGEST_MAX_ATTEMPTS",
        "INGEST_WORKERS",
    ];

    /// The settings from `vars` (the environment in the Lambda): each variable that is set
    /// replaces its default.
    pub fn from_vars(vars: &Variables<impl Fn(&str) -> Option<String>>) -> Result<Self, SettingError> {
        let defaults = Settings::default();
        let [inflated, ratio, entries, line, cells, attempts, workers] = Self::VARIABLES;
        Ok(Self {
            limits: Limits {
                inflated_bytes: vars.positive(inflated, defaults.limits.inflated_bytes)?,
                ratio: vars.positive(ratio, defaults.limits.ratio)?,
                entries: vars.positive(entries, defaults.limits.entries)?,
                line_bytes: vars.positive(line, defaults.limits.line_bytes)?,
                cells: vars.positive(cells, defaults.limits.cells)?,
            },
            max_attempts: vars.positive(attempts, defaults.max_attempts)?,
            workers: vars.positive(workers, defaults.workers)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<Settings, SettingError> {
        let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_vars(&Variables::new(|name| vars.get(name).cloned()))
    }

    #[test]
    fn unset_variables_keep_the_documented_defaults() {
        let settings = from(&[]).unwrap();
        assert_eq!(settings, Settings::default());
        assert_eq!(
            settings.limits,
            Limits { inflated_bytes: 8 << 30, ratio: 200, entries: 100, line_bytes: 1 << 20, cells: 1000 }
        );
        assert_eq!((settings.max_attempts, settings.workers), (3, 4));
    }

    #[test]
    fn each_variable_sets_its_cap_and_a_bad_value_is_refused_by_name() {
        let settings = from(&[
            ("INGEST_MAX_INFLATED_BYTES", "1024"),
            ("INGEST_MAX_RATIO", "50"),
            ("INGEST_MAX_ENTRIES", "30"),
            ("INGEST_MAX_LINE_BYTES", "4096"),
            ("INGEST_MAX_CELLS", "64"),
            ("INGEST_MAX_ATTEMPTS", "5"),
            ("INGEST_WORKERS", "16"),
        ])
        .unwrap();
        assert_eq!(
            settings,
            Settings {
                limits: Limits { inflated_bytes: 1024, ratio: 50, entries: 30, line_bytes: 4096, cells: 64 },
                max_attempts: 5,
                workers: 16
            }
        );
        for (name, value) in [("INGEST_MAX_RATIO", "0"), ("INGEST_MAX_CELLS", "many"), ("INGEST_MAX_ATTEMPTS", "-1")] {
            let error = from(&[(name, value)]).unwrap_err();
            assert_eq!(error.name, name);
            assert!(error.to_string().contains(value), "{error}");
        }
        assert!(from(&[("INGEST_MAX_ATTEMPTS", "99999999999")]).is_err());
    }
}
