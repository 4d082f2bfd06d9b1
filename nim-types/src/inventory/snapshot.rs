//! A point-in-time view of the cluster's GPUs: every node's [`NodeInventory`], the NVIDIA
//! resources already claimed by pods on it, and node *pools* of identical GPU shape.
//!
//! Everything is deterministic: maps are `BTreeMap`s and lists are sorted.
//!
//! ```
//! use k8s_openapi::api::core::v1::{Node, Pod};
//! use nim_types::inventory::ClusterInventory;
//!
//! let node: Node = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "gpu-0", "labels": {
//!         "nvidia.com/gpu.product": "NVIDIA-L40S", "nvidia.com/gpu.count": "4"}},
//!     "status": {"allocatable": {"nvidia.com/gpu": "4"}}
//! }))?;
//! let pod: Pod = serde_json::from_value(serde_json::json!({
//!     "metadata": {"name": "p", "namespace": "default"},
//!     "spec": {"nodeName": "gpu-0", "containers": [
//!         {"name": "c", "resources": {"limits": {"nvidia.com/gpu": "3"}}}]},
//!     "status": {"phase": "Running"}
//! }))?;
//! let inv = ClusterInventory::from_objects(&[node], &[pod]);
//! assert_eq!(inv.allocated_gpus("gpu-0"), 3);
//! assert_eq!(inv.free_gpus("gpu-0"), Some(1));
//! assert_eq!(inv.pools().keys().collect::<Vec<_>>(), ["nvidia-l40s-x4"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Container, Node, Pod};
use serde::Serialize;

use super::error::InventoryWarning;
use super::labels;
use super::node::{NodeInventory, parse_count_quantity};
use super::product::GpuBoard;

/// `ClusterPolicy.status.state` of the NVIDIA GPU Operator (`gpu-domain.md` §1.4). Anything other
/// than [`ClusterPolicyState::Ready`] means the GPU inventory should not be trusted.
///
/// ```
/// use nim_types::inventory::ClusterPolicyState;
/// assert_eq!(ClusterPolicyState::parse("notReady"), ClusterPolicyState::NotReady);
/// assert!(ClusterPolicyState::Ready.is_ready());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ClusterPolicyState {
    /// `ready`.
    Ready,
    /// `notReady`.
    NotReady,
    /// `ignored`.
    Ignored,
    /// `disabled`.
    Disabled,
    /// Any other value.
    Unknown,
}

impl ClusterPolicyState {
    /// Parses `status.state` (case-insensitive).
    ///
    /// ```
    /// use nim_types::inventory::ClusterPolicyState;
    /// assert_eq!(ClusterPolicyState::parse("READY"), ClusterPolicyState::Ready);
    /// assert_eq!(ClusterPolicyState::parse("exploded"), ClusterPolicyState::Unknown);
    /// ```
    pub fn parse(state: &str) -> Self {
        match state.trim().to_ascii_lowercase().as_str() {
            "ready" => Self::Ready,
            "notready" => Self::NotReady,
            "ignored" => Self::Ignored,
            "disabled" => Self::Disabled,
            _ => Self::Unknown,
        }
    }

    /// `true` only for [`ClusterPolicyState::Ready`].
    ///
    /// ```
    /// use nim_types::inventory::ClusterPolicyState;
    /// assert!(!ClusterPolicyState::Ignored.is_ready());
    /// ```
    pub fn is_ready(self) -> bool {
        self == Self::Ready
    }
}

/// NVIDIA extended resources claimed by the pods bound to one node.
///
/// ```
/// use nim_types::inventory::NodeAllocation;
/// let a = NodeAllocation::default();
/// assert_eq!(a.gpus(), 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NodeAllocation {
    /// Sum of effective requests per `nvidia.com/*` resource (`nvidia.com/gpu`,
    /// `nvidia.com/gpu.shared`, `nvidia.com/mig-*`).
    pub resources: BTreeMap<String, u64>,
    /// `namespace/name` of the pods holding any of them, sorted.
    pub pods: Vec<String>,
}

