//! The planner's entry point: NIM custom resources + a cluster snapshot → a [`Plan`] of desired
//! objects in apply order, one placement per NIMService, diagnostics, and the dependency graph.
//!
//! Pure and deterministic: the same input (in any order) gives the same plan, byte for byte.
//!
//! ```
//! use nim_planner::plan::{PlanInput, plan};
//! use nim_planner::snapshot::ClusterSnapshot;
//!
//! let objects = vec![serde_json::json!({
//!     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
//!     "metadata": {"name": "llm", "namespace": "nim"},
//!     "spec": {"image": {"repository": "nvcr.io/nim/meta/llama-3.1-8b-instruct", "tag": "1.3.3"},
//!              "storage": {"pvc": {"name": "models"}},
//!              "resources": {"limits": {"nvidia.com/gpu": 1}}}
//! })];
//! let (input, problems) = PlanInput::from_objects(&objects);
//! assert!(problems.is_empty());
//! let plan = plan(&input, &ClusterSnapshot::default());
//! // No GPU node in an empty snapshot: the service cannot be placed and nothing is rendered.
//! assert!(plan.has_errors());
//! assert!(plan.objects.is_empty());
//! ```

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::EnvVar;
use nim_types::{API_VERSION, NIMBuild, NIMCache, NIMPipeline, NIMService};
use petgraph::graph::NodeIndex;
use serde::Serialize;
use serde_json::Value;

use crate::diagnostics::{Code, Diagnostic, ObjectRef, Severity, sort_diagnostics};
use crate::graph::{DependencyGraph, ObjectId};
use crate::placement::{GpuSource, Placement, check_pipeline, place};
use crate::render::labels::controller_owner_reference;
use crate::render::{
    CacheInfo, RenderContext, RenderError, nimbuild, render_cache, render_kserve, render_service,
};
use crate::snapshot::{ClusterSnapshot, key};

/// Namespace given to objects that have none (as `kubectl apply` does).
pub const DEFAULT_NAMESPACE: &str = "default";

/// The custom resources to plan, by kind.
///
/// ```
/// let input = nim_planner::plan::PlanInput::default();
/// assert!(input.services.is_empty());
/// ```
#[derive(Debug, Clone, Default)]
pub struct PlanInput {
    /// NIMCaches.
    pub caches: Vec<NIMCache>,
    /// NIMServices.
    pub services: Vec<NIMService>,
    /// NIMPipelines.
    pub pipelines: Vec<NIMPipeline>,
    /// NIMBuilds.
    pub builds: Vec<NIMBuild>,
}

impl PlanInput {
    /// Sort the NIM objects out of a list of Kubernetes objects (others are ignored). An object
    /// that does not load as its kind becomes an `InvalidSpec` diagnostic and is left out.
    ///
    /// ```
    /// let objs = vec![serde_json::json!({"apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
    ///     "metadata": {"name": "c"}, "spec": {"storage": {}}})];
    /// let (input, problems) = nim_planner::plan::PlanInput::from_objects(&objs);
    /// assert!(input.caches.is_empty());
    /// assert_eq!(problems[0].code.as_str(), "InvalidSpec");
    /// ```
    pub fn from_objects(objects: &[Value]) -> (Self, Vec<Diagnostic>) {
        let mut input = Self::default();
        let mut problems = Vec::new();
        for obj in objects {
            if obj.get("apiVersion").and_then(Value::as_str) != Some(API_VERSION) {
                continue;
            }
            let kind = obj.get("kind").and_then(Value::as_str).unwrap_or_default();
            let result = match kind {
                "NIMCache" => load(obj).map(|o| input.caches.push(o)),
                "NIMService" => load(obj).map(|o| input.services.push(o)),
                "NIMPipeline" => load(obj).map(|o| input.pipelines.push(o)),
                "NIMBuild" => load(obj).map(|o| input.builds.push(o)),
                _ => Ok(()),
            };
            if let Err(e) = result {
                let s = |p: &str| {
                    obj.pointer(p)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                };
                problems.push(Diagnostic::new(
                    Code::InvalidSpec,
                    ObjectRef::new(kind, s("/metadata/namespace"), s("/metadata/name")),
                    "",
                    format!("does not load as a {kind}: {e}; fix the manifest (nim-operator validate shows every problem)."),
                ));
            }
        }
        (input, problems)
    }
}

