//! A package being written, one collection's files at a time: the one place rows become a zip,
//! for an export, a write-back and a pull from an SIS alike.
//!
//! Each file's rows are spooled to a temporary file as they come (its header names the
//! `metadata.*` keys of all its rows), and copied into the zip when its collection ends; a file
//! without rows is not written (the binding permits no empty file) and the manifest declares
//! it `absent`. Memory holds the keys only, never the rows.

use crate::{ExportError, Exported};
use oneroster_csv::write::{cells, rows_of, Cells, FileWriter};
use oneroster_csv::{FileKind, Mode, Version};
use oneroster_model::{Record, Status, Timestamp, Timezone};
use std::io::{Seek, Write};

/// A package of one version and mode being written to `W`: [`PackageWriter::begin`] a file
/// kind, write its records or rows, begin the next (in the binding's order), then
/// [`PackageWriter::finish`].
pub struct PackageWriter<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    version: Version,
    mode: Mode,
    zone: Timezone,
    open: Vec<(FileKind, FileWriter)>,
    written: Vec<(FileKind, u64)>,
}

impl<W: Write + Seek> PackageWriter<W> {
    /// A package of `version` in `mode` written to `out`; dates that the binding gives as days
    /// are days of `zone`.
    pub fn new(out: W, version: Version, mode: Mode, zone: Timezone) -> Self {
        Self { zip: zip::ZipWriter::new(out), version, mode, zone, open: Vec::new(), written: Vec::new() }
    }

    /// The package's version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Ends the files open and opens those of `kind`: its own and the part files folded into
    /// its records (a user's roles and profiles), each only if the version has it.
    pub fn begin(&mut self, kind: FileKind) -> Result<(), ExportError> {
        self.end()?;
        for file in std::iter::once(kind).chain(kind.parts().iter().copied()).filter(|k| self.version.has(*k)) {
            self.open.push((file, FileWriter::new(file, self.version, tempfile::tempfile()?)));
        }
        Ok(())
    }

    /// Writes `record` as the rows of its open files (`parts`: the ids kept beside a stored
    /// record for its part rows). A delta's rows carry `dated`, the record's status and time.
    pub fn record(
        &mut self,
        record: Record,
        parts: Option<&str>,
        dated: Option<(&Status, Timestamp)>,
    ) -> Result<(), ExportError> {
        for row in rows_of(record, parts)? {
            let Some(cells) = cells(&row, self.version, self.zone) else { continue };
            let cells = match dated {
                Some((status, time)) => cells.dated(status, time),
                None => cells,
            };
            if let Some(kind) = row.file_kind() {
                self.cells(kind, &cells)?;
            }
        }
        Ok(())
    }

    /// Writes one row made outside the model to the open file `kind`; a kind not open takes
    /// nothing.
    pub fn cells(&mut self, kind: FileKind, cells: &Cells) -> Result<(), ExportError> {
        if let Some((_, writer)) = self.open.iter_mut().find(|(file, _)| *file == kind) {
            writer.write(cells)?;
        }
        Ok(())
    }

    /// Copies the open files that have rows into the zip.
    fn end(&mut self) -> Result<(), ExportError> {
        let options = options();
        for (file, writer) in std::mem::take(&mut self.open).into_iter().filter(|(_, writer)| writer.rows() > 0) {
            let rows = writer.rows();
            self.zip.start_file(file.file_name(), options)?;
            writer.finish(&mut self.zip)?;
            self.written.push((file, rows));
        }
        Ok(())
    }

    /// Ends the last files, writes the manifest and finishes the zip; what was written.
    pub fn finish(mut self) -> Result<Exported, ExportError> {
        self.end()?;
        let kinds: Vec<FileKind> = self.written.iter().map(|(kind, _)| *kind).collect();
        self.zip.start_file("manifest.csv", options())?;
        self.zip.write_all(oneroster_csv::write::manifest(self.version, self.mode, &kinds).as_bytes())?;
        // Flushed here, not on drop: a buffered writer dropped unflushed loses a failed write (a
        // full disk) silently, and a truncated zip would be put in the bucket as a whole one.
        self.zip.finish()?.flush()?;
        Ok(Exported {
            version: self.version.as_str(),
            files: self.written.into_iter().map(|(kind, rows)| (kind.file_name(), rows)).collect(),
        })
    }
}

fn options() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}
