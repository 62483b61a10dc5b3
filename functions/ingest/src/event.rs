//! S3 upload notifications, as they arrive in SQS message bodies. Only the fields the ingest
//! uses are read, so a notification without `userIdentity` (moto) parses as well as AWS's own.
//! Keys are URL-encoded in notifications (`+` for space, `%2F` for `/`) and are decoded here.

use oneroster_ingest::Upload;
use oneroster_store::Tenant;
use percent_encoding::percent_decode_str;
use serde::Deserialize;
use xxhash_rust::xxh3::xxh3_128;

/// The endings of the keys that are uploads: S3's notification filter matches a suffix as
/// written, case and all, so the template notifies the queue of exactly these (a test checks),
/// and a key ending otherwise (`.Zip`) is skipped here too, locally as in AWS. A zip, or the
/// marker that a batch folder of loose CSV files is complete ([`FOLDER_MARKERS`]).
pub const UPLOAD_SUFFIXES: [&str; 4] = [".zip", ".ZIP", "/_ready", "/manifest.csv"];

/// The objects whose arrival completes a batch folder `<tenant>/<batch>/` of loose CSV files:
/// an empty `_ready`, or the `manifest.csv` of an uploader that sends it last. The folder is
/// one package, and one job whichever marker arrives (its id is the folder's).
pub const FOLDER_MARKERS: [&str; 2] = ["_ready", "manifest.csv"];

/// Why a notification record is not an upload to ingest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// Not an object-created event (or S3's test event).
    #[error("not an object-created notification")]
    NotCreated,
    /// Not a `.zip` nor a batch folder's marker (the ingest's own reports land in the same
    /// bucket).
    #[error("'{0}' is not a .zip nor the marker of a batch folder below the tenant's")]
    NotZip(String),
    /// An export or a grade write-back of the provider's (`<tenant>/exports/…`,
    /// `<tenant>/outbox/…`): a zip of the tenant's records that must never be read back in as
    /// an upload.
    #[error("'{0}' is in the tenant's exports or outbox folder, not an upload")]
    Export(String),
    /// The key's first segment is not a valid tenant id.
    #[error("key '{key}': {reason}")]
    NoTenant {
        /// The decoded key.
        key: String,
        /// What is wrong with its first segment.
        reason: String,
    },
}

#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<NotificationRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NotificationRecord {
    #[serde(default)]
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Object {
    key: String,
    #[serde(default)]
    version_id: Option<String>,
    #[serde(default)]
    e_tag: Option<String>,
    #[serde(default)]
    sequencer: Option<String>,
}

/// The batch folder a marker's key completes (`springfield/batch-7/_ready` →
/// `springfield/batch-7/`): a folder below the tenant's, never the tenant's own.
fn batch_folder(key: &str) -> Option<&str> {
    let folder = FOLDER_MARKERS.iter().find_map(|marker| key.strip_suffix(marker))?;
    (folder.ends_with('/') && folder.trim_end_matches('/').contains('/')).then_some(folder)
}

/// Decodes an S3 notification key: `+` is a space, then percent-decoding.
pub fn decode_key(key: &str) -> String {
    percent_decode_str(&key.replace('+', " ")).decode_utf8_lossy().into_owned()
}

/// Reads the uploads of one notification body (an SQS message body). A body that is not an S3
/// notification at all is an error; records that are not uploads to ingest are `Err(Skip)`.
pub fn uploads(body: &str) -> Result<Vec<Result<Upload, Skip>>, serde_json::Error> {
    let notification: Notification = serde_json::from_str(body)?;
    Ok(notification.records.into_iter().map(upload).collect())
}

