//! A district's data pulled from its SIS's own OneRoster API, for districts that cannot drop a
//! zip into the bucket: every collection the source serves, page by page, written as a bulk
//! package, which then goes to the tenant's upload folder like any upload, so that validation,
//! the report, the hold, the all-or-nothing apply and the cheap unchanged rows apply unchanged.
//!
//! - **Versions.** A 1.2 source's records are read by the one body reader of API writes
//!   (`oneroster_writes::served`: its `href`s dropped, bare references and date-times where
//!   dates are asked taken) and written as 1.2 rows, part files included (a user's roles). A
//!   1.1 source's records are written as the rows of a 1.1 package ([`v1p1`]), which the
//!   ingest maps as it maps any 1.1 upload: what 1.1 cannot express is absent.
//! - **Paging** ([`paging`]): the source's `Link` `next` when it sends one (on its own origin
//!   only, so that the token never goes elsewhere), else `offset` and `limit` until
//!   `X-Total-Count` or a short page; a source serving one page again is stopped, not
//!   followed forever.
//! - **Calls** ([`client`]): OAuth 2.0 client credentials (a token asked again on a 401) or
//!   OAuth 1.0a signatures; 429 and 5xx answers and failed connections tried again with
//!   backoff (`Retry-After` honoured up to a bound), a bounded rate, a bounded body.
//! - **Bounded memory**: a page at a time; rows are spooled to temporary files by the
//!   package writer; the ids seen are kept as 8-byte hashes, to drop a record a shifting
//!   source serves twice.
//! - **All or nothing**: a pull that fails writes no package, so the tenant's data is left as
//!   it was; the error names the call and why.

pub mod client;
pub mod paging;
pub mod v1p1;

use client::SourceClient;
use oneroster_auth::ClientSecret;
use oneroster_csv::{FileKind, Mode, Version};
use oneroster_export::{ExportError, Exported, PackageWriter};
use oneroster_model::entities::GuidRef;
use oneroster_model::{Record, Timezone};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::{Seek, Write};
use std::time::Duration;

/// Why a pull stopped. Nothing was written to the tenant: the package is incomplete and is
/// not uploaded.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    /// Signing in at the source failed.
    #[error("signing in at {url}: {reason}")]
    SignIn {
        /// The token endpoint.
        url: String,
        /// Why (an answer's status and its first words, or the connection's failure).
        reason: String,
    },
    /// The source refused a call (an answer of 4xx but 429), so trying again is no use.
    #[error("GET {url}: {reason}")]
    Refused {
        /// The URL called.
        url: String,
        /// The answer's status.
        status: u16,
        /// The answer's status and first words.
        reason: String,
    },
    /// A call to the source failed, or answered what cannot be read.
    #[error("GET {url}: {reason}")]
    Call {
        /// The URL called.
        url: String,
        /// Why.
        reason: String,
    },
    /// A record the source served is not one the package can hold.
    #[error("GET {url}: {collection} record {sourced_id}: {reason}")]
    Record {
        /// The page's URL.
        url: String,
        /// The collection.
        collection: &'static str,
        /// The record's sourcedId (or its place on the page).
        sourced_id: String,
        /// Why.
        reason: String,
    },
    /// The source's configuration cannot be used (its URL).
    #[error("{0}")]
    Config(String),
    /// Writing the package failed.
    #[error(transparent)]
    Package(#[from] ExportError),
}

/// A district's SIS as the pull calls it: its secret opened.
#[derive(Debug, Clone)]
pub struct Connection {
    /// The origin, and any prefix, under which it serves `/ims/oneroster/…` (no trailing `/`).
    pub root: String,
    /// The version it speaks.
    pub version: Version,
    /// How requests are signed in.
    pub auth: Auth,
    /// The provider's client id at the SIS.
    pub client_id: String,
    /// Its secret.
    pub secret: ClientSecret,
}