impl NodeAllocation {
    /// Allocated `nvidia.com/gpu`.
    ///
    /// ```
    /// use nim_types::inventory::NodeAllocation;
    /// let mut a = NodeAllocation::default();
    /// a.resources.insert("nvidia.com/gpu".into(), 2);
    /// assert_eq!(a.gpus(), 2);
    /// ```
    pub fn gpus(&self) -> u64 {
        self.get(labels::RESOURCE_GPU)
    }

    /// Allocated amount of any resource (0 if none).
    ///
    /// ```
    /// use nim_types::inventory::NodeAllocation;
    /// assert_eq!(NodeAllocation::default().get("nvidia.com/mig-1g.10gb"), 0);
    /// ```
    pub fn get(&self, resource: &str) -> u64 {
        self.resources.get(resource).copied().unwrap_or(0)
    }
}

/// Nodes with the same GPU shape: same `nvidia.com/gpu.product`, same GPUs per node, same vGPU
/// flag. In a VKS cluster a pool normally corresponds to one VM class / node pool
/// (`gpu-domain.md` §2.5 rule 2: capacity is planned in VM-class units).
///
/// ```
/// use nim_types::inventory::GpuPool;
/// assert_eq!(GpuPool::pool_name(Some("NVIDIA-H100XM-80C"), 4, true), "nvidia-h100xm-80c-x4");
/// assert_eq!(GpuPool::pool_name(Some("NVIDIA-L40S"), 2, true), "nvidia-l40s-x2-vgpu");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuPool {
    /// Stable pool name, see [`GpuPool::pool_name`].
    pub name: String,
    /// Raw product label shared by the members (`None` when they have none).
    pub product: Option<String>,
    /// Canonical board.
    pub board: GpuBoard,
    /// GPUs per node ([`NodeInventory::gpus_per_node`]).
    pub gpus_per_node: u64,
    /// vGPU flag of the members.
    pub vgpu: bool,
    /// Member node names, sorted.
    pub nodes: Vec<String>,
    /// Sum of allocatable `nvidia.com/gpu` over members.
    pub allocatable_gpus: u64,
    /// Sum of free `nvidia.com/gpu` over schedulable (Ready, uncordoned) members.
    pub free_gpus: u64,
    /// Largest free `nvidia.com/gpu` on a single schedulable member (what one replica can get).
    pub max_free_gpus_per_node: u64,
}

impl GpuPool {
    /// Pool naming rule: lower-cased product label with non-alphanumerics replaced by `-`
    /// (`unknown` without a label), then `-x<gpus per node>`, then `-vgpu` if the nodes are vGPU
    /// guests but the product is not already a vGPU type name.
    ///
    /// ```
    /// use nim_types::inventory::GpuPool;
    /// assert_eq!(GpuPool::pool_name(None, 1, false), "unknown-x1");
    /// assert_eq!(GpuPool::pool_name(Some("NVIDIA-A100-SXM4-80GB"), 8, false), "nvidia-a100-sxm4-80gb-x8");
    /// ```
    pub fn pool_name(product: Option<&str>, gpus_per_node: u64, vgpu: bool) -> String {
        let slug: String = product
            .map(|p| {
                p.trim()
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect::<String>()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "unknown".to_owned());
        let vgpu_type = product.is_some_and(|p| super::product::ProductInfo::parse(p).is_vgpu());
        let suffix = if vgpu && !vgpu_type { "-vgpu" } else { "" };
        format!("{slug}-x{gpus_per_node}{suffix}")
    }
}

/// The GPU inventory of a cluster: nodes, per-node allocations and (derived) pools.
///
/// ```
/// use nim_types::inventory::ClusterInventory;
/// let inv = ClusterInventory::from_objects(&[], &[]);
/// assert!(inv.nodes.is_empty() && inv.pools().is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClusterInventory {
    /// Every named node, keyed by name (GPU-less nodes included).
    pub nodes: BTreeMap<String, NodeInventory>,
    /// Allocation per node; every key of `nodes` has an entry.
    pub allocations: BTreeMap<String, NodeAllocation>,
    /// `namespace/name` of non-terminated pods that request NVIDIA resources but are not bound
    /// to a node yet (pending scheduling), sorted.
    pub unbound_gpu_pods: Vec<String>,
    /// GPU Operator `ClusterPolicy` state, when the caller supplies it.
    pub cluster_policy: Option<ClusterPolicyState>,
    /// Snapshot-level warnings (nameless nodes, malformed pod quantities, over-allocation),
    /// sorted. Per-node label warnings stay in [`NodeInventory::warnings`].
    pub warnings: Vec<InventoryWarning>,
}

