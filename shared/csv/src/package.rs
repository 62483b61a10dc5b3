//! Opening a OneRoster CSV zip: finding its files (also in a sub-folder, also in another case),
//! reading the manifest (or, without one, taking every file as bulk) and streaming the rows of
//! one file at a time, so memory does not grow with the size of a file.

use crate::limits::{Breach, Guarded, Limits, RATIO_GRACE_BYTES};
use crate::report::{cut, quote, Code, Diagnostic, Report, QUOTE_CHARS};
use crate::v1p1::Context;
use oneroster_model::{Collection, Record, Timezone};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::sync::Arc;

oneroster_model::listed_enum! {
    /// A file of the binding that this provider imports, in the order a package is applied.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
    pub enum FileKind {
        /// orgs.csv
        Orgs,
        /// academicSessions.csv
        AcademicSessions,
        /// courses.csv
        Courses,
        /// classes.csv
        Classes,
        /// users.csv
        Users,
        /// userProfiles.csv (folded into users)
        UserProfiles,
        /// roles.csv (folded into users)
        Roles,
        /// enrollments.csv
        Enrollments,
        /// demographics.csv
        Demographics,
        /// resources.csv
        Resources,
        /// classResources.csv
        ClassResources,
        /// courseResources.csv
        CourseResources,
        /// userResources.csv
        UserResources,
        /// categories.csv
        Categories,
        /// scoreScales.csv
        ScoreScales,
        /// lineItems.csv
        LineItems,
        /// lineItemLearningObjectiveIds.csv (folded into line items)
        LineItemLearningObjectiveIds,
        /// lineItemScoreScales.csv (folded into line items)
        LineItemScoreScales,
        /// results.csv
        Results,
        /// resultLearningObjectiveIds.csv (folded into results)
        ResultLearningObjectiveIds,
        /// resultScoreScales.csv (folded into results)
        ResultScoreScales,
        /// absenceCodes.csv (OneRoster+ attendance)
        AbsenceCodes,
        /// attendance.csv (OneRoster+ attendance)
        Attendance,
    }
    /// Every imported file, in validation and apply order (referenced before referencing).
    ALL;
}

/// `FileKind`'s mapping to and from collections and its file names, from the model's table of
/// collections ([`oneroster_model::collections!`]): a collection's file is `<name>.csv`. Only
/// the part files (whose rows are folded into another file's records) are named here.
macro_rules! file_kinds {
    (
        parts { $($part:ident => $part_file:literal),* $(,)? }
        imported { $(
            $(#[$doc:meta])*
            $kind:ident { name: $name:literal, $($imported_row:tt)* },
        )* }
        api_only { $(
            $(#[$api_doc:meta])*
            $api_only:ident { $($api_only_row:tt)* },
        )* }
    ) => {
        impl FileKind {
            /// The file's name in the binding.
            pub fn file_name(self) -> &'static str {
                match self {
                    $(FileKind::$kind => concat!($name, ".csv"),)*
                    $(FileKind::$part => $part_file,)*
                }
            }

            /// The collection the file's rows become, or `None` for the part files.
            pub fn collection(self) -> Option<Collection> {
                match self {
                    $(FileKind::$kind => Some(Collection::$kind),)*
                    $(FileKind::$part => None,)*
                }
            }

            /// The file whose rows become records of `collection`, or `None` for the
            /// collections written through the API only: what a reference to a collection is
            /// checked against in a package.
            pub fn of(collection: Collection) -> Option<FileKind> {
                match collection {
                    $(Collection::$kind => Some(FileKind::$kind),)*
                    $(Collection::$api_only => None,)*
                }
            }
        }
    };
}

oneroster_model::collections!(file_kinds, parts {
    UserProfiles => "userProfiles.csv",
    Roles => "roles.csv",
    LineItemLearningObjectiveIds => "lineItemLearningObjectiveIds.csv",
    LineItemScoreScales => "lineItemScoreScales.csv",
    ResultLearningObjectiveIds => "resultLearningObjectiveIds.csv",
    ResultScoreScales => "resultScoreScales.csv",
});

impl FileKind {
    /// The files whose rows are parts of this file's records (a user's roles and profiles, a
    /// line item's objectives and score scale), applied together with it.
    pub fn parts(self) -> &'static [FileKind] {
        match self {
            FileKind::Users => &[FileKind::UserProfiles, FileKind::Roles],
            FileKind::LineItems => &[FileKind::LineItemLearningObjectiveIds, FileKind::LineItemScoreScales],
            FileKind::Results => &[FileKind::ResultLearningObjectiveIds, FileKind::ResultScoreScales],
            _ => &[],
        }
    }

    /// Whether the file's columns are matched by name, in any order, its optional ones blank or
    /// left out: the OneRoster+ attendance files, whose published layout lists its columns
    /// only in part, so that exports differ in order and extent. The binding's own files keep
    /// their exact headers.
    pub fn matched_by_name(self) -> bool {
        matches!(self, FileKind::AbsenceCodes | FileKind::Attendance)
    }

    /// The columns a file matched by name must have in its header (the rows' required values),
    /// and, in delta, `status` and `dateLastModified` too.
    pub fn required_columns(self, mode: Mode) -> Vec<&'static str> {
        let own: &[&str] = match self {
            FileKind::AbsenceCodes => &["title", "absent"],
            FileKind::Attendance => &["userSourcedId", "date", "absenceCodeSourcedId"],
            _ => &[],
        };
        let delta: &[&str] = if mode == Mode::Delta { &["status", "dateLastModified"] } else { &[] };
        ["sourcedId"].iter().chain(delta).chain(own).copied().collect()
    }

    /// Under which name a part file's rows are kept beside their record.
    pub fn part_key(self) -> &'static str {
        match self {
            FileKind::Roles => "roles",
            FileKind::UserProfiles => "profiles",
            FileKind::LineItemLearningObjectiveIds | FileKind::ResultLearningObjectiveIds => "objectives",
            FileKind::LineItemScoreScales | FileKind::ResultScoreScales => "scoreScales",
            _ => "",
        }
    }

    /// The manifest property that declares the file (`file.users`).
    pub fn manifest_key(self) -> String {
        format!("file.{}", self.file_name().trim_end_matches(".csv"))
    }
}

