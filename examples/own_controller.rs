//! Your own controller, our planner and applier: a minimal loop that plans every NIMService of
//! a namespace against the live cluster (watch caches from [`KubeObserver`]) and server-side
//! applies the planned children with [`KubeApplier`], printing the diagnostics. No status, no
//! prune, no leader election: those are yours to decide (or use `nim-operator run`).
//!
//! `cargo run --example own_controller -- NAMESPACE` (uses KUBECONFIG)

use std::time::Duration;

use kube::Client;
use nim_planner::plan::{PlanInput, plan};
use nim_reconcile::kube_impl::{ChangeHooks, KubeApplier, KubeObserver};
use nim_reconcile::traits::{Apply, Observe};
use nim_types::NIMService;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let ns = std::env::args().nth(1).unwrap_or_else(|| "default".into());
    let client = Client::try_default().await?;
    let observer = KubeObserver::start(client.clone(), Some(&ns), ChangeHooks::default()).await?;
    observer.wait_synced().await;
    let applier = KubeApplier::new(client.clone(), "my-controller");
    loop {
        let services: Vec<NIMService> = kube::Api::<NIMService>::namespaced(client.clone(), &ns)
            .list(&Default::default())
            .await?
            .items;
        let planned = plan(
            &PlanInput {
                services,
                ..Default::default()
            },
            &observer.snapshot(),
        );
        for d in &planned.diagnostics {
            println!("{}[{}] {}: {}", d.severity, d.code, d.object, d.message);
        }
        for obj in &planned.objects {
            if let Err(e) = applier.apply(obj).await {
                eprintln!("apply failed: {e}");
            }
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    }
}