fn pod_ref(pod: &Pod) -> String {
    format!(
        "{}/{}",
        pod.metadata.namespace.as_deref().unwrap_or(""),
        pod.metadata.name.as_deref().unwrap_or("")
    )
}

/// Request of one container for `resource`: `requests` if set, otherwise `limits` (for extended
/// resources Kubernetes defaults the request to the limit).
fn container_request(
    pod: &Pod,
    container: &Container,
    resource: &str,
) -> Result<u64, InventoryWarning> {
    let res = container.resources.as_ref();
    let q = res
        .and_then(|r| r.requests.as_ref())
        .and_then(|m| m.get(resource))
        .or_else(|| {
            res.and_then(|r| r.limits.as_ref())
                .and_then(|m| m.get(resource))
        });
    match q {
        None => Ok(0),
        Some(q) => parse_count_quantity(q).ok_or_else(|| InventoryWarning::MalformedPodResource {
            namespace: pod.metadata.namespace.clone().unwrap_or_default(),
            pod: pod.metadata.name.clone().unwrap_or_default(),
            container: container.name.clone(),
            resource: resource.to_owned(),
            value: q.0.clone(),
        }),
    }
}

/// Effective request of a pod for one extended resource, per the Kubernetes rule
/// `max(max(init containers), sum(app containers))`, extended for restartable (sidecar) init
/// containers (`restartPolicy: Always`), which keep running and add to everything started after
/// them. Malformed quantities are reported as an error naming pod, container and resource.
///
/// ```
/// use k8s_openapi::api::core::v1::Pod;
/// use nim_types::inventory::pod_effective_request;
/// let pod: Pod = serde_json::from_value(serde_json::json!({
///     "metadata": {"name": "p"},
///     "spec": {
///         "initContainers": [{"name": "i", "resources": {"limits": {"nvidia.com/gpu": "4"}}}],
///         "containers": [
///             {"name": "a", "resources": {"limits": {"nvidia.com/gpu": "1"}}},
///             {"name": "b", "resources": {"limits": {"nvidia.com/gpu": "2"}}}
///         ]
///     }
/// }))?;
/// assert_eq!(pod_effective_request(&pod, "nvidia.com/gpu"), Ok(4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn pod_effective_request(pod: &Pod, resource: &str) -> Result<u64, InventoryWarning> {
    let Some(spec) = pod.spec.as_ref() else {
        return Ok(0);
    };
    let mut sidecars: u64 = 0;
    let mut init_peak: u64 = 0;
    for c in spec.init_containers.iter().flatten() {
        let r = container_request(pod, c, resource)?;
        if c.restart_policy.as_deref() == Some("Always") {
            sidecars = sidecars.saturating_add(r);
            init_peak = init_peak.max(sidecars);
        } else {
            init_peak = init_peak.max(sidecars.saturating_add(r));
        }
    }
    let mut app: u64 = 0;
    for c in &spec.containers {
        app = app.saturating_add(container_request(pod, c, resource)?);
    }
    Ok(init_peak.max(app.saturating_add(sidecars)))
}

