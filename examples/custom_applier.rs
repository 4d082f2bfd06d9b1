//! Reuse our controllers with your own effects: here a GitOps-style applier that writes each
//! desired object to a YAML file (for review and `kubectl apply -f`) instead of calling the
//! apiserver, while the in-memory cluster stands in for reads, status and events.
//!
//! Runs offline on the example VKS snapshot and the seed's NIMCache + NIMService:
//!
//! `cargo run --example custom_applier -- /tmp/nim-gitops`

use std::path::PathBuf;
use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use nim_planner::graph::ObjectId;
use nim_reconcile::error::Result;
use nim_reconcile::memory::MemoryCluster;
use nim_reconcile::pipeline::{Reconciler, object_id};
use nim_reconcile::traits::Apply;
use nim_reconcile::{nimcache, nimservice};
use serde_json::Value;

/// Writes `<dir>/<namespace>/<kind>-<name>.yaml` and forwards to the in-memory cluster so the
/// next reconcile sees what was "applied".
struct GitOpsApplier {
    dir: PathBuf,
    cluster: Arc<MemoryCluster>,
}

impl Apply for GitOpsApplier {
    fn apply<'a>(&'a self, obj: &'a Value) -> BoxFuture<'a, Result<()>> {
        async move {
            let id = object_id(obj, "default");
            let dir = self.dir.join(&id.namespace);
            let file = dir.join(format!("{}-{}.yaml", id.kind.to_lowercase(), id.name));
            let yaml = serde_saphyr::to_string(obj).map_err(|e| {
                nim_reconcile::error::Error::InvalidSpec {
                    code: "Unserializable".into(),
                    message: e.to_string(),
                }
            })?;
            if std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&file, yaml))
                .is_err()
            {
                eprintln!("cannot write {}", file.display());
            }
            println!("wrote {}", file.display());
            self.cluster.apply(obj).await
        }
        .boxed()
    }

    fn delete<'a>(&'a self, id: &'a ObjectId, uid: &'a str) -> BoxFuture<'a, Result<()>> {
        async move {
            let file = self.dir.join(&id.namespace).join(format!(
                "{}-{}.yaml",
                id.kind.to_lowercase(),
                id.name
            ));
            let _ = std::fs::remove_file(&file);
            println!("removed {}", file.display());
            self.cluster.delete(id, uid).await
        }
        .boxed()
    }

    fn set_finalizers<'a>(
        &'a self,
        id: &'a ObjectId,
        finalizers: &'a [String],
    ) -> BoxFuture<'a, Result<()>> {
        self.cluster.set_finalizers(id, finalizers)
    }
}

fn load(path: &str) -> anyhow::Result<Vec<Value>> {
    let docs: Vec<Value> = serde_saphyr::from_multiple(&std::fs::read_to_string(path)?)?;
    Ok(docs
        .into_iter()
        .flat_map(|d| match d.get("items").and_then(Value::as_array) {
            Some(items) if d["kind"] == "List" => items.clone(),
            _ => vec![d],
        })
        .collect())
}

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "target/nim-gitops".into()),
    );
    let mut objects = load("examples/clusters/vks.yaml")?;
    objects.extend(load("examples/seed/nimcache.yaml")?);
    objects.extend(load("examples/seed/nimservice.yaml")?);
    let cluster = Arc::new(MemoryCluster::new(objects));
    let applier = Arc::new(GitOpsApplier {
        dir,
        cluster: cluster.clone(),
    });
    // Our controllers, your applier: reads, status and events stay in memory here.
    let r = Reconciler::new(cluster.clone(), applier, cluster.clone(), cluster.clone());
    let get = |kind: &str, name: &str| -> anyhow::Result<Value> {
        let id = ObjectId::new("apps.nvidia.com/v1alpha1", kind, "default", name);
        nim_reconcile::traits::Observe::get(cluster.as_ref(), &id)
            .ok_or_else(|| anyhow::anyhow!("{kind} {name} missing"))
    };
    futures::executor::block_on(async {
        let cache = serde_json::from_value(get("NIMCache", "llama-3-1-8b-cache")?)?;
        let out = nimcache::reconcile(&r, &cache).await?;
        println!(
            "NIMCache llama-3-1-8b-cache: {} ({} writes)",
            out.state, out.writes
        );
        // Offline there is no Job controller: mark the cache Ready as it would become.
        let mut cache = get("NIMCache", "llama-3-1-8b-cache")?;
        cache["status"]["state"] = "Ready".into();
        cluster.put(cache);
        let svc = serde_json::from_value(get("NIMService", "llama-3-1-8b")?)?;
        let out = nimservice::reconcile(&r, &svc).await?;
        println!(
            "NIMService llama-3-1-8b: {} ({} writes)",
            out.state, out.writes
        );
        for (name, e) in cluster.events() {
            println!("event {name}: {} {} {}", e.type_.as_str(), e.reason, e.note);
        }
        anyhow::Ok(())
    })
}
