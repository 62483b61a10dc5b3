//! The access report (FERPA: which app read which of a district's collections, how many
//! records, when) from the audit events the API logs, one per request
//! (`oneroster_http::trace`): read from the local server's audit log, or asked of CloudWatch
//! Logs Insights over the API functions' log groups in a deployment. Both give the same rows,
//! one per app (client) and collection: requests, records returned, requests refused (status
//! 400 or more), first and last time; shown as an aligned table or as CSV.
//!
//! An audit event is a JSON line of the functions' logs: its fields under `fields`
//! (`collection`, `status`, `records`), the request span's under `span` (`tenant`, `client`),
//! and locally its `timestamp` (CloudWatch stamps the functions' lines itself, `@timestamp`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use oneroster_model::TenantId;
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The target of the API's audit events (`oneroster_http::trace::AUDIT_TARGET`; this crate does
/// not link the HTTP stack for one word, and the end-to-end test reads real events).
const AUDIT_TARGET: &str = "audit";

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// `--since` is neither an RFC 3339 time nor a date.
    #[error("--since '{0}': give an RFC 3339 time (2026-03-02T08:00:00Z) or a date (2026-03-02)")]
    BadSince(String),
    /// A client id holds characters no client id or API key id has (it goes into a query).
    #[error("--client '{0}': not a client id (<tenant>.<id>)")]
    BadClient(String),
    /// The local audit log could not be read.
    #[error("reading the audit log {path}: {source} (the local server writes it: local-server serve --audit-log)")]
    Log {
        /// The log's path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// CloudWatch Logs refused a call, or the query did not complete.
    #[error("CloudWatch Logs: {0}")]
    Insights(String),
    /// A result row of the query lacks a field or holds a value the query cannot give.
    #[error("a Logs Insights result row: {0}")]
    BadResult(String),
    /// No log group of the API functions was found for the stack.
    #[error("no log group of the API functions found for stack '{0}' (name them with --log-group)")]
    NoLogGroups(String),
}

/// Where the local server writes its audit log unless told otherwise, and where the report
/// reads it: `audit.log` in `RUN_DIR` (`.local/run` unless set, as in the Makefile).
pub fn default_log_path() -> PathBuf {
    let run_dir = std::env::var_os("RUN_DIR").filter(|dir| !dir.is_empty());
    run_dir.map_or_else(|| PathBuf::from(".local/run"), PathBuf::from).join("audit.log")
}

/// One API request as its audit event tells it (never a value the request read or wrote).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The tenant whose data was asked for (empty when the request was refused before its
    /// caller was known).
    pub tenant: String,
    /// The client (app) or API key id that asked (empty likewise).
    pub client: String,
    /// The collection the operation reads or writes (empty when no route was found).
    pub collection: String,
    /// The answer's HTTP status.
    pub status: u16,
    /// How many records the answer carried.
    pub records: u64,
    /// When it was logged, where the line says (the local log; CloudWatch keeps it apart).
    pub time: Option<DateTime<Utc>>,
}

impl Access {
    /// The audit event of a log line, or `None` for any other line (other events, text, JSON
    /// of another shape), so that a whole log can be read through.
    pub fn parse(line: &str) -> Option<Self> {
        let event: Value = serde_json::from_str(line.trim()).ok()?;
        if event["target"] != AUDIT_TARGET {
            return None;
        }
        let (fields, span) = (&event["fields"], &event["span"]);
        let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
        let time = ["timestamp", "@timestamp"].iter().find_map(|key| event[*key].as_str().and_then(parse_time));
        Some(Self {
            tenant: text(&span["tenant"]),
            client: text(&span["client"]),
            collection: text(&fields["collection"]),
            status: u16::try_from(fields["status"].as_u64()?).ok()?,
            records: fields["records"].as_u64().unwrap_or(0),
            time,
        })
    }

    /// Whether the request was refused (status 400 or more).
    pub fn refused(&self) -> bool {
        self.status >= 400
    }
}

/// Which requests a report covers: one tenant's, of one client when given, from a time on
/// when given.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The tenant.
    pub tenant: TenantId,
    /// Only this client's (app's) requests.
    pub client: Option<String>,
    /// Only requests from this time on.
    pub since: Option<DateTime<Utc>>,
}

