//! Figure 15: a pull from an SIS. The bench tenant's API is served on a port of its own as the
//! district's SIS (1.2, OAuth 2.0), and a child process of the bench (`--pull-url`,
//! `--pull-client`, `--pull-secret`) pulls every collection it serves (gradebook and resources
//! too) into a bulk package, at the pacing a deployment uses (1,000 records a page, at most 20
//! calls a second), so that its peak memory is its own: seconds, calls, rows and the zip's
//! size, and the child's peak RSS (it holds a page and the ids' hashes, whatever the size).

use local_server::LocalStack;
use oneroster_auth::ClientSecret;
use oneroster_csv::Version;
use oneroster_http::serving::Serving;
use oneroster_model::{TenantId, Timezone};
use oneroster_pull::{Auth, Connection, Pacing, Wanted};
use std::time::Instant;

/// Serves `tenant` of `stack` as an SIS and runs the pull in a child process; prints its line.
pub async fn run(stack: &LocalStack, tenant: &TenantId) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let api = stack.api_serving(Serving::at(&url));
    let server = tokio::spawn(async move { axum::serve(listener, api).await });
    let (client, secret) = e2e::client(stack, tenant, &oneroster_auth::Scopes::all()).await;
    let args: Vec<std::ffi::OsString> = vec![
        "--pull-url".into(),
        url.into(),
        "--pull-client".into(),
        client.id.into(),
        "--pull-secret".into(),
        secret.into(),
    ];
    let pulled = tokio::task::spawn_blocking(move || {
        let args: Vec<&std::ffi::OsStr> = args.iter().map(|a| a.as_os_str()).collect();
        crate::in_child(&args).map_err(|e| e.to_string())
    })
    .await?;
    server.abort();
    Ok(pulled?)
}

/// The child: pulls the SIS at `url` as `client` into a temporary file; prints one line.
pub async fn child(url: &str, client: &str, secret: &str) -> Result<(), Box<dyn std::error::Error>> {
    let connection = Connection {
        root: url.to_owned(),
        version: Version::V1p2,
        auth: Auth::OAuth2 { token_url: format!("{url}{}", auth::TOKEN_PATH), scope: None },
        client_id: client.to_owned(),
        secret: ClientSecret::presented(secret.to_owned()),
    };
    let file = tempfile::NamedTempFile::new()?;
    let started = Instant::now();
    let wanted = Wanted { gradebook: true, resources: true };
    let pulled = oneroster_pull::pull(
        &connection,
        wanted,
        &Pacing::default(),
        Timezone::default(),
        std::io::BufWriter::new(file.reopen()?),
    )
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let rows: u64 = pulled.package.files.iter().map(|(_, rows)| rows).sum();
    println!(
        "pull from an SIS (1.2, 1,000 a page, at most 20 calls/s): {rows} rows in {} files, {} calls, in {seconds:.1}s \
         = {:.0} rows/s, zip {:.1} MiB; peak RSS {:.0} MiB",
        pulled.package.files.len(),
        pulled.calls,
        rows as f64 / seconds,
        std::fs::metadata(file.path())?.len() as f64 / 1048576.0,
        e2e::peak_rss_mib()
    );
    Ok(())
}
