//! `local-server`: the product on this machine. `serve` sets the local stack up, serves the API
//! (token endpoint included) on a localhost port and ingests every upload to the bucket, as
//! API Gateway, Lambda and the S3 → SQS trigger do in AWS, and stores the change events of the
//! table's stream, as its event source mapping does (publishing them on the local bus and to
//! webhooks, whose queue it polls as the webhooks function's trigger does). Tenants, clients and uploads are
//! managed with `oneroster-admin`, as against a deployment.

use clap::{Parser, Subcommand};
use local_server::{LocalConfig, LocalStack};
use std::path::PathBuf;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

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
        /// The API's URL as its links name it (default: `http://` and the listen address).
        #[arg(long)]
        public_url: Option<String>,
        /// Where the API's audit events are appended as JSON lines, as the functions log them
        /// in AWS (default: `$RUN_DIR/audit.log`, `RUN_DIR` being `.local/run` unless set),
        /// for `oneroster-admin audit`.
        #[arg(long)]
        audit_log: Option<PathBuf>,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let Command::Serve { listen, public_url, audit_log } = &args.command;
    let audit_log = audit_log.clone().unwrap_or_else(admin::audit::default_log_path);
    // Everything to stderr as text, at `RUST_LOG`'s level; the audit events also to their log,
    // whatever that level.
    let env_filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_filter(env_filter))
        .with(local_server::audit_log(&audit_log)?)
        .init();
    let mut config = LocalConfig::from_env();
    config.public_url = public_url.clone().unwrap_or_else(|| format!("http://{listen}"));
    let stack = LocalStack::setup(config).await?;
    match args.command {
        Command::Serve { listen, .. } => {
            let api = stack.api();
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            println!(
                "serving the API on http://{listen}; ingesting uploads to s3://{}/<tenant>/…zip; audit log {}",
                stack.config.bucket,
                audit_log.display()
            );
            tokio::select! {
                served = axum::serve(listener, api) => served?,
                ingested = stack.serve_ingest() => ingested?,
                stored = stack.serve_events() => stored?,
                delivered = stack.serve_webhooks() => delivered?,
            }
        }
    }
    Ok(())
}
