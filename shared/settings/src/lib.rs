//! A function's settings (caps, limits, counts) come from environment variables read once at
//! start. Each has a documented default used when the variable is not set; a value that is set
//! but is not a whole number above zero stops the function at start with the variable's name,
//! rather than running with a cap nobody chose.

/// A variable that is set but does not hold a whole number above zero (that fits its setting).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name} must be a whole number above 0, not '{value}'")]
pub struct SettingError {
    /// The variable.
    pub name: &'static str,
    /// What it holds.
    pub value: String,
}

/// The variables a function reads its settings from: the environment in Lambda, a map in tests.
pub struct Variables<F>(F);

impl Variables<fn(&str) -> Option<String>> {
    /// The process's environment.
    pub fn environment() -> Self {
        Variables(|name| std::env::var(name).ok())
    }
}

impl<F: Fn(&str) -> Option<String>> Variables<F> {
    /// The variables `lookup` answers.
    pub fn new(lookup: F) -> Self {
        Variables(lookup)
    }

    /// The whole number above zero that `name` holds (blanks around it allowed), or `default`
    /// when it is not set.
    pub fn positive<T: TryFrom<u64>>(&self, name: &'static str, default: T) -> Result<T, SettingError> {
        let Some(value) = (self.0)(name) else { return Ok(default) };
        match value.trim().parse::<u64>().ok().filter(|n| *n > 0).map(T::try_from) {
            Some(Ok(n)) => Ok(n),
            _ => Err(SettingError { name, value }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_sets_its_value_and_a_bad_one_is_refused_by_name() {
        let vars = Variables::new(|name| match name {
            "SET" => Some(" 42 ".to_owned()),
            "HUGE" => Some("99999999999".to_owned()),
            "UNSET" => None,
            other => Some(other.trim_start_matches("BAD ").to_owned()),
        });
        assert_eq!(vars.positive("SET", 7u32), Ok(42));
        assert_eq!(vars.positive("UNSET", 7u32), Ok(7));
        assert_eq!(vars.positive("HUGE", 7u64), Ok(99_999_999_999));
        assert_eq!(vars.positive("HUGE", 7u32), Err(SettingError { name: "HUGE", value: "99999999999".into() }));
        for bad in ["BAD 0", "BAD -1", "BAD ten", "BAD "] {
            let error = vars.positive(bad, 7u64).unwrap_err();
            assert_eq!(error.name, bad);
            assert!(error.to_string().starts_with(&format!("{bad} must be a whole number above 0")), "{error}");
        }
    }
}
