//! The OneRoster 1.2.1 CSV binding, as a pure library over a zip file: open a package
//! ([`Package`]), validate all of it ([`validate`]), then stream its rows mapped to model
//! records ([`read_rows`]). Nothing here touches the network; the ingest function does.
//!
//! OneRoster 1.1 packages are read too ([`v1p1`]): recognised by their manifest or headers,
//! each row mapped to the 1.2 record that is stored, its diagnostics naming the 1.1 file's
//! lines and columns.
//!
//! A package is read as a stream under [`Limits`] (inflated size, inflation ratio, entries, row
//! length, cells per row): each breach is an error naming the file and line, never a read of
//! the whole file into memory.
//!
//! Leniencies for real SIS exports (files in a sub-folder, file names in another case, no
//! manifest, a BOM, CRLF, upper-case booleans) are taken and recorded as warnings.

pub mod fields;
pub mod limits;
pub mod package;
pub mod read;
pub mod report;
pub mod rows;
pub mod v1p1;
pub mod validate;
pub mod write;

pub use limits::{Breach, Limits};
pub use package::{FileKind, Mode, Package, PackageError, Version};
pub use read::read_rows;
pub use report::{Code, Conversion, Diagnostic, Report};
pub use rows::{Part, Row, RowReference, Target};
pub use validate::{validate, StoredReference, Validation};