/// How requests to a source are signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// OAuth 2.0 client credentials at `token_url`, for `scope` when given.
    OAuth2 {
        /// The token endpoint.
        token_url: String,
        /// The scopes asked for.
        scope: Option<String>,
    },
    /// OAuth 1.0a, HMAC-SHA256.
    OAuth1,
}

impl Connection {
    /// The root of `url`: what a district admin pastes may be the service's base
    /// (`…/ims/oneroster/v1p1`, `…/ims/oneroster/rostering/v1p2`); the standard's paths are
    /// added to what is before it. Only `https` URLs are taken, and plain `http` to this
    /// machine (a local stack).
    pub fn root_of(url: &str) -> Result<String, PullError> {
        let url = url.trim().trim_end_matches('/');
        let scheme = url.split_once("://").map(|(scheme, _)| scheme.to_ascii_lowercase());
        let uri = url.parse::<hyper::Uri>().ok().filter(|uri| uri.host().is_some_and(|h| !h.is_empty()));
        let Some(uri) = uri.filter(|_| matches!(scheme.as_deref(), Some("http" | "https"))) else {
            return Err(PullError::Config(format!("'{url}' is not an http(s) URL")));
        };
        let loopback = matches!(uri.host(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if scheme.as_deref() == Some("http") && !loopback {
            return Err(PullError::Config(format!(
                "'{url}' is not https: the district's secret and token are sent to it (plain http only to this machine)"
            )));
        }
        Ok(match url.find("/ims/oneroster") {
            Some(at) => url[..at].to_owned(),
            None => url.to_owned(),
        })
    }
}

/// How fast and how patiently a source is called.
#[derive(Debug, Clone)]
pub struct Pacing {
    /// Records asked for a page.
    pub page: usize,
    /// Tries of one call before the pull fails.
    pub tries: u32,
    /// The wait after a first failed try, doubling.
    pub first_wait: Duration,
    /// The longest wait between tries (a `Retry-After` past it too).
    pub longest_wait: Duration,
    /// The least time between two calls (the bounded rate).
    pub interval: Duration,
    /// The longest a call may take.
    pub timeout: Duration,
}

impl Default for Pacing {
    /// 1,000 records a page, 6 tries waiting 1 s doubling up to 60 s, at most 20 calls a
    /// second, 120 s a call.
    fn default() -> Self {
        Self {
            page: 1000,
            tries: 6,
            first_wait: Duration::from_secs(1),
            longest_wait: Duration::from_secs(60),
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(120),
        }
    }
}

/// What to pull beside the rostering collections.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Wanted {
    /// The gradebook's collections.
    pub gradebook: bool,
    /// The resources.
    pub resources: bool,
}

/// What a pull read and wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Pulled {
    /// The package written: its version and files with their rows.
    pub package: Exported,
    /// Calls made to the source (tries again included).
    pub calls: u64,
    /// Records the source listed that are not active (left out of the bulk).
    pub not_active: u64,
    /// Records the source served more than once (kept once).
    pub repeated: u64,
    /// Files not pulled, and why: demographics the source refuses (their own scope), declared
    /// absent, so that the tenant keeps the ones it has.
    pub not_pulled: Vec<String>,
}