fn load<T: serde::de::DeserializeOwned>(obj: &Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(obj.clone())
}

/// The result of planning.
///
/// Serialized (JSON or YAML) as `{objects, placements, diagnostics}`; the graph is available
/// through [`Plan::graph`] and `nim-operator graph`.
///
/// ```
/// let plan = nim_planner::plan::Plan::default();
/// assert!(!plan.has_errors());
/// assert_eq!(serde_json::to_value(&plan).unwrap(), serde_json::json!({"objects": [], "placements": [], "diagnostics": []}));
/// ```
#[derive(Debug, Clone, Default, Serialize)]
pub struct Plan {
    /// Every desired object, fully rendered, in apply (topological) order.
    pub objects: Vec<Value>,
    /// One placement per NIMService (including those a NIMPipeline creates), by namespace/name.
    pub placements: Vec<Placement>,
    /// Findings, sorted (object, severity, code, field, message).
    pub diagnostics: Vec<Diagnostic>,
    /// Dependency graph of the custom resources and the desired objects.
    #[serde(skip)]
    pub graph: DependencyGraph,
}

impl Plan {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// The placement of one NIMService.
    ///
    /// ```
    /// assert!(nim_planner::plan::Plan::default().placement("nim", "llm").is_none());
    /// ```
    pub fn placement(&self, namespace: &str, name: &str) -> Option<&Placement> {
        self.placements
            .iter()
            .find(|p| p.service.namespace == namespace && p.service.name == name)
    }
}

fn ns_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| DEFAULT_NAMESPACE.to_string())
}