impl Scope {
    /// The requests of `tenant`, of `client` when given, since `since` when given (RFC 3339, or
    /// a date: its midnight UTC); a client id that no client can have is refused, since the
    /// AWS query quotes it.
    pub fn new(tenant: TenantId, client: Option<String>, since: Option<&str>) -> Result<Self, AuditError> {
        if let Some(client) = &client {
            let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
            if client.is_empty() || client.len() > 256 || !client.chars().all(allowed) {
                return Err(AuditError::BadClient(client.clone()));
            }
        }
        let since =
            since.map(|text| parse_since(text).ok_or_else(|| AuditError::BadSince(text.to_owned()))).transpose()?;
        Ok(Self { tenant, client, since })
    }

    /// Whether the report counts `access`: of the tenant, of the client if one is named, and
    /// logged since the time if one is given (a line without a time is then left out, since
    /// it cannot be shown to be recent).
    pub fn covers(&self, access: &Access) -> bool {
        access.tenant == self.tenant.as_str()
            && self.client.as_ref().is_none_or(|client| *client == access.client)
            && self.since.is_none_or(|since| access.time.is_some_and(|time| time >= since))
    }
}

/// `--since`: an RFC 3339 time, or a date (from its midnight UTC).
fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    DateTime::parse_from_rfc3339(text).map(|time| time.with_timezone(&Utc)).ok().or_else(|| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().and_then(|day| day.and_hms_opt(0, 0, 0)).map(|t| t.and_utc())
    })
}

/// A logged time: RFC 3339 (the local log), or Logs Insights' `2026-03-02 08:00:00.000` (UTC).
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f").ok().map(|time| time.and_utc()))
}

/// One line of the report: an app's requests of one collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The client (app) or API key id.
    pub client: String,
    /// The collection (empty: requests that found no route).
    pub collection: String,
    /// How many requests.
    pub requests: u64,
    /// How many records their answers carried.
    pub records: u64,
    /// How many of them were refused (status 400 or more).
    pub refused: u64,
    /// The first request's time, where known.
    pub first: Option<DateTime<Utc>>,
    /// The last request's time, where known.
    pub last: Option<DateTime<Utc>>,
}

impl Row {
    /// Adds `requests` requests with their `records`, refused or not, made between `first` and
    /// `last`.
    fn add(
        &mut self,
        requests: u64,
        records: u64,
        refused: bool,
        first: Option<DateTime<Utc>>,
        last: Option<DateTime<Utc>>,
    ) {
        self.requests += requests;
        self.records += records;
        if refused {
            self.refused += requests;
        }
        self.first = [self.first, first].into_iter().flatten().min();
        self.last = [self.last, last].into_iter().flatten().max();
    }
}

/// How a report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns, for people.
    Table,
    /// Comma-separated values with a header, for spreadsheets and records.
    Csv,
}

/// The access report: one [`Row`] per app and collection, sorted by client, then collection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The rows.
    pub rows: Vec<Row>,
}

/// The report's columns, in order.
const COLUMNS: [&str; 7] = ["client", "collection", "requests", "records", "refused", "first", "last"];

/// Rows being added up, by client and collection (so sorted).
#[derive(Default)]
struct Tally(BTreeMap<(String, String), Row>);

impl Tally {
    /// The row of `client` and `collection`, made when missing.
    fn row(&mut self, client: &str, collection: &str) -> &mut Row {
        self.0.entry((client.to_owned(), collection.to_owned())).or_insert_with(|| Row {
            client: client.to_owned(),
            collection: collection.to_owned(),
            requests: 0,
            records: 0,
            refused: 0,
            first: None,
            last: None,
        })
    }

    fn report(self) -> Report {
        Report { rows: self.0.into_values().collect() }
    }
}

impl Report {
    /// The report of the `accesses` that `scope` covers.
    pub fn of_accesses(accesses: impl IntoIterator<Item = Access>, scope: &Scope) -> Self {
        let mut tally = Tally::default();
        for access in accesses.into_iter().filter(|access| scope.covers(access)) {
            tally.row(&access.client, &access.collection).add(
                1,
                access.records,
                access.refused(),
                access.time,
                access.time,
            );
        }
        tally.report()
    }

