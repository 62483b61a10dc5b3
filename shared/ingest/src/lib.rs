//! One upload's ingest job, without Lambda: what the ingest function runs for each upload its
//! queue delivers, and what the local server, the tests and any other caller (a pull from an
//! SIS, a job spread over workers) run the same way.
//!
//! - [`job`]: the job's life ([`Ingest::run`]): at most once per upload, one at a time per
//!   tenant (a lock with a lease), validation of the whole package, the references only stored
//!   data can satisfy, the apply of a package without errors, and the saved job and report;
//!   [`RetryLater`] for a run that may succeed when delivered again, [`Outcome`] otherwise;
//! - [`apply`](mod@apply): a validated package diffed against the store and written through
//!   its batched commit, part files folded into their records; a record an API client wrote
//!   is never tombstoned by a bulk file that lacks it, and a row of the feed naming it takes
//!   it over (counted as `taken_over`); over any
//!   [`RecordStore`](oneroster_store::RecordStore), so its unit tests run on the in-memory store;
//! - [`hold`]: the mass-deletion hold: a valid bulk that would mark too much of a rostering
//!   collection `tobedeleted`, or misses what the district expects, is held for an admin;
//! - `licence`: what the district's licensed schools leave out of a package's apply (and of
//!   the hold's forecast);
//! - [`report_html`]: the report as a page a district admin reads (on a phone too): the
//!   verdict in one sentence, the package, counts per file, errors by file and reason, the
//!   warnings, a held bulk's decision; written beside the JSON report;
//! - [`settings`]: the caps on a package and the runs a job may take, from the environment;
//! - [`uploads`]: the [`Upload`] a job is for and the upload bucket ([`Uploads`]): the zip
//!   fetched to a local file, the report written beside it.
//!
//! **Invariant:** nothing here names Lambda or an event's shape; how an upload is announced
//! (an S3 notification in an SQS message) is the function's concern.

pub mod apply;
pub mod fanout;
pub mod hold;
pub mod job;
mod licence;
pub mod report_html;
pub mod settings;
pub mod uploads;

pub use job::{Coordinator, DecisionError, Ingest, Outcome, RetryLater};
pub use settings::Settings;
pub use uploads::{Upload, UploadError, Uploads};