fn name_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// `(namespace, name)` as [`ns_of`] and [`name_of`] give them, without copying: the sort order.
fn sort_key(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> (&str, &str) {
    let ns = meta.namespace.as_deref().filter(|n| !n.is_empty());
    (
        ns.unwrap_or(DEFAULT_NAMESPACE),
        meta.name.as_deref().unwrap_or_default(),
    )
}

fn cr_id(
    kind: &str,
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
) -> ObjectId {
    ObjectId::new(API_VERSION, kind, &ns_of(meta), &name_of(meta))
}

macro_rules! normalized {
    ($list:expr) => {{
        // Sort references, then copy: the specs are large and a sort moves them many times.
        let mut refs: Vec<_> = $list.iter().collect();
        refs.sort_by(|a, b| sort_key(&a.metadata).cmp(&sort_key(&b.metadata)));
        let mut v: Vec<_> = refs.into_iter().cloned().collect();
        for o in &mut v {
            o.metadata.namespace = Some(ns_of(&o.metadata));
        }
        v
    }};
}

/// Collects desired objects and the graph edges between them.
#[derive(Default)]
struct Output {
    /// Each rendered object, by its graph node, with the node of the CR that rendered it first.
    objects: Vec<Option<(NodeIndex, Value)>>,
    graph: DependencyGraph,
    /// Each CR's rendered objects, as graph nodes.
    children: BTreeMap<NodeIndex, Vec<NodeIndex>>,
    /// (object, first owner, second owner) for objects two CRs both want, differently.
    collisions: Vec<(ObjectId, ObjectId, ObjectId)>,
}

/// Drop the object of node `i` from [`Output::objects`], if any.
fn take_slot(objects: &mut [Option<(NodeIndex, Value)>], i: NodeIndex) {
    if let Some(slot) = objects.get_mut(i.index()) {
        *slot = None;
    }
}

/// Whether `id` can be created: a DNS-1123 name of at most 63 characters (a DNS-1035 label for
/// Services, which become DNS names).
///
/// ```
/// use nim_planner::graph::ObjectId;
/// use nim_planner::plan::valid_child_name;
/// assert!(valid_child_name(&ObjectId::new("apps/v1", "Deployment", "n", "llama-3-1-8b")));
/// assert!(!valid_child_name(&ObjectId::new("v1", "Service", "n", "8b-llama")));
/// assert!(!valid_child_name(&ObjectId::new("batch/v1", "Job", "n", &"a".repeat(64))));
/// ```
pub fn valid_child_name(id: &ObjectId) -> bool {
    let n = id.name.as_str();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if n.is_empty() || n.len() > 63 {
        return false;
    }
    if id.kind == "Service" {
        return label_ok(n) && n.starts_with(|c: char| c.is_ascii_lowercase());
    }
    n.split('.').all(label_ok)
}

impl Output {
    /// Add a rendered object owned by `owner`; returns its id.
    fn add<T: Serialize>(&mut self, owner: &ObjectId, object: &T) -> Option<ObjectId> {
        let mut value = serde_json::to_value(object).ok()?;
        // An owner without a uid does not exist yet (an offline plan of new objects); the
        // apiserver rejects owner references without a uid, so they are left out until it does.
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut)
            && let Some(Value::Array(refs)) = meta.get_mut("ownerReferences")
        {
            refs.retain(|r| {
                r.get("uid")
                    .and_then(Value::as_str)
                    .is_some_and(|u| !u.is_empty())
            });
            if refs.is_empty() {
                meta.remove("ownerReferences");
            }
        }
        let id = ObjectId::of(&value)?;
        let (owner_node, node) = self.graph.add_edge(owner, &id);
        if self.objects.len() <= node.index() {
            self.objects.resize_with(node.index() + 1, || None);
        }
        match &self.objects[node.index()] {
            Some((first, existing)) => {
                // Identical objects (the namespace-shared NIMCache RBAC) are fine; anything else
                // would silently replace another CR's object.
                if *existing != value && *first != owner_node {
                    let first = self.graph.id(*first).clone();
                    self.collisions.push((id.clone(), first, owner.clone()));
                }
            }
            None => self.objects[node.index()] = Some((owner_node, value)),
        }
        self.children.entry(owner_node).or_default().push(node);
        Some(id)
    }

    /// Whether an object with this id is rendered (and not dropped again).
    fn contains(&self, id: &ObjectId) -> bool {
        self.graph
            .node(id)
            .and_then(|i| self.objects.get(i.index()))
            .is_some_and(Option::is_some)
    }

    /// Objects two custom resources both render: drop everything either renders (neither set
    /// would work with the other's object) and report an error on both.
    fn resolve_collisions(&mut self, diags: &mut Vec<Diagnostic>) {
        let mut by_pair: BTreeMap<(ObjectId, ObjectId), Vec<ObjectId>> = BTreeMap::new();
        for (id, a, b) in std::mem::take(&mut self.collisions) {
            let pair = if a <= b { (a, b) } else { (b, a) };
            by_pair.entry(pair).or_default().push(id);
        }
        for ((a, b), ids) in &by_pair {
            let list: Vec<String> = ids.iter().map(ToString::to_string).collect();
            for (owner, other) in [(a, b), (b, a)] {
                let owner_node = self.graph.node(owner);
                for &child in owner_node
                    .and_then(|o| self.children.get(&o))
                    .into_iter()
                    .flatten()
                {
                    take_slot(&mut self.objects, child);
                }
                diags.push(Diagnostic::new(
                    Code::InvalidSpec,
                    ObjectRef::new(owner.kind.clone(), owner.namespace.clone(), owner.name.clone()),
                    "metadata.name",
                    format!(
                        "{} would be rendered both for {owner} and for {other}, so one would overwrite the other; rename one of them.",
                        list.join(", ")
                    ),
                ));
            }
        }
    }

    /// If any child of `owner` has a name the apiserver would refuse, drop all of them (a
    /// partial set would not work either) and say which CR name to shorten.
    fn reject_bad_names(&mut self, owner: &ObjectId, diags: &mut Vec<Diagnostic>) {
        let Some(children) = self.graph.node(owner).and_then(|o| self.children.get(&o)) else {
            return;
        };
        let bad: Vec<String> = children
            .iter()
            .map(|&c| self.graph.id(c))
            .filter(|id| !valid_child_name(id))
            .map(|id| format!("{} {:?}", id.kind, id.name))
            .collect();
        if bad.is_empty() {
            return;
        }
        for &c in children {
            take_slot(&mut self.objects, c);
        }
        diags.push(Diagnostic::new(
            Code::InvalidSpec,
            ObjectRef::new(owner.kind.clone(), owner.namespace.clone(), owner.name.clone()),
            "metadata.name",
            format!(
                "the objects rendered for it would get invalid names ({}): names must be lower-case DNS-1123 labels of at most 63 characters (Services must start with a letter); use a shorter name.",
                bad.join(", ")
            ),
        ));
    }
}

