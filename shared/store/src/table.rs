//! Creating (and deleting) the table with its indexes, for the local stack, tests and the
//! bench. In AWS the table is defined in `infra/` with the same keys.

use crate::attr;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};

impl Store {
    /// Creates the table and its `by_modified` and `by_view` indexes if the table does not exist yet, and waits
    /// until it is active. With `stream`, its stream holds old and new images, which the change
    /// events are made of (as in `infra/template.yaml`); a local table whose changes make no
    /// events goes without, because DynamoDB Local's writes slow down with every stream record
    /// it holds (each takes about 0.6 µs longer per record already in any of its streams).
    pub async fn create_table_if_missing(&self, stream: bool) -> Result<(), StoreError> {
        if let Ok(described) = self.client.describe_table().table_name(&self.table).send().await {
            let enabled =
                described.table.and_then(|table| table.stream_specification).is_some_and(|s| s.stream_enabled);
            return if stream && !enabled { self.enable_stream().await } else { Ok(()) };
        }
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let result = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(attr::PK)?)
            .attribute_definitions(attribute(attr::SK)?)
            .attribute_definitions(attribute(attr::MODIFIED_KEY)?)
            .attribute_definitions(attribute(attr::VIEW_KEY)?)
            .key_schema(key(attr::PK, KeyType::Hash)?)
            .key_schema(key(attr::SK, KeyType::Range)?)
            .set_stream_specification(stream.then(stream_specification).transpose()?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name("by_modified")
                    .key_schema(key(attr::PK, KeyType::Hash)?)
                    .key_schema(key(attr::MODIFIED_KEY, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            )
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name("by_view")
                    .key_schema(key(attr::VIEW_KEY, KeyType::Hash)?)
                    .key_schema(key(attr::SK, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()?,
            )
            .send()
            .await;
        if let Err(e) = result {
            let e = StoreError::from(e);
            // Another process may have created it meanwhile.
            if self.client.describe_table().table_name(&self.table).send().await.is_err() {
                return Err(e);
            }
        }
        for _ in 0..100 {
            let described = self.client.describe_table().table_name(&self.table).send().await?;
            if described.table.and_then(|t| t.table_status).is_some_and(|s| s.as_str() == "ACTIVE") {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Turns on the stream of a table made before it had one (a local table kept from an older
    /// version), so that its changes make events.
    async fn enable_stream(&self) -> Result<(), StoreError> {
        self.client.update_table().table_name(&self.table).stream_specification(stream_specification()?).send().await?;
        Ok(())
    }

    /// Deletes the table: the benchmark frees the local server between its end-to-end and raw
    /// phases, so that both write to a server as empty as the other found it.
    pub async fn delete_table(&self) -> Result<(), StoreError> {
        self.client.delete_table().table_name(&self.table).send().await?;
        Ok(())
    }
}

/// The table's stream: old and new images, which the change events compare.
fn stream_specification() -> Result<StreamSpecification, StoreError> {
    Ok(StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::NewAndOldImages).build()?)
}