    /// The report of a log's lines (the local server's audit log, or the functions' JSON logs
    /// as exported): lines that are not audit events, or not UTF-8, are passed over.
    pub fn of_log(log: impl BufRead, scope: &Scope) -> std::io::Result<Self> {
        let mut accesses = Vec::new();
        for line in log.split(b'\n') {
            if let Some(access) = std::str::from_utf8(&line?).ok().and_then(Access::parse) {
                accesses.push(access);
            }
        }
        Ok(Self::of_accesses(accesses, scope))
    }

    /// The report of the local server's audit log at `path`.
    pub fn of_log_file(path: &Path, scope: &Scope) -> Result<Self, AuditError> {
        let failed = |source| AuditError::Log { path: path.to_owned(), source };
        let file = std::fs::File::open(path).map_err(failed)?;
        Self::of_log(std::io::BufReader::new(file), scope).map_err(failed)
    }

    /// The report of the result rows of [`insights_query`] (each a list of field and value, as
    /// `GetQueryResults` gives them): the rows of one client and collection, one per status,
    /// added up, those of status 400 or more counted as refused.
    pub fn of_insights(rows: impl IntoIterator<Item = Vec<(String, String)>>) -> Result<Self, AuditError> {
        let mut tally = Tally::default();
        for row in rows {
            let field = |name: &str| row.iter().find(|(field, _)| field == name).map(|(_, value)| value.as_str());
            let number = |name: &str| -> Result<u64, AuditError> {
                let value = field(name).unwrap_or("0");
                // Logs Insights writes sums of integers as integers, but may add `.0`.
                value
                    .parse::<u64>()
                    .ok()
                    .or_else(|| {
                        value.parse::<f64>().ok().filter(|n| n.is_finite() && *n >= 0.0).map(|n| n.round() as u64)
                    })
                    .ok_or_else(|| AuditError::BadResult(format!("{name} is '{value}', not a count")))
            };
            let time = |name: &str| -> Result<Option<DateTime<Utc>>, AuditError> {
                field(name)
                    .map(|value| {
                        parse_time(value)
                            .ok_or_else(|| AuditError::BadResult(format!("{name} is '{value}', not a time")))
                    })
                    .transpose()
            };
            let status = field(STATUS).ok_or_else(|| AuditError::BadResult(format!("no {STATUS}")))?;
            let status: u16 = status.parse().map_err(|_| AuditError::BadResult(format!("{STATUS} is '{status}'")))?;
            let (requests, records) = (number("requests")?, number("records")?);
            let (first, last) = (time("first")?, time("last")?);
            let (client, collection) = (field(CLIENT).unwrap_or_default(), field(COLLECTION).unwrap_or_default());
            tally.row(client, collection).add(requests, records, status >= 400, first, last);
        }
        Ok(tally.report())
    }

    /// The report printed as `format` says.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.table(),
            Format::Csv => self.csv(),
        }
    }

    /// The rows' cells, as printed (times to the second, UTC).
    fn cells(&self) -> Vec<[String; 7]> {
        let time = |time: Option<DateTime<Utc>>| {
            time.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
        };
        self.rows
            .iter()
            .map(|row| {
                [
                    row.client.clone(),
                    row.collection.clone(),
                    row.requests.to_string(),
                    row.records.to_string(),
                    row.refused.to_string(),
                    time(row.first),
                    time(row.last),
                ]
            })
            .collect()
    }

    /// Aligned columns under a header, counts to the right; an empty cell shows as `-`.
    pub fn table(&self) -> String {
        let rows: Vec<[String; 7]> = self
            .cells()
            .into_iter()
            .map(|cells| cells.map(|cell| if cell.is_empty() { "-".to_owned() } else { cell }))
            .collect();
        let header = COLUMNS.map(str::to_owned);
        let mut widths = [0; 7];
        for cells in std::iter::once(&header).chain(&rows) {
            for (width, cell) in widths.iter_mut().zip(cells) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let mut text = String::new();
        for cells in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(column, (cell, width))| match column {
                    2..=4 => format!("{cell:>width$}"),
                    _ => format!("{cell:<width$}"),
                })
                .collect();
            text.push_str(line.join("  ").trim_end());
            text.push('\n');
        }
        text
    }

    /// A header line and one line per row, quoted where a cell needs it (RFC 4180).
    pub fn csv(&self) -> String {
        let quoted = |cell: &str| {
            if cell.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", cell.replace('"', "\"\""))
            } else {
                cell.to_owned()
            }
        };
        std::iter::once(COLUMNS.map(str::to_owned))
            .chain(self.cells())
            .map(|cells| cells.iter().map(|cell| quoted(cell)).collect::<Vec<_>>().join(",") + "\n")
            .collect()
    }
}

