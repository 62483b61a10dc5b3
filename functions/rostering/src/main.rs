//! The rostering Lambda: configuration from the environment, then the router.

use oneroster_model::TenantId;
use oneroster_store::Store;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    oneroster_http::lambda::init_json_logs();
    let aws = aws_config::load_from_env().await;
    let table = std::env::var("TABLE_NAME")?;
    // Until tokens carry the tenant, a deployment serves the one district named here.
    let tenant = TenantId::parse(&std::env::var("TENANT")?)?;
    let store = Store::connect(&aws, None, table);
    let router = rostering::router(store).layer(axum::middleware::from_fn(move |request, next| {
        oneroster_http::fixed_tenant(tenant.clone(), request, next)
    }));
    oneroster_http::lambda::run(router).await
}
