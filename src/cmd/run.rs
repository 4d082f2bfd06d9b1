//! `nim-operator run`: the reference operator. Watch caches start at once (so a standby replica
//! is warm); the four controllers run only while this replica holds the leader Lease; `/metrics`,
//! `/healthz` and `/readyz` are served throughout; JSON logs go to stderr; SIGTERM or Ctrl-C
//! stop it gracefully (in-flight reconciles finish, the Lease is released).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use kube::Client;
use kube_lease_manager::{LeaseManagerBuilder, LeaseParams};
use nim_reconcile::controller::{self, Context, OperatorConfig};
use nim_reconcile::metrics::Metrics;

/// Options of `nim-operator run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Manage only this namespace (default: all namespaces).
    #[arg(long)]
    pub namespace: Option<String>,
    /// Address of the HTTP server for /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub metrics_bind: SocketAddr,
    /// Take part in leader election on a Lease; only the leader reconciles.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_elect: bool,
    /// Name of the leader Lease.
    #[arg(long, default_value = "nim-operator-leader")]
    pub lease_name: String,
    /// Namespace of the leader Lease (default: $POD_NAMESPACE, else --namespace, else `default`).
    #[arg(long, env = "POD_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// This replica's identity in the Lease, events and the HTTP user agent (default: $POD_NAME,
    /// else the host name).
    #[arg(long, env = "POD_NAME")]
    pub identity: Option<String>,
    /// Server-side apply field manager.
    #[arg(long, default_value = nim_reconcile::kube_impl::FIELD_MANAGER)]
    pub field_manager: String,
    /// Seconds between looks for child kinds whose CRDs were installed after the start
    /// (Gateway API, LeaderWorkerSet, KServe, …); a newly served kind re-reconciles everything.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub discovery_interval: u64,
}

#[derive(Clone)]
struct Http {
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
}

async fn serve_metrics(
    State(s): State<Http>,
) -> (StatusCode, [(&'static str, &'static str); 1], String) {
    (
        StatusCode::OK,
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        s.metrics.encode(),
    )
}

async fn readyz(State(s): State<Http>) -> (StatusCode, &'static str) {
    if s.ready.load(Ordering::Relaxed) {
        (StatusCode::OK, "ok")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "watch caches are not synced yet",
        )
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_current_span(false)
        .try_init();
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                    return;
                }
            };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn default_identity() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("nim-operator-{}", std::process::id()))
}

/// Run the operator until SIGTERM/Ctrl-C (exit 0) or a lost leadership / fatal error (exit 1).
pub fn run(args: RunArgs) -> i32 {
    init_logging();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match rt.block_on(operate(args)) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "operator stopped");
            1
        }
    }
}

async fn operate(args: RunArgs) -> anyhow::Result<i32> {
    let identity = args.identity.clone().unwrap_or_else(default_identity);
    let mut config = kube::Config::infer()
        .await
        .context("no Kubernetes configuration (in-cluster or KUBECONFIG)")?;
    config.headers.push((
        axum::http::header::USER_AGENT,
        axum::http::HeaderValue::from_str(&format!("nim-operator/{identity}"))
            .context("--identity must be a valid HTTP header value")?,
    ));
    let client = Client::try_from(config).context("building the Kubernetes client")?;
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(AtomicBool::new(false));

    let listener = tokio::net::TcpListener::bind(args.metrics_bind)
        .await
        .with_context(|| format!("cannot listen on --metrics-bind {}", args.metrics_bind))?;
    let app = Router::new()
        .route("/metrics", get(serve_metrics))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(Http {
            metrics: metrics.clone(),
            ready: ready.clone(),
        });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    });

    let op = OperatorConfig {
        namespace: args.namespace.clone(),
        field_manager: args.field_manager.clone(),
        identity: identity.clone(),
        discovery_interval: std::time::Duration::from_secs(args.discovery_interval),
    };
    tracing::info!(identity = %identity, namespace = ?op.namespace, leader_elect = args.leader_elect, "starting");
    let observed = controller::observe(client.clone(), &op)
        .await
        .context("starting the watch caches")?;
    let observer = observed.observer.clone();
    tokio::select! {
        _ = observer.wait_synced() => {}
        _ = shutdown_signal() => return Ok(0),
    }
    ready.store(true, Ordering::Relaxed);
    tracing::info!("watch caches synced");
    let ctx = Arc::new(Context::new(
        controller::kube_reconciler(client.clone(), observer, &op),
        metrics.clone(),
    ));

    if !args.leader_elect {
        metrics.leader.set(1);
        controller::run(client, observed, ctx, &op, shutdown_signal()).await;
        return Ok(0);
    }

    let lease_ns = args
        .lease_namespace
        .clone()
        .or_else(|| args.namespace.clone())
        .unwrap_or_else(|| "default".to_string());
    let manager = LeaseManagerBuilder::new(client.clone(), &args.lease_name)
        .with_namespace(&lease_ns)
        .with_parameters(LeaseParams::new(identity.clone(), 15, 5))
        .build()
        .await
        .with_context(|| format!("leader election on Lease {lease_ns}/{}", args.lease_name))?;
    let (mut leading, lease_task) = manager.watch().await;
    tracing::info!(lease = %format!("{lease_ns}/{}", args.lease_name), "waiting for leadership");
    loop {
        if *leading.borrow_and_update() {
            break;
        }
        tokio::select! {
            changed = leading.changed() => {
                if changed.is_err() {
                    anyhow::bail!("the leader election task stopped");
                }
            }
            _ = shutdown_signal() => {
                drop(leading);
                let _ = lease_task.await;
                return Ok(0);
            }
        }
    }
    metrics.leader.set(1);
    tracing::info!("became leader; starting controllers");
    let lost = Arc::new(AtomicBool::new(false));
    let lost_flag = lost.clone();
    let mut watch_leading = leading.clone();
    let stop = async move {
        tokio::select! {
            _ = shutdown_signal() => {}
            _ = watch_leading.wait_for(|l| !*l) => { lost_flag.store(true, Ordering::Relaxed); }
        }
    };
    controller::run(client, observed, ctx, &op, stop).await;
    metrics.leader.set(0);
    drop(leading);
    let _ = lease_task.await;
    if lost.load(Ordering::Relaxed) {
        tracing::error!("lost leadership; exiting so a restart rejoins the election");
        return Ok(1);
    }
    tracing::info!("stopped");
    Ok(0)
}