/// `nvidia.com/*` resource names mentioned by any container of the pod, sorted and unique.
fn nvidia_resources(pod: &Pod) -> Vec<String> {
    let mut names: Vec<String> = pod
        .spec
        .iter()
        .flat_map(|s| s.init_containers.iter().flatten().chain(&s.containers))
        .filter_map(|c| c.resources.as_ref())
        .flat_map(|r| [r.requests.as_ref(), r.limits.as_ref()])
        .flatten()
        .flat_map(|m| m.keys())
        .filter(|k| k.starts_with("nvidia.com/"))
        .cloned()
        .collect();
    names.sort();
    names.dedup();
    names
}

fn is_terminated(pod: &Pod) -> bool {
    matches!(
        pod.status.as_ref().and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

impl ClusterInventory {
    /// Builds the snapshot from typed objects. Nodes without a name are skipped with a warning.
    /// Pods count against the node in `spec.nodeName` unless their phase is `Succeeded` or
    /// `Failed`; pods on nodes not in `nodes` are ignored; unbound GPU pods are listed in
    /// [`ClusterInventory::unbound_gpu_pods`].
    ///
    /// ```
    /// use k8s_openapi::api::core::v1::{Node, Pod};
    /// use nim_types::inventory::ClusterInventory;
    /// let node: Node = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "n"}, "status": {"allocatable": {"nvidia.com/gpu": "2"}}
    /// }))?;
    /// let done: Pod = serde_json::from_value(serde_json::json!({
    ///     "metadata": {"name": "done"},
    ///     "spec": {"nodeName": "n", "containers": [
    ///         {"name": "c", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]},
    ///     "status": {"phase": "Succeeded"}
    /// }))?;
    /// assert_eq!(ClusterInventory::from_objects(&[node], &[done]).free_gpus("n"), Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_objects(nodes: &[Node], pods: &[Pod]) -> Self {
        let mut inv = Self::default();
        for node in nodes {
            match NodeInventory::from_node(node) {
                Ok(n) => {
                    inv.allocations.entry(n.name.clone()).or_default();
                    inv.nodes.insert(n.name.clone(), n);
                }
                Err(_) => inv.warnings.push(InventoryWarning::NodeWithoutName),
            }
        }
        for pod in pods {
            if is_terminated(pod) {
                continue;
            }
            let mut requested: BTreeMap<String, u64> = BTreeMap::new();
            for resource in nvidia_resources(pod) {
                match pod_effective_request(pod, &resource) {
                    Ok(0) => {}
                    Ok(n) => {
                        requested.insert(resource, n);
                    }
                    Err(w) => inv.warnings.push(w),
                }
            }
            if requested.is_empty() {
                continue;
            }
            let node_name = pod
                .spec
                .as_ref()
                .and_then(|s| s.node_name.as_deref())
                .filter(|n| !n.is_empty());
            match node_name {
                None => inv.unbound_gpu_pods.push(pod_ref(pod)),
                Some(name) => {
                    if let Some(alloc) = inv.allocations.get_mut(name) {
                        for (resource, n) in requested {
                            let slot = alloc.resources.entry(resource).or_insert(0);
                            *slot = slot.saturating_add(n);
                        }
                        alloc.pods.push(pod_ref(pod));
                    }
                }
            }
        }
        for (name, alloc) in &mut inv.allocations {
            alloc.pods.sort();
            let Some(node) = inv.nodes.get(name) else {
                continue;
            };
            for (resource, &allocated) in &alloc.resources {
                let allocatable = allocatable_of(node, resource);
                if allocated > allocatable {
                    inv.warnings.push(InventoryWarning::OverAllocated {
                        node: name.clone(),
                        resource: resource.clone(),
                        allocated,
                        allocatable,
                    });
                }
            }
        }
        inv.unbound_gpu_pods.sort();
        inv.warnings.sort();
        inv
    }

    /// Sets the GPU Operator `ClusterPolicy` state (builder style).
    ///
    /// ```
    /// use nim_types::inventory::{ClusterInventory, ClusterPolicyState};
    /// let inv = ClusterInventory::default().with_cluster_policy(ClusterPolicyState::Ready);
    /// assert_eq!(inv.cluster_policy, Some(ClusterPolicyState::Ready));
    /// ```
    pub fn with_cluster_policy(mut self, state: ClusterPolicyState) -> Self {
        self.cluster_policy = Some(state);
        self
    }

    /// Allocated `nvidia.com/gpu` on a node (0 for unknown nodes).
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().allocated_gpus("nope"), 0);
    /// ```
    pub fn allocated_gpus(&self, node: &str) -> u64 {
        self.allocations.get(node).map_or(0, NodeAllocation::gpus)
    }

    /// Free `nvidia.com/gpu` on a node (`allocatable − allocated`, saturating), `None` for an
    /// unknown node. Does not look at readiness; see [`ClusterInventory::schedulable_free_gpus`].
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().free_gpus("nope"), None);
    /// ```
    pub fn free_gpus(&self, node: &str) -> Option<u64> {
        self.free(node, labels::RESOURCE_GPU)
    }

    /// Free amount of any NVIDIA resource on a node (`nvidia.com/gpu`, `nvidia.com/gpu.shared`
    /// or `nvidia.com/mig-*`), `None` for an unknown node.
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().free("nope", "nvidia.com/mig-1g.10gb"), None);
    /// ```
    pub fn free(&self, node: &str, resource: &str) -> Option<u64> {
        let n = self.nodes.get(node)?;
        let allocated = self.allocations.get(node).map_or(0, |a| a.get(resource));
        Some(allocatable_of(n, resource).saturating_sub(allocated))
    }

    /// Free `nvidia.com/gpu` on a node if it is Ready and not cordoned, else 0 (`None` for an
    /// unknown node).
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().schedulable_free_gpus("nope"), None);
    /// ```
    pub fn schedulable_free_gpus(&self, node: &str) -> Option<u64> {
        let n = self.nodes.get(node)?;
        if n.is_schedulable() {
            self.free_gpus(node)
        } else {
            Some(0)
        }
    }

    /// Nodes that have any NVIDIA GPU resource, in name order.
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().gpu_nodes().count(), 0);
    /// ```
    pub fn gpu_nodes(&self) -> impl Iterator<Item = &NodeInventory> {
        self.nodes.values().filter(|n| n.has_gpus())
    }

    /// Groups GPU nodes by shape (product label, GPUs per node, vGPU flag) into pools keyed by
    /// [`GpuPool::pool_name`]. Nodes whose shapes produce the same name are merged.
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert!(ClusterInventory::default().pools().is_empty());
    /// ```
    pub fn pools(&self) -> BTreeMap<String, GpuPool> {
        let mut pools: BTreeMap<String, GpuPool> = BTreeMap::new();
        for node in self.gpu_nodes() {
            let product = node.product.as_ref().map(|p| p.raw.clone());
            let gpus_per_node = node.gpus_per_node();
            let name = GpuPool::pool_name(product.as_deref(), gpus_per_node, node.vgpu);
            let free = self.schedulable_free_gpus(&node.name).unwrap_or(0);
            let pool = pools.entry(name.clone()).or_insert_with(|| GpuPool {
                name,
                product,
                board: node.board(),
                gpus_per_node,
                vgpu: node.vgpu,
                nodes: Vec::new(),
                allocatable_gpus: 0,
                free_gpus: 0,
                max_free_gpus_per_node: 0,
            });
            pool.nodes.push(node.name.clone());
            pool.allocatable_gpus = pool.allocatable_gpus.saturating_add(node.allocatable_gpus);
            pool.free_gpus = pool.free_gpus.saturating_add(free);
            pool.max_free_gpus_per_node = pool.max_free_gpus_per_node.max(free);
        }
        pools
    }

    /// Sum of free `nvidia.com/gpu` over schedulable nodes.
    ///
    /// ```
    /// use nim_types::inventory::ClusterInventory;
    /// assert_eq!(ClusterInventory::default().total_free_gpus(), 0);
    /// ```
    pub fn total_free_gpus(&self) -> u64 {
        self.nodes
            .keys()
            .filter_map(|n| self.schedulable_free_gpus(n))
            .fold(0, u64::saturating_add)
    }
}

