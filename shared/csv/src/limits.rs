//! The caps on what an upload may make the ingest read, and the reader that enforces them while
//! a zip entry is inflated: an upload is read as a stream, never whole, and a hostile one (a
//! zip bomb, a line of 16 MB) is stopped as soon as it passes a cap, with a diagnostic that
//! names the file and, where there is one, the line.

use crate::report::Code;
use memchr::memchr3_iter;
use std::io::Read;

/// An entry may inflate this much before its ratio to its stored size is checked: small files
/// of repeated text (a manifest, a one-line orgs.csv) compress far better than 200:1.
pub const RATIO_GRACE_BYTES: u64 = 1 << 20;

/// The caps on one package. Each is a setting of the ingest (its environment, read once at
/// start); tests and the local server use the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes the files read may inflate to, all together (default 8 GiB: a district
    /// of a million students is under 2 GiB of CSV).
    pub inflated_bytes: u64,
    /// The most an entry may inflate per stored byte, past its first [`RATIO_GRACE_BYTES`]
    /// (default 200: real CSV deflates 5 to 20 times; a zip bomb a thousand).
    pub ratio: u64,
    /// The most entries a zip may have (default 100: the binding has 22 files, and a zip made
    /// on a Mac doubles them with `__MACOSX` entries).
    pub entries: u64,
    /// The most bytes of one row, line breaks inside quoted cells included (default 1 MiB):
    /// a row is held whole while it is parsed, so this bounds the memory a row takes.
    pub line_bytes: u64,
    /// The most cells of one row (default 1,000: the widest file of the binding has 22
    /// columns, which leaves room for hundreds of `metadata.*` extensions, while a row's
    /// cells stay far from what a stored record may hold).
    pub cells: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { inflated_bytes: 8 << 30, ratio: 200, entries: 100, line_bytes: 1 << 20, cells: 1000 }
    }
}

/// A cap passed while an entry was inflated; it ends the reading of the entry (as an I/O error
/// that carries it), and the reader of the rows reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Breach {
    /// The files read inflated past [`Limits::inflated_bytes`].
    #[error("the package inflates to more than {} in all (the most a package may hold)", bytes(*limit))]
    TooBig {
        /// The cap.
        limit: u64,
    },
    /// The entry inflated past [`Limits::ratio`] times its stored size.
    #[error("inflates to more than {ratio} times its stored size of {} (a zip bomb?); the most allowed is {ratio}:1", bytes(*stored))]
    Ratio {
        /// The cap.
        ratio: u64,
        /// The entry's stored (compressed) size.
        stored: u64,
    },
    /// The entry could not be inflated (its data is corrupt, or inflates past the size the zip
    /// declares for it): what the zip reader said.
    #[error("the file cannot be inflated: {0}")]
    Unreadable(String),
    /// A row passed [`Limits::line_bytes`].
    #[error("the row starting on line {line} is longer than {} (the most a row may hold)", bytes(*limit))]
    LineTooLong {
        /// The line the row starts on.
        line: u64,
        /// The cap.
        limit: u64,
    },
}

impl Breach {
    /// The report's code for the breach.
    pub fn code(&self) -> Code {
        match self {
            Breach::TooBig { .. } => Code::TooBig,
            Breach::Ratio { .. } => Code::Ratio,
            Breach::LineTooLong { .. } => Code::LineTooLong,
            Breach::Unreadable(_) => Code::BadEntry,
        }
    }

    /// The line of the file the breach is at, if it is at one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Breach::LineTooLong { line, .. } => Some(*line),
            _ => None,
        }
    }

    /// The breach an I/O error carries, if it does.
    pub fn of(error: &std::io::Error) -> Option<&Breach> {
        error.get_ref().and_then(|inner| inner.downcast_ref::<Breach>())
    }
}

