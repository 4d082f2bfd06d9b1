//! `nim-operator plan -f FILE|DIR... --cluster SNAPSHOT.yaml [-o yaml|json]`: plan offline.
//!
//! Exit 0 with no error diagnostics, 1 with errors (the plan is still printed), 2 when an input
//! cannot be read.

use std::fmt::Write as _;
use std::path::PathBuf;

use nim_planner::diagnostics::{Code, Diagnostic, ObjectRef};
use nim_planner::plan::{Plan, PlanInput, plan};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::validate::{Severity, Validator};
use serde_json::Value;

use crate::manifest::{self, ReadError};

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Multi-document YAML of the objects, diagnostics and placements as comments.
    Yaml,
    /// One JSON document `{objects, placements, diagnostics}`.
    Json,
    /// A readable report: per NIMService its placement and findings.
    Table,
}

/// The inputs of a plan, as read from files.
pub struct Loaded {
    /// Valid NIM objects, with server-side defaults applied.
    pub objects: Vec<Value>,
    /// `InvalidSpec` diagnostics for NIM objects the apiserver would reject.
    pub invalid: Vec<Diagnostic>,
    /// The cluster snapshot's raw objects.
    pub cluster: Vec<Value>,
}

/// Read the NIM objects (validated, with server-side defaults applied) and the snapshot.
pub fn load(files: &[PathBuf], cluster: &[PathBuf]) -> Result<Loaded, ReadError> {
    let validator = Validator::new();
    let mut objects = Vec::new();
    let mut invalid = Vec::new();
    for file in manifest::expand(files)? {
        for doc in manifest::read_file(&file)? {
            if !validator.is_nim_object(&doc.object) {
                continue;
            }
            let errors: Vec<String> = validator
                .validate(&doc.object)
                .unwrap_or_default()
                .into_iter()
                .filter(|p| p.severity == Severity::Error)
                .map(|p| {
                    format!(
                        "{}: {}",
                        if p.path.is_empty() {
                            "<object>"
                        } else {
                            &p.path
                        },
                        p.message
                    )
                })
                .collect();
            if errors.is_empty() {
                objects.push(validator.with_defaults(&doc.object).unwrap_or(doc.object));
            } else {
                invalid.push(Diagnostic::new(
                    Code::InvalidSpec,
                    object_ref(&doc.object),
                    "",
                    format!(
                        "{}: the apiserver would reject it: {}",
                        doc.location(),
                        errors.join("; ")
                    ),
                ));
            }
        }
    }
    let mut cluster_objects = Vec::new();
    if cluster.is_empty() {
        // `--from-cluster`: the CLI only leaves the paths empty then.
        cluster_objects = super::live::fetch().map_err(|message| ReadError::Cluster { message })?;
    }
    for file in manifest::expand(cluster)? {
        cluster_objects.extend(manifest::read_file(&file)?.into_iter().map(|d| d.object));
    }
    Ok(Loaded {
        objects,
        invalid,
        cluster: cluster_objects,
    })
}

/// Plan loaded inputs: the planner's result plus input and snapshot problems as diagnostics.
pub fn plan_loaded(objects: &[Value], invalid: &[Diagnostic], snapshot: &ClusterSnapshot) -> Plan {
    let (input, load_problems) = PlanInput::from_objects(objects);
    let mut result = plan(&input, snapshot);
    result.diagnostics.extend(invalid.iter().cloned());
    result.diagnostics.extend(load_problems);
    result.diagnostics.extend(snapshot.errors.iter().map(|e| {
        Diagnostic::new(
            Code::InvalidSnapshotObject,
            e.object.clone(),
            e.field.clone(),
            format!("{}; the object was skipped.", e.message),
        )
    }));
    nim_planner::diagnostics::sort_diagnostics(&mut result.diagnostics);
    result
}

/// Read the inputs and plan.
pub fn build(files: &[PathBuf], cluster: &[PathBuf]) -> Result<Plan, ReadError> {
    let loaded = load(files, cluster)?;
    let snapshot = ClusterSnapshot::from_objects(&loaded.cluster);
    Ok(plan_loaded(&loaded.objects, &loaded.invalid, &snapshot))
}

fn object_ref(obj: &Value) -> ObjectRef {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let ns = s("/metadata/namespace");
    ObjectRef::new(
        s("/kind"),
        if ns.is_empty() { "default".into() } else { ns },
        s("/metadata/name"),
    )
}

/// Render the plan in the chosen format.
pub fn render(plan: &Plan, format: Format) -> Result<String, String> {
    match format {
        Format::Json => serde_json::to_string_pretty(plan)
            .map(|s| s + "\n")
            .map_err(|e| e.to_string()),
        Format::Yaml => render_yaml(plan),
        Format::Table => Ok(super::report::table(plan)),
    }
}

fn render_yaml(plan: &Plan) -> Result<String, String> {
    let mut out = String::new();
    let errors = plan.diagnostics.iter().filter(|d| d.is_error()).count();
    let _ = writeln!(
        out,
        "# nim-operator plan: {} object(s), {} error(s), {} warning(s)",
        plan.objects.len(),
        errors,
        plan.diagnostics.len() - errors
    );
    for d in &plan.diagnostics {
        let field = if d.field.is_empty() {
            String::new()
        } else {
            format!(" {}", d.field)
        };
        let _ = writeln!(
            out,
            "# {}[{}] {}{field}: {}",
            d.severity.as_str(),
            d.code,
            d.object,
            d.message
        );
    }
    for p in &plan.placements {
        let _ = writeln!(
            out,
            "# placement {}: {} GPU(s) x {} pod(s) per replica ({}), replicas min {}/{} max {}/{}, pools [{}]{}",
            p.service,
            p.gpus_per_pod,
            p.pods_per_replica,
            p.gpu_source
                .map_or("unknown".to_string(), |s| format!("{s:?}").to_lowercase()),
            p.replicas_at_min,
            p.min_replicas,
            p.replicas_placed,
            p.max_replicas,
            p.eligible_pools.join(", "),
            if p.allowed_products.is_empty() {
                String::new()
            } else {
                format!(
                    ", bound to nvidia.com/gpu.product in [{}]",
                    p.allowed_products.join(", ")
                )
            }
        );
    }
    for obj in &plan.objects {
        out.push_str("---\n");
        out.push_str(&serde_saphyr::to_string(obj).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Run the command; returns the exit code.
pub fn run(files: &[PathBuf], cluster: &[PathBuf], format: Format) -> i32 {
    match build(files, cluster) {
        Err(e) => {
            eprintln!("error[{}]: {e}", e.code());
            2
        }
        Ok(plan) => match render(&plan, format) {
            Ok(text) => {
                print!("{text}");
                i32::from(plan.has_errors())
            }
            Err(e) => {
                eprintln!("error: cannot render the plan: {e}");
                2
            }
        },
    }
}
