//! The events Lambda, on the table's stream (an event source mapping that reports partial
//! batch failures): each batch of stream records becomes the change events it makes, stored in
//! the table and published on the bus and to the webhook queue when the environment names them
//! (`EVENT_BUS_NAME`, `WEBHOOK_QUEUE_URL`; [`events::handle_batch`]). JSON logs.

use aws_lambda_events::event::dynamodb::Event;
use lambda_runtime::{service_fn, LambdaEvent};
use oneroster_store::Store;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let aws = aws_config::load_from_env().await;
    let store = Store::from_env(&aws)?;
    let publisher = events::publish::Publisher::from_env(&aws);
    let (store, publisher) = (&store, &publisher);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
        Ok::<_, lambda_runtime::Error>(events::handle_batch(store, publisher, events::records(event.payload)).await)
    }))
    .await
}
