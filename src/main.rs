//! `nim-operator`: the reference operator and CLI of the NIM SDK.
//!
//! Exit codes: 0 success, 1 the input has errors (validation or plan errors), 2 the input could
//! not be read (missing file, bad YAML, bad flags).

mod cmd;
mod manifest;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "nim-operator",
    version,
    about = "Declarative NVIDIA NIM serving on Kubernetes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the four NIM CRDs as one multi-document YAML stream (for `kubectl apply -f -`).
    Crds,
    /// Check NIM objects in YAML files or directories against the CRD schema and CEL rules.
    Validate {
        /// Files or directories (multi-document YAML; `List` objects are expanded).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Plan offline: placements, desired objects and diagnostics for NIM objects on a cluster
    /// snapshot (`kubectl get nodes,pods,nimcaches,configmaps -o yaml` output).
    Plan {
        /// NIM manifests: files or directories.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Cluster snapshot file(s) or directories.
        #[arg(long, required = true)]
        cluster: Vec<PathBuf>,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
        output: cmd::plan::Format,
    },
    /// Explain why a NIM object is or is not placeable, pool by pool, with the smallest changes
    /// that would make it fit.
    Explain {
        /// The object, as KIND/NAMESPACE/NAME (e.g. NIMService/default/llama-3-1-70b).
        target: String,
        /// NIM manifests: files or directories.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Cluster snapshot file(s) or directories.
        #[arg(long, required = true)]
        cluster: Vec<PathBuf>,
    },
    /// Print the plan's dependency graph as Graphviz DOT (or render it to SVG with `dot`).
    Graph {
        /// NIM manifests: files or directories.
        #[arg(short = 'f', long = "filename", required = true)]
        files: Vec<PathBuf>,
        /// Cluster snapshot file(s) or directories.
        #[arg(long, required = true)]
        cluster: Vec<PathBuf>,
        /// Write an SVG here instead of printing DOT (needs Graphviz's `dot`).
        #[arg(long)]
        svg: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let code = match cli.command {
        Command::Crds => match cmd::crds::run() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        },
        Command::Validate { paths } => cmd::validate::run(&paths),
        Command::Plan {
            files,
            cluster,
            output,
        } => cmd::plan::run(&files, &cluster, output),
        Command::Explain {
            target,
            files,
            cluster,
        } => cmd::explain::run(&target, &files, &cluster),
        Command::Graph {
            files,
            cluster,
            svg,
        } => cmd::graph::run(&files, &cluster, svg.as_deref()),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