/// The one file of the binding that holds no records.
const MANIFEST: &str = "manifest.csv";

/// How a diagnostic names the zip as a whole.
pub const ZIP: &str = "(zip)";

/// How a file's rows are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The file is the whole truth for its type: missing records become `tobedeleted`.
    Bulk,
    /// Each row is an upsert, or with `tobedeleted` a deletion.
    Delta,
}

impl Mode {
    /// The manifest's word for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Bulk => "bulk",
            Mode::Delta => "delta",
        }
    }
}

/// Which OneRoster version a package is written in: its manifest's `oneroster.version`, or,
/// without a manifest, what its headers say ([`crate::v1p1::is_v1p1_header`]). A 1.1 package
/// is read by its own headers and converted to the 1.2 records that are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// OneRoster 1.2 (1.2.1 CSV binding).
    V1p2,
    /// OneRoster 1.1.
    V1p1,
}

impl Version {
    /// The version as a manifest writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V1p2 => "1.2",
            Version::V1p1 => "1.1",
        }
    }

    /// Whether `kind` is a file of this version's binding.
    pub fn has(self, kind: FileKind) -> bool {
        self == Version::V1p2 || crate::v1p1::FILES.contains(&kind)
    }

    /// The exact header of `kind` in this version.
    pub fn columns(self, kind: FileKind) -> &'static [&'static str] {
        match self {
            Version::V1p2 => crate::rows::columns(kind),
            Version::V1p1 => crate::v1p1::columns(kind),
        }
    }
}

/// The package could not be opened at all (not a zip, unreadable), or was refused whole.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// The object is not a readable zip archive.
    #[error("the upload is not a readable zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Reading the archive failed.
    #[error("reading the upload failed: {0}")]
    Io(#[from] std::io::Error),
    /// The zip's shape is refused (too many entries, a hostile or unreadable entry, nothing to
    /// import, a bomb); the reasons, naming the entries, are in the report.
    #[error("the zip is refused; the report names the entries")]
    Refused,
}

/// An opened package: which files it has, in which mode.
pub struct Package {
    archive: zip::ZipArchive<BufReader<File>>,
    files: BTreeMap<FileKind, (usize, String, Mode)>,
    version: Version,
    /// What a 1.1 package's rows need of other records, once read ([`Package::v1p1_context`]).
    context: Option<Arc<Context>>,
    /// What stored records said of them ([`Package::learn`]), for the context once read.
    stored: Context,
    /// The district's timezone: a date alone where a date-time is wanted starts there.
    zone: Timezone,
    limits: Limits,
    /// Bytes inflated from the package so far, every file read counted each time it is read.
    inflated: u64,
    /// The zip's length: no entry's stored bytes can be more than what follows its header.
    length: u64,
}

/// The binding's file whose entity a `.csv` file name begins with, case-insensitively, the
/// longest entity winning (`lineItemScoreScales_2.csv` is lineItemScoreScales.csv, not
/// lineItems.csv): exports dated or numbered in their names (`attendance_20220301.csv`).
fn by_entity(base: &str) -> Option<&'static str> {
    let lower = base.to_ascii_lowercase();
    if !lower.ends_with(".csv") {
        return None;
    }
    FileKind::ALL
        .iter()
        .map(|kind| kind.file_name())
        .filter(|file| {
            let entity = file.trim_end_matches(".csv").to_ascii_lowercase();
            lower.len() > file.len() && lower.starts_with(&entity)
        })
        .max_by_key(|file| file.len())
}