/// Plan everything in `input` against `snapshot`. See the module docs.
pub fn plan(input: &PlanInput, snapshot: &ClusterSnapshot) -> Plan {
    let caches: Vec<NIMCache> = normalized!(input.caches);
    let mut all_services: Vec<NIMService> = normalized!(input.services);
    let pipelines: Vec<NIMPipeline> = normalized!(input.pipelines);
    let builds: Vec<NIMBuild> = normalized!(input.builds);
    let mut diagnostics = Vec::new();
    let mut out = Output::default();

    // The caches being planned are the desired state; keep the cluster's status of them. (The
    // inventory is shared, so this copy is cheap; without caches there is nothing to copy.)
    let snap: Cow<'_, ClusterSnapshot> = if caches.is_empty() {
        Cow::Borrowed(snapshot)
    } else {
        let mut snap = snapshot.clone();
        for cache in &caches {
            let k = key(&ns_of(&cache.metadata), &name_of(&cache.metadata));
            let mut merged = cache.clone();
            if merged.status.is_none() {
                merged.status = snap.nim_caches.get(&k).and_then(|c| c.status.clone());
            }
            snap.nim_caches.insert(k, merged);
        }
        Cow::Owned(snap)
    };

    // Pipelines create NIMServices (owned by the pipeline) with dependency env injected.
    let taken: BTreeSet<(String, String)> = all_services
        .iter()
        .map(|s| (ns_of(&s.metadata), name_of(&s.metadata)))
        .collect();
    let mut pipeline_edges = Vec::new();
    for pipeline in &pipelines {
        diagnostics.extend(check_pipeline(pipeline));
        let pid = cr_id("NIMPipeline", &pipeline.metadata);
        out.graph.add_node(&pid);
        for (svc, deps) in pipeline_services(pipeline) {
            let ns = ns_of(&svc.metadata);
            let name = name_of(&svc.metadata);
            if taken.contains(&(ns.clone(), name.clone())) {
                diagnostics.push(Diagnostic::new(
                    Code::InvalidSpec,
                    ObjectRef::new("NIMPipeline", ns.clone(), name_of(&pipeline.metadata)),
                    "spec.services",
                    format!(
                        "NIMService {name} already exists and is not owned by the NIMPipeline {}; rename the pipeline service or delete the NIMService.",
                        name_of(&pipeline.metadata)
                    ),
                ));
                continue;
            }
            if let Some(id) = out.add(&pid, &svc) {
                for dep in deps {
                    pipeline_edges.push((
                        ObjectId::new(API_VERSION, "NIMService", &ns, &dep),
                        id.clone(),
                    ));
                }
            }
            all_services.push(svc);
        }
    }
    for pipeline in &pipelines {
        out.reject_bad_names(&cr_id("NIMPipeline", &pipeline.metadata), &mut diagnostics);
    }
    if !all_services.is_sorted_by(|a, b| sort_key(&a.metadata) <= sort_key(&b.metadata)) {
        all_services.sort_by(|a, b| sort_key(&a.metadata).cmp(&sort_key(&b.metadata)));
    }
    for (dep, dependent) in pipeline_edges {
        if out.contains(&dep) {
            out.graph.add_edge(&dep, &dependent);
        }
    }

    let (placements, placement_diags) = place(&all_services, &snap);
    diagnostics.extend(placement_diags);

    let products = snap.gpu_products();
    for cache in &caches {
        plan_cache(cache, &snap, &products, &mut out, &mut diagnostics);
    }
    let by_service: BTreeMap<(&str, &str), &Placement> = placements
        .iter()
        .map(|p| ((p.service.namespace.as_str(), p.service.name.as_str()), p))
        .collect();
    // Nothing is rendered for a service the plan cannot carry out: no pods that cannot start.
    let failed: BTreeSet<ObjectRef> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| d.object.clone())
        .collect();
    for svc in &all_services {
        let (ns, name) = (ns_of(&svc.metadata), name_of(&svc.metadata));
        let placement = by_service.get(&(ns.as_str(), name.as_str())).copied();
        plan_service(svc, placement, &snap, &failed, &mut out, &mut diagnostics);
    }
    for build in &builds {
        plan_build(build, &snap, &mut out, &mut diagnostics);
    }

    out.resolve_collisions(&mut diagnostics);
    sort_diagnostics(&mut diagnostics);
    // On a cycle (already reported, e.g. PipelineDependencyCycle) fall back to id order.
    let order = out
        .graph
        .apply_order_nodes()
        .unwrap_or_else(|_| out.graph.nodes_by_id());
    let objects = order
        .into_iter()
        .filter_map(|i| {
            out.objects
                .get_mut(i.index())?
                .take()
                .map(|(_, value)| value)
        })
        .collect();
    Plan {
        objects,
        placements,
        diagnostics,
        graph: out.graph,
    }
}

