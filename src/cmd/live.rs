//! `--from-cluster`: the cluster snapshot read from the cluster of the current kubeconfig, as
//! the same objects `kubectl get nodes,pods,nimcaches,configmaps,clusterpolicies -o yaml` shows.

use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Error};
use nim_types::NIMCache;
use serde::Serialize;
use serde_json::Value;

/// List `api` and append every item as JSON, with `apiVersion`/`kind` set (list items from the
/// apiserver may omit them).
async fn list_into<K>(
    api: Api<K>,
    (api_version, kind): (&str, &str),
    out: &mut Vec<Value>,
    keep: impl Fn(&K) -> bool,
) -> Result<(), Error>
where
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug + Serialize,
{
    for item in api.list(&ListParams::default()).await?.items {
        if keep(&item)
            && let Ok(mut v) = serde_json::to_value(&item)
            && let Some(obj) = v.as_object_mut()
        {
            obj.insert("apiVersion".into(), api_version.into());
            obj.insert("kind".into(), kind.into());
            out.push(v);
        }
    }
    Ok(())
}

/// A kind whose CRD may not be installed: a 404 means "none".
fn absent_is_empty(result: Result<(), Error>) -> Result<(), Error> {
    match result {
        Err(Error::Api(status)) if status.code == 404 => Ok(()),
        other => other,
    }
}

async fn fetch_async() -> Result<Vec<Value>, Error> {
    let client = Client::try_default().await?;
    let mut out = Vec::new();
    list_into(
        Api::<Node>::all(client.clone()),
        ("v1", "Node"),
        &mut out,
        |_| true,
    )
    .await?;
    list_into(
        Api::<Pod>::all(client.clone()),
        ("v1", "Pod"),
        &mut out,
        |_| true,
    )
    .await?;
    // Only the model manifests the NIMCache probe stores matter.
    list_into(
        Api::<ConfigMap>::all(client.clone()),
        ("v1", "ConfigMap"),
        &mut out,
        |cm| {
            cm.metadata
                .name
                .as_deref()
                .is_some_and(|n| n.ends_with("-manifest"))
        },
    )
    .await?;
    let cache = (nim_types::API_VERSION, "NIMCache");
    absent_is_empty(
        list_into(
            Api::<NIMCache>::all(client.clone()),
            cache,
            &mut out,
            |_| true,
        )
        .await,
    )?;
    let policy = ApiResource::from_gvk(&GroupVersionKind::gvk("nvidia.com", "v1", "ClusterPolicy"));
    absent_is_empty(
        list_into(
            Api::<DynamicObject>::all_with(client, &policy),
            ("nvidia.com/v1", "ClusterPolicy"),
            &mut out,
            |_| true,
        )
        .await,
    )?;
    Ok(out)
}

/// Read the live snapshot (blocking; the CLI is otherwise synchronous).
pub fn fetch() -> Result<Vec<Value>, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(fetch_async()).map_err(|e| e.to_string())
}
