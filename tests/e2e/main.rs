//! End-to-end: packages uploaded to moto S3, the notification delivered through moto SQS to the
//! real ingest handler; what DynamoDB Local then holds read back through the storage crate and
//! through the API router, as a consumer reads it.

mod admin;
mod api_keys;
mod attendance;
mod audit_report;
mod auth;
mod aws_contract;
mod classroom;
mod commit;
mod district_ops;
mod events_feed;
mod export;
mod fanout;
mod faults;
mod gradebook;
mod hostile_api;
mod hostile_auth;
mod hostile_uploads;
mod infra;
mod ingest;
mod interop;
mod lambda_events;
mod loose_files;
mod oauth1;
mod page_costs;
mod privacy;
mod pull;
mod report_html;
mod resources;
mod roster_writes;
mod rostering;
mod sharing;
mod v1p1;
mod v1p1_csv;
mod webhooks;
mod writeback;
