//! `local-server`: the product on this machine. `serve` sets the local stack up, serves the API
//! (token endpoint included) on a localhost port and ingests every upload to the bucket, as
//! API Gateway, Lambda and the S3 → SQS trigger do in AWS. Tenants, clients and uploads are
//! managed with `oneroster-admin`, as against a deployment.

use clap::{Parser, Subcommand};
use local_server::{LocalConfig, LocalStack};

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
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let args = Args::parse();
    let mut config = LocalConfig::from_env();
    let Command::Serve { listen, public_url } = &args.command;
    config.public_url = public_url.clone().unwrap_or_else(|| format!("http://{listen}"));
    let stack = LocalStack::setup(config).await?;
    match args.command {
        Command::Serve { listen, .. } => {
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
    }
    Ok(())
}
