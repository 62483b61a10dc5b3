//! The purge Lambda, run daily by an EventBridge schedule: every enabled tenant's deleted
//! records older than its district's retention period are purged for good
//! ([`oneroster_privacy::purge_all`]). The event's content is not read: the schedule only says
//! when. A tenant that could not be purged fails the invocation (after the others were done), so
//! that the error is counted and alarmed; the next day's run tries it again.

use lambda_runtime::{service_fn, LambdaEvent};
use oneroster_model::Timestamp;
use oneroster_store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = aws_config::load_from_env().await;
    let store = Store::from_env(&aws)?;
    let store = &store;
    lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| async move {
        let (purged, failed) = oneroster_privacy::purge_all(store, Timestamp::now()).await?;
        let removed: u64 = purged.iter().flat_map(|p| p.removed.values()).sum();
        tracing::info!(tenants = purged.len(), removed, failed = failed.len(), "retention purge done");
        if !failed.is_empty() {
            return Err(format!("the purge of {} tenants failed: {}", failed.len(), failed.join(", ")).into());
        }
        Ok::<_, lambda_runtime::Error>(serde_json::json!({ "tenants": purged.len(), "removed": removed }))
    }))
    .await
}
