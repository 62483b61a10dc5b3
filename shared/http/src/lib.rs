//! The HTTP side every OneRoster service shares, so that handlers stay thin (parse the request,
//! call `oneroster-service`'s reader or writer, render the result through [`respond`]) and every
//! endpoint answers alike:
//!
//! - [`ApiError`]: every failure, the service's included, mapped in one place to one
//!   `imsx_StatusInfo` response;
//! - [`Endpoint`]: an operation of the OpenAPI files with its envelope and field catalog;
//! - [`respond`]: list and single-record answers rendered from what the service read, in the
//!   operation's envelope, with `X-Total-Count` and `Link`;
//! - [`render`]: a stored record as 1.2 serves it (the `href`s of its references, made from the
//!   deployment's origin and the OpenAPI files' service bases);
//! - [`Caller`]: the verified token of a request, its only source of a tenant, which no
//!   handler can do without, checked by the [`Gate`] (and its scopes by the handler);
//! - [`service`]: a service as a table of routes, checked against the OpenAPI file, and the
//!   checks of every request's input before anything is read;
//! - [`serving`]: how a deployment serves: the base URL its links name (never a header the
//!   client sent) and how long a read may take;
//! - [`paths`]: matching a path to its route by the route's fixed words (ids may hold `/`);
//! - [`trace`]: a span per request carrying its id and tenant, never its payload;
//! - [`lambda`]: running a router in Lambda with JSON logs;
//! - [`pace`]: doing something at most once per period (re-reading rotated keys);
//! - [`redact`]: what a caller's district does not share with it, taken out of every body.

mod caller;
mod endpoint;
pub mod error;
pub mod events;
pub mod lambda;
pub mod pace;
pub mod paths;
pub mod redact;
pub mod render;
pub mod respond;
pub mod service;
pub mod serving;
pub mod trace;

pub use caller::{authenticate, Caller, Gate, GateError};
pub use endpoint::Endpoint;
pub use error::ApiError;
