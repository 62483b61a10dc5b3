//! A district's SIS as a source (`oneroster-admin source …`, `pull`): where its own OneRoster
//! API is, how to sign in (the secret stored only sealed under the deployment's key, in the
//! sources' context bound to the tenant, never shown again), when to pull; `source test`
//! signs in and reads one page of `/orgs` with a one-line verdict; `pull` reads everything
//! into a bulk package (`oneroster_pull`) and uploads it to the tenant's upload folder, where
//! the ingest takes it like any upload. A pull that fails uploads nothing and is kept as a
//! failed job naming the call and why.

use crate::{check_enabled, new_upload_folder, operator, AdminError};
use oneroster_auth::oauth1::SecretSealer;
use oneroster_auth::ClientSecret;
use oneroster_model::{TenantId, Timestamp};
use oneroster_pull::{Auth, Connection, Pacing, PullError, Pulled, Wanted};
use oneroster_store::{Job, JobState, Source, SourceAuth, Store};
use serde_json::{json, Value};

/// What `source set` is given.
#[derive(Debug, Clone)]
pub struct SourceSettings {
    /// The SIS's OneRoster URL (its root, or a service's base).
    pub url: String,
    /// `1.2` or `1.1`.
    pub version: String,
    /// `oauth2` or `oauth1`.
    pub auth: String,
    /// The provider's client id at the SIS.
    pub client_id: String,
    /// Its secret.
    pub client_secret: ClientSecret,
    /// OAuth 2.0's token endpoint.
    pub token_url: Option<String>,
    /// OAuth 2.0's scopes to ask for.
    pub scope: Option<String>,
    /// `daily`, `monthly` or `cron(…)`.
    pub schedule: Option<String>,
    /// Pull the gradebook too.
    pub gradebook: bool,
    /// Pull the resources too.
    pub resources: bool,
}

fn bad(setting: &'static str, reason: impl Into<String>) -> AdminError {
    AdminError::BadSetting { setting, reason: reason.into() }
}

/// Sets `tenant`'s source (replacing any), its secret sealed by `sealer` (the sources' context).
pub async fn set_source(
    store: &Store,
    sealer: &dyn SecretSealer,
    tenant: &TenantId,
    settings: SourceSettings,
) -> Result<Source, AdminError> {
    let url = Connection::root_of(&settings.url).map_err(|e| bad("url", e.to_string()))?;
    crate::oneroster_version(&settings.version).map_err(|reason| bad("version", reason))?;
    let auth = match (settings.auth.as_str(), settings.token_url) {
        ("oauth2", Some(token_url)) => {
            Connection::root_of(&token_url).map_err(|e| bad("token-url", e.to_string()))?;
            SourceAuth::OAuth2 { token_url, scope: settings.scope }
        }
        ("oauth2", None) => return Err(bad("token-url", "OAuth 2.0 needs the SIS's token endpoint")),
        ("oauth1", _) => SourceAuth::OAuth1,
        (other, _) => return Err(bad("auth", format!("'{other}' is not oauth2 or oauth1"))),
    };
    if let Some(schedule) = &settings.schedule {
        let cron = schedule.strip_prefix("cron(").is_some_and(|rest| rest.ends_with(')'));
        if !(cron || schedule == "daily" || schedule == "monthly") {
            return Err(bad("schedule", format!("'{schedule}' is not daily, monthly or cron(…)")));
        }
    }
    check_enabled(store, tenant).await?;
    let source = Source {
        tenant: tenant.clone(),
        url,
        version: settings.version,
        auth,
        sealed_secret: sealer.seal(tenant.as_str(), &settings.client_secret).await?,
        client_id: settings.client_id,
        schedule: settings.schedule,
        gradebook: settings.gradebook,
        resources: settings.resources,
        updated: Timestamp::now(),
    };
    store.tenant(&operator(tenant)).source().put(&source).await?;
    Ok(source)
}

/// What an operator is shown of a source: never its secret.
pub fn shown_source(source: &Source) -> Value {
    let mut shown = json!({"tenant": source.tenant, "url": source.url, "version": source.version,
        "clientId": source.client_id, "schedule": source.schedule.as_deref().unwrap_or("none (pull when asked)"),
        "gradebook": source.gradebook, "resources": source.resources, "updated": source.updated});
    match &source.auth {
        SourceAuth::OAuth2 { token_url, scope } => {
            shown["auth"] = json!("oauth2");
            shown["tokenUrl"] = json!(token_url);
            shown["scope"] = json!(scope);
        }
        SourceAuth::OAuth1 => shown["auth"] = json!("oauth1"),
    }
    shown
}

