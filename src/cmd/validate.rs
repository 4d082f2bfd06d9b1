//! `nim-operator validate FILE...`: check NIM objects against the CRD schema and CEL rules.
//!
//! Exit 0 when every NIM object is valid (warnings allowed), 1 when any has an error, 2 when a
//! file cannot be read or parsed.

use std::path::PathBuf;

use nim_types::validate::{Severity, Validator};
use nim_types::{NIMBuild, NIMCache, NIMPipeline, NIMService};
use serde_json::Value;

use crate::manifest::{self, Document};

/// The outcome of validating a set of files.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per problem.
    pub lines: Vec<String>,
    /// NIM objects checked.
    pub objects: usize,
    /// Errors found.
    pub errors: usize,
    /// Warnings found.
    pub warnings: usize,
}

/// Validate every NIM object in `paths`.
pub fn check(paths: &[PathBuf]) -> Result<Report, manifest::ReadError> {
    let validator = Validator::new();
    let mut report = Report::default();
    for file in manifest::expand(paths)? {
        for doc in manifest::read_file(&file)? {
            if validator.is_nim_object(&doc.object) {
                check_document(&validator, &doc, &mut report);
            }
        }
    }
    Ok(report)
}

fn check_document(validator: &Validator, doc: &Document, report: &mut Report) {
    report.objects += 1;
    let problems = match validator.validate(&doc.object) {
        Ok(p) => p,
        Err(e) => {
            report.errors += 1;
            report.lines.push(format!("error: {doc}: {e}"));
            return;
        }
    };
    for p in &problems {
        match p.severity {
            Severity::Error => report.errors += 1,
            Severity::Warning => report.warnings += 1,
        }
        let path = if p.path.is_empty() {
            "<object>"
        } else {
            &p.path
        };
        report
            .lines
            .push(format!("{}: {doc}: {path}: {}", p.severity, p.message));
    }
    if problems.iter().any(|p| p.severity == Severity::Error) {
        return;
    }
    // A schema-valid object must also load into our typed structs; if not, our types drifted.
    if let Ok(defaulted) = validator.with_defaults(&doc.object)
        && let Err(e) = typed_roundtrip(&defaulted)
    {
        report.errors += 1;
        report.lines.push(format!(
            "error: {doc}: <object>: does not load as a typed object: {e}"
        ));
    }
}

fn typed_roundtrip(obj: &Value) -> Result<(), serde_json::Error> {
    let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "NIMCache" => serde_json::from_value::<NIMCache>(obj.clone()).map(drop),
        "NIMService" => serde_json::from_value::<NIMService>(obj.clone()).map(drop),
        "NIMPipeline" => serde_json::from_value::<NIMPipeline>(obj.clone()).map(drop),
        "NIMBuild" => serde_json::from_value::<NIMBuild>(obj.clone()).map(drop),
        _ => Ok(()),
    }
}

/// Run the command; returns the process exit code.
pub fn run(paths: &[PathBuf]) -> i32 {
    match check(paths) {
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            2
        }
        Ok(report) => {
            for line in &report.lines {
                println!("{line}");
            }
            eprintln!(
                "checked {} NIM object(s): {} error(s), {} warning(s)",
                report.objects, report.errors, report.warnings
            );
            i32::from(report.errors > 0)
        }
    }
}
