//! The application layer every OneRoster front end shares, without HTTP: what a request reads
//! or writes, and how, so that the REST binding, a OneRoster 1.1 service or a CSV export call one
//! logic and only render differently.
//!
//! - [`routes`]: what an operation does, typed as a [`Read`] or a [`Write`] ([`Action`]), and
//!   the parent records nested routes hang off ([`Parent`]), with the checks of path ids;
//! - [`read`]: read planning (paged, looked up or scanned; see the module's costs) and
//!   execution through the [`Reader`], returning records, total and next cursor ([`Listed`]);
//! - [`write`](mod@write): the [`Writer`], which checks a write's parents and hands it to
//!   `oneroster-writes`, returning what it did ([`Written`]);
//! - [`ServiceError`]: every way these fail, for the front end to map to its own answer.
//!
//! **Invariant:** nothing here names an HTTP type; statuses, headers and bodies belong to the
//! front end (`oneroster-http`).

mod error;
pub mod events;
pub mod read;
pub mod routes;
pub mod schools;
pub mod write;

pub use error::ServiceError;
pub use read::{AsServed, ListRequest, Listed, Reader};
pub use routes::{Action, Creates, Parent, PostUnder, Read, Write};
pub use write::{Writer, Written};
