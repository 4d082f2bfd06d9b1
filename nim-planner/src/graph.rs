//! The plan's dependency graph: a petgraph DAG over the custom resources and the objects the plan
//! wants, with a deterministic topological order that is the apply order.
//!
//! Edges point from what must exist first to what depends on it: cache → service, pipeline
//! dependency → dependent service, config/RBAC/PVC → workload → Service → route/HPA/ServiceMonitor.
//! A cycle is reported as an error value, never a panic.
//!
//! ```
//! use nim_planner::graph::{DependencyGraph, ObjectId};
//! let mut g = DependencyGraph::default();
//! let svc = ObjectId::new("v1", "Service", "nim", "llm");
//! let deploy = ObjectId::new("apps/v1", "Deployment", "nim", "llm");
//! g.add_edge(&deploy, &svc);
//! assert_eq!(g.apply_order().unwrap(), vec![deploy, svc]);
//! ```

use std::cmp::Reverse;
use std::collections::hash_map::Entry;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::hash::{Hash, Hasher};

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};
use serde::Serialize;

/// Identity of a Kubernetes object: apiVersion, kind, namespace (empty when cluster-scoped), name.
///
/// ```
/// let id = nim_planner::graph::ObjectId::new("apps/v1", "Deployment", "nim", "llm");
/// assert_eq!(id.to_string(), "Deployment nim/llm");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectId {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// Namespace (empty for cluster-scoped objects).
    pub namespace: String,
    /// Name.
    pub name: String,
}

