//! Every way a request can fail, and the one place each becomes an `imsx_StatusInfo` body with
//! its HTTP status and codeMinor.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use oneroster_query::{shown, QueryError};
use oneroster_service::ServiceError;
use oneroster_store::StoreError;
use oneroster_writes::WriteError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A read or write failed below HTTP: 400 a query parameter that cannot be honoured, 404 an
    /// unknown record (or parent of a nested route) or an id no record can have, 500 the store
    /// or a stored record, and each refused write as [`ApiError::status`] says.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// No valid bearer token: 401.
    #[error("the request is not authorised: a valid bearer token is required")]
    Unauthorised,
    /// An OAuth 1.0a signed request refused: 400 for a missing, duplicated or malformed
    /// parameter or an unsupported method (RFC 5849 §3.2), 401 otherwise.
    #[error("the signed request is refused: {0}")]
    Oauth1(oneroster_auth::oauth1::Oauth1Error),
    /// An OAuth 1.0a client's sealed secret could not be opened (the key service failed): 500.
    #[error(transparent)]
    Sealing(oneroster_auth::oauth1::SealError),
    /// The token holds none of the operation's scopes: 403.
    #[error("the token holds none of the scopes this operation requires")]
    Forbidden,
    /// The path is not one of the service's: 404.
    #[error("no such endpoint: {}", shown(.0))]
    NoRoute(String),
    /// The path is a route, but not for this method: 405 (with `Allow`).
    #[error("{} is not an operation of this path; it answers {allowed}", shown(method))]
    MethodNotAllowed {
        /// The method asked for.
        method: String,
        /// The methods the path answers, comma-separated.
        allowed: String,
    },
    /// A parameter of the change events feed is not one it takes (a cursor it did not issue, a
    /// limit out of range, an unknown collection or parameter): 400.
    #[error("{0}")]
    Feed(String),
    /// The request body could not be read.
    #[error("the request body could not be read: {0}")]
    RequestBody(String, StatusCode),
    /// The request body is larger than a write takes: 413.
    #[error("the request body is larger than {limit} bytes, the most a write takes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A read did not finish within the deployment's budget (it reads a whole listing that is
    /// too large for the time a request has): 503, instead of a timeout with no body.
    #[error(
        "the query did not finish within {}: a filter or sort the store cannot page reads the whole listing; \
         narrow it (dateLastModified>'…', status='active', a nested route) or leave out the sort",
        seconds(*.0)
    )]
    OverBudget(std::time::Duration),
}

impl ApiError {
    /// The HTTP status and `imsx_codeMinorFieldValue`.
    pub fn status(&self) -> (StatusCode, &'static str) {
        match self {
            ApiError::Service(error) => match error {
                ServiceError::Query(error) => (StatusCode::BAD_REQUEST, error.code_minor()),
                ServiceError::NotFound { .. } | ServiceError::BadId { .. } => (StatusCode::NOT_FOUND, "unknownobject"),
                ServiceError::Store(_) | ServiceError::Body(_) => {
                    (StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error")
                }
                ServiceError::Write(error) => match error {
                    WriteError::NotJson(_) => (StatusCode::BAD_REQUEST, "invaliddata"),
                    WriteError::Invalid { .. } | WriteError::UnknownReference { .. } | WriteError::TooLarge { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "invaliddata")
                    }
                    WriteError::SetTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "invaliddata"),
                    WriteError::NotFound { .. } => (StatusCode::NOT_FOUND, "unknownobject"),
                    WriteError::Referenced { .. } => (StatusCode::CONFLICT, "invaliddata"),
                    WriteError::Contended => (StatusCode::TOO_MANY_REQUESTS, "server_busy"),
                    WriteError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error"),
                },
            },
            ApiError::NoRoute(_) => (StatusCode::NOT_FOUND, "unknownobject"),
            ApiError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "unknownobject"),
            ApiError::Unauthorised => (StatusCode::UNAUTHORIZED, "unauthorisedrequest"),
            ApiError::Oauth1(error) if error.is_bad_request() => (StatusCode::BAD_REQUEST, "invaliddata"),
            ApiError::Oauth1(_) => (StatusCode::UNAUTHORIZED, "unauthorisedrequest"),
            ApiError::Sealing(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_server_error"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::RequestBody(_, status) => (*status, "invaliddata"),
            ApiError::Feed(_) => (StatusCode::BAD_REQUEST, "invaliddata"),
            ApiError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "invaliddata"),
            ApiError::OverBudget(_) => (StatusCode::SERVICE_UNAVAILABLE, "server_busy"),
        }
    }
}

