//! Why a query string was refused; each maps to a 400 with the codeMinor the binding names.

/// A query parameter that cannot be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// `filter` is malformed or names a field the records do not have (`invalid_filter_field`).
    #[error("invalid filter: {0}")]
    Filter(String),
    /// `fields` names a property the records do not have (`invalid_selection_field`).
    #[error("unknown field in fields: '{0}'")]
    Selection(String),
    /// `sort` names a field the records do not have or that cannot be ordered. The codeMinor is
    /// `invalid_sort_field` where the service defines it, else `invalid_selection_field`.
    #[error("cannot sort by '{field}'")]
    Sort {
        /// The field.
        field: String,
        /// The service's codeMinor for it.
        code_minor: &'static str,
    },
    /// `limit`, `offset`, `orderBy` or the paging cursor has a bad value (`invaliddata`).
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
            QueryError::Selection(_) => "invalid_selection_field",
            QueryError::Sort { code_minor, .. } => code_minor,
            QueryError::Parameter { .. } => "invaliddata",
        }
    }
}