/// The NIMServices a pipeline creates, each with the names of the services it depends on.
fn pipeline_services(pipeline: &NIMPipeline) -> Vec<(NIMService, Vec<String>)> {
    let ns = ns_of(&pipeline.metadata);
    let mut out = Vec::new();
    for entry in pipeline.spec.services.iter().filter(|s| s.is_enabled()) {
        let Some(spec) = entry.spec.clone() else {
            continue;
        };
        let mut svc = NIMService::new(&entry.name, spec);
        svc.metadata.namespace = Some(ns.clone());
        svc.metadata.owner_references = Some(vec![controller_owner_reference(
            "NIMPipeline",
            &pipeline.metadata,
        )]);
        let mut injected = Vec::new();
        for dep in &entry.dependencies {
            let Some(env_name) = dep.env_name.clone().filter(|n| !n.is_empty()) else {
                continue;
            };
            // NVIDIA ignores entries without a value; we fill in the dependency's in-cluster URL.
            let value = dep
                .env_value
                .clone()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| {
                    format!("http://{}.{ns}.svc.cluster.local:{}", dep.name, dep.port)
                });
            injected.push(EnvVar {
                name: env_name,
                value: Some(value),
                value_from: None,
            });
        }
        // Dependency env wins over the service's own entry of the same name.
        svc.spec
            .env
            .retain(|e| !injected.iter().any(|i| i.name == e.name));
        svc.spec.env.extend(injected);
        let deps = entry.dependencies.iter().map(|d| d.name.clone()).collect();
        out.push((svc, deps));
    }
    out
}

fn plan_cache(
    cache: &NIMCache,
    snap: &ClusterSnapshot,
    products: &[&str],
    out: &mut Output,
    diags: &mut Vec<Diagnostic>,
) {
    let id = cr_id("NIMCache", &cache.metadata);
    out.graph.add_node(&id);
    let obj = ObjectRef::new("NIMCache", id.namespace.clone(), id.name.clone());
    let mut ctx = RenderContext::default();
    let explicit_profiles = cache
        .spec
        .source
        .ngc
        .as_ref()
        .and_then(|n| n.model.as_ref())
        .is_some_and(|m| !m.profiles.is_empty());
    if let (Some(ngc), false) = (cache.spec.source.ngc.as_ref(), explicit_profiles)
        && let Some(manifest) = snap.manifest(&id.namespace, &id.name)
    {
        let model = ngc.model.clone().unwrap_or_default();
        ctx.selected_profiles = manifest.select(&model, products);
        if ctx.selected_profiles.is_empty() && ngc.model_endpoint.is_none() {
            diags.push(Diagnostic::new(
                Code::NoCompatibleProfile,
                obj.clone(),
                "spec.source.ngc.model",
                "no profile of the model manifest matches the selection (precision, engine, tensorParallelism, qosProfile, gpus, lora, buildable) on this cluster's GPUs; relax the selection or list profiles explicitly.".to_string(),
            ));
            return;
        }
    }
    match render_cache(cache, &ctx) {
        Ok(children) => {
            let sa = out.add(&id, &children.service_account);
            let role = out.add(&id, &children.role);
            let rb = out.add(&id, &children.role_binding);
            let pvc = children.pvc.as_ref().and_then(|p| out.add(&id, p));
            let job = out.add(&id, &children.job);
            if let (Some(job), Some(rb)) = (&job, &rb) {
                for before in [&sa, &role].into_iter().flatten() {
                    out.graph.add_edge(before, rb);
                }
                out.graph.add_edge(rb, job);
                if let Some(pvc) = &pvc {
                    out.graph.add_edge(pvc, job);
                }
            }
        }
        Err(e) => diags.push(render_diagnostic(&obj, &e)),
    }
    out.reject_bad_names(&id, diags);
}

