//! Figure 12: change events.
//!
//! - **Throughput**: every record item of the bench tenant's first load, read back from the
//!   table and handed to the events function's handler as the stream's `INSERT` records,
//!   500 at a time (the template's batch size): events stored per second. DynamoDB Local's
//!   stream cannot carry a 100,000-student load (its writes slow down with every record it
//!   holds), so the records are the items the load wrote rather than the stream's copies of
//!   them; the handler's work is the same. The bus and the webhook queue are left out (AWS's
//!   `PutEvents` quota, not this code, bounds them).
//! - **Lag**: on a small tenant of a stack with its change stream read as the event source
//!   mapping reads it, user PUTs sent at a steady rate while a consumer polls the feed: p50 and
//!   p99 from a write's request to its event stored (in a feed without the settle horizon) and
//!   to its event served (the feed as deployed, which holds events back for its settle time).

use e2e::{bulk_zip, feed_scopes, ingest, register, stack_with_changes, tenant, tiny_district, Api, HOST};
use events::publish::Publisher;
use local_server::LocalStack;
use oneroster_http::serving::Serving;
use oneroster_model::{Collection, TenantId, Timestamp};
use oneroster_store::keys::{record_partition, RECORD_SHARDS};
use oneroster_store::{attr, StreamRecord};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

const FEED: &str = "/ims/oneroster/events/v1p2/events";
const USERS: &str = "/ims/oneroster/rostering/v1p2/users";
/// Stream records per invocation (`BatchSize` of the events function's stream mapping).
const BATCH: usize = 500;
/// User PUTs of the lag figure, and the time between two.
const WRITES: usize = 120;
const WRITE_EVERY: Duration = Duration::from_millis(100);

/// Prints the throughput line for `tenant` of `stack` (its first load's record items).
pub async fn throughput(stack: &LocalStack, tenant: &TenantId) -> Result<(), Box<dyn std::error::Error>> {
    let dynamodb = e2e::raw_dynamodb(stack).await;
    let publisher = Publisher::default();
    let (mut events, mut handling) = (0usize, Duration::ZERO);
    let mut batch = Vec::with_capacity(BATCH);
    for collection in Collection::ALL {
        for shard in 0..RECORD_SHARDS {
            let mut start = None;
            loop {
                let page = dynamodb
                    .query()
                    .table_name(&stack.config.table)
                    .key_condition_expression("pk = :pk")
                    .expression_attribute_values(
                        ":pk",
                        aws_sdk_dynamodb::types::AttributeValue::S(record_partition(tenant, collection, shard)),
                    )
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await?;
                for item in page.items.unwrap_or_default() {
                    batch.push(inserted(events + batch.len(), item));
                    if batch.len() == BATCH {
                        events += batch.len();
                        handling += handle(stack, &publisher, std::mem::take(&mut batch)).await?;
                    }
                }
                match page.last_evaluated_key.filter(|key| !key.is_empty()) {
                    Some(key) => start = Some(key),
                    None => break,
                }
            }
        }
    }
    events += batch.len();
    handling += handle(stack, &publisher, batch).await?;
    println!(
        "change events: the first load's {events} record items as stream INSERTs, {BATCH} per invocation: \
         {:.0} events stored per second ({:.1}s in the handler)",
        events as f64 / handling.as_secs_f64(),
        handling.as_secs_f64()
    );
    Ok(())
}

/// The stream's `INSERT` record of a record item just written (the `n`th of the run).
fn inserted(n: usize, item: HashMap<String, aws_sdk_dynamodb::types::AttributeValue>) -> StreamRecord {
    let new: serde_dynamo::Item = item.into();
    let keys: HashMap<String, serde_dynamo::AttributeValue> =
        [attr::PK, attr::SK].iter().filter_map(|name| Some(((*name).to_owned(), new.get(*name)?.clone()))).collect();
    StreamRecord {
        stream_id: format!("bench-{n}"),
        name: "INSERT".to_owned(),
        keys: keys.into(),
        old: serde_dynamo::Item::default(),
        new,
        at: Timestamp::now(),
        sequence: format!("{n:021}"),
    }
}

/// Hands `records` to the events function's handler; the time it took. A batch it reports
/// failed fails the figure.
async fn handle(
    stack: &LocalStack,
    publisher: &Publisher,
    records: Vec<StreamRecord>,
) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let response = events::handle_batch(stack.store(), publisher, records).await;
    if let Some(failure) = response.batch_item_failures.first() {
        return Err(format!("the events of the batch from {:?} were not stored", failure.item_identifier).into());
    }
    Ok(started.elapsed())
}

