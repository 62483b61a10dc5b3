//! Batched reads and writes. DynamoDB may accept part of a batch and hand the rest back
//! (`UnprocessedItems`, `UnprocessedKeys`); those are sent again with exponential backoff until
//! they are taken, so no record is silently lost. Batches run several at a time.

use crate::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// An item as DynamoDB sees it.
pub type Item = HashMap<String, AttributeValue>;

/// Batches in flight at once.
const CONCURRENCY: usize = 16;
/// Attempts for one batch before giving up with an error.
const MAX_ATTEMPTS: u32 = 12;

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(25u64 << attempt.min(8))
}

/// One write of a batch.
pub enum Write {
    /// Put (create or replace) an item.
    Put(Item),
    /// Delete the item with this `(pk, sk)`.
    Delete(String, String),
}

impl Write {
    fn into_request(self) -> Result<WriteRequest, StoreError> {
        let request = match self {
            Write::Put(item) => {
                WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?)
            }
            Write::Delete(pk, sk) => WriteRequest::builder().delete_request(
                DeleteRequest::builder().key("pk", AttributeValue::S(pk)).key("sk", AttributeValue::S(sk)).build()?,
            ),
        };
        Ok(request.build())
    }
}

/// Writes everything in `writes`, 25 to a request, [`CONCURRENCY`] requests at a time, retrying
/// what DynamoDB leaves unprocessed. Returns the number of items written or deleted.
pub async fn write_all(client: &Client, table: &str, writes: Vec<Write>) -> Result<u64, StoreError> {
    let count = writes.len() as u64;
    let mut requests = writes.into_iter().map(Write::into_request).collect::<Result<Vec<_>, _>>()?;
    let table: Arc<str> = Arc::from(table);
    let mut tasks = JoinSet::new();
    while !requests.is_empty() || !tasks.is_empty() {
        while tasks.len() < CONCURRENCY && !requests.is_empty() {
            let chunk: Vec<WriteRequest> = requests.drain(..requests.len().min(25)).collect();
            let (client, table) = (client.clone(), table.clone());
            tasks.spawn(async move { write_batch(&client, &table, chunk).await });
        }
        if let Some(done) = tasks.join_next().await {
            done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
    }
    Ok(count)
}

async fn write_batch(client: &Client, table: &str, mut chunk: Vec<WriteRequest>) -> Result<(), StoreError> {
    for attempt in 0..MAX_ATTEMPTS {
        let output = client.batch_write_item().request_items(table, chunk).send().await?;
        chunk = output.unprocessed_items.and_then(|mut u| u.remove(table)).unwrap_or_default();
        if chunk.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(backoff(attempt)).await;
    }
    Err(StoreError::Unprocessed(chunk.len()))
}

/// Reads the items with `keys` (`(pk, sk)` pairs), 100 to a request, retrying unprocessed keys.
/// Items that do not exist are absent from the answer; the order is not kept.
pub async fn get_all(
    client: &Client,
    table: &str,
    keys: Vec<(String, String)>,
    projection: Option<&str>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(keys.len());
    let mut tasks = JoinSet::new();
    let mut pending: Vec<Vec<(String, String)>> = keys.chunks(100).map(<[_]>::to_vec).collect();
    while !pending.is_empty() || !tasks.is_empty() {
        while tasks.len() < CONCURRENCY {
            let Some(chunk) = pending.pop() else { break };
            let (client, table, projection) = (client.clone(), table.to_owned(), projection.map(str::to_owned));
            tasks.spawn(async move { get_batch(&client, &table, chunk, projection).await });
        }
        if let Some(done) = tasks.join_next().await {
            items.extend(done.map_err(|e| StoreError::Task(e.to_string()))??);
        }
    }
    Ok(items)
}

async fn get_batch(
    client: &Client,
    table: &str,
    chunk: Vec<(String, String)>,
    projection: Option<String>,
) -> Result<Vec<Item>, StoreError> {
    let keys: Vec<Item> = chunk
        .into_iter()
        .map(|(pk, sk)| {
            HashMap::from([("pk".to_owned(), AttributeValue::S(pk)), ("sk".to_owned(), AttributeValue::S(sk))])
        })
        .collect();
    let mut request = KeysAndAttributes::builder().set_keys(Some(keys));
    if let Some(projection) = projection {
        request = request.projection_expression(projection);
    }
    let mut request = Some(request.build()?);
    let mut items = Vec::new();
    for attempt in 0..MAX_ATTEMPTS {
        let Some(keys) = request.take() else { return Ok(items) };
        let output = client.batch_get_item().request_items(table, keys).send().await?;
        items.extend(output.responses.and_then(|mut r| r.remove(table)).unwrap_or_default());
        request = output.unprocessed_keys.and_then(|mut u| u.remove(table)).filter(|k| !k.keys.is_empty());
        if request.is_none() {
            return Ok(items);
        }
        tokio::time::sleep(backoff(attempt)).await;
    }
    Err(StoreError::Unprocessed(request.map_or(0, |k| k.keys.len())))
}