/// A size in words: `8 GiB`, `1 MiB`, `4096 bytes`.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 && n % (1 << 30) == 0 => format!("{} GiB", n >> 30),
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// An inflating entry, read through the caps: it counts what it hands on (for the entry, and
/// into the package's total) and where each row ends, and fails the read that passes a cap.
pub(crate) struct Guarded<'t, R> {
    inner: R,
    limits: Limits,
    /// The entry's stored size.
    stored: u64,
    /// Bytes inflated from this entry.
    inflated: u64,
    /// Bytes inflated from every entry read so far (the package's).
    total: &'t mut u64,
    /// Where the bytes read so far end as the `csv` reader sees quotes: a line break inside a
    /// quoted cell does not end the row.
    quote: Quote,
    /// The last byte read (whether a quote starts a cell depends on the byte before it).
    previous: u8,
    /// Bytes of the row being read.
    row: u64,
    /// Line breaks read so far.
    lines: u64,
    /// The line the row being read starts on.
    row_line: u64,
    /// The breach, once there is one: every later read fails with it too.
    breach: Option<Breach>,
}

impl<'t, R: Read> Guarded<'t, R> {
    /// Reads `inner`, an entry stored in `stored` bytes, under `limits`, adding to `total`.
    pub(crate) fn new(inner: R, stored: u64, limits: Limits, total: &'t mut u64) -> Self {
        Self {
            inner,
            limits,
            stored,
            inflated: 0,
            total,
            quote: Quote::Out,
            previous: b'\n',
            row: 0,
            lines: 0,
            row_line: 1,
            breach: None,
        }
    }

    /// Checks the caps against `chunk`, the bytes just read.
    fn check(&mut self, chunk: &[u8]) -> Result<(), Breach> {
        let n = chunk.len() as u64;
        let base = self.inflated;
        self.inflated += n;
        *self.total += n;
        if *self.total > self.limits.inflated_bytes {
            return Err(Breach::TooBig { limit: self.limits.inflated_bytes });
        }
        if self.inflated > RATIO_GRACE_BYTES && self.inflated > self.stored.saturating_mul(self.limits.ratio) {
            return Err(Breach::Ratio { ratio: self.limits.ratio, stored: self.stored });
        }
        // Rows end at line breaks outside quoted cells, quotes read as the `csv` reader reads
        // them (its defaults): a quote opens a quoted cell only at the cell's start; inside one,
        // a doubled quote is a quote and a single one closes it; text after the closing quote
        // stays in the cell, and a quote inside unquoted text is text.
        let mut start = 0usize;
        for at in memchr3_iter(b'"', b'\n', b'\r', chunk) {
            let byte = chunk[at];
            let before = if at == 0 { self.previous } else { chunk[at - 1] };
            let position = base + at as u64;
            if byte == b'"' {
                self.quote = match self.quote {
                    Quote::In => Quote::Closed(position),
                    Quote::Closed(closed) if closed + 1 == position => Quote::In,
                    _ if matches!(before, b',' | b'\n' | b'\r') => Quote::In,
                    _ => Quote::Out,
                };
                continue;
            }
            if byte == b'\n' {
                self.lines += 1;
            }
            if self.quote == Quote::In {
                continue;
            }
            self.quote = Quote::Out;
            self.row += (at - start) as u64;
            if self.row > self.limits.line_bytes {
                return Err(Breach::LineTooLong { line: self.row_line, limit: self.limits.line_bytes });
            }
            self.row = 0;
            self.row_line = self.lines + 1;
            start = at + 1;
        }
        self.row += (chunk.len() - start) as u64;
        if let Some(last) = chunk.last() {
            self.previous = *last;
        }
        if self.row > self.limits.line_bytes {
            return Err(Breach::LineTooLong { line: self.row_line, limit: self.limits.line_bytes });
        }
        Ok(())
    }
}

