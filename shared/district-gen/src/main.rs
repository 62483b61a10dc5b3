//! `district-gen --students N --out bulk.zip [--delta delta.zip] [--line-items K]
//! [--attendance-days D] [--v1p1]`: writes a synthetic district.

use clap::Parser;
use district_gen::{Binding, District};
use std::fs::File;
use std::path::PathBuf;

/// Writes a synthetic OneRoster 1.2 district as a bulk CSV zip (and optionally a delta).
#[derive(Parser)]
struct Args {
    /// Number of students; schools, teachers, classes and enrollments follow in ratio.
    #[arg(long, default_value_t = 1000)]
    students: usize,
    /// Where to write the bulk package.
    #[arg(long)]
    out: PathBuf,
    /// Where to write a delta package against it.
    #[arg(long)]
    delta: Option<PathBuf>,
    /// Students whose e-mail the delta changes.
    #[arg(long, default_value_t = 10)]
    changed: usize,
    /// Line items per class; with any, the package carries the gradebook files too.
    #[arg(long, default_value_t = 0)]
    line_items: usize,
    /// School days of attendance (absenceCodes.csv and attendance.csv) in the bulk package.
    #[arg(long, default_value_t = 0)]
    attendance_days: usize,
    /// Write OneRoster 1.1 packages of the same district instead of 1.2.
    #[arg(long)]
    v1p1: bool,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let district = District { line_items_per_class: args.line_items, ..District::new(args.students) };
    let binding = if args.v1p1 { Binding::V1p1 } else { Binding::V1p2 };
    let rows = district.write_bulk_with_attendance(File::create(&args.out)?, binding, args.attendance_days)?;
    println!("{}: {} rows ({:?})", args.out.display(), rows.total(), rows.files);
    if let Some(delta) = args.delta {
        let rows = district.write_delta_as(File::create(&delta)?, args.changed, "2026-11-25T00:00:00.000Z", binding)?;
        println!("{}: {} rows", delta.display(), rows.total());
    }
    Ok(())
}