/// The tenant's source.
pub async fn get_source(store: &Store, tenant: &TenantId) -> Result<Source, AdminError> {
    store.tenant(&operator(tenant)).source().get().await?.ok_or_else(|| AdminError::NoSource(tenant.to_string()))
}

/// Removes the tenant's source (scheduled pulls stop).
pub async fn remove_source(store: &Store, tenant: &TenantId) -> Result<(), AdminError> {
    match store.tenant(&operator(tenant)).source().remove().await? {
        true => Ok(()),
        false => Err(AdminError::NoSource(tenant.to_string())),
    }
}

/// The source as the pull calls it: its secret opened.
async fn connection(sealer: &dyn SecretSealer, source: &Source) -> Result<Connection, AdminError> {
    Ok(Connection {
        root: source.url.clone(),
        version: crate::oneroster_version(&source.version).map_err(|reason| bad("version", reason))?,
        auth: match &source.auth {
            SourceAuth::OAuth2 { token_url, scope } => {
                Auth::OAuth2 { token_url: token_url.clone(), scope: scope.clone() }
            }
            SourceAuth::OAuth1 => Auth::OAuth1,
        },
        client_id: source.client_id.clone(),
        secret: sealer.open(source.tenant.as_str(), &source.sealed_secret).await?,
    })
}

/// Signs in at the tenant's source and reads one page of `/orgs`: the verdict in one line.
pub async fn test_source(
    store: &Store,
    sealer: &dyn SecretSealer,
    tenant: &TenantId,
    pacing: &Pacing,
) -> Result<Result<String, String>, AdminError> {
    let source = get_source(store, tenant).await?;
    let connection = connection(sealer, &source).await?;
    Ok(match oneroster_pull::test(&connection, pacing).await {
        Ok(total) => Ok(format!(
            "ok: signed in at {} and read /orgs ({})",
            source.url,
            total.map_or("no X-Total-Count".to_owned(), |t| format!("{t} orgs"))
        )),
        Err(error) => Err(format!("failed: {error}")),
    })
}

/// Pulls the tenant's source into a bulk package and uploads it to the tenant's upload
/// folder; what was pulled and the upload's key (its job's). A pull that fails uploads
/// nothing and is kept as a failed job saying which call failed and why.
pub async fn pull(
    store: &Store,
    sealer: &dyn SecretSealer,
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tenant: &TenantId,
    pacing: &Pacing,
) -> Result<(Pulled, String), AdminError> {
    check_enabled(store, tenant).await?;
    let source = get_source(store, tenant).await?;
    let connection = connection(sealer, &source).await?;
    let started = Timestamp::now();
    let zone = store.tenant(&operator(tenant)).settings().await?.timezone;
    let wanted = Wanted { gradebook: source.gradebook, resources: source.resources };
    let file = tempfile::NamedTempFile::new().map_err(|e| AdminError::Upload(e.to_string()))?;
    let out = std::io::BufWriter::new(file.reopen().map_err(|e| AdminError::Upload(e.to_string()))?);
    let pulled = match oneroster_pull::pull(&connection, wanted, pacing, zone, out).await {
        Ok(pulled) => pulled,
        Err(error) => {
            keep_failure(store, tenant, &source, started, &error).await?;
            return Err(AdminError::Pull(error));
        }
    };
    // Streamed from the file: the package is never whole in memory.
    let key = format!("{}pull.zip", new_upload_folder(tenant));
    let failed = |e: &dyn std::fmt::Display| AdminError::Upload(e.to_string());
    let body = aws_sdk_s3::primitives::ByteStream::from_path(file.path()).await.map_err(|e| failed(&e))?;
    s3.put_object().bucket(bucket).key(&key).body(body).send().await.map_err(|e| failed(&e))?;
    Ok((pulled, key))
}

/// Keeps a failed pull as a failed job of the tenant: its key names the source, its error the
/// call that failed and why.
async fn keep_failure(
    store: &Store,
    tenant: &TenantId,
    source: &Source,
    started: Timestamp,
    error: &PullError,
) -> Result<(), AdminError> {
    let mut job = Job {
        id: oneroster_auth::secret::random_id(),
        tenant: tenant.clone(),
        bucket: String::new(),
        key: format!("pull from {}", source.url),
        state: JobState::Failed,
        started,
        finished: Some(Timestamp::now()),
        files: Default::default(),
        items_written: 0,
        warnings: Vec::new(),
        error_count: 1,
        error_counts: [("pull".to_owned(), 1)].into(),
        errors: Vec::new(),
        attempts: 1,
        report_key: None,
        hold: None,
        applying: None,
    };
    job.keep_lines([format!("the pull failed, nothing was changed: {error}")], []);
    store.tenant(&operator(tenant)).jobs().put(&job).await?;
    Ok(())
}