/// Where the bytes read so far end, as quotes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quote {
    /// Outside a quoted cell.
    Out,
    /// Inside a quoted cell.
    In,
    /// Just after the quote at this position closed a quoted cell (a quote right after it is
    /// an escaped quote, and the cell is quoted again).
    Closed(u64),
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(breach) = &self.breach {
            return Err(std::io::Error::other(breach.clone()));
        }
        let checked = match self.inner.read(buf) {
            Ok(n) => self.check(&buf[..n]).map(|()| n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Err(e),
            Err(e) => Err(Breach::Unreadable(e.to_string())),
        };
        checked.map_err(|breach| {
            self.breach = Some(breach.clone());
            std::io::Error::other(breach)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8], stored: u64, limits: Limits) -> Result<u64, Breach> {
        let mut total = 0;
        let mut reader = Guarded::new(text, stored, limits, &mut total);
        let mut sink = Vec::new();
        // Small reads, so that rows and caps cross the reads' edges.
        let mut buf = [0u8; 7];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return Ok(total),
                Ok(n) => sink.extend_from_slice(&buf[..n]),
                Err(e) => return Err(Breach::of(&e).cloned().expect("a breach")),
            }
        }
    }

    #[test]
    fn a_row_longer_than_the_cap_is_found_on_its_first_line_quotes_included() {
        let limits = Limits { line_bytes: 20, ..Limits::default() };
        assert_eq!(read_all(b"a,b\nshort,row\n", 1 << 30, limits), Ok(14));
        let long = b"a,b\nshort\nthis row is far too long\n";
        assert_eq!(read_all(long, 1 << 30, limits), Err(Breach::LineTooLong { line: 3, limit: 20 }));
        // A quoted cell's line breaks do not end its row: the row of line 2 is 26 bytes.
        let quoted = b"a,b\n\"x\ny\ny\",\"\"\"q\"\" z\nzzzzzzzz\"\nnext\n";
        assert_eq!(read_all(quoted, 1 << 30, limits), Err(Breach::LineTooLong { line: 2, limit: 20 }));
        // Lines after a quoted cell are counted: the long row starts on line 5.
        let after = b"h\n\"a\nb\"\nok\nthis one is much too long\n";
        assert_eq!(read_all(after, 1 << 30, limits), Err(Breach::LineTooLong { line: 5, limit: 20 }));
        // A last row without its line break is checked too.
        assert!(read_all(b"h\nthis one is much too long", 1 << 30, limits).is_err());
    }

    #[test]
    fn quotes_are_read_as_the_csv_reader_reads_them() {
        let limits = Limits { line_bytes: 20, ..Limits::default() };
        // A quote inside unquoted text is text: the rows after it are rows of their own.
        let inch = b"title,size\nArt 12\" canvas,x\nshort,1\nshort,2\nshort,3\n";
        assert_eq!(read_all(inch, 1 << 30, limits), Ok(inch.len() as u64));
        // A quote that opens a cell after text with a stray quote still opens it: a row that
        // the reader would read as one stays one, and is measured whole.
        let hidden = b"c1,a\"b,\"\nshort\nshort\nshort\nshort\nshort\n";
        assert_eq!(read_all(hidden, 1 << 30, limits), Err(Breach::LineTooLong { line: 1, limit: 20 }));
        // Text after a closing quote stays in its cell; a doubled quote is a quote; CR ends rows.
        let odd = b"\"a\"b,\"c\"\"d\"\r\nshort,row\r\nx\n";
        assert_eq!(read_all(odd, 1 << 30, limits), Ok(odd.len() as u64));
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&odd[..]);
        assert_eq!(reader.records().count(), 3, "the csv reader reads the same three rows");
    }

    #[test]
    fn an_entry_past_the_ratio_fails_after_its_first_mib_and_the_total_counts_all_entries() {
        let text = vec![b'x'; 3 << 20];
        let ratio = Limits { line_bytes: u64::MAX, ..Limits::default() };
        // 3 MiB from 10 KiB stored: 300:1.
        assert_eq!(read_all(&text, 10 << 10, ratio), Err(Breach::Ratio { ratio: 200, stored: 10 << 10 }));
        assert_eq!(read_all(&text, 20 << 10, ratio), Ok(3 << 20));
        // Under the grace, any ratio.
        assert_eq!(read_all(&text[..1 << 20], 1, ratio), Ok(1 << 20));
        let small = Limits { inflated_bytes: 2 << 20, ..ratio };
        assert_eq!(read_all(&text, 1 << 30, small), Err(Breach::TooBig { limit: 2 << 20 }));
        let mut total = 2 << 20;
        let mut reader = Guarded::new(&text[..10], 1 << 30, small, &mut total);
        let error = reader.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(Breach::of(&error), Some(&Breach::TooBig { limit: 2 << 20 }));
    }

    #[test]
    fn breaches_read_as_sentences() {
        assert_eq!(
            Breach::LineTooLong { line: 2, limit: 1 << 20 }.to_string(),
            "the row starting on line 2 is longer than 1 MiB (the most a row may hold)"
        );
        assert_eq!(
            Breach::TooBig { limit: 8 << 30 }.to_string(),
            "the package inflates to more than 8 GiB in all (the most a package may hold)"
        );
        assert_eq!(bytes(5000), "5000 bytes");
    }
}