/// The bytes an entry is stored in, for the ratio cap: what the zip declares, but never more
/// than what follows the entry's header in the file (a declared size is the uploader's word).
fn stored_size(declared: u64, header_start: u64, length: u64) -> u64 {
    declared.min(length.saturating_sub(header_start))
}

/// An entry of the zip, as its central directory describes it.
struct Entry {
    index: usize,
    name: String,
}

impl Package {
    /// Opens the zip at `file`, locates its files and reads its manifest, under `limits`.
    /// Problems with the package's shape (manifest, files declared but missing, …) go into
    /// `report`; a zip refused whole (too many entries, a hostile entry, nothing to import,
    /// declared sizes past the caps) is [`PackageError::Refused`], its reasons in `report`.
    pub fn open(mut file: File, limits: &Limits, report: &mut Report) -> Result<Self, PackageError> {
        // The central directory is read whole by the zip reader: its entry count is checked
        // first, from the end record, so that a zip of a million entries costs nothing.
        if let Some(count) = declared_entries(&mut file)? {
            refuse_entry_count(count, limits, report)?;
        }
        let length = file.metadata()?.len();
        file.rewind()?;
        let mut archive = zip::ZipArchive::new(BufReader::new(file))?;
        refuse_entry_count(archive.len() as u64, limits, report)?;
        if archive.is_empty() {
            report.file_error(ZIP, Code::NoFiles, "the zip is empty; a package holds at least one file of the binding");
            return Err(PackageError::Refused);
        }
        let mut refused = false;
        let mut names: Vec<Entry> = Vec::new();
        for index in 0..archive.len() {
            let entry = archive.by_index_data(index)?;
            let name = match entry.name() {
                Ok(name) => name.into_owned(),
                Err(_) => {
                    let raw = String::from_utf8_lossy(entry.name_raw()).into_owned();
                    report.file_error(&raw, Code::BadEntry, "the entry's name cannot be read; the zip is refused");
                    refused = true;
                    continue;
                }
            };
            if let Some(problem) = entry_problem(&entry, &name) {
                report.file_error(&name, Code::BadEntry, format!("{problem}; the zip is refused"));
                refused = true;
                continue;
            }
            if !name.ends_with('/') && !is_os_clutter(&name) {
                names.push(Entry { index, name });
            }
        }
        if refused {
            return Err(PackageError::Refused);
        }

        // Which binding file each entry is, by its base name, case-insensitively; else by the
        // entity its name begins with (`users_20260301.csv`).
        let mut found: BTreeMap<&'static str, (usize, String)> = BTreeMap::new();
        let known: Vec<&'static str> = FileKind::ALL.iter().map(|k| k.file_name()).chain([MANIFEST]).collect();
        for Entry { index, name } in &names {
            let base = name.rsplit('/').next().unwrap_or(name);
            let exact = known.iter().copied().find(|k| k.eq_ignore_ascii_case(base));
            let Some(canonical) = exact.or_else(|| by_entity(base)) else {
                report.warn(format!(
                    "{}: not a file of the OneRoster CSV binding (1.2 or 1.1); ignored",
                    cut(name, QUOTE_CHARS)
                ));
                continue;
            };
            if name.contains('/') {
                report.warn(format!("{name}: read from a sub-folder of the zip"));
            }
            if exact.is_none() {
                let entity = canonical.trim_end_matches(".csv");
                report.warn(format!("{name}: taken as {canonical} (its name begins with {entity})"));
            } else if base != canonical {
                report.warn(format!("{name}: file name taken as {canonical} (the binding spells it so)"));
            }
            if let Some((_, first)) = found.get(canonical) {
                report.file_error(
                    name,
                    Code::DuplicateFile,
                    format!("a second {canonical} (the first is {first}); a package holds each file once"),
                );
                continue;
            }
            found.insert(canonical, (*index, name.clone()));
        }
        if found.is_empty() {
            report.file_error(
                ZIP,
                Code::NoFiles,
                "the zip holds no file of the OneRoster CSV binding (orgs.csv, users.csv, …); nothing to import",
            );
            return Err(PackageError::Refused);
        }
        // What is read must be a stream that inflates within the caps by what the zip declares;
        // the reader checks the same caps again as it inflates, in case the zip lies.
        let mut declared_total = 0u64;
        for (index, name) in found.values() {
            let entry = archive.by_index_data(*index)?;
            if !matches!(entry.compression(), zip::CompressionMethod::Stored | zip::CompressionMethod::Deflated) {
                report.file_error(
                    name,
                    Code::BadEntry,
                    format!("compressed with {:?}; a package's files are stored or deflated", entry.compression()),
                );
                refused = true;
            }
            let (size, stored) = (entry.size(), stored_size(entry.compressed_size(), entry.header_start(), length));
            if size > RATIO_GRACE_BYTES && size > stored.saturating_mul(limits.ratio) {
                let breach = Breach::Ratio { ratio: limits.ratio, stored };
                report.file_error(name, breach.code(), breach.to_string());
                refused = true;
            }
            declared_total = declared_total.saturating_add(size);
        }
        // Entries that share compressed bytes inflate them once each: a few MB could stand for
        // any number of copies.
        if archive.has_overlapping_files()? {
            report.file_error(
                ZIP,
                Code::BadEntry,
                "entries share their compressed bytes (a zip bomb?); the zip is refused",
            );
            refused = true;
        }
        if declared_total > limits.inflated_bytes {
            let breach = Breach::TooBig { limit: limits.inflated_bytes };
            report.file_error(ZIP, breach.code(), breach.to_string());
            refused = true;
        }
        if refused {
            return Err(PackageError::Refused);
        }

        let (manifest, version) = match found.remove(MANIFEST) {
            Some((index, name)) => {
                let (manifest, version) = read_manifest(&mut archive, index, &name, report)?;
                (Some(manifest), version)
            }
            None => {
                let version = version_by_headers(&mut archive, &found, report);
                report.warn("no manifest.csv: every file in the zip is taken as bulk");
                (None, version)
            }
        };
        report.version = Some(version.as_str().to_owned());
        for kind in FileKind::ALL.into_iter().filter(|kind| !version.has(*kind)) {
            if let Some((_, name)) = found.remove(kind.file_name()) {
                report.warn(format!("{name}: not a file of the OneRoster 1.1 CSV binding; ignored"));
            }
            if let Some(mode) = manifest.as_ref().and_then(|m| m.get(&kind.manifest_key())).filter(|m| *m != "absent") {
                report.error(Diagnostic {
                    file: MANIFEST.into(),
                    line: None,
                    column: Some(kind.manifest_key()),
                    code: Code::Manifest,
                    reason: format!(
                        "{} is {}, but OneRoster 1.1 has no {}",
                        kind.manifest_key(),
                        quote(mode),
                        kind.file_name()
                    ),
                });
            }
        }

        let mut files = BTreeMap::new();
        for kind in FileKind::ALL.into_iter().filter(|kind| version.has(*kind)) {
            let entry = found.remove(kind.file_name());
            let declared = match &manifest {
                Some(m) => m.get(&kind.manifest_key()).map(String::as_str),
                None => entry.as_ref().map(|_| "bulk"),
            };
            match (declared, entry) {
                (Some("bulk"), Some((i, name))) => {
                    files.insert(kind, (i, name, Mode::Bulk));
                }
                (Some("delta"), Some((i, name))) => {
                    files.insert(kind, (i, name, Mode::Delta));
                }
                (Some("bulk" | "delta"), None) => report.file_error(
                    "manifest.csv",
                    Code::Manifest,
                    format!(
                        "{} is declared {} but the zip has no {}",
                        kind.manifest_key(),
                        declared.unwrap_or_default(),
                        kind.file_name()
                    ),
                ),
                (Some("absent") | None, Some((_, name))) => report.file_error(
                    &name,
                    Code::Manifest,
                    format!(
                        "the manifest does not declare {} as bulk or delta; set {} to bulk or delta",
                        kind.file_name(),
                        kind.manifest_key()
                    ),
                ),
                (Some("absent") | None, None) => {}
                (Some(other), _) => report.error(Diagnostic {
                    file: "manifest.csv".into(),
                    line: None,
                    column: Some(kind.manifest_key()),
                    code: Code::Manifest,
                    reason: format!("{} is not one of {{absent | bulk | delta}}", quote(other)),
                }),
            }
        }
        if files.is_empty() && report.is_valid() {
            report.file_error(
                "manifest.csv",
                Code::NoFiles,
                "the manifest declares no file as bulk or delta; nothing to import",
            );
        }
        Ok(Self {
            archive,
            files,
            version,
            context: None,
            stored: Context::default(),
            zone: Timezone::default(),
            limits: *limits,
            inflated: 0,
            length,
        })
    }

