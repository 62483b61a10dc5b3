//! Why a query string was refused; each maps to a 400 with the codeMinor the binding names.
//! Values a client sent are quoted back at most [`SHOWN`] characters long, so that an error
//! body never grows with the request.

/// How many characters of a value the client sent an error quotes back.
pub const SHOWN: usize = 64;

/// A value the client sent, as an error quotes it: at most [`SHOWN`] characters, then `…`.
pub fn shown(text: &str) -> String {
    match text.char_indices().nth(SHOWN) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// A query parameter that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `filter` is malformed or names a field the records do not have (`invalid_filter_field`).
    #[error("invalid filter: {0}")]
    Filter(String),
    /// `fields` names a property the records do not have (`invalid_selection_field`).
    #[error("unknown field in fields: '{}'", shown(.0))]
    Selection(String),
    /// `fields` names more properties than the records have (`invalid_selection_field`).
    #[error("fields names {given} properties; these records have only {most}")]
    TooManyFields {
        /// How many names `fields` holds.
        given: usize,
        /// How many properties the records have.
        most: usize,
    },
    /// `sort` names a field the records do not have or that cannot be ordered. The codeMinor is
    /// `invalid_sort_field` where the service defines it, else `invalid_selection_field`.
    #[error("cannot sort by '{}'", shown(field))]
    Sort {
        /// The field.
        field: String,
        /// The service's codeMinor for it.
        code_minor: &'static str,
    },
    /// `limit`, `offset`, `orderBy`, `sort`, the paging cursor or the whole query string has a
    /// bad value or passes a documented length (`invaliddata`).
    #[error("invalid {name}: {reason}")]
    Parameter {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl QueryError {
    /// The `imsx_codeMinorFieldValue` of the error.
    pub fn code_minor(&self) -> &'static str {
        match self {
            QueryError::Filter(_) => "invalid_filter_field",
            QueryError::Selection(_) | QueryError::TooManyFields { .. } => "invalid_selection_field",
            QueryError::Sort { code_minor, .. } => code_minor,
            QueryError::Parameter { .. } => "invaliddata",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_back_short() {
        assert_eq!(shown("abc"), "abc");
        let long = "é".repeat(1000);
        assert_eq!(shown(&long).chars().count(), SHOWN + 1);
        assert!(QueryError::Selection("x".repeat(5000)).to_string().len() < 200);
    }
}
