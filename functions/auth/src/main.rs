//! The auth Lambda: configuration from the environment, then the router.

use auth::guard::{Guard, Limits};
use oneroster_auth::Issuer;
use oneroster_secrets::SigningSecret;
use oneroster_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    oneroster_http::lambda::init_json_logs();
    // The token endpoint's limits (`TOKEN_…`, each with a default); a bad value stops the start.
    let limits = Limits::from_env()?;
    let aws = aws_config::load_from_env().await;
    let store = Store::connect(&aws, None, std::env::var("TABLE_NAME")?);
    // The key ring lives in the deployment's secret (`oneroster-admin keys init` fills it).
    let secret = SigningSecret::new(&aws, None, std::env::var("SIGNING_KEYS_SECRET")?);
    let keys = secret.load().await?.ok_or("the signing-keys secret is empty; run `oneroster-admin keys init`")?;
    let issuer = Issuer::new(keys, std::env::var("ISSUER")?, auth::TOKEN_LIFETIME_SECONDS);
    oneroster_http::lambda::run(auth::router_with(store, issuer, Some(secret), Guard::new(limits))).await
}