    /// The OneRoster version the package is written in.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Reads a date alone where a date-time is wanted (a line item's `assignDate`, a 1.1 delta's
    /// `dateLastModified`) as the start of that day in the district's `zone` (UTC until set).
    pub fn set_timezone(&mut self, zone: Timezone) {
        self.zone = zone;
    }

    /// The district's timezone the rows are read in.
    pub fn timezone(&self) -> Timezone {
        self.zone
    }

    /// What a 1.1 package's rows need of other records ([`Context`]): read from its
    /// `orgs.csv` and `classes.csv` the first time (only a file that needs it asks), with what
    /// [`Package::learn`] added.
    pub(crate) fn v1p1_context(&mut self) -> Result<Arc<Context>, PackageError> {
        if let Some(context) = &self.context {
            return Ok(context.clone());
        }
        let mut context = Context::read(self)?;
        context.learn_from(&self.stored);
        let context = Arc::new(context);
        self.context = Some(context.clone());
        Ok(context)
    }

    /// The stored records a 1.1 package's rows need and it does not hold (the orgs of its
    /// administrators, the classes of its line items), for the ingest to read and hand to
    /// [`Package::learn`]; none for a 1.2 package.
    pub fn v1p1_wanted(&mut self) -> Result<Vec<(Collection, String)>, PackageError> {
        if self.version != Version::V1p1 {
            return Ok(Vec::new());
        }
        let context = self.v1p1_context()?;
        context.wanted(self)
    }