fn allocatable_of(node: &NodeInventory, resource: &str) -> u64 {
    match resource {
        labels::RESOURCE_GPU => node.allocatable_gpus,
        labels::RESOURCE_GPU_SHARED => node.allocatable_shared_gpus,
        other => node.mig_resources.get(other).copied().unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::testdata;

    #[derive(serde::Deserialize)]
    struct PodList {
        items: Vec<Pod>,
    }

    fn nodes() -> Vec<Node> {
        [
            testdata::NODE_H100_HGX,
            testdata::NODE_VKS_H100XM_X4,
            testdata::NODE_VKS_H100XM_X4_B,
            testdata::NODE_VKS_L40S_X2,
            testdata::NODE_A100_MIG_MIXED,
            testdata::NODE_T4_TIME_SLICED,
            testdata::NODE_MALFORMED,
        ]
        .iter()
        .map(|y| serde_saphyr::from_str(y).expect("node yaml"))
        .collect()
    }

    fn pods() -> Vec<Pod> {
        let list: PodList = serde_saphyr::from_str(testdata::PODS).expect("pod list yaml");
        list.items
    }

    fn snapshot() -> ClusterInventory {
        ClusterInventory::from_objects(&nodes(), &pods())
    }

    #[test]
    fn allocations_follow_kubernetes_rules() {
        let inv = snapshot();
        // 2 (llama) + 1 (embed: max(init 1, app 1)); Succeeded/Failed pods ignored.
        assert_eq!(inv.allocated_gpus("vks-h100-np-7f9c-0"), 3);
        assert_eq!(inv.free_gpus("vks-h100-np-7f9c-0"), Some(1));
        assert_eq!(
            inv.allocations["vks-h100-np-7f9c-0"].pods,
            ["nim/embed-0", "nim/llama-70b-0"]
        );
        // Init container of 6 dominates 2 + 1.
        assert_eq!(inv.allocated_gpus("dgx-h100-01"), 6);
        assert_eq!(inv.free_gpus("dgx-h100-01"), Some(2));
        assert_eq!(inv.allocations["dgx-h100-01"].pods, ["ml/trainer"]);
        // MIG resources are tracked separately.
        assert_eq!(inv.free("a100-mig-0", "nvidia.com/mig-1g.10gb"), Some(3));
        assert_eq!(inv.free("a100-mig-0", "nvidia.com/mig-3g.40gb"), Some(2));
        assert_eq!(inv.allocated_gpus("a100-mig-0"), 0);
        assert_eq!(inv.unbound_gpu_pods, ["nim/pending-unbound"]);
        assert_eq!(inv.free_gpus("unknown-node"), None);
    }

    #[test]
    fn snapshot_warnings() {
        let inv = snapshot();
        assert!(inv.warnings.iter().any(|w| matches!(
            w,
            InventoryWarning::MalformedPodResource { pod, value, .. }
                if pod == "broken-quantity" && value == "half"
        )));
        // The broken pod contributes nothing.
        assert_eq!(inv.allocated_gpus("vks-l40s-np-2b1d-0"), 0);
        let mut sorted = inv.warnings.clone();
        sorted.sort();
        assert_eq!(sorted, inv.warnings);
    }

    #[test]
    fn nameless_nodes_and_overallocation() {
        let named: Node = serde_saphyr::from_str(
            "metadata: {name: small}\nstatus: {allocatable: {nvidia.com/gpu: \"1\"}}\n",
        )
        .expect("yaml");
        let pod: Pod = serde_saphyr::from_str(
            "metadata: {name: big, namespace: x}\nspec:\n  nodeName: small\n  containers:\n  - name: c\n    resources: {limits: {nvidia.com/gpu: \"2\"}}\n",
        )
        .expect("yaml");
        let inv = ClusterInventory::from_objects(&[Node::default(), named], &[pod]);
        assert_eq!(inv.nodes.len(), 1);
        assert_eq!(inv.free_gpus("small"), Some(0));
        assert!(inv.warnings.contains(&InventoryWarning::NodeWithoutName));
        assert!(inv.warnings.contains(&InventoryWarning::OverAllocated {
            node: "small".into(),
            resource: "nvidia.com/gpu".into(),
            allocated: 2,
            allocatable: 1,
        }));
    }

    #[test]
    fn pools_group_by_shape() {
        let inv = snapshot();
        let pools = inv.pools();
        let names: Vec<&str> = pools.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "nvidia-a100-sxm4-80gb-x1",
                "nvidia-h100-80gb-hbm3-x8",
                "nvidia-h100xm-80c-x4",
                "nvidia-l40s-48c-x2",
                "tesla-t4-shared-x1",
            ]
        );
        let h = &pools["nvidia-h100xm-80c-x4"];
        assert_eq!(h.nodes, ["vks-h100-np-7f9c-0", "vks-h100-np-7f9c-1"]);
        assert_eq!(h.board, GpuBoard::H100Sxm);
        assert!(h.vgpu);
        assert_eq!(h.allocatable_gpus, 8);
        assert_eq!(h.free_gpus, 5);
        assert_eq!(h.max_free_gpus_per_node, 4);
        // NotReady node contributes no free GPUs.
        assert_eq!(pools["tesla-t4-shared-x1"].free_gpus, 0);
        assert_eq!(inv.total_free_gpus(), 2 + 5 + 2);
        // The malformed node has no usable GPU resource and is not a GPU node.
        assert!(!inv.gpu_nodes().any(|n| n.name == "bad-node"));
    }

    #[test]
    fn deterministic_and_serializable() -> Result<(), serde_json::Error> {
        let a = serde_json::to_string(&snapshot())?;
        let mut reversed_nodes = nodes();
        reversed_nodes.reverse();
        let mut reversed_pods = pods();
        reversed_pods.reverse();
        let b = serde_json::to_string(&ClusterInventory::from_objects(
            &reversed_nodes,
            &reversed_pods,
        ))?;
        assert_eq!(a, b);
        Ok(())
    }

    #[test]
    fn sidecar_init_containers() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "p"},
            "spec": {
                "initContainers": [
                    {"name": "sidecar", "restartPolicy": "Always",
                     "resources": {"limits": {"nvidia.com/gpu": "1"}}},
                    {"name": "init", "resources": {"limits": {"nvidia.com/gpu": "2"}}}
                ],
                "containers": [{"name": "a", "resources": {"requests": {"nvidia.com/gpu": "1"}}}]
            }
        }))
        .expect("pod");
        // max(sidecar 1, 1 + init 2 = 3, app 1 + sidecar 1 = 2) = 3
        assert_eq!(pod_effective_request(&pod, "nvidia.com/gpu"), Ok(3));
        assert_eq!(
            pod_effective_request(&Pod::default(), "nvidia.com/gpu"),
            Ok(0)
        );
    }

    #[test]
    fn cluster_policy_states() {
        for (s, want) in [
            ("ready", ClusterPolicyState::Ready),
            ("notReady", ClusterPolicyState::NotReady),
            ("ignored", ClusterPolicyState::Ignored),
            ("disabled", ClusterPolicyState::Disabled),
            ("", ClusterPolicyState::Unknown),
        ] {
            assert_eq!(ClusterPolicyState::parse(s), want);
        }
    }
}
