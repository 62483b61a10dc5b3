//! The token endpoint's counts of failed client authentications, shared by every instance of
//! the auth function (an attacker's requests spread over all of them): one item per client id
//! and one per source address ([`auth_failures_key`]), each counting the failures of a window
//! that opens at its first failure. The item's `expires` is the window's end and the table's
//! TTL attribute, so DynamoDB deletes it some time later; since that deletion lags (up to days),
//! a read takes an item whose window has ended for no failures, and the next failure opens a
//! new window over it.

use crate::attr;
use crate::keys::{auth_failures_key, Key};
use crate::records::number;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

/// What failed authentications are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted<'a> {
    /// A client id (of the client id shape; unverified: it may name no client).
    Client(&'a str),
    /// A source address, as the token endpoint derives it from the request.
    Address(&'a str),
}

impl Counted<'_> {
    fn key(&self) -> Key {
        match self {
            Counted::Client(id) => auth_failures_key("client", id),
            Counted::Address(address) => auth_failures_key("address", address),
        }
    }
}

/// The failures counted in an open window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failures since the window opened.
    pub count: u64,
    /// When the window closes (seconds since the epoch).
    pub until: u64,
}

impl Store {
    /// The failures counted against `counted` in its open window, if one is open at `now`
    /// (seconds since the epoch).
    pub async fn auth_failures(&self, counted: Counted<'_>, now: u64) -> Result<Option<Failures>, StoreError> {
        let item = self.get_item(counted.key()).await?;
        Ok(item.as_ref().and_then(failures_of).filter(|f| f.until > now))
    }

    /// Counts one more failure against `counted` at `now`: in its open window, or in a new one
    /// that closes `window_seconds` from now. Returns the window's count. Concurrent callers
    /// each count once (conditional updates, no read before the write).
    pub async fn count_auth_failure(
        &self,
        counted: Counted<'_>,
        now: u64,
        window_seconds: u64,
    ) -> Result<Failures, StoreError> {
        let until = now.saturating_add(window_seconds.max(1));
        for _ in 0..3 {
            // The open window (or the very first failure): one more.
            let add = self.update_failures(
                counted,
                "ADD #count :one SET #expires = if_not_exists(#expires, :until)",
                "attribute_not_exists(#expires) OR #expires > :now",
                now,
                until,
            );
            if let Some(failures) = add.await? {
                return Ok(failures);
            }
            // The window has closed (its item not yet deleted): open a new one.
            let reopen =
                self.update_failures(counted, "SET #count = :one, #expires = :until", "#expires <= :now", now, until);
            if let Some(failures) = reopen.await? {
                return Ok(failures);
            }
            // Another instance reopened it between the two: count in that window.
        }
        Err(StoreError::Unprocessed(1))
    }

    /// One conditional update of a count; `None` when its condition did not hold.
    async fn update_failures(
        &self,
        counted: Counted<'_>,
        update: &str,
        condition: &str,
        now: u64,
        until: u64,
    ) -> Result<Option<Failures>, StoreError> {
        let number = |n: u64| AttributeValue::N(n.to_string());
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(counted.key().into_item()))
            .update_expression(update)
            .condition_expression(condition)
            .expression_attribute_names("#count", attr::FAILURES)
            .expression_attribute_names("#expires", attr::EXPIRES)
            .expression_attribute_values(":one", number(1))
            .expression_attribute_values(":until", number(until))
            .return_values(ReturnValue::AllNew);
        if condition.contains(":now") {
            request = request.expression_attribute_values(":now", number(now));
        }
        match request.send().await {
            Ok(UpdateItemOutput { attributes: Some(item), .. }) => {
                failures_of(&item).map(Some).ok_or_else(|| StoreError::BadItem("a failure count".into()))
            }
            Ok(_) => Err(StoreError::BadItem("a failure count without attributes".into())),
            Err(error) => match aws_sdk_dynamodb::Error::from(error) {
                aws_sdk_dynamodb::Error::ConditionalCheckFailedException(_) => Ok(None),
                other => Err(StoreError::Dynamo(Box::new(other))),
            },
        }
    }
}

fn failures_of(item: &crate::batch::Item) -> Option<Failures> {
    Some(Failures { count: number(item, attr::FAILURES)?, until: number(item, attr::EXPIRES)? })
}