/// Each file kind pulled from `version`'s API with what is wanted, in the binding's order, and
/// where its collection is listed (the service's base).
pub fn endpoints(version: Version, wanted: Wanted) -> Vec<(FileKind, &'static str)> {
    use oneroster_openapi::Service;
    let rostering = [
        FileKind::AcademicSessions,
        FileKind::Orgs,
        FileKind::Courses,
        FileKind::Classes,
        FileKind::Users,
        FileKind::Enrollments,
        FileKind::Demographics,
    ];
    let gradebook: &[FileKind] = match version {
        Version::V1p2 => &[FileKind::Categories, FileKind::ScoreScales, FileKind::LineItems, FileKind::Results],
        Version::V1p1 => &[FileKind::Categories, FileKind::LineItems, FileKind::Results],
    };
    let base = |service: Service| match version {
        Version::V1p2 => service.base_path(),
        Version::V1p1 => oneroster_openapi::v1p1::BASE,
    };
    let mut kinds: Vec<(FileKind, &'static str)> = rostering.iter().map(|k| (*k, base(Service::Rostering))).collect();
    if wanted.resources {
        kinds.push((FileKind::Resources, base(Service::Resources)));
    }
    if wanted.gradebook {
        kinds.extend(gradebook.iter().map(|k| (*k, base(Service::Gradebook))));
    }
    kinds.sort_by_key(|(kind, _)| FileKind::ALL.iter().position(|k| k == kind));
    kinds
}

/// Signs in and reads one page of `/orgs` (one record): the source answers, and how many orgs
/// it says it has, if it says.
pub async fn test(connection: &Connection, pacing: &Pacing) -> Result<Option<u64>, PullError> {
    let mut client = SourceClient::new(connection, pacing.clone())?;
    let base = endpoints(connection.version, Wanted::default())
        .into_iter()
        .find(|(kind, _)| *kind == FileKind::Orgs)
        .map_or("", |(_, base)| base);
    let url = paging::first(&connection.root, base, "orgs", 1);
    let answer = client.get(&url).await?;
    paging::records(&answer.body, "orgs").map_err(|reason| PullError::Call { url, reason })?;
    Ok(answer.total)
}

/// Pulls every collection `wanted` from `connection` into `out` as a bulk package of the
/// source's version (dates the binding gives as days in `zone`), and finishes the zip.
pub async fn pull<W: Write + Seek>(
    connection: &Connection,
    wanted: Wanted,
    pacing: &Pacing,
    zone: Timezone,
    out: W,
) -> Result<Pulled, PullError> {
    let mut client = SourceClient::new(connection, pacing.clone())?;
    let version = connection.version;
    let mut writer = PackageWriter::new(out, version, Mode::Bulk, zone);
    let (mut not_active, mut repeated, mut not_pulled) = (0, 0, Vec::new());
    let mut classes = Classes::default();
    for (kind, base) in endpoints(version, wanted) {
        let Some(collection) = kind.collection() else { continue };
        writer.begin(kind)?;
        let mut seen: HashSet<u64> = HashSet::new();
        let mut pages = paging::Pages::new(&connection.root, base, collection.name(), pacing.page);
        while let Some(url) = pages.next_url() {
            let answer = match client.get(&url).await {
                // Demographics have a scope of their own, which a district may not grant.
                Err(PullError::Refused { status: 401 | 403 | 404, reason, .. })
                    if kind == FileKind::Demographics && seen.is_empty() =>
                {
                    not_pulled.push(format!("{}: {reason}; the tenant keeps what it has", kind.file_name()));
                    break;
                }
                answer => answer?,
            };
            let records = paging::records(&answer.body, collection.name())
                .map_err(|reason| PullError::Call { url: url.clone(), reason })?;
            pages.read(&answer, &records).map_err(|reason| PullError::Call { url: url.clone(), reason })?;
            let (page_size, repeated_before) = (records.len(), repeated);
            for (at, value) in records.into_iter().enumerate() {
                let sourced_id = value.get("sourcedId").and_then(Value::as_str).map(str::to_owned);
                let refused = |reason: String| PullError::Record {
                    url: url.clone(),
                    collection: collection.name(),
                    sourced_id: sourced_id.clone().unwrap_or_else(|| format!("#{} of the page", at + 1)),
                    reason,
                };
                let Some(id) = sourced_id.as_deref() else { return Err(refused("it has no sourcedId".to_owned())) };
                if !seen.insert(hash(id)) {
                    repeated += 1;
                    continue;
                }
                if !is_active(&value) {
                    not_active += 1;
                    continue;
                }
                match version {
                    Version::V1p2 => {
                        let mut record = oneroster_writes::served(collection, value, zone)
                            .map_err(|error| refused(error.to_string()))?;
                        classes.learn_or_complete(&mut record, wanted.gradebook);
                        writer.record(record, None, None)?;
                    }
                    Version::V1p1 => writer.cells(kind, &v1p1::cells(kind, &value))?,
                }
            }
            if page_size > 0 && repeated - repeated_before == page_size as u64 {
                let reason = "every record of the page was served before: the source's pages repeat".to_owned();
                return Err(PullError::Call { url, reason });
            }
        }
        tracing::info!(file = kind.file_name(), calls = client.calls(), "pulled");
    }
    let package = writer.finish()?;
    Ok(Pulled { package, calls: client.calls(), not_active, repeated, not_pulled })
}

/// An id as kept in memory: its 64-bit hash.
fn hash(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// A record a bulk carries: `active`, or without a status (1.1's `inactive` and both
/// versions' `tobedeleted` are left out, so the bulk marks them deleted).
fn is_active(record: &Value) -> bool {
    record.get("status").and_then(Value::as_str).is_none_or(|status| status == "active")
}

/// What gradebook rows need of their classes and a 1.2 source's JSON may leave out: a score
/// scale's school (the CSV's `orgSourcedId`), a line item's term when its class has one. Kept
/// only when the gradebook is pulled: by the hash of the class's id, its school's and term's
/// references (about a hundred bytes a class).
#[derive(Default)]
struct Classes(HashMap<u64, (GuidRef, Option<GuidRef>)>);

impl Classes {
    fn learn_or_complete(&mut self, record: &mut Record, gradebook: bool) {
        if !gradebook {
            return;
        }
        match record {
            Record::Class(class) => {
                let term = match class.terms.as_slice() {
                    [term] => Some(term.clone()),
                    _ => None,
                };
                self.0.insert(hash(class.base.sourced_id.as_str()), (class.school.clone(), term));
            }
            Record::ScoreScale(scale) if scale.org.is_none() => {
                scale.org = self.0.get(&hash(scale.class.sourced_id.as_str())).map(|(school, _)| school.clone());
            }
            Record::LineItem(item) if item.academic_session.is_none() => {
                item.academic_session =
                    self.0.get(&hash(item.class.sourced_id.as_str())).and_then(|(_, term)| term.clone());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_service_base_is_cut_to_the_root_the_standards_paths_go_under() {
        let cases = [
            ("https://sis.example/ims/oneroster/v1p1/", "https://sis.example"),
            ("https://sis.example/district/ims/oneroster/rostering/v1p2", "https://sis.example/district"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ];
        for (given, root) in cases {
            assert_eq!(Connection::root_of(given).unwrap(), root, "{given}");
        }
        for refused in ["ftp://sis.example", "sis.example/ims", "https://", "http://sis.example/ims/oneroster/v1p1"] {
            assert!(matches!(Connection::root_of(refused), Err(PullError::Config(_))), "{refused}");
        }
    }

    #[test]
    fn endpoints_follow_the_bindings_order_and_what_is_wanted() {
        let kinds = |version, wanted| endpoints(version, wanted).into_iter().map(|(k, _)| k).collect::<Vec<_>>();
        let rostering = kinds(Version::V1p2, Wanted::default());
        assert_eq!(rostering.len(), 7);
        assert!(rostering.iter().all(|k| k.collection().is_some()));
        let all = kinds(Version::V1p2, Wanted { gradebook: true, resources: true });
        let order: Vec<usize> = all.iter().map(|k| FileKind::ALL.iter().position(|a| a == k).unwrap()).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{all:?}");
        assert_eq!(all.len(), 12, "the assessment collections have no CSV file");
        let v1p1 = endpoints(Version::V1p1, Wanted { gradebook: true, resources: true });
        assert_eq!(v1p1.len(), 11);
        assert!(v1p1.iter().all(|(_, base)| *base == "/ims/oneroster/v1p1"));
    }

    #[test]
    fn a_bulk_carries_active_records_and_those_without_a_status() {
        for (record, kept) in [
            (serde_json::json!({"status": "active"}), true),
            (serde_json::json!({}), true),
            (serde_json::json!({"status": "tobedeleted"}), false),
            (serde_json::json!({"status": "inactive"}), false),
        ] {
            assert_eq!(is_active(&record), kept, "{record}");
        }
    }
}