fn upload(record: NotificationRecord) -> Result<Upload, Skip> {
    if !record.event_name.starts_with("ObjectCreated") {
        return Err(Skip::NotCreated);
    }
    let key = decode_key(&record.s3.object.key);
    let zip = [".zip", ".ZIP"].iter().any(|suffix| key.ends_with(suffix));
    if !zip && batch_folder(&key).is_none() {
        return Err(Skip::NotZip(key));
    }
    if oneroster_ingest::uploads::is_export_key(&key) {
        return Err(Skip::Export(key));
    }
    let tenant = Tenant::of_upload_key(&key).map_err(|e| Skip::NoTenant { key: key.clone(), reason: e.to_string() })?;
    if let Some(folder) = batch_folder(&key) {
        let identity = format!("{}\n{folder}", record.s3.bucket.name);
        let job_id = format!("{:032x}", xxh3_128(identity.as_bytes()));
        return Ok(Upload { bucket: record.s3.bucket.name, job_id, key: folder.to_owned(), tenant });
    }
    let object = &record.s3.object;
    let identity = format!(
        "{}\n{}\n{}\n{}\n{}",
        record.s3.bucket.name,
        key,
        object.version_id.as_deref().unwrap_or(""),
        object.e_tag.as_deref().unwrap_or(""),
        object.sequencer.as_deref().unwrap_or("")
    );
    Ok(Upload { bucket: record.s3.bucket.name, job_id: format!("{:032x}", xxh3_128(identity.as_bytes())), key, tenant })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOTO_EVENT: &str = include_str!("../tests/events/moto_put.json");
    const AWS_EVENT: &str = include_str!("../tests/events/aws_put.json");

    #[test]
    fn moto_events_without_user_identity_parse_and_keys_are_decoded() {
        let uploads = uploads(MOTO_EVENT).unwrap();
        let upload = uploads[0].clone().unwrap();
        assert_eq!(upload.key, "springfield/nightly/2026 11 24.zip");
        assert_eq!(upload.tenant.as_str(), "springfield");
        assert_eq!(upload.bucket, "oneroster-uploads");
    }

    #[test]
    fn aws_events_parse_and_redeliveries_share_a_job_id() {
        let first = uploads(AWS_EVENT).unwrap().remove(0).unwrap();
        let again = uploads(AWS_EVENT).unwrap().remove(0).unwrap();
        assert_eq!(first.job_id, again.job_id);
        assert_eq!(first.key, "district-9/bulk/roster (1).zip");
        let other = AWS_EVENT.replace("0055AED6DCD90281E5", "0055AED6DCD90281E6");
        assert_ne!(uploads(&other).unwrap().remove(0).unwrap().job_id, first.job_id);
    }

    #[test]
    fn a_batch_folders_marker_is_the_folder_one_job_whichever_marker() {
        let ready = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", "batch-7%2F_ready");
        let ready = uploads(&ready).unwrap().remove(0).unwrap();
        assert_eq!((ready.key.as_str(), ready.tenant.as_str()), ("springfield/batch-7/", "springfield"));
        let manifest = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", "batch-7%2Fmanifest.csv");
        assert_eq!(uploads(&manifest).unwrap().remove(0).unwrap().job_id, ready.job_id);
        for not_a_batch in ["_ready", "batch-7%2Fusers.csv", "batch-7%2FMANIFEST.csv", "batch-7%2Fx_ready"] {
            let event = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", not_a_batch);
            assert!(matches!(uploads(&event).unwrap()[0], Err(Skip::NotZip(_))), "{not_a_batch}");
        }
    }

    #[test]
    fn non_uploads_are_skipped_with_a_reason() {
        let report = MOTO_EVENT.replace("2026+11+24.zip", "2026.zip.report.json");
        assert!(matches!(uploads(&report).unwrap()[0], Err(Skip::NotZip(_))));
        let upper = MOTO_EVENT.replace("2026+11+24.zip", "2026.ZIP");
        assert!(uploads(&upper).unwrap()[0].is_ok(), "S3 notifies .ZIP too");
        let mixed = MOTO_EVENT.replace("2026+11+24.zip", "2026.Zip");
        assert!(matches!(uploads(&mixed).unwrap()[0], Err(Skip::NotZip(_))), "no filter notifies .Zip in AWS");
        let no_tenant = MOTO_EVENT.replace("springfield%2F", "Spring%23field%2F");
        assert!(matches!(uploads(&no_tenant).unwrap()[0], Err(Skip::NoTenant { .. })));
        let export = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", "exports%2F20261207T040500Z.zip");
        assert!(matches!(uploads(&export).unwrap()[0], Err(Skip::Export(_))), "an export is never ingested");
        let marker = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", "exports%2Fbatch%2F_ready");
        assert!(matches!(uploads(&marker).unwrap()[0], Err(Skip::Export(_))));
        let nested = MOTO_EVENT.replace("nightly%2F2026+11+24.zip", "nightly%2Fexports%2F1.zip");
        assert!(uploads(&nested).unwrap()[0].is_ok(), "only the tenant's own exports folder");
        let deleted = MOTO_EVENT.replace("ObjectCreated:Put", "ObjectRemoved:Delete");
        assert_eq!(uploads(&deleted).unwrap()[0], Err(Skip::NotCreated));
        assert!(uploads(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#).unwrap().is_empty());
        assert!(uploads("not json").is_err());
    }
}