/// Prints the lag line, on a stack and tenant of its own.
pub async fn lag() -> Result<(), Box<dyn std::error::Error>> {
    let stack = stack_with_changes().await;
    let t = tenant("bench-events-lag");
    let district = tiny_district();
    register(&stack, &t).await;
    ingest(&stack, &t, "bulk.zip", bulk_zip(&district)).await;
    stack.settle_changes(Duration::from_secs(600)).await?;
    let writer = Api::writer(&stack, &t).await;
    let served = Api::with_scopes(&stack, &t, &feed_scopes()).await;
    let stored = Api::over(stack.api_serving(Serving::at(format!("http://{HOST}")).with_events_settle(Duration::ZERO)))
        .with_bearer(served.bearer().unwrap_or_default());
    let start = end_of_feed(&stored).await;
    let written: std::sync::Mutex<HashMap<String, Vec<Instant>>> = Default::default();
    let writes = async {
        for n in 0..WRITES {
            let id = district.student_id(n % district.students);
            let path = format!("{USERS}/{id}");
            let mut body = writer.get(&path).await.body;
            body["user"]["email"] = format!("{id}-{n}@mail.example.org").into();
            // The event may be stored before the answer (the count upkeep follows the commit).
            written.lock().expect("not poisoned").entry(id).or_default().push(Instant::now());
            let reply = writer.send_json("PUT", &path, &body.to_string()).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            tokio::time::sleep(WRITE_EVERY).await;
        }
    };
    let seen = async { tokio::join!(lags(&stored, &start, &written), lags(&served, &start, &written)) };
    let ((), (stored_lags, served_lags)) = tokio::select! {
        measured = async { tokio::join!(writes, seen) } => measured,
        failed = stack.serve_events() => return Err(format!("the stream stopped being read: {failed:?}").into()),
    };
    let line = |mut lags: Vec<Duration>| {
        lags.sort();
        let at = |q: f64| lags[((lags.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
        format!("p50 {:.0} ms, p99 {:.0} ms", at(0.5), at(0.99))
    };
    println!(
        "change events: lag from a user PUT's request to its event ({WRITES} PUTs, one every {} ms, the stream read as \
         Lambda's mapping does): stored {}; served by the feed (5 s settle horizon) {}",
        WRITE_EVERY.as_millis(),
        line(stored_lags),
        line(served_lags)
    );
    Ok(())
}

/// The feed's cursor after every event it holds now.
async fn end_of_feed(api: &Api) -> String {
    let mut cursor = String::new();
    loop {
        let after = if cursor.is_empty() { String::new() } else { format!("after={cursor}&") };
        let reply = api.get(&format!("{FEED}?{after}limit=1000")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let next = reply.body["next"].as_str().expect("a cursor").to_owned();
        if reply.body["events"].as_array().is_none_or(Vec::is_empty) {
            return next;
        }
        cursor = next;
    }
}

/// Polls the feed of `api` after `start` until it has served an event for each of the
/// [`WRITES`] PUTs; the time from each PUT's request (in `written`, per user, in order) to the
/// poll that first served its event. Each poll reads the feed from `start` again: a feed read
/// without its settle horizon may serve an event below a position already passed.
async fn lags(api: &Api, start: &str, written: &std::sync::Mutex<HashMap<String, Vec<Instant>>>) -> Vec<Duration> {
    let mut lags = Vec::with_capacity(WRITES);
    let mut seen = HashSet::new();
    while lags.len() < WRITES {
        let reply = api.get(&format!("{FEED}?after={start}&limit=1000&collections=users")).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let now = Instant::now();
        // The events of each user in this read so far: the `n`th is of the user's `n`th PUT.
        let mut of_user: HashMap<&str, usize> = HashMap::new();
        for event in reply.body["events"].as_array().into_iter().flatten() {
            let user = event["sourcedId"].as_str().unwrap_or_default();
            let n = of_user.entry(user).or_default();
            if seen.insert(event["id"].to_string()) {
                let at = written.lock().expect("not poisoned").get(user).and_then(|times| times.get(*n)).copied();
                lags.push(now - at.expect("each event is of a PUT"));
            }
            *n += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    lags
}