fn plan_service(
    svc: &NIMService,
    placement: Option<&Placement>,
    snap: &ClusterSnapshot,
    failed: &BTreeSet<ObjectRef>,
    out: &mut Output,
    diags: &mut Vec<Diagnostic>,
) {
    let id = cr_id("NIMService", &svc.metadata);
    out.graph.add_node(&id);
    let obj = ObjectRef::new("NIMService", id.namespace.clone(), id.name.clone());
    if let Some(cache) = svc.spec.nim_cache_name() {
        let cache_id = ObjectId::new(API_VERSION, "NIMCache", &id.namespace, cache);
        out.graph.add_edge(&cache_id, &id);
    }
    if failed.contains(&obj) {
        return;
    }
    let mut ctx = RenderContext::default();
    if let Some(p) = placement {
        if p.gpu_source == Some(GpuSource::Profile) {
            ctx.gpus_per_pod = Some(p.gpus_per_pod);
        }
        ctx.allowed_gpu_products = p.allowed_products.clone();
        if svc.spec.nim_cache_profile().is_some() {
            ctx.profile = p.profiles.first().cloned();
        }
    }
    if let Some(name) = svc.spec.nim_cache_name() {
        ctx.nim_cache = snap
            .nim_cache(&id.namespace, name)
            .map(CacheInfo::from_nimcache);
    }
    if svc.spec.is_kserve() {
        match render_kserve(svc, &ctx) {
            Ok(c) => add_kserve(&id, &c, &ctx, out),
            Err(e) => diags.push(render_diagnostic(&obj, &e)),
        }
        out.reject_bad_names(&id, diags);
        return;
    }
    match render_service(svc, &ctx) {
        Ok(c) => {
            let sa = out.add(&id, &c.service_account);
            let role = out.add(&id, &c.role);
            let rb = out.add(&id, &c.role_binding);
            let pvc = c.pvc.as_ref().and_then(|p| out.add(&id, p));
            let templates: Vec<ObjectId> = c
                .resource_claim_templates
                .iter()
                .filter_map(|t| out.add(&id, t))
                .collect();
            let mut before: Vec<ObjectId> = [rb.clone(), pvc].into_iter().flatten().collect();
            before.extend(templates);
            let workload = if let Some(d) = &c.deployment {
                out.add(&id, d)
            } else if let Some(m) = &c.multi_node {
                for o in [&m.mpi_config, &m.mpi_start_script].into_iter().flatten() {
                    before.extend(out.add(&id, o));
                }
                before.extend(m.ssh_secret.as_ref().and_then(|o| out.add(&id, o)));
                before.extend(m.compute_domain.as_ref().and_then(|o| out.add(&id, o)));
                if m.ssh_secret_missing {
                    diags.push(Diagnostic::new(
                        Code::NotRendered,
                        obj.clone(),
                        "spec.multiNode.mpi",
                        format!(
                            "the MPI SSH key Secret {}-ssh-pk is not rendered: it holds a random key, which a pure planner cannot make. `nim-operator run` creates it once (nim_reconcile::mpi); elsewhere create it or pass a key to the renderer (RenderContext::mpi_ssh_private_key). The LeaderWorkerSet pods wait for it.",
                            id.name
                        ),
                    ));
                }
                out.add(&id, &m.leader_worker_set)
            } else {
                None
            };
            let service = out.add(&id, &c.service);
            let exposure = [
                c.ingress.as_ref().and_then(|o| out.add(&id, o)),
                c.http_route.as_ref().and_then(|o| out.add(&id, o)),
                c.grpc_route.as_ref().and_then(|o| out.add(&id, o)),
                c.service_monitor.as_ref().and_then(|o| out.add(&id, o)),
            ];
            let hpa = c.hpa.as_ref().and_then(|o| out.add(&id, o));
            if let Some(epp) = &c.epp {
                add_epp(&id, epp, out);
            }
            let Some(workload) = workload else { return };
            for b in [&sa, &role].into_iter().flatten() {
                if let Some(rb) = &rb {
                    out.graph.add_edge(b, rb);
                }
            }
            for b in &before {
                out.graph.add_edge(b, &workload);
            }
            add_cache_pvc_edge(&id, &ctx, &workload, out);
            if let Some(service) = &service {
                out.graph.add_edge(&workload, service);
                for e in exposure.iter().flatten() {
                    out.graph.add_edge(service, e);
                }
            }
            if let Some(hpa) = &hpa {
                out.graph.add_edge(&workload, hpa);
            }
        }
        Err(e) => diags.push(render_diagnostic(&obj, &e)),
    }
    out.reject_bad_names(&id, diags);
}