    /// Adds what stored records say to the [`Context`] of a 1.1 package (nothing for a 1.2
    /// package, whose rows need no other record).
    pub fn learn<'r>(&mut self, records: impl IntoIterator<Item = &'r Record>) {
        if self.version != Version::V1p1 {
            return;
        }
        self.stored.learn(records);
        if let Some(context) = &mut self.context {
            Arc::make_mut(context).learn_from(&self.stored);
        }
    }

    /// The imported files present, with their mode, in apply order.
    pub fn files(&self) -> impl Iterator<Item = (FileKind, &str, Mode)> + '_ {
        self.files.iter().map(|(kind, (_, name, mode))| (*kind, name.as_str(), *mode))
    }

    /// The caps the package is read under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The mode of `kind`, if the package has that file.
    pub fn mode(&self, kind: FileKind) -> Option<Mode> {
        self.files.get(&kind).map(|(_, _, mode)| *mode)
    }

    /// Streams the CSV text of `kind` (BOM removed) to `read`, if the package has it, through
    /// the caps: a read that passes one fails with an I/O error carrying the [`Breach`].
    pub fn with_file<T>(
        &mut self,
        kind: FileKind,
        read: impl FnOnce(&mut dyn BufRead, &str) -> T,
    ) -> Result<Option<T>, PackageError> {
        let Some((index, name, _)) = self.files.get(&kind) else { return Ok(None) };
        let entry = self.archive.by_index(*index)?;
        let stored = stored_size(entry.compressed_size(), entry.header_start(), self.length);
        let mut reader =
            BufReader::with_capacity(256 * 1024, Guarded::new(entry, stored, self.limits, &mut self.inflated));
        match skip_bom(&mut reader) {
            Ok(()) => {}
            // A read past a cap fails again when the rows are read, which reports it.
            Err(e) if Breach::of(&e).is_some() => {}
            Err(e) => return Err(e.into()),
        }
        Ok(Some(read(&mut reader, name)))
    }

    /// Whether the CSV text of `kind` starts with a BOM or uses CRLF line ends (for warnings).
    pub fn sniff(&mut self, kind: FileKind) -> Result<(bool, bool), PackageError> {
        let Some((index, _, _)) = self.files.get(&kind) else { return Ok((false, false)) };
        let mut head = Vec::with_capacity(4096);
        // A file that cannot be read is reported when its rows are (naming it), not here.
        let _ = self.archive.by_index(*index)?.take(4096).read_to_end(&mut head);
        Ok((head.starts_with(b"\xEF\xBB\xBF"), head.windows(2).any(|w| w == b"\r\n")))
    }
}

/// Refuses a zip of more entries than `limits` allow.
fn refuse_entry_count(count: u64, limits: &Limits, report: &mut Report) -> Result<(), PackageError> {
    if count <= limits.entries {
        return Ok(());
    }
    report.file_error(
        ZIP,
        Code::TooManyEntries,
        format!("the zip has {count} entries; a package may have at most {}", limits.entries),
    );
    Err(PackageError::Refused)
}

/// What makes an entry unsafe or unreadable, whatever it is called: the zip is refused whole
/// rather than read around it.
fn entry_problem(entry: &zip::read::ZipFileEntry<'_>, name: &str) -> Option<&'static str> {
    const TYPE: u32 = 0o170_000;
    let mode = entry.unix_mode().unwrap_or(0) & TYPE;
    let parts = || name.split(['/', '\\']);
    if name.starts_with(['/', '\\']) || name.as_bytes().get(1) == Some(&b':') {
        Some("the entry's name is an absolute path")
    } else if parts().any(|part| part == "..") {
        Some("the entry's name leads out of the zip (..)")
    } else if name.contains('\0') {
        Some("the entry's name holds a NUL character")
    } else if entry.encrypted() {
        Some("the entry is encrypted; a package's files must not be")
    } else if entry.is_symlink() {
        Some("the entry is a symbolic link; a package holds plain files")
    } else if mode == 0o040_000 && !name.ends_with('/') {
        Some("the entry is a directory posing as a file")
    } else {
        None
    }
}

/// The entry count of the zip's end record (ZIP64's when the classic one overflows), read from
/// the last 64 KiB of the file; `None` when no end record is found there (the zip reader then
/// reports the zip unreadable).
fn declared_entries(file: &mut File) -> std::io::Result<Option<u64>> {
    const END: [u8; 4] = *b"PK\x05\x06";
    const LOCATOR: [u8; 4] = *b"PK\x06\x07";
    const END64: [u8; 4] = *b"PK\x06\x06";
    let len = file.seek(SeekFrom::End(0))?;
    let tail_len = len.min(22 + 65_535 + 20);
    file.seek(SeekFrom::Start(len - tail_len))?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail)?;
    let Some(end) = (0..tail.len().saturating_sub(21)).rev().find(|&i| tail[i..i + 4] == END) else {
        return Ok(None);
    };
    let u16_at = |at: usize| u16::from_le_bytes([tail[at], tail[at + 1]]);
    let count = u16_at(end + 10);
    if count != u16::MAX || end < 20 || tail[end - 20..end - 16] != LOCATOR {
        return Ok(Some(u64::from(count)));
    }
    let mut offset = [0u8; 8];
    offset.copy_from_slice(&tail[end - 12..end - 4]);
    let mut record = [0u8; 40];
    file.seek(SeekFrom::Start(u64::from_le_bytes(offset)))?;
    if file.read_exact(&mut record).is_err() || record[..4] != END64 {
        return Ok(None);
    }
    let mut total = [0u8; 8];
    total.copy_from_slice(&record[32..40]);
    Ok(Some(u64::from_le_bytes(total)))
}

