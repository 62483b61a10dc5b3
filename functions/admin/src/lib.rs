//! What operators and district admins do, as functions over the store and the upload bucket:
//! register tenants, manage their OAuth clients (those that sign OAuth 1.0a requests with
//! their secrets sealed under the deployment's key), upload packages, read ingest jobs, and keep
//! the token signing keys (in their secret, the public half published in the table), and the
//! webhooks clients' change events are POSTed to ([`webhooks`]). The
//! `oneroster-admin` binary is a thin command line over these; the local server and the tests
//! use them too.

pub mod audit;
pub mod sources;
pub mod webhooks;

use oneroster_auth::api_key::ApiKeyText;
use oneroster_auth::oauth1::{SealError, SecretSealer};
use oneroster_auth::{KeyError, KeyRing, Scopes};
use oneroster_csv::FileKind;
use oneroster_model::{DistrictSettings, Sharing, SourcedId, TenantId, Timestamp, Timezone, Under13, Writeback};
use oneroster_secrets::{SecretError, SigningSecret};
use oneroster_store::{ApiKey, Job, JobState, OAuthClient, PublishedKeys, Store, StoreError, Tenant, TenantRecord};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

/// An admin operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An export failed.
    #[error("exporting: {0}")]
    Export(#[from] oneroster_export::ExportError),
    /// The tenant is not registered.
    #[error("tenant '{0}' is not registered (oneroster-admin tenant create {0})")]
    UnknownTenant(String),
    /// An erasure or a purge failed (run it again to finish it).
    #[error(transparent)]
    Privacy(#[from] oneroster_privacy::PrivacyError),
    /// The user id to erase is not a sourcedId.
    #[error("'{0}' is not a sourcedId")]
    BadUserId(String),
    /// The tenant is disabled.
    #[error("tenant '{0}' is disabled")]
    DisabledTenant(String),
    /// No such client.
    #[error("client '{0}' was not found")]
    UnknownClient(String),
    /// No such API key.
    #[error("API key '{0}' was not found (api-key list --tenant …)")]
    UnknownApiKey(String),
    /// No such webhook.
    #[error("webhook '{0}' was not found (webhook list --tenant …)")]
    UnknownWebhook(String),
    /// A webhook's URL is refused.
    #[error(transparent)]
    WebhookUrl(#[from] oneroster_webhooks::TargetError),
    /// No such job.
    #[error("job '{0}' was not found")]
    UnknownJob(String),
    /// The upload failed.
    #[error("uploading: {0}")]
    Upload(String),
    /// The job did not finish in time.
    #[error("the ingest job of {0} did not finish within {1:?}")]
    Timeout(String, Duration),
    /// The signing-keys secret could not be read or written.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// A signing key could not be made.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A client's secret could not be sealed (the key service failed).
    #[error(transparent)]
    Sealing(#[from] SealError),
    /// A client that signs OAuth 1.0a requests cannot be given a secret without its key.
    #[error("client '{0}' signs OAuth 1.0a requests: its new secret must be sealed (give the key)")]
    NoSealer(String),
    /// There are no signing keys to rotate or retire yet.
    #[error("there are no signing keys yet (oneroster-admin keys init)")]
    NoKeys,
    /// The tenant has no SIS source.
    #[error("tenant '{0}' has no SIS source (oneroster-admin source set --tenant {0} …)")]
    NoSource(String),
    /// A pull from the tenant's SIS failed: nothing was uploaded.
    #[error("the pull failed, nothing was changed: {0}")]
    Pull(#[from] oneroster_pull::PullError),
    /// A district setting's value is not one it takes.
    #[error("--{setting}: {reason}")]
    BadSetting {
        /// The option.
        setting: &'static str,
        /// Why the value is refused, with what is taken.
        reason: String,
    },
}

/// A change to a district's settings, as an operator gives it: each `Some` replaces its
/// setting, each `None` leaves it (`tenant set`, whose options these are).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SettingsChange {
    /// IANA timezone (America/Chicago): a date-only value is the start of that day there.
    #[arg(long)]
    pub timezone: Option<String>,
    /// The current school year (2026 for 2025-26), or `none`.
    #[arg(long)]
    pub school_year: Option<String>,
    /// The licensed schools' sourcedIds, comma-separated, or `all`.
    #[arg(long)]
    pub licensed_schools: Option<String>,
    /// Hold a bulk that would mark more than this percentage of a rostering collection (of at
    /// least 50 active records) `tobedeleted` (default 10).
    #[arg(long)]
    pub deletion_threshold: Option<u32>,
    /// Days deleted records are kept before they are purged for good (365 by default), or
    /// `forever`.
    #[arg(long)]
    pub retention_days: Option<String>,
    /// Hold a bulk with fewer rows in a file: `users.csv=1000` (`users=1000` too; repeatable;
    /// `=0` drops it).
    #[arg(long)]
    pub expect_rows: Vec<String>,
    /// Hold a bulk in which a licensed school has no classes or no enrolled students.
    #[arg(long)]
    pub expect_school_rosters: Option<bool>,
    /// How often the grades API clients write go back to the SIS as a delta zip in the
    /// tenant's outbox folder: `off` (the default: only `writeback` sends them), `hourly` or
    /// `daily`.
    #[arg(long)]
    pub grade_writeback: Option<String>,
}

impl SettingsChange {
    /// `settings` with this change made, every value checked first.
    pub fn apply_to(self, mut settings: DistrictSettings) -> Result<DistrictSettings, AdminError> {
        let bad = |setting, reason: String| AdminError::BadSetting { setting, reason };
        if let Some(zone) = self.timezone {
            settings.timezone = Timezone::parse(&zone).map_err(|e| bad("timezone", e.to_string()))?;
        }
        if let Some(year) = self.school_year {
            settings.school_year = match year.as_str() {
                "none" => None,
                y if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => Some(year),
                _ => return Err(bad("school-year", format!("'{year}' is not a year (2026 for 2025-26) or 'none'"))),
            };
        }
        if let Some(schools) = self.licensed_schools {
            settings.licensed_schools = schools_or_all(&schools, "licensed-schools")?;
        }
        if let Some(percent) = self.deletion_threshold {
            if percent > 100 {
                return Err(bad("deletion-threshold", format!("{percent} is not a percentage (0 to 100)")));
            }
            settings.deletion_threshold_percent = percent;
        }
        if let Some(days) = self.retention_days {
            settings.retention_days = match days.as_str() {
                "forever" => None,
                d => Some(d.parse().ok().filter(|d| *d > 0).ok_or_else(|| {
                    bad("retention-days", format!("'{d}' is not a number of days above 0, or 'forever'"))
                })?),
            };
        }
        for expectation in self.expect_rows {
            let (file, rows) = expectation
                .split_once('=')
                .and_then(|(file, rows)| Some((file.trim(), rows.trim().parse::<u64>().ok()?)))
                .ok_or_else(|| bad("expect-rows", format!("'{expectation}' is not file=rows (users.csv=1000)")))?;
            let name = if file.ends_with(".csv") { file.to_owned() } else { format!("{file}.csv") };
            if !FileKind::ALL.iter().any(|kind| kind.file_name() == name) {
                return Err(bad(
                    "expect-rows",
                    format!("'{file}' is not a file of the CSV binding (users.csv, classes.csv, …)"),
                ));
            }
            match rows {
                0 => settings.expected_rows.remove(&name),
                rows => settings.expected_rows.insert(name, rows),
            };
        }
        if let Some(expect) = self.expect_school_rosters {
            settings.expect_school_rosters = expect;
        }
        if let Some(cadence) = self.grade_writeback {
            settings.grade_writeback = Writeback::parse(&cadence)
                .ok_or_else(|| bad("grade-writeback", format!("'{cadence}' is not off, hourly or daily")))?;
        }
        Ok(settings)
    }
}

/// Changes a registered tenant's settings; returns them as they now are (in effect from the
/// next request or upload).
pub async fn set_settings(
    store: &Store,
    tenant: &TenantId,
    change: SettingsChange,
) -> Result<DistrictSettings, AdminError> {
    store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    let operator = operator(tenant);
    let settings = change.apply_to(store.tenant(&operator).settings().await?)?;
    store.tenant(&operator).put_settings(&settings).await?;
    Ok(settings)
}

/// A tenant as registered, with its settings (the defaults shown where none were set).
pub async fn show_tenant(store: &Store, tenant: &TenantId) -> Result<Value, AdminError> {
    let record = store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    let settings = store.tenant(&operator(tenant)).settings().await?;
    let mut shown = serde_json::to_value(record).map_err(StoreError::from)?;
    let mut settings = serde_json::to_value(settings).map_err(StoreError::from)?;
    // Every setting shown, those left to their defaults in words.
    for (name, default) in
        [("schoolYear", Value::Null), ("licensedSchools", "all".into()), ("expectedRows", serde_json::json!({}))]
    {
        settings.as_object_mut().map(|o| o.entry(name).or_insert(default));
    }
    if settings["retentionDays"].is_null() {
        settings["retentionDays"] = "forever".into();
    }
    shown["settings"] = settings;
    Ok(shown)
}

/// Erases `user` of a registered tenant on request of `by`, at `now` (`oneroster-admin erase`;
/// see [`oneroster_privacy::erasure`]): the user and every record only about them, each leaving
/// a tombstone holding only its sourcedId; an audit event names who erased whom.
pub async fn erase_user(
    store: &Store,
    tenant: &TenantId,
    user: &str,
    by: &str,
    now: Timestamp,
) -> Result<oneroster_privacy::Erasure, AdminError> {
    store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    let user = SourcedId::parse(user).map_err(|_| AdminError::BadUserId(user.to_owned()))?;
    Ok(oneroster_privacy::erase(store, &operator(tenant), &user, by, now).await?)
}

/// Purges a registered tenant's deleted records past its retention period at `now`
/// (`oneroster-admin purge`; the scheduled function does every tenant daily).
pub async fn purge_tenant(
    store: &Store,
    tenant: &TenantId,
    now: Timestamp,
) -> Result<oneroster_privacy::Purge, AdminError> {
    store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    Ok(oneroster_privacy::purge(store, &operator(tenant), now).await?)
}

/// Exports a registered tenant's active records to `out` as a bulk CSV package of `version`
/// (`oneroster_export`). The zip is written beside `out` and renamed into place once complete,
/// so a failed export leaves no partial package to be taken for one.
pub async fn export_tenant(
    store: &Store,
    tenant: &TenantId,
    version: oneroster_csv::Version,
    out: &std::path::Path,
) -> Result<oneroster_export::Exported, AdminError> {
    store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    let partial = out.with_extension("zip.partial");
    let written = async {
        let file = std::io::BufWriter::new(std::fs::File::create(&partial)?);
        let exported = oneroster_export::export(store, &operator(tenant), version, file).await?;
        std::fs::rename(&partial, out)?;
        Ok::<_, oneroster_export::ExportError>(exported)
    };
    match written.await {
        Ok(exported) => Ok(exported),
        Err(e) => {
            // Best effort: the error says what failed; a leftover partial file is named so.
            let _ = std::fs::remove_file(&partial);
            Err(e.into())
        }
    }
}

/// The OneRoster version a command line names (`1.2`, `1.1`).
pub fn oneroster_version(text: &str) -> Result<oneroster_csv::Version, String> {
    match text {
        "1.2" => Ok(oneroster_csv::Version::V1p2),
        "1.1" => Ok(oneroster_csv::Version::V1p1),
        other => Err(format!("'{other}' is not a OneRoster version this provider writes (1.2 or 1.1)")),
    }
}

/// The tenant an operator names: this CLI acts for any tenant.
pub fn operator(tenant: &TenantId) -> Tenant {
    Tenant::by_operator(tenant.clone())
}

/// A new key id: the time it was made, so ids sort by age and never repeat.
fn new_kid() -> String {
    format!("k{}", Timestamp::now().to_string().replace(['-', ':', '.'], "").to_lowercase())
}

/// Saves `ring` and publishes its public keys. A new key is published before the secret
/// holds it (so no token signed with it is ever unverifiable); a retired key is dropped from
/// the secret before it is unpublished.
async fn keep_keys(store: &Store, secret: &SigningSecret, ring: &KeyRing, adding: bool) -> Result<Value, AdminError> {
    let published = PublishedKeys { jwks: ring.jwks() };
    if adding {
        store.publish_keys(&published).await?;
        secret.save(ring).await?;
    } else {
        secret.save(ring).await?;
        store.publish_keys(&published).await?;
    }
    Ok(published.jwks)
}

/// Makes the signing key ring if the secret holds none (a fresh deployment's secret holds a
/// placeholder) and publishes its public keys; leaves an existing ring as it is (publishing it
/// again). Returns the published JWKS.
pub async fn init_keys(store: &Store, secret: &SigningSecret) -> Result<Value, AdminError> {
    match secret.load().await {
        Ok(Some(ring)) => keep_keys(store, secret, &ring, true).await,
        Ok(None) | Err(SecretError::NotARing(_)) => {
            keep_keys(store, secret, &KeyRing::generate(&new_kid())?, true).await
        }
        Err(error) => Err(error.into()),
    }
}

/// Puts a new signing key in front (it signs from the auth function's next key reload; the
/// others stay published, so tokens they signed stay valid). Returns the published JWKS.
pub async fn rotate_keys(store: &Store, secret: &SigningSecret) -> Result<Value, AdminError> {
    let mut ring = secret.load().await?.ok_or(AdminError::NoKeys)?;
    ring.rotate(&new_kid())?;
    keep_keys(store, secret, &ring, true).await
}

/// Keeps only the newest `keep` keys (at least one): run it once the tokens the older keys
/// signed have expired (the token lifetime after the auth function stopped signing with them).
pub async fn retire_keys(store: &Store, secret: &SigningSecret, keep: usize) -> Result<Value, AdminError> {
    let mut ring = secret.load().await?.ok_or(AdminError::NoKeys)?;
    ring.retire(keep);
    keep_keys(store, secret, &ring, false).await
}

/// Registers a tenant (or renames it and enables it again).
pub async fn create_tenant(store: &Store, tenant: &TenantId, name: &str) -> Result<TenantRecord, AdminError> {
    let created = store.get_tenant(tenant).await?.map_or_else(Timestamp::now, |t| t.created);
    let record = TenantRecord { id: tenant.clone(), name: name.to_owned(), enabled: true, created };
    store.put_tenant(&record).await?;
    Ok(record)
}

/// Disables a tenant and every one of its clients (their tokens stop working within the
/// API's recheck interval).
pub async fn disable_tenant(store: &Store, tenant: &TenantId) -> Result<usize, AdminError> {
    let mut record = store.get_tenant(tenant).await?.ok_or_else(|| AdminError::UnknownTenant(tenant.to_string()))?;
    record.enabled = false;
    store.put_tenant(&record).await?;
    let operator = operator(tenant);
    let clients = store.tenant(&operator).clients();
    let mut disabled = 0;
    for client in clients.list().await?.into_iter().filter(|c| c.enabled) {
        clients.put(&OAuthClient { enabled: false, ..client }).await?;
        disabled += 1;
    }
    Ok(disabled)
}

/// Creates an enabled OAuth client of a registered, enabled tenant holding `scopes`; returns it
/// and its secret, as text to show once (stored only as an argon2id hash).
pub async fn create_client(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    scopes: &Scopes,
) -> Result<(OAuthClient, String), AdminError> {
    new_client(store, tenant, name, scopes, None).await
}

/// [`create_client`], the client also able to sign OAuth 1.0a requests (a legacy option, for
/// OneRoster 1.1 consumers that cannot use tokens): its secret is kept sealed by `sealer` (the
/// deployment's KMS key) beside the hash, since an HMAC needs the secret itself.
pub async fn create_signing_client(
    store: &Store,
    sealer: &dyn SecretSealer,
    tenant: &TenantId,
    name: &str,
    scopes: &Scopes,
) -> Result<(OAuthClient, String), AdminError> {
    new_client(store, tenant, name, scopes, Some(sealer)).await
}

async fn new_client(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    scopes: &Scopes,
    sealer: Option<&dyn SecretSealer>,
) -> Result<(OAuthClient, String), AdminError> {
    check_enabled(store, tenant).await?;
    let (secret, secret_hash) = oneroster_auth::secret::generate();
    let id = oneroster_auth::new_client_id(tenant);
    let sealed_secret = match sealer {
        Some(sealer) => Some(sealer.seal(&id, &secret).await?),
        None => None,
    };
    let now = Timestamp::now();
    let client = OAuthClient {
        id,
        tenant: tenant.clone(),
        name: name.to_owned(),
        scopes: scopes.to_text(),
        secret_hash,
        enabled: true,
        created: now,
        rotated: now,
        sealed_secret,
        sharing: Sharing::default(),
    };
    store.tenant(&operator(tenant)).clients().put(&client).await?;
    Ok((client, secret.expose().to_owned()))
}

/// Refuses a tenant that is not registered or is disabled: nothing may be granted access to it.
pub(crate) async fn check_enabled(store: &Store, tenant: &TenantId) -> Result<(), AdminError> {
    match store.get_tenant(tenant).await? {
        None => Err(AdminError::UnknownTenant(tenant.to_string())),
        Some(record) if !record.enabled => Err(AdminError::DisabledTenant(tenant.to_string())),
        Some(_) => Ok(()),
    }
}

/// Makes a static API key of `tenant` holding `scopes`, for a server-to-server integration
/// that cannot run the client-credentials flow: its record (only a hash of the key is kept)
/// and the key itself, to show this once.
pub async fn create_api_key(
    store: &Store,
    tenant: &TenantId,
    name: &str,
    scopes: &Scopes,
) -> Result<(ApiKey, ApiKeyText), AdminError> {
    check_enabled(store, tenant).await?;
    let (id, text, hash) = oneroster_auth::api_key::mint(tenant);
    let key = ApiKey {
        id,
        tenant: tenant.clone(),
        name: name.to_owned(),
        scopes: scopes.to_text(),
        hash,
        created: Timestamp::now(),
        revoked: None,
        sharing: Sharing::default(),
    };
    store.tenant(&operator(tenant)).clients().put_key(&key).await?;
    Ok((key, text))
}

/// Revokes the API key `id` (its id begins with its tenant): the API refuses it within its
/// recheck interval (a minute). Revoking a revoked key keeps the time it was first revoked.
pub async fn revoke_api_key(store: &Store, id: &str) -> Result<ApiKey, AdminError> {
    let unknown = || AdminError::UnknownApiKey(id.to_owned());
    let tenant = Tenant::of_client_id(id).ok_or_else(unknown)?;
    let keys = store.tenant(&tenant).clients();
    let mut key = keys.get_key(id).await?.ok_or_else(unknown)?;
    key.revoked.get_or_insert_with(Timestamp::now);
    keys.put_key(&key).await?;
    Ok(key)
}

/// What an operator is shown of an API key: never the key or its hash.
pub fn shown_key(key: &ApiKey) -> Value {
    serde_json::json!({"key_id": key.id, "name": key.name, "scope": key.scopes, "created": key.created,
                       "revoked": key.revoked, "sharing": shown_sharing(&key.sharing)})
}

/// `all` (`None`: every school), or the comma-separated sourcedIds of some schools, as the
/// option `setting` takes them (`--licensed-schools`, `--schools`).
fn schools_or_all(text: &str, setting: &'static str) -> Result<Option<BTreeSet<SourcedId>>, AdminError> {
    match text {
        "all" => Ok(None),
        list => list
            .split(',')
            .map(|id| SourcedId::parse(id.trim()))
            .collect::<Result<_, _>>()
            .map(Some)
            .map_err(|e| AdminError::BadSetting { setting, reason: e.to_string() }),
    }
}

/// A change to what a client or API key is shared, as an operator gives it (`client create`,
/// `client update`, `api-key create`): each rule given replaces that rule, each left out
/// stays.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SharingChange {
    /// Only the records of these schools (sourcedIds, comma-separated), or `all`.
    #[arg(long)]
    pub schools: Option<String>,
    /// Field names left out of every record that has them (comma-separated), besides
    /// `password` (always hidden), or `none`.
    #[arg(long)]
    pub hide_fields: Option<String>,
    /// Only these collections (users,classes,…), or `all`.
    #[arg(long)]
    pub collections: Option<String>,
    /// Students under 13: `shared`, `withheld` (no email, phone, sms, username, userIds or
    /// birth date) or `consented` (the district recorded consent for this app).
    #[arg(long)]
    pub under_13: Option<String>,
}

impl SharingChange {
    /// `sharing` with the change made, checked.
    pub fn apply(self, mut sharing: Sharing) -> Result<Sharing, AdminError> {
        let bad = |setting, reason: String| AdminError::BadSetting { setting, reason };
        if let Some(schools) = self.schools {
            sharing.schools = schools_or_all(schools.trim(), "schools")?;
        }
        if let Some(fields) = self.hide_fields {
            sharing.hidden_fields =
                if fields.trim() == "none" { Default::default() } else { Sharing::parse_fields(&fields) };
        }
        if let Some(collections) = self.collections {
            sharing.collections = match collections.trim() {
                "all" => None,
                list => Some(Sharing::parse_collections(list).map_err(|e| bad("collections", e.to_string()))?),
            };
        }
        if let Some(under_13) = self.under_13 {
            sharing.under_13 = Under13::parse(under_13.trim())
                .ok_or_else(|| bad("under-13", format!("'{under_13}' is not shared, withheld or consented")))?;
        }
        sharing.check().map_err(|e| bad("hide-fields", e.to_string()))?;
        Ok(sharing)
    }
}

/// Changes what the client `id` is shared; the API applies it within its recheck interval.
pub async fn share_with_client(store: &Store, id: &str, change: SharingChange) -> Result<OAuthClient, AdminError> {
    let client = get_client(store, id).await?;
    let client = OAuthClient { sharing: change.apply(client.sharing.clone())?, ..client };
    store.tenant(&operator(&client.tenant)).clients().put(&client).await?;
    Ok(client)
}

/// Changes what the API key `id` is shared; the API applies it within its recheck interval.
pub async fn share_with_key(store: &Store, id: &str, change: SharingChange) -> Result<ApiKey, AdminError> {
    let unknown = || AdminError::UnknownApiKey(id.to_owned());
    let tenant = Tenant::of_client_id(id).ok_or_else(unknown)?;
    let keys = store.tenant(&tenant).clients();
    let key = keys.get_key(id).await?.ok_or_else(unknown)?;
    let key = ApiKey { sharing: change.apply(key.sharing.clone())?, ..key };
    keys.put_key(&key).await?;
    Ok(key)
}

/// A client by id.
pub async fn get_client(store: &Store, id: &str) -> Result<OAuthClient, AdminError> {
    let unknown = || AdminError::UnknownClient(id.to_owned());
    let tenant = Tenant::of_client_id(id).ok_or_else(unknown)?;
    store.tenant(&tenant).clients().get(id).await?.ok_or_else(unknown)
}

/// What an operator is shown of a client: never its secret, hash or sealed secret; `oauth1`
/// says whether it can sign OAuth 1.0a requests.
pub fn shown(client: &OAuthClient) -> Value {
    serde_json::json!({"client_id": client.id, "name": client.name, "scope": client.scopes, "enabled": client.enabled,
                       "oauth1": client.can_sign(), "created": client.created, "rotated": client.rotated,
                       "sharing": shown_sharing(&client.sharing)})
}

/// A client's or key's sharing rules as an operator reads them: the defaults spelt out.
fn shown_sharing(sharing: &Sharing) -> Value {
    serde_json::json!({
        "schools": sharing.schools.as_ref().map_or(serde_json::json!("all"), |s| serde_json::json!(s)),
        "hiddenFields": sharing.hidden().collect::<Vec<_>>(),
        "collections": sharing.collections.as_ref().map_or(serde_json::json!("all"), |c| serde_json::json!(c)),
        "under13": sharing.under_13,
    })
}

/// Saves a client changed by `change`, reading it first (a client's id begins with its tenant).
async fn change_client(
    store: &Store,
    id: &str,
    change: impl FnOnce(OAuthClient) -> OAuthClient,
) -> Result<(), AdminError> {
    let client = get_client(store, id).await?;
    store.tenant(&operator(&client.tenant)).clients().put(&change(client)).await?;
    Ok(())
}

/// Gives a client a new secret (the old one stops working at once, for tokens and, within the
/// API's recheck interval, for signatures); returns the new secret. A client that signs OAuth
/// 1.0a requests has the new secret sealed by `sealer`, which it then needs.
pub async fn rotate_client(store: &Store, sealer: Option<&dyn SecretSealer>, id: &str) -> Result<String, AdminError> {
    let (secret, secret_hash) = oneroster_auth::secret::generate();
    let sealed_secret = match (get_client(store, id).await?.can_sign(), sealer) {
        (false, _) => None,
        (true, Some(sealer)) => Some(sealer.seal(id, &secret).await?),
        (true, None) => return Err(AdminError::NoSealer(id.to_owned())),
    };
    change_client(store, id, |client| OAuthClient { secret_hash, sealed_secret, rotated: Timestamp::now(), ..client })
        .await?;
    Ok(secret.expose().to_owned())
}

/// Revokes a client: no new tokens, and its tokens are refused within the recheck interval.
pub async fn revoke_client(store: &Store, id: &str) -> Result<(), AdminError> {
    change_client(store, id, |client| OAuthClient { enabled: false, ..client }).await
}

/// The finished job of the upload at `key`, if it has finished.
pub async fn finished_job(store: &Store, tenant: &TenantId, key: &str) -> Result<Option<Job>, AdminError> {
    let jobs = store.tenant(&operator(tenant)).jobs().list().await?;
    Ok(jobs.into_iter().find(|j| j.key == key && j.state != JobState::Running))
}

/// Puts a package into the upload bucket at `<tenant>/uploads/<time>/<name>`, reporting bytes
/// sent to `progress` (multipart in 8 MiB parts for big files); returns the key.
pub async fn upload(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tenant: &TenantId,
    name: &str,
    bytes: Vec<u8>,
    progress: impl Fn(u64),
) -> Result<String, AdminError> {
    // S3 notifies the ingest of the endings it takes as written; `.Zip` would never arrive.
    let name = match name.len().checked_sub(4).filter(|at| name.is_char_boundary(*at)) {
        Some(at) if name[at..].eq_ignore_ascii_case(".zip") => format!("{}.zip", &name[..at]),
        _ => name.to_owned(),
    };
    let key = format!("{}{name}", new_upload_folder(tenant));
    put_object(s3, bucket, &key, bytes, progress).await?;
    Ok(key)
}

/// What an operator hands `upload`: one zip, or loose CSV files (a folder's, or named one by one).
#[derive(Debug)]
pub enum Delivery {
    /// A zip: its file name and bytes.
    Zip(String, Vec<u8>),
    /// CSV files: each file's name and bytes.
    Loose(Vec<(String, Vec<u8>)>),
}

impl Delivery {
    /// Reads what `paths` name: a single `.zip`, or folders (their `.csv` files, not their
    /// sub-folders') and `.csv` files.
    pub fn read(paths: &[std::path::PathBuf]) -> Result<Self, AdminError> {
        let bad = |reason: String| AdminError::Upload(reason);
        let name_of = |path: &std::path::Path| path.file_name().map(|n| n.to_string_lossy().into_owned());
        let is = |path: &std::path::Path, ending: &str| {
            name_of(path).is_some_and(|n| n.to_ascii_lowercase().ends_with(ending))
        };
        if let [path] = paths {
            if is(path, ".zip") {
                let name = name_of(path).unwrap_or_default();
                return Ok(Delivery::Zip(
                    name,
                    std::fs::read(path).map_err(|e| bad(format!("{}: {e}", path.display())))?,
                ));
            }
        }
        let mut files = Vec::new();
        for path in paths {
            let listed: Vec<std::path::PathBuf> = if path.is_dir() {
                let entries = std::fs::read_dir(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
                entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file() && is(p, ".csv")).collect()
            } else if is(path, ".csv") {
                vec![path.clone()]
            } else {
                return Err(bad(format!("{}: not a .zip, a .csv file or a folder of them", path.display())));
            };
            for file in listed {
                let bytes = std::fs::read(&file).map_err(|e| bad(format!("{}: {e}", file.display())))?;
                files.push((name_of(&file).unwrap_or_default(), bytes));
            }
        }
        if files.is_empty() {
            return Err(bad("no .csv file to upload".to_owned()));
        }
        Ok(Delivery::Loose(files))
    }

    /// Bytes to send.
    pub fn bytes(&self) -> u64 {
        match self {
            Delivery::Zip(_, bytes) => bytes.len() as u64,
            Delivery::Loose(files) => files.iter().map(|(_, bytes)| bytes.len() as u64).sum(),
        }
    }
}

/// A new folder for an upload, `<tenant>/uploads/<time>/`.
pub(crate) fn new_upload_folder(tenant: &TenantId) -> String {
    format!("{tenant}/uploads/{}/", Timestamp::now().to_string().replace(':', "-"))
}

/// Puts loose CSV files (name, bytes) into a new batch folder `<tenant>/uploads/<time>/` as one
/// package, reporting the bytes sent to `progress`: every file, a `manifest.csv` last of them
/// (it completes the folder for the ingest as well), then the empty `_ready` marker. Returns
/// the folder, the key of its job.
pub async fn upload_batch(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tenant: &TenantId,
    mut files: Vec<(String, Vec<u8>)>,
    progress: impl Fn(u64),
) -> Result<String, AdminError> {
    let folder = new_upload_folder(tenant);
    files.sort_by_key(|(name, _)| name.eq_ignore_ascii_case("manifest.csv"));
    let mut sent = 0;
    for (name, bytes) in files {
        let length = bytes.len() as u64;
        put_object(s3, bucket, &format!("{folder}{name}"), bytes, |part| progress(sent + part)).await?;
        sent += length;
    }
    put_object(s3, bucket, &format!("{folder}_ready"), Vec::new(), |_| {}).await?;
    Ok(folder)
}

/// Puts `bytes` at `key`, multipart in 8 MiB parts for big files, reporting bytes sent.
async fn put_object(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    bytes: Vec<u8>,
    progress: impl Fn(u64),
) -> Result<(), AdminError> {
    const PART: usize = 8 * 1024 * 1024;
    let failed = |e: &dyn std::fmt::Display| AdminError::Upload(e.to_string());
    if bytes.len() <= PART {
        let length = bytes.len() as u64;
        s3.put_object().bucket(bucket).key(key).body(bytes.into()).send().await.map_err(|e| failed(&e))?;
        progress(length);
        return Ok(());
    }
    let started = s3.create_multipart_upload().bucket(bucket).key(key).send().await.map_err(|e| failed(&e))?;
    let upload_id = started.upload_id.unwrap_or_default();
    let mut parts = Vec::new();
    let mut sent = 0u64;
    for (i, chunk) in bytes.chunks(PART).enumerate() {
        let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
        let part = s3
            .upload_part()
            .bucket(bucket)
            .key(key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(chunk.to_vec().into())
            .send()
            .await
            .map_err(|e| failed(&e))?;
        parts.push(aws_sdk_s3::types::CompletedPart::builder().part_number(number).set_e_tag(part.e_tag).build());
        sent += chunk.len() as u64;
        progress(sent);
    }
    let completed = aws_sdk_s3::types::CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(completed)
        .send()
        .await
        .map_err(|e| failed(&e))?;
    Ok(())
}

/// Waits for the job of the upload at `key`, polling every half second.
pub async fn wait_for_job(store: &Store, tenant: &TenantId, key: &str, timeout: Duration) -> Result<Job, AdminError> {
    let started = std::time::Instant::now();
    while started.elapsed() < timeout {
        if let Some(job) = finished_job(store, tenant, key).await? {
            return Ok(job);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(AdminError::Timeout(key.to_owned(), timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grade_writeback_is_set_by_its_words_and_anything_else_is_refused_naming_the_option() {
        let change = |cadence: &str| SettingsChange { grade_writeback: Some(cadence.into()), ..Default::default() };
        let set = change("hourly").apply_to(DistrictSettings::default()).unwrap();
        assert_eq!(set.grade_writeback, Writeback::Hourly);
        let refused = change("weekly").apply_to(set.clone()).unwrap_err();
        assert!(
            refused.to_string().contains("--grade-writeback") && refused.to_string().contains("weekly"),
            "{refused}"
        );
        assert_eq!(change("off").apply_to(set).unwrap().grade_writeback, Writeback::Off);
    }

    #[test]
    fn a_delivery_is_one_zip_or_loose_csv_files_from_folders_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name);
        std::fs::write(path("bulk.ZIP"), b"PK").unwrap();
        std::fs::create_dir(path("export")).unwrap();
        std::fs::write(path("export/users_2026.csv"), b"u").unwrap();
        std::fs::write(path("export/notes.txt"), b"n").unwrap();
        std::fs::create_dir(path("export/old")).unwrap();
        std::fs::write(path("export/old/users.csv"), b"old").unwrap();
        std::fs::write(path("orgs.csv"), b"o").unwrap();

        assert!(matches!(Delivery::read(&[path("bulk.ZIP")]), Ok(Delivery::Zip(name, _)) if name == "bulk.ZIP"));
        let Ok(Delivery::Loose(mut files)) = Delivery::read(&[path("export"), path("orgs.csv")]) else { panic!() };
        files.sort();
        assert_eq!(files, [("orgs.csv".to_owned(), b"o".to_vec()), ("users_2026.csv".to_owned(), b"u".to_vec())]);
        for refused in
            [vec![path("export/notes.txt")], vec![path("bulk.ZIP"), path("orgs.csv")], vec![path("export/old/x")]]
        {
            assert!(matches!(Delivery::read(&refused), Err(AdminError::Upload(_))), "{refused:?}");
        }
        std::fs::create_dir(path("empty")).unwrap();
        assert!(
            matches!(Delivery::read(&[path("empty")]), Err(AdminError::Upload(reason)) if reason.contains("no .csv"))
        );
    }
}