/// The NIMCache's PVC (when it is planned too) before the workload that mounts it.
fn add_cache_pvc_edge(
    owner: &ObjectId,
    ctx: &RenderContext,
    workload: &ObjectId,
    out: &mut Output,
) {
    if let Some(cache) = ctx.nim_cache.as_ref() {
        let cache_pvc = ObjectId::new(
            "v1",
            "PersistentVolumeClaim",
            &owner.namespace,
            &cache.pvc_name,
        );
        if out.contains(&cache_pvc) {
            out.graph.add_edge(&cache_pvc, workload);
        }
    }
}

/// A KServe NIMService: RBAC, PVC and ResourceClaimTemplates before the InferenceService,
/// the ServiceMonitor after it.
fn add_kserve(
    owner: &ObjectId,
    c: &crate::render::KServeChildren,
    ctx: &RenderContext,
    out: &mut Output,
) {
    let sa = out.add(owner, &c.service_account);
    let role = out.add(owner, &c.role);
    let rb = out.add(owner, &c.role_binding);
    let pvc = c.pvc.as_ref().and_then(|p| out.add(owner, p));
    let templates: Vec<ObjectId> = c
        .resource_claim_templates
        .iter()
        .filter_map(|t| out.add(owner, t))
        .collect();
    let isvc = out.add(owner, &c.inference_service);
    let monitor = c.service_monitor.as_ref().and_then(|m| out.add(owner, m));
    let Some(isvc) = isvc else { return };
    for b in [&sa, &role].into_iter().flatten() {
        if let Some(rb) = &rb {
            out.graph.add_edge(b, rb);
        }
    }
    for b in [rb, pvc].into_iter().flatten().chain(templates) {
        out.graph.add_edge(&b, &isvc);
    }
    add_cache_pvc_edge(owner, ctx, &isvc, out);
    if let Some(m) = &monitor {
        out.graph.add_edge(&isvc, m);
    }
}

/// A NIMBuild: the engine-build Pod once its NIMCache is Ready with a buildable profile
/// (NIMCache → Pod); otherwise a diagnostic saying why it is not rendered.
fn plan_build(
    build: &NIMBuild,
    snap: &ClusterSnapshot,
    out: &mut Output,
    diags: &mut Vec<Diagnostic>,
) {
    let id = cr_id("NIMBuild", &build.metadata);
    out.graph.add_node(&id);
    let obj = ObjectRef::new("NIMBuild", id.namespace.clone(), id.name.clone());
    let cache_name = &build.spec.nim_cache.name;
    let cache_id = ObjectId::new(API_VERSION, "NIMCache", &id.namespace, cache_name);
    out.graph.add_edge(&cache_id, &id);
    let not_rendered = |why: String| {
        Diagnostic::new(
            Code::NotRendered,
            obj.clone(),
            "spec.nimCache",
            format!("the engine-build Pod is not rendered: {why}"),
        )
    };
    let Some(cache) = snap.nim_cache(&id.namespace, cache_name) else {
        diags.push(not_rendered(format!(
            "NIMCache {cache_name} is neither planned nor in the cluster snapshot; the operator creates the Pod once the NIMCache is Ready and holds a buildable profile."
        )));
        return;
    };
    let status = cache.status.as_ref();
    let ready = status.and_then(|s| s.state.as_deref()) == Some("Ready");
    if !ready {
        diags.push(not_rendered(format!(
            "NIMCache {cache_name} is not Ready yet (NIM_BUILD_WAIT_FOR_NIM_CACHE_READY); the operator creates the Pod once it is Ready and its status lists a buildable profile."
        )));
        return;
    }
    match nimbuild::engine_build_pod(build, cache, &RenderContext::default()) {
        Ok(pod) => {
            if let Some(pod_id) = out.add(&id, &pod) {
                out.graph.add_edge(&cache_id, &pod_id);
                let pvc = ObjectId::new(
                    "v1",
                    "PersistentVolumeClaim",
                    &id.namespace,
                    &CacheInfo::from_nimcache(cache).pvc_name,
                );
                if out.contains(&pvc) {
                    out.graph.add_edge(&pvc, &pod_id);
                }
            }
        }
        Err(e) => diags.push(render_diagnostic(&obj, &e)),
    }
    out.reject_bad_names(&id, diags);
}

