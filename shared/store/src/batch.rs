//! Batched reads and writes. DynamoDB may accept part of a batch and hand the rest back
//! (`UnprocessedItems`, `UnprocessedKeys`); those are sent again with exponential backoff until
//! they are taken, so no record is silently lost. Batches run several at a time.

use crate::attr;
use crate::keys::Key;
use crate::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, KeysAndAttributes, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

/// An item as DynamoDB sees it.
pub type Item = HashMap<String, AttributeValue>;

/// How the partitions end that the writing roles may not write beside other keys: a tenant's
/// OAuth clients ([`crate::keys::clients_partition`]) and its audit events
/// ([`crate::keys::audit_partition`]).
const APART_SUFFIXES: [&str; 2] = ["#client", "#audit"];

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
    /// Delete the item with this key.
    Delete(Key),
}

impl Write {
    /// The partition key of the item written.
    fn partition(&self) -> &str {
        match self {
            Write::Put(item) => match item.get(attr::PK) {
                Some(AttributeValue::S(pk)) => pk,
                _ => "",
            },
            Write::Delete(key) => &key.pk,
        }
    }

    fn into_request(self) -> Result<WriteRequest, StoreError> {
        let request = match self {
            Write::Put(item) => {
                WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build()?)
            }
            Write::Delete(key) => {
                WriteRequest::builder().delete_request(DeleteRequest::builder().set_key(Some(key.into_item())).build()?)
            }
        };
        Ok(request.build())
    }
}

/// Writes everything in `writes`, 25 to a request, [`CONCURRENCY`] requests at a time, retrying
/// what DynamoDB leaves unprocessed. Returns the number of items written or deleted.
pub async fn write_all(client: &Client, table: &str, writes: Vec<Write>) -> Result<u64, StoreError> {
    let count = writes.len() as u64;
    let mut chunks = chunks(writes)?;
    let table: Arc<str> = Arc::from(table);
    let mut tasks = JoinSet::new();
    while !chunks.is_empty() || !tasks.is_empty() {
        while tasks.len() < CONCURRENCY {
            let Some(chunk) = chunks.pop() else { break };
            let (client, table) = (client.clone(), table.clone());
            tasks.spawn(async move { write_batch(&client, &table, chunk).await });
        }
        if let Some(done) = tasks.join_next().await {
            done.map_err(|e| StoreError::Task(e.to_string()))??;
        }
    }
    Ok(count)
}

/// The requests of `writes`, 25 to a batch. Writes to partitions ending in `#client` or
/// `#audit` (the relation and pack partitions of a parent whose sourcedId is `client` or
/// `audit`) go in batches of their own: the writers' IAM policies deny a batch that names such a
/// partition beside any other kind of key, since a tenant's OAuth clients live in
/// `{tenant}#client` and its audit events in `{tenant}#audit` (infra/template.yaml,
/// `NoAuthItems`).
fn chunks(writes: Vec<Write>) -> Result<Vec<Vec<WriteRequest>>, StoreError> {
    let (apart, rest): (Vec<Write>, Vec<Write>) =
        writes.into_iter().partition(|write| APART_SUFFIXES.iter().any(|end| write.partition().ends_with(end)));
    let mut chunks = Vec::new();
    for writes in [rest, apart] {
        let mut requests = writes.into_iter().map(Write::into_request);
        loop {
            let chunk = requests.by_ref().take(25).collect::<Result<Vec<_>, _>>()?;
            if chunk.is_empty() {
                break;
            }
            chunks.push(chunk);
        }
    }
    Ok(chunks)
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

/// Reads the items with `keys`, 100 to a request, retrying unprocessed keys.
/// Items that do not exist are absent from the answer; the order is not kept.
pub async fn get_all(
    client: &Client,
    table: &str,
    keys: Vec<Key>,
    projection: Option<&str>,
) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::with_capacity(keys.len());
    let mut tasks = JoinSet::new();
    let mut pending: Vec<Vec<Key>> = keys.chunks(100).map(<[_]>::to_vec).collect();
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
    chunk: Vec<Key>,
    projection: Option<String>,
) -> Result<Vec<Item>, StoreError> {
    let keys: Vec<Item> = chunk.into_iter().map(Key::into_item).collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn put(pk: &str) -> Write {
        Write::Put(Item::from([("pk".to_owned(), AttributeValue::S(pk.to_owned()))]))
    }

    #[test]
    fn writes_to_partitions_ending_in_client_are_batched_apart() {
        let mut writes: Vec<Write> = (0..30).map(|i| put(&format!("t#rec#users#{i}"))).collect();
        writes.push(put("t#rel#classes#client"));
        writes.push(Write::Delete(Key { pk: "t#pack#students#client".into(), sk: "x".into() }));
        writes.push(put("t#rel#class-students#audit"));
        let chunks = chunks(writes).unwrap();
        let partitions = |chunk: &Vec<WriteRequest>| -> Vec<String> {
            chunk
                .iter()
                .map(|r| {
                    let key = r.put_request().map(|p| p.item()).or(r.delete_request().map(|d| d.key())).unwrap();
                    key["pk"].as_s().unwrap().clone()
                })
                .collect()
        };
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [25, 5, 3]);
        let apart = |pk: &String| pk.ends_with("#client") || pk.ends_with("#audit");
        assert!(chunks[..2].iter().flat_map(partitions).all(|pk| !apart(&pk)));
        assert!(partitions(&chunks[2]).iter().all(apart));
    }
}