/// The failures of the layers below, which reach HTTP as the service's: one mapping each.
macro_rules! through_service {
    ($($error:ty),*) => {$(
        impl From<$error> for ApiError {
            fn from(error: $error) -> Self {
                ApiError::Service(error.into())
            }
        }
    )*};
}
through_service!(QueryError, StoreError, serde_json::Error);

/// A budget as a message says it: `20 s`, or `0.001 s`.
fn seconds(budget: std::time::Duration) -> String {
    if budget.subsec_nanos() == 0 {
        format!("{} s", budget.as_secs())
    } else {
        format!("{} s", budget.as_secs_f64())
    }
}

/// An `imsx_StatusInfo` failure body.
pub fn status_info(code_minor: &str, description: &str) -> serde_json::Value {
    serde_json::json!({
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystem", "imsx_codeMinorFieldValue": code_minor}
        ]}
    })
}

/// A failure as the response carries it beside its 1.2 body, so that a 1.1 base answers it in
/// 1.1's body instead ([`in_v1p1`]).
#[derive(Debug, Clone)]
struct Failure {
    code_minor: &'static str,
    description: String,
}

/// The `statusInfoSet` entry of a 1.1 body (`V1P1-NOTES.md` §4): `imsx_codeMinor` is a plain
/// string there, spelt as 1.1 spells it (`unknown object`, `invalid data`, `unauthorized`).
pub fn status_info_v1p1(code_major: &str, severity: &str, code_minor: &str, description: &str) -> serde_json::Value {
    let code_minor = match code_minor {
        "unknownobject" => "unknown object",
        "invaliddata" => "invalid data",
        "unauthorisedrequest" => "unauthorized",
        other => other,
    };
    serde_json::json!({
        "imsx_codeMajor": code_major,
        "imsx_severity": severity,
        "imsx_description": description,
        "imsx_codeMinor": code_minor,
    })
}

/// The 1.1 warning for what a query named and was left out of the answer (an unknown `sort` or
/// `fields` entry, which 1.1 serves without).
pub fn warning_v1p1(left_out: &QueryError) -> serde_json::Value {
    let code_minor = match left_out {
        QueryError::Sort { .. } => "invalid_sort_field",
        other => other.code_minor(),
    };
    status_info_v1p1("success", "warning", code_minor, &left_out.to_string())
}

/// Middleware of a 1.1 base: a failure answered (by a handler or by the gate) with its 1.2
/// body gets 1.1's, `{"statusInfoSet": [...]}`, with the same status and headers.
pub async fn in_v1p1(mut response: Response) -> Response {
    let Some(Failure { code_minor, description }) = response.extensions_mut().remove::<Failure>() else {
        return response;
    };
    let info = status_info_v1p1("failure", "error", code_minor, &description);
    let body = serde_json::json!({ "statusInfoSet": [info] }).to_string();
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(body))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code_minor) = self.status();
        let description = if matches!(self, ApiError::OverBudget(_)) {
            tracing::warn!(error = %self, "read over budget");
            self.to_string()
        } else if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "the server could not complete the request".to_owned()
        } else {
            self.to_string()
        };
        let body = status_info(code_minor, &description).to_string();
        let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        response.extensions_mut().insert(Failure { code_minor, description });
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        if let ApiError::MethodNotAllowed { allowed, .. } = &self {
            if let Ok(allowed) = header::HeaderValue::from_str(allowed) {
                response.headers_mut().insert(header::ALLOW, allowed);
            }
        }
        response
    }
}
