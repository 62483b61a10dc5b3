//! The tenant of a request. Handlers take a [`Tenant`], which only a layer that has established
//! the tenant can provide (a request extension); without one the request is refused with 401
//! before any handler or store call runs.

use crate::ApiError;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use oneroster_model::TenantId;

/// The tenant a request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant(pub TenantId);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Tenant>().cloned().ok_or(ApiError::Unauthorised)
    }
}

/// A layer that serves every request for one tenant: the local server's single demo district
/// and single-district deployments, until tokens carry the tenant.
pub async fn fixed_tenant(tenant: TenantId, mut request: Request, next: Next) -> Response {
    request.extensions_mut().insert(Tenant(tenant));
    next.run(request).await
}