/// The result fields [`insights_query`] groups by.
const CLIENT: &str = "span.client";
const COLLECTION: &str = "fields.collection";
const STATUS: &str = "fields.status";

/// The CloudWatch Logs Insights query of a report: the audit events of the scope's tenant (and
/// client), counted per client, collection and status, with their records and first and last
/// times. The time window is the query's (`StartQuery`'s start and end), not its text.
/// Grouping by status, not counting refusals in the query, keeps to the plainest of the query
/// language; [`Report::of_insights`] adds the statuses up.
pub fn insights_query(scope: &Scope) -> String {
    // The tenant is a checked id and the client was checked by `Scope::new`: neither holds a
    // quote.
    let mut filter = format!(r#"target = "{}" and span.tenant = "{}""#, AUDIT_TARGET, scope.tenant.as_str());
    if let Some(client) = &scope.client {
        filter.push_str(&format!(r#" and span.client = "{client}""#));
    }
    format!(
        "filter {filter}\n\
         | stats count(*) as requests, sum(fields.records) as records, min(@timestamp) as first, \
         max(@timestamp) as last by {CLIENT}, {COLLECTION}, {STATUS}\n\
         | limit 10000"
    )
}

/// The template's log groups of the functions that serve the API (`infra/template.yaml`), by
/// logical id: CloudFormation names each `<stack>-<logical id>-<suffix>`.
pub const API_LOG_GROUPS: [&str; 4] = ["RosteringLogs", "ResourcesLogs", "GradebookLogs", "V1p2Logs"];

/// The earliest a query without `--since` reaches back: ten years, the longest retention the
/// template allows (`LogRetentionDays`).
const LONGEST_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(3653);

/// A deployment's audit events in CloudWatch Logs, queried with Logs Insights.
#[derive(Debug, Clone)]
pub struct Insights {
    client: aws_sdk_cloudwatchlogs::Client,
    /// How long to wait between asking whether the query has completed.
    pub poll: Duration,
    /// How long to wait for it at most.
    pub timeout: Duration,
}

impl Insights {
    /// Queries through `client`, asking every second for at most five minutes.
    pub fn new(client: aws_sdk_cloudwatchlogs::Client) -> Self {
        Self { client, poll: Duration::from_secs(1), timeout: Duration::from_secs(300) }
    }

    /// The log groups of the API functions of the stack `stack` (found by the names
    /// CloudFormation gave them, [`API_LOG_GROUPS`]).
    pub async fn stack_log_groups(&self, stack: &str) -> Result<Vec<String>, AuditError> {
        let mut groups = Vec::new();
        for logical_id in API_LOG_GROUPS {
            let mut pages = self
                .client
                .describe_log_groups()
                .log_group_name_prefix(format!("{stack}-{logical_id}-"))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| AuditError::Insights(error_text(&error)))?;
                groups.extend(page.log_groups().iter().filter_map(|group| group.log_group_name().map(str::to_owned)));
            }
        }
        if groups.is_empty() {
            return Err(AuditError::NoLogGroups(stack.to_owned()));
        }
        Ok(groups)
    }

    /// The report of `scope` over `log_groups` up to `now`: runs [`insights_query`]
    /// (`StartQuery`, from `--since`, else as far back as logs are kept) and waits for it to
    /// complete (`GetQueryResults`).
    pub async fn report(&self, log_groups: &[String], scope: &Scope, now: DateTime<Utc>) -> Result<Report, AuditError> {
        let start = scope.since.unwrap_or(now - LONGEST_RETENTION);
        let started = self
            .client
            .start_query()
            .set_log_group_names(Some(log_groups.to_vec()))
            .start_time(start.timestamp())
            .end_time(now.timestamp())
            .query_string(insights_query(scope))
            .send()
            .await
            .map_err(|error| AuditError::Insights(error_text(&error)))?;
        let id = started.query_id().ok_or_else(|| AuditError::Insights("StartQuery gave no query id".to_owned()))?;
        let waited = std::time::Instant::now();
        loop {
            let answer = self
                .client
                .get_query_results()
                .query_id(id)
                .send()
                .await
                .map_err(|error| AuditError::Insights(error_text(&error)))?;
            use aws_sdk_cloudwatchlogs::types::QueryStatus;
            match answer.status() {
                Some(QueryStatus::Complete) => {
                    let rows = answer.results().iter().map(|row| {
                        row.iter()
                            .filter_map(|cell| {
                                Some((cell.field()?.to_owned(), cell.value().unwrap_or_default().to_owned()))
                            })
                            .collect()
                    });
                    return Report::of_insights(rows);
                }
                Some(QueryStatus::Running | QueryStatus::Scheduled) | None if waited.elapsed() < self.timeout => {
                    tokio::time::sleep(self.poll).await;
                }
                Some(QueryStatus::Running | QueryStatus::Scheduled) | None => {
                    return Err(AuditError::Insights(format!("query {id} did not complete within {:?}", self.timeout)));
                }
                Some(status) => return Err(AuditError::Insights(format!("query {id} ended {}", status.as_str()))),
            }
        }
    }
}

/// An SDK error with its cause (the service's message), on one line.
fn error_text<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(client: Option<&str>, since: Option<&str>) -> Scope {
        Scope::new(TenantId::parse("district-a").expect("an id"), client.map(str::to_owned), since).expect("a scope")
    }

    fn time(text: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(text).expect("a time").with_timezone(&Utc))
    }

    /// An audit line as the local server writes it.
    fn line(time: &str, tenant: &str, client: &str, collection: &str, status: u16, records: u64) -> String {
        serde_json::json!({
            "timestamp": time, "level": "INFO",
            "fields": {"message": "api access", "operation": "getAllUsers", "collection": collection,
                       "status": status, "records": records, "millis": 3},
            "target": "audit",
            "span": {"client": client, "method": "GET", "path": "/ims/oneroster/rostering/v1p2/users",
                     "request_id": "r-1", "tenant": tenant, "name": "request"}
        })
        .to_string()
    }

    #[test]
    fn an_audit_line_is_read_and_every_other_line_passed_over() {
        let read = Access::parse(&line("2026-03-02T08:00:01.5Z", "district-a", "district-a.app1", "users", 200, 7));
        assert_eq!(
            read,
            Some(Access {
                tenant: "district-a".into(),
                client: "district-a.app1".into(),
                collection: "users".into(),
                status: 200,
                records: 7,
                time: time("2026-03-02T08:00:01.5Z"),
            })
        );
        // A refusal before authentication: no tenant, client nor collection; a Lambda line has
        // no time of its own.
        let refused = r#"{"level":"INFO","fields":{"message":"api access","operation":"none","status":401,"records":0,"millis":0},"target":"audit","span":{"method":"GET","path":"/x","request_id":"r","name":"request"}}"#;
        let refused = Access::parse(refused).expect("an audit line");
        assert_eq!((refused.tenant.as_str(), refused.status, refused.time), ("", 401, None));
        for other in [
            "",
            "2026-03-02T08:00:00Z  INFO local_server: serving the API",
            r#"{"level":"INFO","fields":{"message":"job applied"},"target":"ingest"}"#,
            r#"{"target":"audit","fields":{"status":"ok"}}"#,
            "[1, 2]",
        ] {
            assert_eq!(Access::parse(other), None, "{other}");
        }
    }

    #[test]
    fn since_takes_a_time_or_a_date_and_nothing_else() {
        assert_eq!(parse_since("2026-03-02T09:30:00+01:00"), time("2026-03-02T08:30:00Z"));
        assert_eq!(parse_since("2026-03-02"), time("2026-03-02T00:00:00Z"));
        for bad in ["yesterday", "2026-13-01", "02/03/2026", ""] {
            let refused = Scope::new(TenantId::parse("t").expect("an id"), None, Some(bad));
            assert!(matches!(refused, Err(AuditError::BadSince(_))), "{bad}: {refused:?}");
        }
        let quoted = Scope::new(TenantId::parse("t").expect("an id"), Some(r#"t.a" or 1=1"#.into()), None);
        assert!(matches!(quoted, Err(AuditError::BadClient(_))), "{quoted:?}");
    }

    fn log() -> String {
        [
            line("2026-03-02T08:00:00Z", "district-a", "district-a.app1", "users", 200, 100),
            "not json at all".to_owned(),
            line("2026-03-02T08:05:00Z", "district-a", "district-a.app1", "users", 200, 50),
            line("2026-03-02T08:01:00Z", "district-a", "district-a.app1", "enrollments", 200, 20),
            line("2026-03-02T08:02:00Z", "district-a", "district-a.app2", "users", 200, 1),
            line("2026-03-02T08:03:00Z", "district-a", "district-a.app2", "results", 403, 0),
            line("2026-03-02T08:04:00Z", "district-b", "district-b.app9", "users", 200, 999),
        ]
        .join("\n")
    }

    /// A row of the report; an empty time is one not known.
    fn row(client: &str, collection: &str, counts: [u64; 3], first: &str, last: &str) -> Row {
        let [requests, records, refused] = counts;
        let time = |text: &str| if text.is_empty() { None } else { time(text) };
        Row {
            client: client.into(),
            collection: collection.into(),
            requests,
            records,
            refused,
            first: time(first),
            last: time(last),
        }
    }

    #[test]
    fn a_tenants_requests_are_added_up_per_client_and_collection_in_order() {
        let report = Report::of_log(log().as_bytes(), &scope(None, None)).expect("read");
        assert_eq!(
            report.rows,
            [
                row("district-a.app1", "enrollments", [1, 20, 0], "2026-03-02T08:01:00Z", "2026-03-02T08:01:00Z"),
                row("district-a.app1", "users", [2, 150, 0], "2026-03-02T08:00:00Z", "2026-03-02T08:05:00Z"),
                row("district-a.app2", "results", [1, 0, 1], "2026-03-02T08:03:00Z", "2026-03-02T08:03:00Z"),
                row("district-a.app2", "users", [1, 1, 0], "2026-03-02T08:02:00Z", "2026-03-02T08:02:00Z"),
            ]
        );
        let app2 = Report::of_log(log().as_bytes(), &scope(Some("district-a.app2"), None)).expect("read");
        assert_eq!(app2.rows.iter().map(|r| r.collection.as_str()).collect::<Vec<_>>(), ["results", "users"]);
        let recent = Report::of_log(log().as_bytes(), &scope(None, Some("2026-03-02T08:02:00Z"))).expect("read");
        assert_eq!(
            recent.rows,
            [
                row("district-a.app1", "users", [1, 50, 0], "2026-03-02T08:05:00Z", "2026-03-02T08:05:00Z"),
                row("district-a.app2", "results", [1, 0, 1], "2026-03-02T08:03:00Z", "2026-03-02T08:03:00Z"),
                row("district-a.app2", "users", [1, 1, 0], "2026-03-02T08:02:00Z", "2026-03-02T08:02:00Z"),
            ]
        );
    }

    #[test]
    fn a_line_without_a_time_counts_only_when_no_time_is_asked_for() {
        let lambda_line = line("", "district-a", "district-a.app1", "users", 200, 4).replace(r#""timestamp":"","#, "");
        assert!(!lambda_line.contains("timestamp"));
        let all = Report::of_log(lambda_line.as_bytes(), &scope(None, None)).expect("read");
        assert_eq!(all.rows, [row("district-a.app1", "users", [1, 4, 0], "", "")]);
        let since = Report::of_log(lambda_line.as_bytes(), &scope(None, Some("2026-01-01"))).expect("read");
        assert_eq!(since.rows, []);
    }

    #[test]
    fn the_table_aligns_its_columns_and_the_csv_has_a_header() {
        let report = Report::of_log(log().as_bytes(), &scope(None, None)).expect("read");
        let table = report.render(Format::Table);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "client           collection   requests  records  refused  first                 last");
        assert_eq!(
            lines[2],
            "district-a.app1  users               2      150        0  2026-03-02T08:00:00Z  2026-03-02T08:05:00Z"
        );
        assert_eq!(lines.len(), 5);
        let csv = report.render(Format::Csv);
        assert_eq!(
            csv.lines().take(3).collect::<Vec<_>>(),
            [
                "client,collection,requests,records,refused,first,last",
                "district-a.app1,enrollments,1,20,0,2026-03-02T08:01:00Z,2026-03-02T08:01:00Z",
                "district-a.app1,users,2,150,0,2026-03-02T08:00:00Z,2026-03-02T08:05:00Z",
            ]
        );
        let odd = Report { rows: vec![row("a,\"b\"", "", [1, 0, 1], "2026-03-02T08:00:00Z", "2026-03-02T08:00:00Z")] };
        assert_eq!(odd.csv().lines().nth(1), Some(r#""a,""b""",,1,0,1,2026-03-02T08:00:00Z,2026-03-02T08:00:00Z"#));
        assert!(
            odd.table().lines().nth(1).is_some_and(|l| l.split_whitespace().nth(1) == Some("-")),
            "{}",
            odd.table()
        );
    }

    #[test]
    fn the_insights_query_filters_the_tenant_and_client_and_groups_by_status() {
        assert_eq!(
            insights_query(&scope(None, Some("2026-03-02"))),
            "filter target = \"audit\" and span.tenant = \"district-a\"\n\
             | stats count(*) as requests, sum(fields.records) as records, min(@timestamp) as first, \
             max(@timestamp) as last by span.client, fields.collection, fields.status\n\
             | limit 10000"
        );
        let one = insights_query(&scope(Some("district-a.app1"), None));
        assert!(
            one.starts_with(
                "filter target = \"audit\" and span.tenant = \"district-a\" and span.client = \"district-a.app1\"\n"
            ),
            "{one}"
        );
    }

    /// The rows of a recorded `GetQueryResults` answer (`tests/fixtures/insights-results.json`).
    fn recorded_rows() -> Vec<Vec<(String, String)>> {
        let answer: Value =
            serde_json::from_str(include_str!("../tests/fixtures/insights-results.json")).expect("the fixture");
        assert_eq!(answer["status"], "Complete");
        let rows = answer["results"].as_array().expect("results");
        rows.iter()
            .map(|row| {
                let cells = row.as_array().expect("a row");
                cells
                    .iter()
                    .map(|c| {
                        (c["field"].as_str().unwrap_or_default().into(), c["value"].as_str().unwrap_or_default().into())
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn recorded_insights_results_add_up_to_the_same_rows() {
        let report = Report::of_insights(recorded_rows()).expect("the rows");
        assert_eq!(
            report.rows,
            [
                row("district-a.app1", "enrollments", [3, 1500, 0], "2026-03-02T08:01:00.250Z", "2026-03-02T09:00:00Z"),
                row("district-a.app1", "users", [12, 1100, 2], "2026-03-02T07:59:58.001Z", "2026-03-02T10:12:13.456Z"),
                row("district-a.app2", "", [1, 0, 1], "2026-03-02T08:30:00Z", "2026-03-02T08:30:00Z"),
                row("district-a.app2", "results", [4, 0, 4], "2026-03-02T08:02:00Z", "2026-03-02T08:03:00Z"),
            ]
        );
        let broken = vec![vec![
            ("span.client".into(), "a".into()),
            ("fields.status".into(), "200".into()),
            ("requests".into(), "many".into()),
        ]];
        assert!(matches!(Report::of_insights(broken), Err(AuditError::BadResult(_))));
    }

    /// CloudWatch Logs answering as the recorded calls did: `StartQuery` a query id,
    /// `GetQueryResults` first still running, then the recorded results; every request kept.
    #[derive(Debug, Default)]
    struct RecordedLogs {
        requests: std::sync::Mutex<Vec<(String, Value)>>,
        /// The account holds no log group at all.
        no_groups: bool,
    }

    impl RecordedLogs {
        fn answer(&self, target: &str, body: Value) -> (u16, String) {
            let mut requests = self.requests.lock().expect("requests");
            requests.push((target.to_owned(), body));
            let polls = requests.iter().filter(|(t, _)| t.ends_with("GetQueryResults")).count();
            match target.rsplit('.').next().unwrap_or_default() {
                "StartQuery" => (200, r#"{"queryId":"q-1"}"#.to_owned()),
                "GetQueryResults" if polls == 1 => (200, r#"{"status":"Running","results":[]}"#.to_owned()),
                "GetQueryResults" => (200, include_str!("../tests/fixtures/insights-results.json").to_owned()),
                "DescribeLogGroups" => {
                    let prefix = requests
                        .last()
                        .and_then(|(_, b)| b["logGroupNamePrefix"].as_str())
                        .unwrap_or_default()
                        .to_owned();
                    let groups = if !self.no_groups && (prefix.contains("Rostering") || prefix.contains("V1p2")) {
                        serde_json::json!([{"logGroupName": format!("{prefix}AbC123")}])
                    } else {
                        serde_json::json!([])
                    };
                    (200, serde_json::json!({"logGroups": groups}).to_string())
                }
                _ => (400, r#"{"__type":"UnknownOperationException"}"#.to_owned()),
            }
        }
    }

    /// The connector the SDK's client calls, answering from the recorded calls.
    #[derive(Debug)]
    struct Recorded(std::sync::Arc<RecordedLogs>);

    impl aws_smithy_runtime_api::client::http::HttpConnector for Recorded {
        fn call(
            &self,
            request: aws_smithy_runtime_api::client::orchestrator::HttpRequest,
        ) -> aws_smithy_runtime_api::client::http::HttpConnectorFuture {
            let target = request.headers().get("x-amz-target").unwrap_or_default().to_owned();
            let body = request.body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or(Value::Null);
            let (status, text) = self.0.answer(&target, body);
            let mut response = aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                status.try_into().expect("a status"),
                aws_smithy_types::body::SdkBody::from(text),
            );
            response.headers_mut().insert("content-type", "application/x-amz-json-1.1");
            aws_smithy_runtime_api::client::http::HttpConnectorFuture::ready(Ok(response))
        }
    }

    fn insights(recorded: &std::sync::Arc<RecordedLogs>) -> Insights {
        let connector = aws_smithy_runtime_api::client::http::SharedHttpConnector::new(Recorded(recorded.clone()));
        let config = aws_sdk_cloudwatchlogs::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_cloudwatchlogs::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_cloudwatchlogs::config::Credentials::new(
                "AKID", "secret", None, None, "test",
            ))
            .http_client(aws_smithy_runtime_api::client::http::http_client_fn(move |_, _| connector.clone()))
            .build();
        Insights { poll: Duration::from_millis(1), ..Insights::new(aws_sdk_cloudwatchlogs::Client::from_conf(config)) }
    }

    #[tokio::test]
    async fn the_report_runs_the_query_over_the_log_groups_and_waits_for_its_results() {
        let recorded = std::sync::Arc::new(RecordedLogs::default());
        let insights = insights(&recorded);
        let groups = insights.stack_log_groups("oneroster").await.expect("the log groups");
        assert_eq!(groups, ["oneroster-RosteringLogs-AbC123", "oneroster-V1p2Logs-AbC123"]);
        let now = time("2026-03-03T00:00:00Z").expect("a time");
        let scope = scope(Some("district-a.app1"), Some("2026-03-02"));
        let report = insights.report(&groups, &scope, now).await.expect("a report");
        assert_eq!(report, Report::of_insights(recorded_rows()).expect("the rows"));
        let requests = recorded.requests.lock().expect("requests");
        let (target, start) = &requests[API_LOG_GROUPS.len()];
        assert_eq!(target, "Logs_20140328.StartQuery");
        assert_eq!(start["queryString"], insights_query(&scope));
        assert_eq!(start["logGroupNames"], serde_json::json!(groups));
        assert_eq!(
            (start["startTime"].as_i64(), start["endTime"].as_i64()),
            (Some(1_772_409_600), Some(1_772_496_000))
        );
        let polls: Vec<&Value> =
            requests.iter().filter(|(t, _)| t.ends_with("GetQueryResults")).map(|(_, b)| b).collect();
        assert_eq!(polls.len(), 2, "asked again while the query ran");
        assert!(polls.iter().all(|body| body["queryId"] == "q-1"));
    }

    #[tokio::test]
    async fn a_stack_without_the_api_log_groups_is_named_in_the_error() {
        let recorded = std::sync::Arc::new(RecordedLogs { no_groups: true, ..RecordedLogs::default() });
        let missing = insights(&recorded).stack_log_groups("other").await;
        assert!(matches!(&missing, Err(AuditError::NoLogGroups(stack)) if stack == "other"), "{missing:?}");
        let requests = recorded.requests.lock().expect("requests");
        let prefixes: Vec<&str> = requests.iter().filter_map(|(_, b)| b["logGroupNamePrefix"].as_str()).collect();
        assert_eq!(prefixes, API_LOG_GROUPS.map(|id| format!("other-{id}-")));
    }
}
