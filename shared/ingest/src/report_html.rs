//! The job's report as a page a district admin reads, on a phone as well as at a desk: the
//! verdict in one sentence first, then what the package was, what each file did, the errors
//! grouped by file and by reason (the first lines of each group), the warnings, and a held
//! bulk's deletions with the decision it waits for. One HTML5 document written beside the JSON
//! report: inline CSS, no script and nothing fetched (its content policy forbids both), wide
//! tables scrolled inside their own box so the page never scrolls sideways.
//!
//! **Invariant:** every text that came from the upload (file names, reasons that quote cells,
//! the object key, warnings) goes through [`escape`]; the page is built from nothing else but
//! the job and the report.

use crate::job::report_key;
use oneroster_csv::{Code, Diagnostic, Report};
use oneroster_model::Timestamp;
use oneroster_store::{FileCounts, Hold, Job, JobState};
use std::collections::BTreeMap;

/// The lines of one group of errors (one file's errors of one reason) the page shows; the JSON
/// report lists the rest.
pub const LINES_PER_GROUP: usize = 10;

/// The page: one small, self-contained document (tens of kilobytes at most: the report lists at
/// most 1,000 errors, of which the page shows ten per group).
pub fn render(job: &Job, report: &Report) -> String {
    let state = match job.state {
        JobState::Running => "running",
        JobState::Rejected => "rejected",
        JobState::Applied => "applied",
        JobState::Held => "held",
        JobState::Failed => "failed",
    };
    let mut body = format!(
        "<h1>OneRoster upload report</h1>\n<p id=\"verdict\" class=\"{state}\">{}</p>\n",
        escape(&verdict(job, report))
    );
    body.push_str(&package(job, report));
    body.push_str(&counts(job));
    body.push_str(&errors(report));
    body.push_str(&warnings(&report.warnings));
    if let Some(hold) = &job.hold {
        body.push_str(&held(job, hold));
    }
    body.push_str(&format!(
        "<footer><p>The full report, every listed error with its code, is the JSON beside the upload: \
         <code>{}</code>.</p></footer>\n",
        escape(&report_key(&job.key))
    ));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>Upload report: {}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        escape(file_name(&job.key))
    )
}

