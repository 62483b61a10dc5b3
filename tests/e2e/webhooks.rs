//! Change events pushed, end to end: uploads change records, DynamoDB Local's stream is read
//! into the events function (`LocalStack::settle_changes`), which puts the events on the local
//! bus (moto's EventBridge, delivering to an SQS target) and queues one delivery per webhook
//! and batch; the webhook queue is read into the webhooks function
//! (`LocalStack::deliver_webhooks`), which POSTs each batch, signed, to a receiver run here.
//! The receiver checks the signature with the secret `webhook add` showed, and gets exactly
//! what the feed serves the webhook's client; a failing receiver is retried (a policy
//! compressed to seconds) and then dead-lettered, which `webhook status` shows.

use admin::{AdminError, SharingChange};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use e2e::{
    bulk_zip, config_with, delta_zip, feed_scopes, ingest, stack, stack_of, stack_with_changes, tenant, tiny_district,
    Api, HOST,
};
use local_server::LocalStack;
use oneroster_http::serving::Serving;
use oneroster_model::TenantId;
use oneroster_store::{ChangeEvent, JobState};
use oneroster_webhooks::signature::{verify, HEADER};
use oneroster_webhooks::{RetryPolicy, TargetError};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const FEED: &str = "/ims/oneroster/events/v1p2/events";

/// What a receiver was sent: each POST's headers and body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

impl Received {
    fn all(&self) -> Vec<(HeaderMap, String)> {
        self.0.lock().expect("not poisoned").clone()
    }
}

