//! `nim-operator`: the reference operator and CLI of the NIM SDK.
//!
//! Exit codes: 0 success, 1 the input has errors (validation or plan errors), 2 the input could
//! not be read (missing file, bad YAML, bad flags).

mod cmd;
mod manifest;
mod vmclass;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of the system allocator. A plan renders its objects as many small JSON
/// values, and glibc malloc spends about 40% of a large plan consolidating and unlinking free
/// chunks (see README, Performance); the operator is long-running and multi-threaded as well.
/// The `system-allocator` feature keeps the system allocator.
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "nim-operator",
    version,
    about = "Declarative NVIDIA NIM serving on Kubernetes"
)]
struct Cli {
    /// Take the cluster snapshot from the cluster of the current kubeconfig (Nodes, Pods,
    /// NIMCaches, `*-manifest` ConfigMaps, ClusterPolicies) instead of `--cluster` files.
    #[arg(long, global = true)]
    from_cluster: bool,
    #[command(subcommand)]
    command: Command,
}

/// The inputs every planning command reads.
#[derive(clap::Args)]
struct Inputs {
    /// NIM manifests: files or directories.
    #[arg(short = 'f', long = "filename", required = true)]
    files: Vec<PathBuf>,
    /// Cluster snapshot file(s) or directories (`kubectl get nodes,pods,nimcaches,configmaps -o yaml`).
    #[arg(
        long,
        required_unless_present = "from_cluster",
        conflicts_with = "from_cluster"
    )]
    cluster: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the operator: watch the four NIM kinds, their children and Nodes, and reconcile them
    /// (only while holding the leader Lease). Serves /metrics, /healthz and /readyz.
    Run(cmd::run::RunArgs),
    /// Print the install manifests (Namespace, CRDs, ServiceAccount, least-privilege
    /// ClusterRole and binding, Deployment) as one multi-document YAML stream.
    InstallManifests(cmd::install::InstallArgs),
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
        #[command(flatten)]
        inputs: Inputs,
        /// Output format.
        #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
        output: cmd::plan::Format,
    },
    /// Explain why a NIM object is or is not placeable, pool by pool, with the smallest changes
    /// that would make it fit.
    Explain {
        /// The object, as KIND/NAMESPACE/NAME (e.g. NIMService/default/llama-3-1-70b).
        target: String,
        #[command(flatten)]
        inputs: Inputs,
    },
    /// Print the plan's dependency graph as Graphviz DOT (or render it to SVG with `dot`).
    Graph {
        #[command(flatten)]
        inputs: Inputs,
        /// Write an SVG here instead of printing DOT (needs Graphviz's `dot`).
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Plan before and after hypothetical edits (add or remove GPU pools, change replicas or
    /// profiles) and print what changes: services that become placeable or unplaceable,
    /// replicas that fit, spare GPUs per pool.
    ///
    /// VM class syntax (--add-pool): PRODUCT[:GPUS_PER_VM][:vgpu|passthrough][=COUNT], e.g.
    /// NVIDIA-H100XM-80C:4:vgpu=2 or NVIDIA-A100-SXM4-80GB:8:passthrough. PRODUCT is an
    /// nvidia.com/gpu.product value from the GPU product table; GPUS_PER_VM defaults to the
    /// common VKS class for the product (else 1); the mode defaults to vgpu for vGPU type names
    /// (…-80C), else passthrough; COUNT defaults to 1. Exit 0, or 2 for bad input.
    #[command(name = "what-if", verbatim_doc_comment)]
    WhatIf {
        #[command(flatten)]
        inputs: Inputs,
        /// Add COUNT VMs of a class: PRODUCT[:GPUS_PER_VM][:vgpu|passthrough][=COUNT].
        #[arg(long = "add-pool", value_name = "CLASS=COUNT", value_parser = vmclass::parse_add_pool)]
        add_pool: Vec<vmclass::VmClass>,
        /// Remove every node of a GPU pool (pool names as `plan` prints them).
        #[arg(long = "remove-pool", value_name = "POOL")]
        remove_pool: Vec<String>,
        /// Set a NIMService's replicas (with HPA on: minReplicas = maxReplicas = N).
        #[arg(long = "set-replicas", value_name = "NS/NAME=N", value_parser = cmd::whatif::parse_set_replicas)]
        set_replicas: Vec<(String, String, u32)>,
        /// Set a NIMService's spec.storage.nimCache.profile (its GPU count then follows the
        /// profile).
        #[arg(long = "set-profile", value_name = "NS/NAME=PROFILE_ID", value_parser = cmd::whatif::parse_set_profile)]
        set_profile: Vec<(String, String, String)>,
    },
    /// The fewest VMs of the offered classes to add so every NIMService fits, with the packing
    /// (which replicas go on which new VM), verified by re-planning.
    ///
    /// VM class syntax (--offer): PRODUCT[:GPUS_PER_VM][:vgpu|passthrough], e.g.
    /// NVIDIA-H100XM-80C:4:vgpu or NVIDIA-A100-SXM4-80GB:8:passthrough (defaults as for
    /// what-if --add-pool; no =COUNT). Existing free capacity is used first. Exact branch and
    /// bound when the missing replicas have at most 12 pods, else first-fit-decreasing (per
    /// class at most 11/9 x OPT + 6/9 VMs). Exit 0 fits (verified), 1 no offered class can run
    /// some replica or the re-plan still does not fit, 2 bad input.
    #[command(verbatim_doc_comment)]
    Capacity {
        #[command(flatten)]
        inputs: Inputs,
        /// An offered VM class: PRODUCT[:GPUS_PER_VM][:vgpu|passthrough]. Repeat to offer more.
        #[arg(long = "offer", value_name = "CLASS", required = true, value_parser = vmclass::parse_offer)]
        offer: Vec<vmclass::VmClass>,
        /// Fit every NIMService at its maxReplicas or its minReplicas.
        #[arg(long, value_enum, default_value = "max")]
        at: cmd::capacity::At,
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
        Command::Run(args) => cmd::run::run(args),
        Command::InstallManifests(args) => cmd::install::run(&args).unwrap_or_else(|e| {
            eprintln!("error: {e:#}");
            2
        }),
        Command::Crds => match cmd::crds::run() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("error: {e:#}");
                2
            }
        },
        Command::Validate { paths } => cmd::validate::run(&paths),
        Command::Plan {
            inputs: Inputs { files, cluster },
            output,
        } => cmd::plan::run(&files, &cluster, output),
        Command::Explain {
            target,
            inputs: Inputs { files, cluster },
        } => cmd::explain::run(&target, &files, &cluster),
        Command::Graph {
            inputs: Inputs { files, cluster },
            svg,
        } => cmd::graph::run(&files, &cluster, svg.as_deref()),
        Command::WhatIf {
            inputs: Inputs { files, cluster },
            add_pool,
            remove_pool,
            set_replicas,
            set_profile,
        } => cmd::whatif::run(
            &files,
            &cluster,
            &cmd::whatif::Edits {
                add_pools: add_pool,
                remove_pools: remove_pool,
                set_replicas,
                set_profiles: set_profile,
            },
        ),
        Command::Capacity {
            inputs: Inputs { files, cluster },
            offer,
            at,
        } => cmd::capacity::run(&files, &cluster, &offer, at),
    };
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