impl ObjectId {
    /// Build an id.
    ///
    /// ```
    /// let id = nim_planner::graph::ObjectId::new("v1", "Service", "nim", "llm");
    /// assert_eq!(id.kind, "Service");
    /// ```
    pub fn new(api_version: &str, kind: &str, namespace: &str, name: &str) -> Self {
        Self {
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    /// The id of a serialized Kubernetes object, when it has apiVersion, kind and name.
    ///
    /// ```
    /// let v = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a", "namespace": "n"}});
    /// assert_eq!(nim_planner::graph::ObjectId::of(&v).unwrap().name, "a");
    /// ```
    pub fn of(object: &serde_json::Value) -> Option<Self> {
        let s = |p: &str| object.pointer(p).and_then(serde_json::Value::as_str);
        Some(Self::new(
            s("/apiVersion")?,
            s("/kind")?,
            s("/metadata/namespace").unwrap_or(""),
            s("/metadata/name")?,
        ))
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The graph has a cycle; these objects are on or behind it.
///
/// ```
/// use nim_planner::graph::{DependencyGraph, ObjectId};
/// let (a, b) = (ObjectId::new("v1", "A", "", "a"), ObjectId::new("v1", "B", "", "b"));
/// let mut g = DependencyGraph::default();
/// g.add_edge(&a, &b);
/// g.add_edge(&b, &a);
/// assert_eq!(g.apply_order().unwrap_err().members.len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("dependency cycle among {}", members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))]
pub struct Cycle {
    /// The objects that could not be ordered.
    pub members: Vec<ObjectId>,
}

/// Apply rank of a kind: among objects whose dependencies are met, lower ranks go first, so the
/// order reads naturally (RBAC, config and storage, then workloads, then exposure).
fn kind_rank(kind: &str) -> u8 {
    match kind {
        "Namespace" => 0,
        "ServiceAccount" => 1,
        "Role" | "ClusterRole" => 2,
        "RoleBinding" | "ClusterRoleBinding" => 3,
        "Secret" | "ConfigMap" => 4,
        "PersistentVolumeClaim" | "ResourceClaimTemplate" => 5,
        "NIMCache" | "NIMBuild" => 6,
        "NIMPipeline" => 7,
        "NIMService" => 8,
        "Job" | "Pod" => 9,
        "Deployment" | "LeaderWorkerSet" | "InferenceService" => 10,
        "Service" => 11,
        "Ingress" | "HTTPRoute" | "GRPCRoute" | "InferencePool" => 12,
        "HorizontalPodAutoscaler" => 13,
        "ServiceMonitor" => 14,
        _ => 15,
    }
}

/// A DAG of objects (see the module docs).
///
/// ```
/// let g = nim_planner::graph::DependencyGraph::default();
/// assert_eq!(g.node_count(), 0);
/// ```
#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    graph: DiGraph<ObjectId, ()>,
    /// Node by id hash (the ids themselves live once, in `graph`); only looked up, never
    /// iterated, so it does not affect any order.
    index: HashMap<u64, NodeIndex>,
    /// Nodes whose id hash equals an earlier node's (a 64-bit collision: practically never).
    collided: Vec<NodeIndex>,
}

/// A deterministic hash of an id (SipHash with fixed keys).
fn id_hash(id: &ObjectId) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

impl DependencyGraph {
    /// Add an object (idempotent); returns its node index.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let id = ObjectId::new("v1", "Service", "n", "a");
    /// assert_eq!(g.add_node(&id), g.add_node(&id));
    /// ```
    pub fn add_node(&mut self, id: &ObjectId) -> NodeIndex {
        let hash = id_hash(id);
        if let Some(i) = self.find(hash, id) {
            return i;
        }
        let i = self.graph.add_node(id.clone());
        match self.index.entry(hash) {
            Entry::Vacant(e) => {
                e.insert(i);
            }
            Entry::Occupied(_) => self.collided.push(i),
        }
        i
    }

    /// The node of `id`, if it is in the graph.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let id = ObjectId::new("v1", "Service", "n", "a");
    /// assert_eq!(g.node(&id), None);
    /// let i = g.add_node(&id);
    /// assert_eq!(g.node(&id), Some(i));
    /// assert_eq!(g.id(i), &id);
    /// ```
    pub fn node(&self, id: &ObjectId) -> Option<NodeIndex> {
        self.find(id_hash(id), id)
    }

    /// The id of node `i` (from [`Self::add_node`] or [`Self::node`] on this graph).
    ///
    /// # Panics
    /// When `i` is not a node of this graph.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let i = g.add_node(&ObjectId::new("v1", "Service", "n", "a"));
    /// assert_eq!(g.id(i).name, "a");
    /// ```
    pub fn id(&self, i: NodeIndex) -> &ObjectId {
        &self.graph[i]
    }

    fn find(&self, hash: u64, id: &ObjectId) -> Option<NodeIndex> {
        let &i = self.index.get(&hash)?;
        if self.graph[i] == *id {
            return Some(i);
        }
        self.collided
            .iter()
            .copied()
            .find(|&j| self.graph[j] == *id)
    }

    /// `before` must be applied before `after` (idempotent); returns both node indices.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let (a, b) = (ObjectId::new("v1", "ConfigMap", "n", "c"), ObjectId::new("apps/v1", "Deployment", "n", "d"));
    /// g.add_edge(&a, &b);
    /// g.add_edge(&a, &b);
    /// assert_eq!(g.edge_count(), 1);
    /// ```
    pub fn add_edge(&mut self, before: &ObjectId, after: &ObjectId) -> (NodeIndex, NodeIndex) {
        let (a, b) = (self.add_node(before), self.add_node(after));
        if a != b && self.graph.find_edge(a, b).is_none() {
            self.graph.add_edge(a, b, ());
        }
        (a, b)
    }

    /// Number of objects.
    pub fn node_count(&self) -> usize {
        self.graph.node_count()
    }

    /// Number of dependencies.
    pub fn edge_count(&self) -> usize {
        self.graph.edge_count()
    }

    /// Whether the graph has a cycle.
    ///
    /// ```
    /// assert!(!nim_planner::graph::DependencyGraph::default().is_cyclic());
    /// ```
    pub fn is_cyclic(&self) -> bool {
        petgraph::algo::is_cyclic_directed(&self.graph)
    }

    /// All edges as (before, after), sorted.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let (a, b) = (ObjectId::new("v1", "A", "", "a"), ObjectId::new("v1", "B", "", "b"));
    /// g.add_edge(&a, &b);
    /// assert_eq!(g.edges(), vec![(a, b)]);
    /// ```
    pub fn edges(&self) -> Vec<(ObjectId, ObjectId)> {
        let mut out: Vec<(ObjectId, ObjectId)> = self
            .graph
            .edge_indices()
            .filter_map(|e| self.graph.edge_endpoints(e))
            .map(|(a, b)| (self.graph[a].clone(), self.graph[b].clone()))
            .collect();
        out.sort();
        out
    }

    /// Topological order (Kahn's algorithm). Among ready objects the lowest (kind rank, id) goes
    /// first, so the order is deterministic and independent of insertion order.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let svc = ObjectId::new("v1", "Service", "n", "a");
    /// let sa = ObjectId::new("v1", "ServiceAccount", "n", "a");
    /// g.add_node(&svc);
    /// g.add_node(&sa);
    /// assert_eq!(g.apply_order().unwrap(), vec![sa, svc]);
    /// ```
    pub fn apply_order(&self) -> Result<Vec<ObjectId>, Cycle> {
        let order = self.apply_order_nodes()?;
        Ok(order.into_iter().map(|i| self.graph[i].clone()).collect())
    }

    /// [`Self::apply_order`] as node indices (see [`Self::id`]), without copying ids.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let (deploy, svc) = g.add_edge(
    ///     &ObjectId::new("apps/v1", "Deployment", "n", "a"),
    ///     &ObjectId::new("v1", "Service", "n", "a"),
    /// );
    /// assert_eq!(g.apply_order_nodes().unwrap(), vec![deploy, svc]);
    /// ```
    pub fn apply_order_nodes(&self) -> Result<Vec<NodeIndex>, Cycle> {
        // Every node's place in (kind rank, id) order, computed once: the ready set then holds
        // small integers instead of ids.
        let mut by_rank: Vec<NodeIndex> = self.graph.node_indices().collect();
        by_rank.sort_by_cached_key(|&i| (kind_rank(&self.graph[i].kind), &self.graph[i]));
        let mut rank = vec![0usize; by_rank.len()];
        for (r, i) in by_rank.iter().enumerate() {
            rank[i.index()] = r;
        }
        let mut indegree: Vec<usize> = self
            .graph
            .node_indices()
            .map(|i| {
                self.graph
                    .neighbors_directed(i, Direction::Incoming)
                    .count()
            })
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> = self
            .graph
            .node_indices()
            .filter(|i| indegree[i.index()] == 0)
            .map(|i| Reverse(rank[i.index()]))
            .collect();
        let mut order = Vec::with_capacity(self.graph.node_count());
        while let Some(Reverse(r)) = ready.pop() {
            let i = by_rank[r];
            order.push(i);
            for next in self.graph.neighbors_directed(i, Direction::Outgoing) {
                let d = &mut indegree[next.index()];
                *d -= 1;
                if *d == 0 {
                    ready.push(Reverse(rank[next.index()]));
                }
            }
        }
        if order.len() == self.graph.node_count() {
            return Ok(order);
        }
        let mut placed = vec![false; self.graph.node_count()];
        for i in &order {
            placed[i.index()] = true;
        }
        let mut members: Vec<ObjectId> = self
            .graph
            .node_indices()
            .filter(|i| !placed[i.index()])
            .map(|i| self.graph[i].clone())
            .collect();
        members.sort();
        Err(Cycle { members })
    }

    /// All nodes, sorted by id.
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// let b = g.add_node(&ObjectId::new("v1", "Service", "n", "b"));
    /// let a = g.add_node(&ObjectId::new("v1", "Service", "n", "a"));
    /// assert_eq!(g.nodes_by_id(), vec![a, b]);
    /// ```
    pub fn nodes_by_id(&self) -> Vec<NodeIndex> {
        let mut nodes: Vec<NodeIndex> = self.graph.node_indices().collect();
        nodes.sort_by(|&a, &b| self.graph[a].cmp(&self.graph[b]));
        nodes
    }

    /// Graphviz DOT text of the graph (nodes sorted, edges sorted).
    ///
    /// ```
    /// use nim_planner::graph::{DependencyGraph, ObjectId};
    /// let mut g = DependencyGraph::default();
    /// g.add_edge(&ObjectId::new("v1", "A", "", "a"), &ObjectId::new("v1", "B", "", "b"));
    /// assert!(g.to_dot().contains("\"A a\" -> \"B b\""));
    /// ```
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph plan {\n  rankdir=LR;\n  node [shape=box];\n");
        let mut ids: Vec<&ObjectId> = self.graph.node_weights().collect();
        ids.sort();
        for id in ids {
            out.push_str(&format!("  \"{id}\";\n"));
        }
        for (a, b) in self.edges() {
            out.push_str(&format!("  \"{a}\" -> \"{b}\";\n"));
        }
        out.push_str("}\n");
        out
    }
}
