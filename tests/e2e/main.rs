//! End-to-end: packages uploaded to moto S3, the notification delivered through moto SQS to the
//! real ingest handler, and what DynamoDB Local then holds read back through the storage crate.

mod ingest;
