//! The HTTP side every OneRoster service shares, so that handlers stay thin (parse the request,
//! call the store through [`respond`], map the result) and every endpoint answers alike:
//!
//! - [`ApiError`]: every failure, mapped in one place to one `imsx_StatusInfo` response;
//! - [`Endpoint`]: an operation of the OpenAPI files with its envelope and field catalog;
//! - [`respond`]: list and single-record answers over the store, with the REST binding's
//!   query semantics, `X-Total-Count` and `Link`;
//! - [`Tenant`]: the tenant of a request, which no handler can do without;
//! - [`trace`]: a span per request carrying its id and tenant, never its payload;
//! - [`lambda`]: running a router in Lambda with JSON logs.

mod endpoint;
mod error;
pub mod lambda;
pub mod respond;
mod tenant;
pub mod trace;

pub use endpoint::Endpoint;
pub use error::ApiError;
pub use tenant::{fixed_tenant, Tenant};