/// The page's one style sheet: system fonts, a fluid column, tables that scroll in their box.
const STYLE: &str = "
body{margin:0;color:#1b1b1b;background:#fff;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
main{max-width:60rem;margin:0 auto;padding:.75rem 1rem 2rem}
h1{font-size:1.35rem;margin:0 0 .5rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
h3{font-size:1rem;margin:1rem 0 .25rem;overflow-wrap:anywhere}
h4{font-size:.95rem;margin:.75rem 0 .25rem}
#verdict{margin:0 0 1rem;padding:.6rem .9rem;border-left-style:solid;border-left-width:.35rem;border-radius:.25rem;font-weight:600}
.applied{background:#e7f5ea;border-color:#1e7b34}
.rejected,.failed{background:#fdecea;border-color:#b3261e}
.held,.running{background:#fff4e0;border-color:#a35c00}
dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.1rem .75rem;margin:0}
dt{font-weight:600}
dd{margin:0;overflow-wrap:anywhere}
dd ul{margin:0;padding-left:1.1rem}
.wrap{max-width:100%;overflow-x:auto}
table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.3rem .5rem;border-bottom:1px solid #ccc;text-align:left;vertical-align:top}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td{font-weight:600}
table.counts th:first-child,table.counts td:first-child{position:sticky;left:0;background:#fff}
ol.lines{list-style:none;margin:0;padding:0}
ol.lines li{padding:.35rem 0;border-bottom:1px solid #ddd;overflow-wrap:anywhere}
.at{display:block;font-weight:600;font-size:.9rem}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
code{overflow-wrap:anywhere}
pre{overflow-x:auto;padding:.5rem;background:#f3f3f3;border-radius:.25rem}
.note{color:#555;font-size:.9rem}
";

/// `text` made safe as HTML text and as a quoted attribute's value: the five characters that
/// mean something there written as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `n` with thousands separators: `1,204`.
fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `1 error` or `12 errors`.
fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", number(n), if n == 1 { one } else { many })
}

/// `part` of `whole` in percent, to a tenth where it is not whole: `30%`, `12.5%`.
fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_owned();
    }
    let tenths = (part as f64 * 1000.0 / whole as f64).round() as u64;
    match tenths % 10 {
        0 => format!("{}%", tenths / 10),
        tenth => format!("{}.{tenth}%", tenths / 10),
    }
}

/// An instant as people read it: `2026-05-01 14:03:09 UTC`.
fn when(at: &Timestamp) -> String {
    at.0.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The last segment of an object key (`roster.zip`).
fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The verdict in one sentence (plain text; the caller escapes it).
fn verdict(job: &Job, report: &Report) -> String {
    let decision = job.hold.as_ref().and_then(|hold| hold.decision.as_ref());
    match job.state {
        JobState::Applied => applied(&job.files),
        JobState::Rejected => match (decision, report.error_count) {
            (Some(decision), _) if !decision.approved => {
                format!("Rejected: an admin rejected this held bulk on {}; nothing was changed.", when(&decision.at))
            }
            (_, 0) => "Rejected: nothing was changed.".to_owned(),
            (_, 1) => "Rejected: 1 error was found, nothing was changed.".to_owned(),
            (_, n) => format!("Rejected: {} errors were found, nothing was changed.", number(n)),
        },
        JobState::Failed => "Failed: the ingest could not finish this upload; if it stopped while applying, part of \
                             the package may be applied (the reason is below)."
            .to_owned(),
        JobState::Held => {
            let why = job.hold.as_ref().map_or_else(|| "this bulk waits for an admin".to_owned(), held_because);
            let then = match decision {
                None => "nothing was changed until an admin approves it".to_owned(),
                Some(d) if d.approved => format!("an admin approved it on {}; its next run applies it", when(&d.at)),
                Some(d) => format!("an admin rejected it on {}, so nothing was changed", when(&d.at)),
            };
            format!("Held: {why}; {then}.")
        }
        JobState::Running => "Running: the ingest has not finished this upload yet.".to_owned(),
    }
}

/// An applied job's sentence: what its files created, changed and deleted.
fn applied(files: &BTreeMap<String, FileCounts>) -> String {
    let total = total(files);
    let mut extra = match total.taken_over {
        0 => String::new(),
        n => format!(", {} taken over from API clients", number(n)),
    };
    if total.left_out > 0 {
        extra.push_str(&format!(", {} left out (unlicensed schools)", counted(total.left_out, "row", "rows")));
    }
    if total.created + total.updated + total.deleted + total.taken_over == 0 {
        return format!(
            "Applied: nothing needed changing ({} already as the package has them).",
            counted(total.unchanged, "record", "records")
        );
    }
    format!(
        "Applied: {} created, {} changed, {} deleted{extra}.",
        counted(total.created, "record", "records"),
        number(total.updated),
        number(total.deleted)
    )
}

/// Every file's counts added up.
fn total(files: &BTreeMap<String, FileCounts>) -> FileCounts {
    files.values().fold(FileCounts::default(), |sum, c| FileCounts {
        rows: sum.rows + c.rows,
        created: sum.created + c.created,
        updated: sum.updated + c.updated,
        deleted: sum.deleted + c.deleted,
        unchanged: sum.unchanged + c.unchanged,
        taken_over: sum.taken_over + c.taken_over,
        left_out: sum.left_out + c.left_out,
        ..sum
    })
}

/// Why a bulk is held: the collections over the threshold, else the expectations it misses.
fn held_because(hold: &Hold) -> String {
    let over: Vec<String> = hold
        .deletions
        .iter()
        .filter(|(_, d)| d.over)
        .map(|(collection, d)| format!("{} of {collection}", percent(d.deleting, d.active)))
        .collect();
    if !over.is_empty() {
        return format!("this bulk would mark {} tobedeleted (threshold {}%)", listed(&over), hold.threshold_percent);
    }
    match hold.unmet.len() {
        0 => "this bulk waits for an admin".to_owned(),
        n => format!(
            "this bulk misses {} the district has of every bulk",
            counted(n as u64, "expectation", "expectations")
        ),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn listed(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// What the package was: tenant, object, job, times, and each file with its mode and rows (in
/// the counts table when there is one, so that a package of twenty files is not listed twice).
fn package(job: &Job, report: &Report) -> String {
    let mut facts = vec![
        ("Tenant", escape(job.tenant.as_str())),
        ("Upload", format!("<code>s3://{}/{}</code>", escape(&job.bucket), escape(&job.key))),
        ("Job", format!("<code>{}</code>", escape(&job.id))),
        ("Started", when(&job.started)),
    ];
    if let Some(finished) = &job.finished {
        facts.push(("Finished", when(finished)));
    }
    if let Some(version) = &report.version {
        facts.push(("Version", format!("OneRoster {}", escape(version))));
    }
    let files = if job.files.is_empty() {
        "none read".to_owned()
    } else if has_counts(job) {
        format!(
            "{}, {}: each with what it did below",
            counted(job.files.len() as u64, "file", "files"),
            counted(total(&job.files).rows, "row", "rows")
        )
    } else {
        let items: String = job.files.iter().map(|(file, c)| format!("<li>{}</li>", file_read(file, c))).collect();
        format!("<ul>{items}</ul>")
    };
    facts.push(("Files", files));
    let facts: String = facts.into_iter().map(|(term, value)| format!("<dt>{term}</dt><dd>{value}</dd>")).collect();
    format!("<section id=\"package\">\n<h2>The package</h2>\n<dl>{facts}</dl>\n</section>\n")
}

/// A file as it was read: `users.csv: bulk, 120 rows`.
fn file_read(file: &str, c: &FileCounts) -> String {
    let mode = if c.mode.is_empty() { String::new() } else { format!("{}, ", escape(&c.mode)) };
    format!("{}: {mode}{}", escape(file), counted(c.rows, "row", "rows"))
}

/// Whether the job has counts to show: it was applied, or it counted something.
fn has_counts(job: &Job) -> bool {
    let total = total(&job.files);
    let counted_any = total.created + total.updated + total.deleted + total.unchanged + total.taken_over > 0;
    !job.files.is_empty() && (job.state == JobState::Applied || counted_any)
}

/// The table of what each file did; left out when nothing was written and nothing counted.
fn counts(job: &Job) -> String {
    if !has_counts(job) {
        return String::new();
    }
    let cells = |c: &FileCounts| {
        [c.rows, c.created, c.updated, c.deleted, c.unchanged, c.taken_over, c.left_out]
            .map(|n| format!("<td class=\"n\">{}</td>", number(n)))
            .concat()
    };
    let rows: String = job
        .files
        .iter()
        .map(|(file, c)| format!("<tr><td>{}</td><td>{}</td>{}</tr>\n", escape(file), escape(&c.mode), cells(c)))
        .collect();
    let head = ["Rows", "Created", "Updated", "Deleted", "Unchanged", "Taken over", "Left out"]
        .map(|h| format!("<th class=\"n\">{h}</th>"))
        .concat();
    format!(
        "<section id=\"counts\">\n<h2>Records per file</h2>\n<div class=\"wrap\"><table class=\"counts\">\n\
         <thead><tr><th>File</th><th>Mode</th>{head}</tr></thead>\n<tbody>\n{rows}</tbody>\n\
         <tfoot><tr><td>Total</td><td></td>{}</tr></tfoot>\n</table></div>\n\
         <p class=\"note\">Taken over: records an API client had written that a row of the feed now owns. \
         Left out: rows of schools the district has not licensed (see the warnings).</p>\n</section>\n",
        cells(&total(&job.files))
    )
}

/// One file's listed errors, by reason in the order each reason first appears.
struct FileErrors<'a> {
    file: &'a str,
    groups: Vec<(Code, Vec<&'a Diagnostic>)>,
}

/// The listed errors by file, then by reason, each in the order it first appears (so the first
/// error listed is the first line of the first group).
fn grouped(errors: &[Diagnostic]) -> Vec<FileErrors<'_>> {
    let mut files: Vec<FileErrors<'_>> = Vec::new();
    for error in errors {
        let at = match files.iter().position(|f| f.file == error.file) {
            Some(at) => at,
            None => {
                files.push(FileErrors { file: &error.file, groups: Vec::new() });
                files.len() - 1
            }
        };
        let groups = &mut files[at].groups;
        match groups.iter_mut().find(|(code, _)| *code == error.code) {
            Some((_, lines)) => lines.push(error),
            None => groups.push((error.code, vec![error])),
        }
    }
    files
}

/// The errors section: each file, each reason with its count and first lines.
fn errors(report: &Report) -> String {
    if report.error_count == 0 {
        return String::new();
    }
    let mut out = format!("<section id=\"errors\">\n<h2>Errors: {}</h2>\n", number(report.error_count));
    let listed = report.errors.len() as u64;
    if listed < report.error_count {
        let by_code: Vec<String> =
            report.error_counts.iter().map(|(code, n)| format!("{} {}", number(*n), code.as_str())).collect();
        out.push_str(&format!(
            "<p class=\"note\">The first {} errors are grouped below; all {} by reason: {}.</p>\n",
            number(listed),
            number(report.error_count),
            by_code.join(", ")
        ));
    }
    let mut first = true;
    for file in grouped(&report.errors) {
        let in_file: usize = file.groups.iter().map(|(_, lines)| lines.len()).sum();
        out.push_str(&format!("<h3>{} ({})</h3>\n", escape(file.file), counted(in_file as u64, "error", "errors")));
        for (code, lines) in &file.groups {
            out.push_str(&format!(
                "<h4>{}: {} <code>{}</code></h4>\n<ol class=\"lines\">\n",
                counted(lines.len() as u64, "error", "errors"),
                meaning(*code),
                code.as_str()
            ));
            for line in lines.iter().take(LINES_PER_GROUP) {
                let id = if std::mem::take(&mut first) { " id=\"first-error\"" } else { "" };
                out.push_str(&format!(
                    "<li{id}><span class=\"at\">{}</span> <span class=\"why\">{}</span></li>\n",
                    location(line),
                    escape(&line.reason)
                ));
            }
            out.push_str("</ol>\n");
            if lines.len() > LINES_PER_GROUP {
                out.push_str(&format!(
                    "<p class=\"note\">And {} more of these in the JSON report.</p>\n",
                    number((lines.len() - LINES_PER_GROUP) as u64)
                ));
            }
        }
    }
    out.push_str("</section>\n");
    out
}

/// Where an error is: `users.csv · line 12 · column email`, what of it is known.
fn location(error: &Diagnostic) -> String {
    let mut at = escape(&error.file);
    if let Some(line) = error.line {
        at.push_str(&format!(" · line {}", number(line)));
    }
    if let Some(column) = &error.column {
        at.push_str(&format!(" · column {}", escape(column)));
    }
    at
}

/// What a reason code means, in an admin's words.
fn meaning(code: Code) -> &'static str {
    match code {
        Code::NotZip => "the upload is not a readable zip",
        Code::BadEntry => "a refused entry in the zip",
        Code::TooManyEntries => "too many entries in the zip",
        Code::TooBig => "the package inflates to too much",
        Code::Ratio => "a file inflates too far (a zip bomb)",
        Code::NoFiles => "no OneRoster file in the zip",
        Code::Manifest => "the manifest does not match the files",
        Code::DuplicateFile => "a file is in the zip twice",
        Code::Header => "a wrong header row",
        Code::LineTooLong => "a row is too long",
        Code::TooManyCells => "a row has too many cells",
        Code::BadCsv => "a row is not valid CSV or UTF-8",
        Code::FieldCount => "a row has another number of fields than the header",
        Code::EmptyFile => "a file has no rows",
        Code::Required => "a required value is blank",
        Code::BadId => "a sourcedId is not valid",
        Code::BadValue => "a value outside its vocabulary",
        Code::BadDate => "a wrong date",
        Code::BadNumber => "a wrong number",
        Code::BadBoolean => "neither true nor false",
        Code::NotInBulk => "a value a bulk file may not leave blank",
        Code::TooLarge => "a record too large to store",
        Code::DuplicateId => "a sourcedId used twice",
        Code::UnknownReference => "a reference to no known record",
        Code::WrongKind => "a reference to the wrong kind of record",
        Code::NoRole => "a user without an active role",
        Code::Refused => "the upload was not read",
        Code::Interrupted => "the ingest kept stopping",
        Code::Failed => "the ingest could not finish",
    }
}

/// The warnings: leniencies taken, which did not stop the import.
fn warnings(warnings: &[String]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let items: String = warnings.iter().map(|w| format!("<li>{}</li>\n", escape(w))).collect();
    format!(
        "<section id=\"warnings\">\n<h2>Warnings: {}</h2>\n<p class=\"note\">Leniencies taken; they did not stop \
         the import.</p>\n<ul>\n{items}</ul>\n</section>\n",
        number(warnings.len() as u64)
    )
}

/// A held bulk: its deletions per collection against the threshold, the expectations it
/// misses, and the admin's decision or the commands that make one.
fn held(job: &Job, hold: &Hold) -> String {
    let threshold = hold.threshold_percent;
    let rows: String = hold
        .deletions
        .iter()
        .map(|(collection, d)| {
            format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                escape(collection),
                number(d.active),
                number(d.deleting),
                percent(d.deleting, d.active),
                if d.over { "<strong>over</strong>" } else { "within" }
            )
        })
        .collect();
    let mut out = format!(
        "<section id=\"hold\">\n<h2>Held deletions</h2>\n<p>The district holds a bulk that would mark more than \
         {threshold}% of a collection's active records <code>tobedeleted</code>, or that misses what it expects of \
         every bulk.</p>\n<div class=\"wrap\"><table>\n<thead><tr><th>Collection</th><th class=\"n\">Active</th>\
         <th class=\"n\">Would delete</th><th class=\"n\">Percent</th><th>Threshold {threshold}%</th></tr></thead>\n\
         <tbody>\n{rows}</tbody>\n</table></div>\n"
    );
    if !hold.unmet.is_empty() {
        let items: String = hold.unmet.iter().map(|u| format!("<li>{}</li>\n", escape(u))).collect();
        out.push_str(&format!("<h3>Expectations not met</h3>\n<ul>\n{items}</ul>\n"));
    }
    out.push_str("<h3>Decision</h3>\n");
    match &hold.decision {
        Some(d) if d.approved => out.push_str(&format!("<p>Approved by an admin on {}.</p>\n", when(&d.at))),
        Some(d) => out.push_str(&format!("<p>Rejected by an admin on {}: dropped for good.</p>\n", when(&d.at))),
        None => {
            let command = |verb: &str| {
                format!(
                    "<pre>oneroster-admin jobs {verb} --tenant {} {}</pre>\n",
                    escape(job.tenant.as_str()),
                    escape(&job.id)
                )
            };
            out.push_str(&format!(
                "<p>No admin has decided yet. To apply it (validated again against the data as it is then):</p>\n{}\
                 <p>To drop it for good:</p>\n{}",
                command("approve"),
                command("reject")
            ));
        }
    }
    out.push_str("</section>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use oneroster_store::{Decision, Deletions, Tenant};

    fn job(state: JobState) -> Job {
        Job {
            id: "0123abcd".into(),
            tenant: Tenant::of_upload_key("springfield/nightly/roster.zip").unwrap().id().clone(),
            bucket: "uploads".into(),
            key: "springfield/nightly/roster.zip".into(),
            state,
            started: Timestamp::parse("2026-05-01T14:03:09.000Z").unwrap(),
            finished: Some(Timestamp::parse("2026-05-01T14:04:10.500Z").unwrap()),
            files: BTreeMap::new(),
            items_written: 0,
            warnings: Vec::new(),
            error_count: 0,
            error_counts: BTreeMap::new(),
            errors: Vec::new(),
            attempts: 1,
            report_key: None,
            hold: None,
            applying: None,
        }
    }

    fn files(counts: &[(&str, u64, u64, u64, u64)]) -> BTreeMap<String, FileCounts> {
        counts
            .iter()
            .map(|&(file, created, updated, deleted, unchanged)| {
                let rows = created + updated + deleted + unchanged;
                let c = FileCounts {
                    mode: "bulk".into(),
                    rows,
                    created,
                    updated,
                    deleted,
                    unchanged,
                    ..Default::default()
                };
                (file.to_owned(), c)
            })
            .collect()
    }

    fn error(file: &str, line: u64, column: &str, code: Code, reason: &str) -> Diagnostic {
        Diagnostic::at(file, line, Some(column), code, reason)
    }

    fn hold(decision: Option<Decision>) -> Hold {
        Hold {
            threshold_percent: 10,
            deletions: BTreeMap::from([
                ("orgs".to_owned(), Deletions { active: 40, deleting: 1, over: false }),
                ("users".to_owned(), Deletions { active: 1000, deleting: 300, over: true }),
            ]),
            unmet: vec!["users.csv has 700 rows, fewer than the 900 expected".into()],
            decision,
        }
    }

    /// The text of the element whose opening tag holds `marker` (no nested element of the same
    /// tag in the page's elements that tests read).
    fn element<'a>(page: &'a str, marker: &str) -> &'a str {
        let start = page.find(marker).unwrap_or_else(|| panic!("no {marker} in {page}"));
        let open = page[..start].rfind('<').unwrap();
        let tag: String = page[open + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        let end = page[start..].find(&format!("</{tag}>")).unwrap() + start;
        &page[open..end]
    }

    fn verdict_of(job: &Job, report: &Report) -> String {
        let page = render(job, report);
        let element = element(&page, "id=\"verdict\"");
        element[element.find('>').unwrap() + 1..].to_owned()
    }

    #[test]
    fn hostile_text_of_the_upload_is_escaped_everywhere() {
        let hostile = "<script>alert('x')</script>";
        let mut report = Report::default();
        report.error(error(&format!("{hostile}.csv"), 2, hostile, Code::BadValue, &format!("'{hostile}' is bad")));
        report.warn(format!("entry {hostile} ignored"));
        let mut j = job(JobState::Rejected);
        j.key = format!("springfield/{hostile}\".zip");
        j.files.insert(format!("\"><img src=x onerror=alert(1)>{hostile}"), FileCounts::default());
        j.hold = Some(Hold { unmet: vec![hostile.into()], ..hold(None) });
        let page = render(&j, &report);
        assert!(!page.contains("<script") && !page.contains("<img"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;.csv"), "{page}");
        assert!(page.contains("&#39;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&#39; is bad"));
        assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains("<title>Upload report: script&gt;&quot;.zip</title>"), "the key's last segment");
        assert!(page.contains("s3://uploads/springfield/&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;.zip"));
        assert_eq!(escape("a & b < c > d \" e ' f"), "a &amp; b &lt; c &gt; d &quot; e &#39; f");
    }

    #[test]
    fn the_page_stands_alone_and_fits_a_phone() {
        let page = render(&job(JobState::Applied), &Report::default());
        assert!(page.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
        assert!(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
        assert!(page.contains("default-src 'none'"));
        for forbidden in ["<script", "<link", "src=", "href=", "http://", "https://", "@import", "url("] {
            assert!(!page.contains(forbidden), "{forbidden}");
        }
    }

    #[test]
    fn the_verdict_is_one_sentence_for_each_state() {
        let mut applied = job(JobState::Applied);
        applied.files = files(&[("users.csv", 1200, 30, 5, 10), ("orgs.csv", 4, 7, 0, 2)]);
        assert_eq!(verdict_of(&applied, &Report::default()), "Applied: 1,204 records created, 37 changed, 5 deleted.");
        applied.files.get_mut("orgs.csv").unwrap().taken_over = 3;
        assert_eq!(
            verdict_of(&applied, &Report::default()),
            "Applied: 1,204 records created, 37 changed, 5 deleted, 3 taken over from API clients."
        );
        applied.files = files(&[("users.csv", 0, 0, 0, 1)]);
        assert_eq!(
            verdict_of(&applied, &Report::default()),
            "Applied: nothing needed changing (1 record already as the package has them)."
        );

        let mut report = Report::default();
        for line in 0..12 {
            report.error(error("users.csv", line + 2, "email", Code::Required, "email is blank"));
        }
        assert_eq!(
            verdict_of(&job(JobState::Rejected), &report),
            "Rejected: 12 errors were found, nothing was changed."
        );
        let mut one = Report::default();
        one.file_error("(zip)", Code::NotZip, "not a zip");
        assert_eq!(verdict_of(&job(JobState::Rejected), &one), "Rejected: 1 error was found, nothing was changed.");

        assert!(verdict_of(&job(JobState::Failed), &one).starts_with("Failed: the ingest could not finish this upload"));
        assert!(verdict_of(&job(JobState::Running), &one).starts_with("Running: "));

        let mut held = job(JobState::Held);
        held.hold = Some(hold(None));
        assert_eq!(
            verdict_of(&held, &Report::default()),
            "Held: this bulk would mark 30% of users tobedeleted (threshold 10%); nothing was changed until an admin \
             approves it."
        );
        let at = Timestamp::parse("2026-05-02T08:00:00.000Z").unwrap();
        held.hold = Some(hold(Some(Decision { approved: true, at })));
        assert!(verdict_of(&held, &Report::default())
            .ends_with("an admin approved it on 2026-05-02 08:00:00 UTC; its next run applies it."));
        held.hold = Some(Hold { deletions: BTreeMap::new(), ..hold(None) });
        assert_eq!(
            verdict_of(&held, &Report::default()),
            "Held: this bulk misses 1 expectation the district has of every bulk; nothing was changed until an admin \
             approves it."
        );
        let mut dropped = job(JobState::Rejected);
        dropped.hold = Some(hold(Some(Decision { approved: false, at })));
        assert_eq!(
            verdict_of(&dropped, &Report::default()),
            "Rejected: an admin rejected this held bulk on 2026-05-02 08:00:00 UTC; nothing was changed."
        );
    }

    #[test]
    fn errors_are_grouped_by_file_then_reason_with_the_first_lines_of_each() {
        let mut report = Report::default();
        report.error(error("users.csv", 3, "email", Code::Required, "email is blank"));
        for line in 4..30 {
            report.error(error("users.csv", line, "orgSourcedIds", Code::UnknownReference, "'o-9' is not known"));
        }
        report.error(error("enrollments.csv", 2, "role", Code::BadValue, "'boss' is not a role"));
        report.error(error("users.csv", 31, "email", Code::Required, "email is blank"));
        let groups = grouped(&report.errors);
        let shape: Vec<(&str, Vec<(Code, usize)>)> =
            groups.iter().map(|f| (f.file, f.groups.iter().map(|(c, l)| (*c, l.len())).collect())).collect();
        assert_eq!(
            shape,
            [
                ("users.csv", vec![(Code::Required, 2), (Code::UnknownReference, 26)]),
                ("enrollments.csv", vec![(Code::BadValue, 1)]),
            ]
        );

        let page = render(&job(JobState::Rejected), &report);
        let first = element(&page, "id=\"first-error\"");
        assert_eq!(
            first,
            "<li id=\"first-error\"><span class=\"at\">users.csv · line 3 · column email</span> \
             <span class=\"why\">email is blank</span>"
        );
        assert_eq!(page.matches("id=\"first-error\"").count(), 1);
        assert!(page.contains("<h2>Errors: 29</h2>"));
        assert!(page.contains("<h3>users.csv (28 errors)</h3>"));
        assert!(page.contains("26 errors: a reference to no known record <code>unknown_reference</code>"));
        assert_eq!(page.matches("&#39;o-9&#39; is not known").count(), LINES_PER_GROUP);
        assert!(page.contains("And 16 more of these in the JSON report."));
        assert!(page.contains("line 13 ·") && !page.contains("line 14 ·"), "lines 4 to 13 only");
        assert!(page.find("users.csv (28").unwrap() < page.find("enrollments.csv (1").unwrap());
        assert!(page.contains("springfield/nightly/roster.zip.report.json"));
    }

    #[test]
    fn errors_past_the_listed_ones_are_counted_by_reason() {
        let mut report = Report::default();
        report.error(error("users.csv", 3, "email", Code::Required, "email is blank"));
        report.error(error("users.csv", 4, "sourcedId", Code::BadId, "'' is not a sourcedId"));
        report.error_count = 5000;
        report.error_counts.insert(Code::Required, 4000);
        report.error_counts.insert(Code::BadId, 1000);
        let page = render(&job(JobState::Rejected), &report);
        assert!(
            page.contains("The first 2 errors are grouped below; all 5,000 by reason: 4,000 required, 1,000 bad_id.")
        );
    }

    #[test]
    fn an_applied_job_has_its_counts_table_and_a_rejected_one_none() {
        let mut applied = job(JobState::Applied);
        applied.files = files(&[("orgs.csv", 4, 0, 0, 0), ("users.csv", 1500, 2, 1, 0)]);
        let mut report = Report::default();
        report.warn("a header in upper case was read as its lower-case name");
        let page = render(&applied, &report);
        let table = element(&page, "id=\"counts\"");
        assert!(
            table.contains("<tr><td>users.csv</td><td>bulk</td><td class=\"n\">1,503</td><td class=\"n\">1,500</td>")
        );
        assert!(
            table.contains("<tfoot><tr><td>Total</td><td></td><td class=\"n\">1,507</td><td class=\"n\">1,504</td>")
        );
        assert!(
            page.contains("<dd>2 files, 1,507 rows: each with what it did below</dd>"),
            "listed once, in the table"
        );
        assert!(page.contains("<h2>Warnings: 1</h2>") && page.contains("<li>a header in upper case"));
        assert!(!page.contains("id=\"errors\"") && !page.contains("id=\"hold\""));

        let mut rejected = job(JobState::Rejected);
        rejected.files = BTreeMap::from([(
            "users.csv".to_owned(),
            FileCounts { mode: "bulk".into(), rows: 9, ..Default::default() },
        )]);
        let page = render(&rejected, &Report::default());
        assert!(!page.contains("id=\"counts\""));
        assert!(page.contains("<li>users.csv: bulk, 9 rows</li>"));
    }

    #[test]
    fn a_hold_shows_its_deletions_and_the_decision_or_the_commands() {
        let mut held = job(JobState::Held);
        held.hold = Some(hold(None));
        let page = render(&held, &Report::default());
        let section = element(&page, "id=\"hold\"");
        assert!(section.contains(
            "<tr><td>users</td><td class=\"n\">1,000</td><td class=\"n\">300</td><td class=\"n\">30%</td>\
             <td><strong>over</strong></td></tr>"
        ));
        assert!(section.contains("<tr><td>orgs</td><td class=\"n\">40</td><td class=\"n\">1</td><td class=\"n\">2.5%</td><td>within</td></tr>"));
        assert!(section.contains("<li>users.csv has 700 rows, fewer than the 900 expected</li>"));
        assert!(section.contains("<pre>oneroster-admin jobs approve --tenant springfield 0123abcd</pre>"));
        assert!(section.contains("<pre>oneroster-admin jobs reject --tenant springfield 0123abcd</pre>"));

        let at = Timestamp::parse("2026-05-02T08:00:00.000Z").unwrap();
        held.hold = Some(hold(Some(Decision { approved: false, at })));
        let page = render(&held, &Report::default());
        let section = element(&page, "id=\"hold\"");
        assert!(section.contains("Rejected by an admin on 2026-05-02 08:00:00 UTC"));
        assert!(!section.contains("<pre>"));
    }

    #[test]
    fn numbers_and_shares_read_as_people_write_them() {
        for (n, text) in [(0, "0"), (999, "999"), (1000, "1,000"), (1_204, "1,204"), (1_234_567, "1,234,567")] {
            assert_eq!(number(n), text);
        }
        let words = |w: &[&str]| listed(&w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            (words(&["a"]), words(&["a", "b"]), words(&["a", "b", "c"])),
            ("a".into(), "a and b".into(), "a, b and c".into())
        );
        for (part, whole, text) in [(0, 0, "0%"), (300, 1000, "30%"), (1, 40, "2.5%"), (1, 3, "33.3%"), (2, 3, "66.7%")]
        {
            assert_eq!(percent(part, whole), text);
        }
    }
}