fn is_os_clutter(name: &str) -> bool {
    name.starts_with("__MACOSX/") || name.rsplit('/').next().is_some_and(|b| b.starts_with("._") || b == ".DS_Store")
}

fn skip_bom(reader: &mut impl BufRead) -> std::io::Result<()> {
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
}

/// The manifest's properties and the version it declares (1.2 when it declares none that is
/// known, which is reported). A 1.1 manifest may misspell `manifest.version` as
/// `mainfest.version`, as Microsoft's reference 1.1 provider writes it.
fn read_manifest(
    archive: &mut zip::ZipArchive<BufReader<File>>,
    index: usize,
    name: &str,
    report: &mut Report,
) -> Result<(BTreeMap<String, String>, Version), PackageError> {
    let mut text = String::new();
    let mut reader = BufReader::new(archive.by_index(index)?.take(1 << 20));
    skip_bom(&mut reader)?;
    if reader.read_to_string(&mut text).is_err() {
        report.file_error(name, Code::Manifest, "manifest.csv is not UTF-8 text");
        return Ok((BTreeMap::new(), Version::V1p2));
    }
    let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut properties = BTreeMap::new();
    for (i, row) in csv.records().enumerate() {
        let line = i as u64 + 1;
        let diag = |column: Option<&str>, reason: String| Diagnostic::at(name, line, column, Code::Manifest, reason);
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                report.error(diag(None, format!("not valid CSV: {e}")));
                continue;
            }
        };
        if line == 1 {
            if row.iter().collect::<Vec<_>>() != ["propertyName", "value"] {
                report.error(diag(None, "the header must be exactly propertyName,value".into()));
            }
            continue;
        }
        let (Some(key), Some(value)) = (row.get(0), row.get(1)) else {
            report.error(diag(None, "a manifest row has two fields: propertyName,value".into()));
            continue;
        };
        properties.insert(key.to_owned(), value.to_owned());
    }
    let version = match properties.get("oneroster.version").map(String::as_str) {
        Some("1.1") => Version::V1p1,
        _ => Version::V1p2,
    };
    if version == Version::V1p1 && !properties.contains_key("manifest.version") {
        if let Some(value) = properties.get("mainfest.version").cloned() {
            report.warn(format!("{name}: mainfest.version taken as manifest.version"));
            properties.insert("manifest.version".into(), value);
        }
    }
    let error = |report: &mut Report, key: &str, reason: String| {
        report.error(Diagnostic {
            file: name.into(),
            line: None,
            column: Some(key.into()),
            code: Code::Manifest,
            reason,
        })
    };
    match properties.get("manifest.version") {
        Some(v) if v == "1.0" => {}
        Some(v) => error(report, "manifest.version", format!("must be 1.0, not {}", quote(v))),
        None => error(report, "manifest.version", "missing; it must be 1.0".into()),
    }
    match properties.get("oneroster.version") {
        Some(v) if v == "1.2" || v == "1.1" => {}
        Some(v) => error(report, "oneroster.version", format!("must be 1.2 or 1.1, not {}", quote(v))),
        None => error(report, "oneroster.version", "missing; it must be 1.2 or 1.1".into()),
    }
    Ok((properties, version))
}

