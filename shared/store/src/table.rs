//! Creating (and deleting) the table with its indexes, for the local stack, tests and the
//! bench. In AWS the table is defined in `infra/` with the same keys.

use crate::attr;
use crate::{Store, StoreError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType,
};

impl Store {
    /// Creates the table and its `by_modified` and `by_view` indexes if the table does not exist yet, and waits
    /// until it is active.
    pub async fn create_table_if_missing(&self) -> Result<(), StoreError> {
        if self.client.describe_table().table_name(&self.table).send().await.is_ok() {
            return Ok(());
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

    /// Deletes the table: the benchmark frees the local server between its end-to-end and raw
    /// phases, so that both write to a server as empty as the other found it.
    pub async fn delete_table(&self) -> Result<(), StoreError> {
        self.client.delete_table().table_name(&self.table).send().await?;
        Ok(())
    }
}
