//! The OneRoster 1.2.1 CSV binding, as a pure library over a zip file: open a package
//! ([`Package`]), validate all of it ([`validate`]), then stream its rows mapped to model
//! records ([`read_rows`]). Nothing here touches the network; the ingest function does.
//!
//! Leniencies for real SIS exports (files in a sub-folder, file names in another case, no
//! manifest, a BOM, CRLF, upper-case booleans) are taken and recorded as warnings.

pub mod fields;
pub mod package;
pub mod read;
pub mod report;
pub mod rows;
pub mod validate;

pub use package::{FileKind, Mode, Package, PackageError};
pub use read::read_rows;
pub use report::{Diagnostic, Report};
pub use rows::{Part, Row, Target};
pub use validate::{validate, StoredReference, Validation};
