//! The auth Lambda: configuration from the environment, then the router.

use oneroster_auth::{Issuer, KeyRing};
use oneroster_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    oneroster_http::lambda::init_json_logs();
    let aws = aws_config::load_from_env().await;
    let store = Store::connect(&aws, None, std::env::var("TABLE_NAME")?);
    // The key ring's configuration comes from the deployment's secret (see README).
    let keys = KeyRing::from_config(&std::env::var("SIGNING_KEYS")?)?;
    let issuer = Issuer::new(keys, std::env::var("ISSUER")?, auth::TOKEN_LIFETIME_SECONDS);
    oneroster_http::lambda::run(auth::router(store, issuer)).await
}
