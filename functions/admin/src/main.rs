//! `oneroster-admin`: tenants, OAuth clients, uploads, ingest jobs and the token signing keys.
//! Works against the local stack (`DYNAMODB_ENDPOINT`, `S3_ENDPOINT`, `SECRETS_ENDPOINT`,
//! `KMS_ENDPOINT` set, as `make run` does) or, without them, against the AWS account and region
//! of the usual AWS configuration (`TABLE_NAME`, `UPLOAD_BUCKET`, `SIGNING_KEYS_SECRET` name the
//! deployment's table, bucket and secret; `make deploy` prints them; `OAUTH1_KEY` names the KMS
//! key that OAuth 1.0a clients' and webhooks' secrets are sealed under, `alias/oneroster-<stage>`).

use admin::{AdminError, SharingChange};
use clap::{Parser, Subcommand};
use oneroster_auth::{ClientSecret, Scopes};
use oneroster_ingest::{Ingest, Uploads};
use oneroster_model::{TenantId, Timestamp};
use oneroster_secrets::{KmsSealer, SigningSecret};
use oneroster_store::{Job, JobState, Store};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Manage a OneRoster provider: tenants, OAuth clients, uploads, ingest jobs.
#[derive(Parser)]
#[command(name = "oneroster-admin")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tenants (districts).
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// OAuth clients of a tenant.
    Client {
        #[command(subcommand)]
        command: ClientCommand,
    },
    /// Static API keys of a tenant, for server-to-server integrations (requests send
    /// `X-API-Key: <key>` or `Authorization: ApiKey <key>`).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Webhooks of a tenant: a client's change events POSTed, signed, to a URL.
    Webhook {
        #[command(subcommand)]
        command: WebhookCommand,
    },
    /// A district's SIS as a source the provider pulls the district's data from, through the
    /// SIS's own OneRoster API (1.2 or 1.1).
    Source {
        #[command(subcommand)]
        command: SourceCommand,
    },
    /// Pull the tenant's SIS now: every collection read into a bulk package, uploaded to the
    /// tenant's upload folder, ingested like any upload; waits for its job and prints it (exit
    /// codes as `upload`'s). A failed pull changes nothing and is kept as a failed job.
    Pull {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Seconds to wait for the ingest job.
        #[arg(long, default_value_t = 3600)]
        wait: u64,
    },
    /// Upload a OneRoster package for a tenant (a zip, or loose CSV files: a folder of them or
    /// the files themselves, sent as one batch folder with its `_ready` marker last), wait for
    /// its ingest job and print its summary. Exits 0 when applied, 1 when rejected or failed, 2
    /// on a usage error, 3 when the bulk is held for an admin (`jobs approve` or `jobs reject`).
    Upload {
        /// The zip, or the folder or CSV files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// How long to wait for the job, in seconds.
        #[arg(long, default_value_t = 3600)]
        wait: u64,
    },
    /// Ingest jobs of a tenant.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Erase a user on request: the user and every record only about them (enrollments,
    /// demographics, results, resource links, attendance) become tombstones holding only their
    /// sourcedIds, which change feeds list so that apps delete their copies; an audit event
    /// names who erased whom. Prints what was erased as JSON; erasing again does nothing.
    Erase {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The user's sourcedId.
        #[arg(long)]
        user: String,
        /// Who asks for it, for the audit event (a name or a ticket, no personal data).
        #[arg(long, default_value = "operator")]
        by: String,
    },
    /// Purge a tenant's deleted records older than its retention period (`tenant set
    /// --retention-days`), as the scheduled purge does daily; prints what it removed per
    /// collection as JSON.
    Purge {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Export a tenant's active records as a OneRoster bulk CSV package (a zip with its
    /// manifest): every file it has records for, in 1.2 or in 1.1 (the 1.1 reader's mapping
    /// undone), streamed so that memory does not grow with the tenant. Prints each file and its
    /// rows as JSON.
    Export {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The OneRoster version of the package: `1.2` or `1.1`.
        #[arg(long, default_value = "1.2", value_parser = admin::oneroster_version)]
        version: oneroster_csv::Version,
        /// Where to write the zip (default: `<tenant>-<version>.zip` here).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Send the grades API clients wrote, changed or deleted since the last write-back to the
    /// SIS: a delta package of gradebook files in s3://<bucket>/<tenant>/outbox/, as the
    /// scheduled write-back does (`tenant set --grade-writeback`); none when nothing changed.
    /// Prints where the zip is and its files.
    Writeback {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// The keys that sign access tokens (private in the secret, public in the table).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Which app read which of a tenant's collections, how many records, when: the API's audit
    /// events added up per client and collection (requests, records returned, refused, first
    /// and last time). From the local server's audit log, or with `--log-group` or `--stack`
    /// from the deployment's logs by a CloudWatch Logs Insights query.
    Audit {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Only this client's (or API key's) requests.
        #[arg(long)]
        client: Option<String>,
        /// Only requests from then on: an RFC 3339 time (2026-03-02T08:00:00Z) or a date
        /// (2026-03-02, from midnight UTC).
        #[arg(long)]
        since: Option<String>,
        /// `table` (aligned columns) or `csv`.
        #[arg(long, value_enum, default_value = "table")]
        format: admin::audit::Format,
        /// The local server's audit log (default: `$RUN_DIR/audit.log`, `RUN_DIR` being
        /// `.local/run` unless set).
        #[arg(long, conflicts_with_all = ["log_group", "stack"])]
        log: Option<PathBuf>,
        /// A log group of the deployment's API functions to query (repeat for each).
        #[arg(long, conflicts_with = "stack")]
        log_group: Vec<String>,
        /// The deployment's stack: its API functions' log groups are queried
        /// (`<stack>-RosteringLogs-…`, `-ResourcesLogs-`, `-GradebookLogs-`, `-V1p2Logs-`).
        #[arg(long)]
        stack: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make the key ring if there is none, and publish its public keys (after a deploy).
    Init,
    /// Put a new key in front; the old ones stay published.
    Rotate,
    /// Keep only the newest keys (once the older keys' tokens have expired).
    Retire {
        /// How many keys to keep.
        #[arg(long, default_value_t = 1)]
        keep: usize,
    },
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Register a tenant (or enable it again).
    Create {
        /// Its id: lower-case letters, digits and `-`.
        id: String,
        /// The district's name.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the tenants.
    List,
    /// Show a tenant with its settings (defaults included).
    Show {
        /// Its id.
        id: String,
    },
    /// Change a tenant's settings; those not given stay as they are. In effect from the next
    /// request or upload.
    Set {
        /// Its id.
        id: String,
        #[command(flatten)]
        change: admin::SettingsChange,
    },
    /// Disable a tenant and all of its clients.
    Disable {
        /// Its id.
        id: String,
    },
}

/// Whom a client or an API key is made for, and what it may read and write.
#[derive(clap::Args)]
struct Grantee {
    /// The tenant.
    #[arg(long)]
    tenant: String,
    /// A name for people (the app or integration it is for).
    #[arg(long, default_value = "")]
    name: String,
    /// Scopes it may be granted (short names or URIs, 1.2 or 1.1, space-separated); every
    /// scope of the standard by default. The provider's extension scopes (`roster.createput`,
    /// `roster.delete`, `resource.createput`, `resource.delete`, `attendance.readonly`) only
    /// when named here.
    #[arg(long)]
    scopes: Option<String>,
    /// What the district shares with it beyond its scopes (schools, fields, collections,
    /// students under 13); everything but passwords by default.
    #[command(flatten)]
    sharing: SharingChange,
}

#[derive(Subcommand)]
enum ApiKeyCommand {
    /// Create a key; prints its id and the key (shown only this once: only a hash is kept).
    Create(Grantee),
    /// List a tenant's keys (never the keys themselves), revoked ones included.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Change what a key is shared (the API applies it within a minute).
    Update {
        /// The key's id.
        id: String,
        #[command(flatten)]
        sharing: SharingChange,
    },
    /// Revoke a key by its id: refused by the API within a minute.
    Revoke {
        /// The key's id (`key_id` of `create` or `list`).
        id: String,
    },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client; prints its id and secret (the secret is shown only this once).
    Create {
        #[command(flatten)]
        grantee: Grantee,
        /// Legacy, off by default: the client may also sign OAuth 1.0a requests (OneRoster 1.1
        /// consumers such as SDS, Canvas, Infinite Campus), so its secret is kept sealed under
        /// the deployment's KMS key (`OAUTH1_KEY`) as well as hashed.
        #[arg(long)]
        oauth1: bool,
    },
    /// Change what a client is shared (the API applies it within a minute).
    Update {
        /// The client id.
        id: String,
        #[command(flatten)]
        sharing: SharingChange,
    },
    /// Show a client (never its secret): name, scopes, enabled, whether it can sign OAuth 1.0a,
    /// what it is shared.
    Show {
        /// The client id.
        id: String,
    },
    /// List a tenant's clients (never their secrets), each saying whether it can sign OAuth 1.0a.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Give a client a new secret; prints it once.
    Rotate {
        /// The client id.
        id: String,
    },
    /// Revoke a client.
    Revoke {
        /// The client id.
        id: String,
    },
}

#[derive(Subcommand)]
enum SourceCommand {
    /// Set (or replace) the tenant's SIS: where its OneRoster API is and how to sign in; the
    /// secret is stored sealed and never shown again.
    Set {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The SIS's OneRoster URL: the root its `/ims/oneroster/…` paths are under, or a
        /// service's base (`https://sis.example/ims/oneroster/v1p1`).
        #[arg(long)]
        url: String,
        /// The OneRoster version it serves: 1.2 or 1.1.
        #[arg(long, default_value = "1.2")]
        version: String,
        /// How to sign in: oauth2 (client credentials) or oauth1 (signed requests).
        #[arg(long, default_value = "oauth2")]
        auth: String,
        /// The client id the SIS gave the provider.
        #[arg(long)]
        client_id: String,
        /// Its secret (or set ONEROSTER_SOURCE_SECRET, to keep it out of the shell's history).
        #[arg(long, env = "ONEROSTER_SOURCE_SECRET", hide_env_values = true)]
        client_secret: String,
        /// OAuth 2.0's token endpoint.
        #[arg(long)]
        token_url: Option<String>,
        /// OAuth 2.0 scopes to ask for (space-separated; default: what the client holds).
        #[arg(long)]
        scope: Option<String>,
        /// When to pull on its own: daily, monthly or cron(…) (default: only when asked).
        #[arg(long)]
        schedule: Option<String>,
        /// Pull the gradebook's collections too.
        #[arg(long)]
        gradebook: bool,
        /// Pull the resources too.
        #[arg(long)]
        resources: bool,
    },
    /// Show the tenant's SIS (never its secret).
    Show {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Sign in at the tenant's SIS and read one page of /orgs: one line, `ok: …` (exit 0) or
    /// `failed: …` (exit 1).
    Test {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Remove the tenant's SIS: no more pulls.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand)]
enum WebhookCommand {
    /// Add a webhook for a client: its change events (what its sharing rules let it see) are
    /// POSTed in batches, each signed with `X-OneRoster-Signature`; prints the webhook's id and
    /// its signing secret (shown only this once).
    Add {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The client whose events it is sent.
        #[arg(long)]
        client: String,
        /// Where batches are POSTed: `https://…` (plain `http://` only to 127.0.0.1, [::1] or
        /// localhost).
        #[arg(long)]
        url: String,
        /// Only these collections' events (users,enrollments,…; default: all the client may reach).
        #[arg(long)]
        collections: Option<String>,
    },
    /// List a tenant's webhooks (never their secrets).
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Remove a webhook: nothing more is sent to it, batches still queued included.
    Remove {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The webhook's id.
        id: String,
    },
    /// How a tenant's webhooks (or one) are doing: batches delivered, last success, failed
    /// attempts, last error, and the batches given up on after 24 hours of retries.
    Status {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// Only this webhook.
        id: Option<String>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List a tenant's jobs, newest first.
    List {
        /// The tenant.
        #[arg(long)]
        tenant: String,
    },
    /// Show a job with its errors and warnings.
    Show {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The job id.
        id: String,
    },
    /// Approve a held bulk: it is revalidated against the data as it is now and applied, here
    /// and now; prints the job and exits as `upload` does.
    Approve {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The held job's id.
        id: String,
    },
    /// Reject a held bulk: it is dropped for good, nothing of it applied.
    Reject {
        /// The tenant.
        #[arg(long)]
        tenant: String,
        /// The held job's id.
        id: String,
    },
}

/// How a command that ends with a job exits: 0 applied, 3 held for an admin, 1 otherwise (2 is
/// clap's, for usage errors).
fn exit_for(job: &Job) -> ExitCode {
    match job.state {
        JobState::Applied => ExitCode::SUCCESS,
        JobState::Held => ExitCode::from(3),
        _ => ExitCode::FAILURE,
    }
}

/// The scopes a client or API key is given: those named (short names or URIs), or every scope
/// of the standard.
fn parse_scopes(named: Option<String>) -> Result<Scopes, String> {
    match named {
        Some(text) => Scopes::parse(&text).map_err(|word| format!("unknown scope '{word}'")),
        None => Ok(Scopes::all()),
    }
}

fn print(value: &serde_json::Value) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
    let aws = aws_config::from_env().load().await;
    let store =
        Store::connect(&aws, std::env::var("DYNAMODB_ENDPOINT").ok().as_deref(), var("TABLE_NAME", "oneroster"));
    let mut s3 = aws_sdk_s3::config::Builder::from(&aws);
    if let Ok(endpoint) = std::env::var("S3_ENDPOINT") {
        s3 = s3.endpoint_url(endpoint).force_path_style(true);
    }
    let s3 = aws_sdk_s3::Client::from_conf(s3.build());
    let bucket = var("UPLOAD_BUCKET", "oneroster-uploads");
    let secret = || {
        let endpoint = std::env::var("SECRETS_ENDPOINT").ok();
        SigningSecret::new(&aws, endpoint.as_deref(), var("SIGNING_KEYS_SECRET", "oneroster-signing-keys"))
    };
    let sealer = || {
        let endpoint = std::env::var("KMS_ENDPOINT").ok();
        KmsSealer::new(&aws, endpoint.as_deref(), var("OAUTH1_KEY", "alias/oneroster-local"))
    };
    let ingest = || Ingest::new(store.clone(), Uploads::new(s3.clone()));
    match args.command {
        Command::Tenant { command: TenantCommand::Create { id, name } } => {
            let record = admin::create_tenant(&store, &TenantId::parse(&id)?, &name).await?;
            print(&serde_json::to_value(record)?);
        }
        Command::Tenant { command: TenantCommand::List } => print(&serde_json::to_value(store.list_tenants().await?)?),
        Command::Tenant { command: TenantCommand::Show { id } } => {
            print(&admin::show_tenant(&store, &TenantId::parse(&id)?).await?)
        }
        Command::Tenant { command: TenantCommand::Set { id, change } } => {
            let tenant = TenantId::parse(&id)?;
            admin::set_settings(&store, &tenant, change).await?;
            print(&admin::show_tenant(&store, &tenant).await?);
        }
        Command::Tenant { command: TenantCommand::Disable { id } } => {
            let clients = admin::disable_tenant(&store, &TenantId::parse(&id)?).await?;
            println!("tenant {id} disabled, with {clients} clients");
        }
        Command::Client {
            command: ClientCommand::Create { grantee: Grantee { tenant, name, scopes, sharing }, oauth1 },
        } => {
            let scopes = parse_scopes(scopes)?;
            let tenant = TenantId::parse(&tenant)?;
            // Checked before anything is made.
            sharing.clone().apply(Default::default())?;
            let (client, secret) = if oauth1 {
                admin::create_signing_client(&store, &sealer(), &tenant, &name, &scopes).await?
            } else {
                admin::create_client(&store, &tenant, &name, &scopes).await?
            };
            let client = admin::share_with_client(&store, &client.id, sharing).await?;
            let mut shown = admin::shown(&client);
            shown["client_secret"] = secret.into();
            print(&shown);
        }
        Command::Client { command: ClientCommand::Update { id, sharing } } => {
            print(&admin::shown(&admin::share_with_client(&store, &id, sharing).await?))
        }
        Command::ApiKey { command: ApiKeyCommand::Update { id, sharing } } => {
            print(&admin::shown_key(&admin::share_with_key(&store, &id, sharing).await?))
        }
        Command::ApiKey { command: ApiKeyCommand::Create(Grantee { tenant, name, scopes, sharing }) } => {
            let scopes = parse_scopes(scopes)?;
            sharing.clone().apply(Default::default())?;
            let (key, text) = admin::create_api_key(&store, &TenantId::parse(&tenant)?, &name, &scopes).await?;
            let key = admin::share_with_key(&store, &key.id, sharing).await?;
            let mut shown = admin::shown_key(&key);
            shown["api_key"] = serde_json::Value::String(text.expose().to_owned());
            print(&shown);
        }
        Command::ApiKey { command: ApiKeyCommand::List { tenant } } => {
            let keys = store.tenant(&admin::operator(&TenantId::parse(&tenant)?)).clients().list_keys().await?;
            print(&serde_json::Value::Array(keys.iter().map(admin::shown_key).collect()));
        }
        Command::ApiKey { command: ApiKeyCommand::Revoke { id } } => {
            print(&admin::shown_key(&admin::revoke_api_key(&store, &id).await?))
        }
        Command::Client { command: ClientCommand::Show { id } } => {
            print(&admin::shown(&admin::get_client(&store, &id).await?))
        }
        Command::Client { command: ClientCommand::List { tenant } } => {
            let clients = store.tenant(&admin::operator(&TenantId::parse(&tenant)?)).clients().list().await?;
            print(&serde_json::Value::Array(clients.iter().map(admin::shown).collect()));
        }
        Command::Client { command: ClientCommand::Rotate { id } } => {
            let secret = admin::rotate_client(&store, Some(&sealer()), &id).await?;
            print(&serde_json::json!({"client_id": id, "client_secret": secret}));
        }
        Command::Client { command: ClientCommand::Revoke { id } } => {
            admin::revoke_client(&store, &id).await?;
            println!("client {id} revoked");
        }
        Command::Source { command } => match command {
            SourceCommand::Set {
                tenant,
                url,
                version,
                auth,
                client_id,
                client_secret,
                token_url,
                scope,
                schedule,
                gradebook,
                resources,
            } => {
                let settings = admin::sources::SourceSettings {
                    url,
                    version,
                    auth,
                    client_id,
                    client_secret: ClientSecret::presented(client_secret),
                    token_url,
                    scope,
                    schedule,
                    gradebook,
                    resources,
                };
                let sealer = sealer().for_sources();
                let source = admin::sources::set_source(&store, &sealer, &TenantId::parse(&tenant)?, settings).await?;
                print(&admin::sources::shown_source(&source));
            }
            SourceCommand::Show { tenant } => print(&admin::sources::shown_source(
                &admin::sources::get_source(&store, &TenantId::parse(&tenant)?).await?,
            )),
            SourceCommand::Test { tenant } => {
                let sealer = sealer().for_sources();
                let pacing = oneroster_pull::Pacing::default();
                match admin::sources::test_source(&store, &sealer, &TenantId::parse(&tenant)?, &pacing).await? {
                    Ok(verdict) => println!("{verdict}"),
                    Err(verdict) => {
                        println!("{verdict}");
                        return Ok(ExitCode::FAILURE);
                    }
                }
            }
            SourceCommand::Remove { tenant } => {
                admin::sources::remove_source(&store, &TenantId::parse(&tenant)?).await?;
                println!("the SIS source of {tenant} is removed");
            }
        },
        Command::Pull { tenant, wait } => {
            let tenant = TenantId::parse(&tenant)?;
            let sealer = sealer().for_sources();
            let spinner = indicatif::ProgressBar::new_spinner().with_message(format!("pulling the SIS of {tenant}"));
            spinner.enable_steady_tick(Duration::from_millis(120));
            let pulled = admin::sources::pull(&store, &sealer, &s3, &bucket, &tenant, &Default::default()).await;
            spinner.finish_and_clear();
            let (pulled, key) = pulled?;
            eprintln!("pulled: {}", serde_json::to_string(&pulled)?);
            let job = admin::wait_for_job(&store, &tenant, &key, Duration::from_secs(wait)).await?;
            print(&serde_json::to_value(&job)?);
            return Ok(exit_for(&job));
        }
        Command::Webhook { command } => match command {
            WebhookCommand::Add { tenant, client, url, collections } => {
                let tenant = TenantId::parse(&tenant)?;
                let sealer = sealer().for_webhooks();
                let (webhook, secret) =
                    admin::webhooks::add_webhook(&store, &sealer, &tenant, &client, &url, collections.as_deref())
                        .await?;
                let mut shown = admin::webhooks::shown_webhook(&webhook);
                shown["signing_secret"] = secret.into();
                print(&shown);
            }
            WebhookCommand::List { tenant } => {
                print(&admin::webhooks::list_webhooks(&store, &TenantId::parse(&tenant)?).await?)
            }
            WebhookCommand::Remove { tenant, id } => {
                admin::webhooks::remove_webhook(&store, &TenantId::parse(&tenant)?, &id).await?;
                println!("webhook {id} removed");
            }
            WebhookCommand::Status { tenant, id } => {
                print(&admin::webhooks::webhook_status(&store, &TenantId::parse(&tenant)?, id.as_deref()).await?)
            }
        },
        Command::Upload { paths, tenant, wait } => {
            let tenant = TenantId::parse(&tenant)?;
            let delivery = admin::Delivery::read(&paths)?;
            let bar = indicatif::ProgressBar::new(delivery.bytes()).with_style(
                indicatif::ProgressStyle::with_template("uploading {bar:30} {bytes}/{total_bytes}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let progress = |sent| bar.set_position(sent);
            let key = match delivery {
                admin::Delivery::Zip(name, bytes) => {
                    admin::upload(&s3, &bucket, &tenant, &name, bytes, progress).await?
                }
                admin::Delivery::Loose(files) => admin::upload_batch(&s3, &bucket, &tenant, files, progress).await?,
            };
            bar.finish();
            let spinner = indicatif::ProgressBar::new_spinner().with_message(format!("ingesting s3://{bucket}/{key}"));
            spinner.enable_steady_tick(Duration::from_millis(120));
            let job = admin::wait_for_job(&store, &tenant, &key, Duration::from_secs(wait)).await;
            spinner.finish_and_clear();
            let job = job?;
            print(&serde_json::to_value(&job)?);
            eprintln!("report: s3://{bucket}/{}", oneroster_ingest::job::report_html_key(&job.key));
            return Ok(exit_for(&job));
        }
        Command::Jobs { command: JobsCommand::Approve { tenant, id } } => {
            let job = ingest().approve(&admin::operator(&TenantId::parse(&tenant)?), &id).await?.into_job();
            print(&serde_json::to_value(&job)?);
            return Ok(exit_for(&job));
        }
        Command::Jobs { command: JobsCommand::Reject { tenant, id } } => {
            let job = ingest().reject(&admin::operator(&TenantId::parse(&tenant)?), &id).await?;
            print(&serde_json::to_value(&job)?);
        }
        Command::Jobs { command: JobsCommand::List { tenant } } => {
            let jobs = store.tenant(&admin::operator(&TenantId::parse(&tenant)?)).jobs().list().await?;
            let shown: Vec<serde_json::Value> = jobs
                .iter()
                .map(|j| serde_json::json!({"id": j.id, "key": j.key, "state": j.state, "started": j.started,
                                            "finished": j.finished, "errors": j.error_count, "items_written": j.items_written}))
                .collect();
            print(&serde_json::Value::Array(shown));
        }
        Command::Erase { tenant, user, by } => {
            let erasure = admin::erase_user(&store, &TenantId::parse(&tenant)?, &user, &by, Timestamp::now()).await?;
            if erasure.already_erased {
                eprintln!("user {user} was already erased at {}; nothing was done", erasure.at);
            }
            print(&serde_json::to_value(&erasure)?);
        }
        Command::Purge { tenant } => {
            let purged = admin::purge_tenant(&store, &TenantId::parse(&tenant)?, Timestamp::now()).await?;
            print(&serde_json::to_value(purged)?);
        }
        Command::Export { tenant, version, out } => {
            let out = out.unwrap_or_else(|| PathBuf::from(format!("{tenant}-{}.zip", version.as_str())));
            let exported = admin::export_tenant(&store, &TenantId::parse(&tenant)?, version, &out).await?;
            print(&serde_json::to_value(&exported)?);
            eprintln!("written: {}", out.display());
        }
        Command::Writeback { tenant } => {
            let exporter = export::Exporter::new(store.clone(), s3.clone(), bucket.clone());
            let request = export::Request { tenant: Some(tenant), writeback: true, ..Default::default() };
            let sent = exporter.run(&request, Timestamp::now()).await?;
            print(&serde_json::to_value(&sent)?);
            if sent.is_empty() {
                eprintln!("nothing to send: no grade was written through the API since the last write-back");
            }
        }
        Command::Keys { command } => {
            let jwks = match command {
                KeysCommand::Init => admin::init_keys(&store, &secret()).await?,
                KeysCommand::Rotate => admin::rotate_keys(&store, &secret()).await?,
                KeysCommand::Retire { keep } => admin::retire_keys(&store, &secret(), keep).await?,
            };
            print(&jwks);
        }
        Command::Audit { tenant, client, since, format, log, log_group, stack } => {
            let scope = admin::audit::Scope::new(TenantId::parse(&tenant)?, client, since.as_deref())?;
            let report = if log_group.is_empty() && stack.is_none() {
                let log = log.unwrap_or_else(admin::audit::default_log_path);
                admin::audit::Report::of_log_file(&log, &scope)?
            } else {
                let insights = admin::audit::Insights::new(aws_sdk_cloudwatchlogs::Client::new(&aws));
                let groups = match stack {
                    Some(stack) => insights.stack_log_groups(&stack).await?,
                    None => log_group,
                };
                insights.report(&groups, &scope, chrono::Utc::now()).await?
            };
            print!("{}", report.render(format));
        }
        Command::Jobs { command: JobsCommand::Show { tenant, id } } => {
            match store.tenant(&admin::operator(&TenantId::parse(&tenant)?)).jobs().get(&id).await? {
                Some(job) => print(&serde_json::to_value(&job)?),
                None => return Err(Box::new(AdminError::UnknownJob(id))),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