/// A receiver on 127.0.0.1 answering every POST with `status`; its URL and what it gets.
async fn receiver(status: StatusCode) -> (String, Received) {
    let received = Received::default();
    let hook = move |State(received): State<Received>, headers: HeaderMap, body: String| async move {
        received.0.lock().expect("not poisoned").push((headers, body));
        status
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// Reads the table's stream into the events function until every change so far is made an
/// event, then the webhook queue into the webhooks function until it is dry (bounded rounds).
async fn push(stack: &LocalStack) {
    assert!(stack.settle_changes(Duration::from_secs(120)).await.expect("the stream is read") > 0);
    for _ in 0..50 {
        if stack.deliver_webhooks().await.expect("the webhook queue is read") == 0 {
            return;
        }
    }
    panic!("the webhook queue still had messages after 50 rounds");
}

/// Every event a receiver got, each POST's signature checked with `secret`, in order.
fn signed_events(received: &Received, secret: &str) -> Vec<ChangeEvent> {
    let mut events = Vec::new();
    for (headers, body) in received.all() {
        assert_eq!(headers["content-type"], "application/json");
        let signature = headers[HEADER].to_str().expect("text");
        let at = verify(secret, signature, body.as_bytes()).unwrap_or_else(|| panic!("a good signature: {signature}"));
        let now = chrono::Utc::now().timestamp().unsigned_abs();
        assert!(at <= now && now - at < 600, "signed when sent: {at}");
        let batch: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(batch.as_object().map(|o| o.len()), Some(1), "only events: {body}");
        events.extend(serde_json::from_value::<Vec<ChangeEvent>>(batch["events"].clone()).expect("the feed's shape"));
    }
    events
}

/// Every event the feed serves `api`'s client (with `query`), from the oldest.
async fn feed(stack: &LocalStack, api: &Api, query: &str) -> Vec<ChangeEvent> {
    let serving = Serving::at(format!("http://{HOST}")).with_events_settle(Duration::ZERO);
    let api = Api::over(stack.api_serving(serving)).with_bearer(api.bearer().expect("a token"));
    let mut events = Vec::new();
    let mut after = String::new();
    loop {
        let reply = api.get(&format!("{FEED}?limit=1000{after}{query}")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let read: Vec<ChangeEvent> = serde_json::from_value(reply.body["events"].clone()).expect("events");
        if read.is_empty() {
            return events;
        }
        events.extend(read);
        after = format!("&after={}", reply.body["next"].as_str().expect("a cursor"));
    }
}

/// Sorted by id, to compare what came in batches with what the feed serves.
fn by_id(mut events: Vec<ChangeEvent>) -> Vec<ChangeEvent> {
    events.sort_by(|a, b| a.id.cmp(&b.id));
    events
}

/// A receiver answering `status`, and a webhook to it, added as `oneroster-admin webhook add`
/// does, for `client` of `t`, of `collections`.
struct Hooked {
    /// The webhook's id.
    id: String,
    /// Its signing secret, as `webhook add` printed it.
    secret: String,
    /// What its receiver got.
    received: Received,
}

async fn hooked(
    stack: &LocalStack,
    t: &TenantId,
    client: &str,
    status: StatusCode,
    collections: Option<&str>,
) -> Hooked {
    let (url, received) = receiver(status).await;
    let sealer = stack.webhook_sealer();
    let (webhook, secret) = admin::webhooks::add_webhook(stack.store(), &sealer, t, client, &url, collections)
        .await
        .expect("the webhook is added");
    Hooked { id: webhook.id, secret, received }
}

/// A client of a new tenant `name` (the standard's scopes and the feed's), with a webhook of
/// its own answering `status`.
async fn client_hooked(
    stack: &LocalStack,
    name: &str,
    status: StatusCode,
    collections: Option<&str>,
) -> (TenantId, Hooked) {
    let t = tenant(name).id().clone();
    let (client, _) = e2e::client(stack, &t, &feed_scopes()).await;
    let hook = hooked(stack, &t, &client.id, status, collections).await;
    (t, hook)
}

/// Uploads `zip` for `t` and waits until it is applied.
async fn applied(stack: &LocalStack, t: &TenantId, name: &str, zip: Vec<u8>) {
    let job = Box::pin(ingest(stack, t, name, zip)).await;
    assert_eq!(job.state, JobState::Applied, "{:#?}", job.errors);
}

#[tokio::test]
async fn a_receiver_gets_signed_batches_of_exactly_the_uploads_events() {
    Box::pin(signed_batches()).await;
}

async fn signed_batches() {
    let stack = stack_with_changes().await;
    let (t, Hooked { id, secret, received }) = client_hooked(&stack, "hooks-signed", StatusCode::OK, None).await;
    applied(&stack, &t, "bulk.zip", bulk_zip(&tiny_district())).await;
    push(&stack).await;

    let pushed = signed_events(&received, &secret);
    let api = Api::with_scopes(&stack, &t, &feed_scopes()).await;
    let served = feed(&stack, &api, "").await;
    assert!(served.len() > 20, "{}", served.len());
    assert_eq!(by_id(pushed), by_id(served), "the webhook gets exactly what the feed serves");

    let status = admin::webhooks::webhook_status(stack.store(), &t, Some(&id)).await.expect("a status");
    assert_eq!(status[0]["status"]["delivered"], received.all().len());
    assert_eq!(status[0]["status"]["failures"], 0);
    assert!(status[0]["status"]["lastSuccess"].is_string(), "{status}");
    assert_eq!(status[0]["deadLetters"], serde_json::json!([]));
    assert!(!status.to_string().contains(&secret), "the status never shows the secret");
    let listed = admin::webhooks::list_webhooks(stack.store(), &t).await.expect("a list");
    assert_eq!(listed[0]["webhook_id"], id.as_str());
    assert!(!listed.to_string().contains(&secret), "the list never shows the secret");
}

#[tokio::test]
async fn a_client_limited_by_sharing_rules_is_sent_only_what_it_may_see() {
    Box::pin(sharing()).await;
}

async fn sharing() {
    let stack = stack_with_changes().await;
    let t = tenant("hooks-sharing").id().clone();
    let district = tiny_district();
    let change = SharingChange {
        schools: Some(district.school_id(0)),
        collections: Some("users,enrollments,classes".into()),
        hide_fields: Some("email".into()),
        ..SharingChange::default()
    };
    let (limited, client) = Api::shared(&stack, &t, &feed_scopes(), change).await;
    let Hooked { secret, received, .. } =
        hooked(&stack, &t, &client, StatusCode::NO_CONTENT, Some("users,enrollments")).await;
    for (name, zip) in [("bulk.zip", bulk_zip(&district)), ("delta.zip", delta_zip(&district, 40))] {
        applied(&stack, &t, name, zip).await;
        push(&stack).await;
    }
    let pushed = signed_events(&received, &secret);
    let served = feed(&stack, &limited, "&collections=users,enrollments").await;
    assert!(!pushed.is_empty());
    assert!(pushed.iter().all(|e| ["users", "enrollments"].contains(&e.collection.as_str())), "{pushed:#?}");
    assert!(pushed.iter().all(|e| !e.changed.iter().any(|name| name == "email")), "{pushed:#?}");
    assert_eq!(by_id(pushed), by_id(served), "the webhook gets what the feed serves the client");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_dead_lettered_and_its_status_shows_it() {
    Box::pin(dead_lettered()).await;
}

async fn dead_lettered() {
    let mut config = config_with(Duration::ZERO);
    config.webhook_retry =
        RetryPolicy { first: Duration::from_secs(1), cap: Duration::from_secs(2), give_up: Duration::from_secs(6) };
    config.change_stream = true;
    let stack = stack_of(config).await;
    let (t, Hooked { id, secret, received }) =
        client_hooked(&stack, "hooks-failing", StatusCode::INTERNAL_SERVER_ERROR, Some("orgs")).await;
    applied(&stack, &t, "bulk.zip", bulk_zip(&tiny_district())).await;
    push(&stack).await;
    // Retries come back after their delays; the last is given up on past the 6 s window.
    let started = Instant::now();
    let status = loop {
        stack.deliver_webhooks().await.expect("the webhook queue is read");
        let status = admin::webhooks::webhook_status(stack.store(), &t, Some(&id)).await.expect("a status");
        if status[0]["status"]["deadLettered"] == 1 {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "not dead-lettered: {status}");
    };
    let attempts = received.all();
    assert!(attempts.len() >= 3, "{} attempts", attempts.len());
    assert!(attempts.iter().all(|(_, body)| *body == attempts[0].1), "the same batch each time");
    let orgs = signed_events(&received, &secret);
    assert!(orgs.iter().all(|e| e.collection == "orgs"), "{orgs:#?}");
    let shown = &status[0];
    assert_eq!(shown["status"]["delivered"], 0);
    assert_eq!(shown["status"]["failures"], attempts.len());
    assert!(shown["status"]["lastError"].as_str().is_some_and(|e| e.contains("500")), "{shown}");
    let letter = &shown["deadLetters"][0];
    assert_eq!(letter["attempts"], attempts.len());
    let ids: Vec<&str> = orgs.iter().take(orgs.len() / attempts.len()).map(|e| e.id.as_str()).collect();
    assert_eq!(letter["events"], serde_json::json!(ids), "{letter}");
    assert!(!shown.to_string().contains(&secret));
}

#[tokio::test]
async fn a_removed_webhook_gets_nothing() {
    Box::pin(removed()).await;
}

async fn removed() {
    let stack = stack_with_changes().await;
    let (t, Hooked { id, received, .. }) = client_hooked(&stack, "hooks-removed", StatusCode::OK, None).await;
    admin::webhooks::remove_webhook(stack.store(), &t, &id).await.expect("removed");
    applied(&stack, &t, "bulk.zip", bulk_zip(&tiny_district())).await;
    push(&stack).await;
    assert_eq!(received.all().len(), 0);
    assert_eq!(admin::webhooks::list_webhooks(stack.store(), &t).await.expect("a list"), serde_json::json!([]));
    let again = admin::webhooks::remove_webhook(stack.store(), &t, &id).await;
    assert!(matches!(again, Err(AdminError::UnknownWebhook(_))), "{again:?}");
}

#[tokio::test]
async fn webhook_add_refuses_plain_http_to_another_host_and_unknown_clients() {
    let stack = stack().await;
    let t = tenant("hooks-refused").id().clone();
    let (client, _) = e2e::client(&stack, &t, &feed_scopes()).await;
    let sealer = stack.webhook_sealer();
    let add = |client: String, url: &'static str| {
        let (stack, t, sealer) = (&stack, &t, &sealer);
        async move { admin::webhooks::add_webhook(stack.store(), sealer, t, &client, url, None).await }
    };
    let plain = add(client.id.clone(), "http://example.com/hook").await;
    assert!(matches!(plain, Err(AdminError::WebhookUrl(TargetError::NotLoopback(_)))), "{plain:?}");
    let unknown = add(format!("{t}.00112233aabbccdd"), "https://example.com/hook").await;
    assert!(matches!(unknown, Err(AdminError::UnknownClient(_))), "{unknown:?}");
    let bad = admin::webhooks::add_webhook(stack.store(), &sealer, &t, &client.id, "https://a.test/", Some("pupils"));
    assert!(matches!(bad.await, Err(AdminError::BadSetting { setting: "collections", .. })));
    assert_eq!(admin::webhooks::list_webhooks(stack.store(), &t).await.expect("a list"), serde_json::json!([]));
}

/// The events a queue holds as EventBridge delivered them to it (each message one entry).
async fn bus_entries(sqs: &aws_sdk_sqs::Client, queue: &str) -> Vec<Value> {
    let mut entries = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("the queue answers");
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return entries;
        }
        for message in messages {
            entries.push(serde_json::from_str(message.body().unwrap_or_default()).expect("an EventBridge event"));
            let handle = message.receipt_handle().unwrap_or_default();
            sqs.delete_message().queue_url(queue).receipt_handle(handle).send().await.expect("deleted");
        }
    }
}

#[tokio::test]
async fn the_bus_carries_each_tenants_events_under_its_own_source() {
    Box::pin(bus()).await;
}

async fn bus() {
    let stack = stack_with_changes().await;
    let (ours, theirs) = (tenant("hooks-bus-a").id().clone(), tenant("hooks-bus-b").id().clone());
    let aws = aws_config::from_env().region(aws_config::Region::new("us-east-1")).load().await;
    let endpoint = &stack.config.moto_endpoint;
    let sqs = aws_sdk_sqs::Client::from_conf(aws_sdk_sqs::config::Builder::from(&aws).endpoint_url(endpoint).build());
    let bus = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&aws).endpoint_url(endpoint).build(),
    );
    // A consumer's rule: its district's source, to its queue.
    let queue = sqs.create_queue().queue_name(e2e::unique("bus-target")).send().await.expect("a queue");
    let queue = queue.queue_url().unwrap_or_default().to_owned();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes");
    let arn = arn.attributes().and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)).cloned();
    let pattern = serde_json::json!({"source": [format!("oneroster.{ours}")]}).to_string();
    let rule = e2e::unique("rule");
    let put = bus.put_rule().name(&rule).event_bus_name(&stack.config.event_bus).event_pattern(pattern);
    put.send().await.expect("a rule");
    let target = aws_sdk_eventbridge::types::Target::builder().id("queue").arn(arn.unwrap_or_default()).build();
    let targets =
        bus.put_targets().rule(&rule).event_bus_name(&stack.config.event_bus).targets(target.expect("a target"));
    targets.send().await.expect("the queue is the rule's target");

    for t in [&ours, &theirs] {
        applied(&stack, t, "bulk.zip", bulk_zip(&tiny_district())).await;
    }
    push(&stack).await;
    let entries = bus_entries(&sqs, &queue).await;
    assert!(!entries.is_empty());
    let mut published = Vec::new();
    for entry in &entries {
        assert_eq!(entry["source"], format!("oneroster.{ours}"), "only our district's source is matched");
        assert_eq!(entry["detail-type"], "OneRoster change events");
        published
            .extend(serde_json::from_value::<Vec<ChangeEvent>>(entry["detail"]["events"].clone()).expect("events"));
    }
    assert!(published.iter().all(|e| e.tenant == ours.as_str()));
    let api = Api::with_scopes(&stack, &ours, &feed_scopes()).await;
    assert_eq!(by_id(published), by_id(feed(&stack, &api, "").await), "every event of the district, once");
}
