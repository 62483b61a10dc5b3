//! `local-server`: the product on this machine. `serve` sets the local stack up, serves the API
//! (token endpoint included) on a localhost port and ingests every upload to the bucket;
//! `upload` puts a zip for a tenant and waits for its job; `client-create` makes an OAuth client.

use clap::{Parser, Subcommand};
use local_server::{LocalConfig, LocalStack};
use oneroster_model::TenantId;
use std::path::PathBuf;
use std::time::Duration;

/// Runs the OneRoster provider's functions against the local stack.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table, bucket and queue if missing, serve the API, and ingest every upload.
    Serve {
        /// Where the API listens.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Create an OAuth client for a tenant; prints its id and secret (shown only once).
    ClientCreate {
        /// The tenant (district) id.
        #[arg(long)]
        tenant: String,
        /// A name for people.
        #[arg(long, default_value = "local client")]
        name: String,
        /// Scopes it may be granted (short names or URIs, space-separated); all by default.
        #[arg(long)]
        scopes: Option<String>,
    },
    /// Upload a OneRoster zip for a tenant and wait for the ingest job (exits 1 if rejected).
    Upload {
        /// The zip.
        zip: PathBuf,
        /// The tenant (district) id.
        #[arg(long)]
        tenant: String,
        /// Deliver the upload notification from this process (when no `serve` is running).
        #[arg(long)]
        deliver: bool,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let stack = LocalStack::setup(LocalConfig::from_env()).await?;
    match Args::parse().command {
        Command::Serve { listen } => {
            let api = stack.api();
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            println!(
                "serving the API on http://{listen}; ingesting uploads to s3://{}/<tenant>/…zip",
                stack.config.bucket
            );
            tokio::select! {
                served = axum::serve(listener, api) => served?,
                ingested = stack.serve_ingest() => ingested?,
            }
        }
        Command::ClientCreate { tenant, name, scopes } => {
            let scopes = match scopes {
                Some(text) => oneroster_auth::Scopes::parse(&text).map_err(|word| format!("unknown scope '{word}'"))?,
                None => oneroster_auth::Scopes::all(),
            };
            let (client, secret) = stack.create_client(&TenantId::parse(&tenant)?, &name, &scopes).await?;
            let shown = serde_json::json!({"client_id": client.id, "client_secret": secret, "scope": client.scopes});
            println!("{}", serde_json::to_string_pretty(&shown)?);
        }
        Command::Upload { zip, tenant, deliver } => {
            let tenant = TenantId::parse(&tenant)?;
            let name = zip.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "upload.zip".into());
            let stamp = oneroster_model::Timestamp::now().to_string().replace(':', "-");
            let key = stack.upload(&tenant, &format!("uploads/{stamp}/{name}"), std::fs::read(&zip)?).await?;
            let job = stack.wait_for_job(&tenant, &key, deliver, Duration::from_secs(1800)).await?;
            println!("{}", serde_json::to_string_pretty(&job)?);
            if job.state != oneroster_store::JobState::Applied {
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