/// The version of a package without a manifest, by the header rows of the files whose headers
/// differ between 1.1 and 1.2 (1.2 when none of them is in the package, or all say 1.2).
fn version_by_headers(
    archive: &mut zip::ZipArchive<BufReader<File>>,
    found: &BTreeMap<&'static str, (usize, String)>,
    report: &mut Report,
) -> Version {
    // A header that cannot be read tells nothing; reading the file's rows reports why.
    let mut header_of = |index: usize| -> Option<csv::StringRecord> {
        let mut reader = BufReader::new(archive.by_index(index).ok()?.take(64 * 1024));
        skip_bom(&mut reader).ok()?;
        let mut csv = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(reader);
        let mut header = csv::StringRecord::new();
        matches!(csv.read_record(&mut header), Ok(true)).then_some(header)
    };
    for kind in crate::v1p1::FILES {
        let Some((index, name)) = found.get(kind.file_name()) else { continue };
        let Some(header) = header_of(*index) else { continue };
        let header: Vec<&str> = header.iter().collect();
        if crate::v1p1::is_v1p1_header(kind, &header) == Some(true) {
            report.warn(format!("no manifest.csv: taken as OneRoster 1.1 by the header of {name}"));
            return Version::V1p1;
        }
    }
    Version::V1p2
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn each_collection_file_is_named_after_its_collection_and_maps_back() {
        for kind in FileKind::ALL {
            match kind.collection() {
                Some(collection) => {
                    assert_eq!(kind.file_name(), format!("{}.csv", collection.name()));
                    assert_eq!(FileKind::of(collection), Some(kind));
                    assert!(kind.parts().iter().all(|part| part.collection().is_none()), "{kind:?}");
                }
                // A part file follows the file whose records it is folded into.
                None => assert!(FileKind::ALL.iter().any(|owner| owner.parts().contains(&kind)), "{kind:?}"),
            }
            let same_name = FileKind::ALL.iter().filter(|other| other.file_name() == kind.file_name()).count();
            assert_eq!(same_name, 1, "{kind:?}");
        }
        for (collection, file) in [
            (Collection::Orgs, Some("orgs.csv")),
            (Collection::AcademicSessions, Some("academicSessions.csv")),
            (Collection::Results, Some("results.csv")),
            (Collection::AssessmentLineItems, None),
            (Collection::AssessmentResults, None),
        ] {
            assert_eq!(FileKind::of(collection).map(FileKind::file_name), file, "{collection:?}");
        }
        let imported = Collection::ALL.into_iter().filter_map(FileKind::of);
        assert!(imported.eq(FileKind::ALL.into_iter().filter(|kind| kind.collection().is_some())));
    }

    #[test]
    fn part_files_keep_their_names_and_owners() {
        for (part, file, owner) in [
            (FileKind::UserProfiles, "userProfiles.csv", FileKind::Users),
            (FileKind::Roles, "roles.csv", FileKind::Users),
            (FileKind::LineItemLearningObjectiveIds, "lineItemLearningObjectiveIds.csv", FileKind::LineItems),
            (FileKind::LineItemScoreScales, "lineItemScoreScales.csv", FileKind::LineItems),
            (FileKind::ResultLearningObjectiveIds, "resultLearningObjectiveIds.csv", FileKind::Results),
            (FileKind::ResultScoreScales, "resultScoreScales.csv", FileKind::Results),
        ] {
            assert_eq!((part.file_name(), part.collection()), (file, None));
            assert!(owner.parts().contains(&part), "{part:?}");
            assert!(owner < part, "{part:?} is applied after {owner:?}");
        }
        // The binding's 21 imported files and OneRoster+'s two attendance files.
        assert_eq!(FileKind::ALL.len(), 23);
    }

    /// A zip of `files` (name, bytes) in a temporary file, read from its start.
    pub(crate) fn zip_file(files: &[(&str, &[u8])]) -> File {
        let file = tempfile::tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(file);
        for (name, bytes) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            zip.write_all(bytes).unwrap();
        }
        let mut file = zip.finish().unwrap();
        file.rewind().unwrap();
        file
    }

    fn refused(files: &[(&str, &[u8])], limits: Limits) -> Report {
        let mut report = Report::default();
        assert!(matches!(Package::open(zip_file(files), &limits, &mut report), Err(PackageError::Refused)));
        report
    }

    const ORGS: &[u8] = b"sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\nd-1,,,D,district,,\n";

    #[test]
    fn a_zip_of_more_entries_than_the_cap_is_refused_before_its_directory_is_read() {
        let names: Vec<String> = (0..101).map(|i| format!("junk/{i}.txt")).collect();
        let files: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), b"x".as_slice())).collect();
        let report = refused(&files, Limits::default());
        assert_eq!(report.errors[0].code, Code::TooManyEntries);
        assert_eq!(report.errors[0].reason, "the zip has 101 entries; a package may have at most 100");
        assert_eq!(declared_entries(&mut zip_file(&files)).unwrap(), Some(101));
    }

    #[test]
    fn a_file_named_for_the_entity_it_begins_with_is_that_entitys_with_a_warning() {
        for (base, file) in [
            ("users_20260301.csv", Some("users.csv")),
            ("Orgs-2.CSV", Some("orgs.csv")),
            ("lineItemScoreScales_2.csv", Some("lineItemScoreScales.csv")),
            ("lineItems_2.csv", Some("lineItems.csv")),
            ("classResources-final.csv", Some("classResources.csv")),
            ("users.csv", None),
            ("users_2026.txt", None),
            ("roster_users.csv", None),
        ] {
            assert_eq!(by_entity(base), file, "{base}");
        }
        let mut report = Report::default();
        let package = Package::open(zip_file(&[("orgs_20260301.csv", ORGS)]), &Limits::default(), &mut report).unwrap();
        assert_eq!(
            package.files().map(|(kind, name, _)| (kind, name.to_owned())).collect::<Vec<_>>(),
            [(FileKind::Orgs, "orgs_20260301.csv".to_owned())]
        );
        assert!(report
            .warnings
            .contains(&"orgs_20260301.csv: taken as orgs.csv (its name begins with orgs)".to_owned()));
    }

    #[test]
    fn declared_sizes_past_the_ratio_or_the_total_are_refused_naming_the_file() {
        let bomb = vec![b'a'; 3 << 20];
        let report = refused(&[("users.csv", &bomb)], Limits::default());
        assert_eq!((report.errors[0].file.as_str(), report.errors[0].code), ("users.csv", Code::Ratio));
        let report = refused(&[("orgs.csv", ORGS)], Limits { inflated_bytes: 50, ..Limits::default() });
        assert_eq!((report.errors[0].file.as_str(), report.errors[0].code), (ZIP, Code::TooBig));
    }

    #[test]
    fn zips_with_nothing_to_import_or_unsafe_names_are_refused_naming_the_entry() {
        assert_eq!(refused(&[], Limits::default()).errors[0].code, Code::NoFiles);
        assert_eq!(refused(&[("notes.txt", b"x")], Limits::default()).errors[0].code, Code::NoFiles);
        for name in ["/abs/orgs.csv", "../orgs.csv", "a/../../orgs.csv", "C:/orgs.csv", "\\orgs.csv"] {
            let report = refused(&[(name, ORGS)], Limits::default());
            assert_eq!((report.errors[0].file.as_str(), report.errors[0].code), (name, Code::BadEntry), "{name}");
        }
        let file = tempfile::tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.add_symlink("orgs.csv", "/etc/passwd", zip::write::SimpleFileOptions::default()).unwrap();
        let mut file = zip.finish().unwrap();
        file.rewind().unwrap();
        let mut report = Report::default();
        assert!(Package::open(file, &Limits::default(), &mut report).is_err());
        assert!(report.errors[0].reason.starts_with("the entry is a symbolic link"), "{:?}", report.errors);
    }

    #[test]
    fn entries_that_share_their_compressed_bytes_are_refused() {
        let file = tempfile::tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(file);
        zip.start_file("orgs.csv", zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(ORGS).unwrap();
        zip.shallow_copy_file("orgs.csv", "users.csv").unwrap();
        let mut file = zip.finish().unwrap();
        file.rewind().unwrap();
        let mut report = Report::default();
        assert!(matches!(Package::open(file, &Limits::default(), &mut report), Err(PackageError::Refused)));
        assert!(
            report.errors.iter().any(|e| e.reason.starts_with("entries share their compressed bytes")),
            "{:?}",
            report.errors
        );
    }

    #[test]
    fn a_declared_stored_size_is_never_more_than_what_follows_the_header() {
        assert_eq!(stored_size(1 << 30, 100, 1_000), 900);
        assert_eq!(stored_size(50, 100, 1_000), 50);
        assert_eq!(stored_size(50, 2_000, 1_000), 0);
    }

    #[test]
    fn rows_past_the_row_length_or_cells_caps_are_errors_on_their_line() {
        let long = format!("{}d-2,,,{},district,,\n", String::from_utf8_lossy(ORGS), "n".repeat(100));
        let limits = Limits { line_bytes: 90, ..Limits::default() };
        let mut report = Report::default();
        let mut package = Package::open(zip_file(&[("orgs.csv", long.as_bytes())]), &limits, &mut report).unwrap();
        crate::read_rows(&mut package, FileKind::Orgs, oneroster_model::Timestamp::now(), &mut report, |_, _, _| {})
            .unwrap();
        let error = report.errors.last().unwrap();
        assert_eq!((error.line, error.code), (Some(3), Code::LineTooLong), "{:?}", report.errors);

        let limits = Limits { cells: 6, ..Limits::default() };
        let mut report = Report::default();
        let mut package = Package::open(zip_file(&[("orgs.csv", ORGS)]), &limits, &mut report).unwrap();
        crate::read_rows(&mut package, FileKind::Orgs, oneroster_model::Timestamp::now(), &mut report, |_, _, _| {})
            .unwrap();
        assert_eq!((report.errors[0].line, report.errors[0].code), (Some(1), Code::TooManyCells));
    }
}