/// The endpoint picker: its RBAC and config before its Deployment, the Deployment before its
/// Service, and the InferencePool after both.
fn add_epp(owner: &ObjectId, epp: &crate::render::EppChildren, out: &mut Output) {
    let sa = out.add(owner, &epp.service_account);
    let role = out.add(owner, &epp.role);
    let rb = out.add(owner, &epp.role_binding);
    let cm = epp.config_map.as_ref().and_then(|c| out.add(owner, c));
    let deploy = out.add(owner, &epp.deployment);
    let service = out.add(owner, &epp.service);
    let pool = out.add(owner, &epp.inference_pool);
    let Some(deploy) = deploy else { return };
    for before in [&sa, &role].into_iter().flatten() {
        if let Some(rb) = &rb {
            out.graph.add_edge(before, rb);
        }
    }
    for before in [&rb, &cm].into_iter().flatten() {
        out.graph.add_edge(before, &deploy);
    }
    for after in [&service, &pool].into_iter().flatten() {
        out.graph.add_edge(&deploy, after);
    }
}

fn render_diagnostic(obj: &ObjectRef, e: &RenderError) -> Diagnostic {
    let (code, field, advice) = match e {
        RenderError::NoModelStore
        | RenderError::MissingPvcSize
        | RenderError::MissingAccessMode => (
            Code::InvalidStorage,
            "spec.storage",
            "fix the storage section",
        ),
        RenderError::DeprecatedCertConfig | RenderError::NoSource => {
            (Code::InvalidSpec, "spec", "fix the spec")
        }
        RenderError::NimCacheNotResolved(_) => (
            Code::NimCacheNotFound,
            "spec.storage.nimCache.name",
            "create the NIMCache or fix the name",
        ),
        RenderError::NoProfilesSelected => (
            Code::NotRendered,
            "spec.source.ngc.model",
            "the operator first probes the model manifest; to plan the caching Job offline, include the `<nimcache>-manifest` ConfigMap in the cluster snapshot or list profiles explicitly",
        ),
        RenderError::Unsupported(_) => (
            Code::NotRendered,
            "spec",
            "this shape is left to the operator",
        ),
        RenderError::InvalidDraResource(_) => (
            Code::InvalidSpec,
            "spec.draResources",
            "fix the device selectors",
        ),
        RenderError::ComputeDomainNotResolved(_) => (
            Code::NotRendered,
            "spec.multiNode.computeDomain.name",
            "the operator reads the channel claim template from the existing ComputeDomain; the LeaderWorkerSet is left to the operator",
        ),
        RenderError::InvalidKServeDeploymentMode(_) => (
            Code::InvalidSpec,
            "spec.annotations",
            "fix the serving.kserve.io/deploymentMode annotation",
        ),
        RenderError::NoBuildableProfile { .. } => (
            Code::NoCompatibleProfile,
            "spec.nimCache.profile",
            "cache a buildable (trtllm_buildable) profile, or name one of the NIMCache's buildable profiles in spec.nimCache.profile",
        ),
    };
    Diagnostic::new(code, obj.clone(), field, format!("{e}; {advice}."))
}
