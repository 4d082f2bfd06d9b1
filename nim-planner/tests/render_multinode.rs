//! Multi-node NIMService (contract §3.3): LeaderWorkerSet, MPI ConfigMaps, Ray variant,
//! ComputeDomain and its channel claim, the Service at the leader, and `plan()` order.

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec};
use nim_planner::plan::{PlanInput, plan};
use nim_planner::render::{
    CacheInfo, RenderContext, RenderError, computedomain, leaderworkerset, render_service, service,
};
use nim_planner::snapshot::ClusterSnapshot;
use nim_types::external::LeaderWorkerSet;
use nim_types::{NIMCache, NIMService};
use serde_json::{Value, json};

const NAME: &str = "deepseek-r1";
const NS: &str = "nim-service";
const UID: &str = "11111111-2222-4333-8444-555555555555";

/// `nim-types/tests/fixtures/samples/nimservice-multinode.yaml`, converted from YAML, plus a uid.
fn sample() -> Value {
    let text = include_str!("../../nim-types/tests/fixtures/samples/nimservice-multinode.yaml");
    let mut v: Value = serde_saphyr::from_str(text).expect("sample parses");
    v["metadata"]["uid"] = json!(UID);
    v
}

fn svc(v: Value) -> NIMService {
    serde_json::from_value(v).expect("valid NIMService")
}

/// The multi-node sample's NIMCache (`model: null`, RWX PVC), Ready.
fn cache() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": "deepseek-r1-nimcache", "namespace": NS},
        "spec": {
            "source": {"ngc": {"modelPuller": "nvcr.io/nim/deepseek-ai/deepseek-r1:1.7.3",
                               "pullSecret": "ngc-secret", "authSecret": "ngc-api-secret",
                               "model": {"profiles": ["all"]}}},
            "storage": {"pvc": {"create": true, "size": "100Gi", "volumeAccessMode": "ReadWriteMany"}}
        },
        "status": {"state": "Ready", "pvc": "deepseek-r1-nimcache-pvc"}
    })
}

fn ctx() -> RenderContext {
    let c: NIMCache = serde_json::from_value(cache()).unwrap();
    RenderContext {
        nim_cache: Some(CacheInfo::from_nimcache(&c)),
        allowed_gpu_products: vec!["NVIDIA-H100-80GB-HBM3".into()],
        ..Default::default()
    }
}

fn lws(v: Value, ctx: &RenderContext) -> LeaderWorkerSet {
    leaderworkerset::leader_worker_set(&svc(v), ctx).expect("renders")
}

fn leader(l: &LeaderWorkerSet) -> &PodSpec {
    l.spec
        .leader_worker_template
        .leader_template
        .as_ref()
        .unwrap()
        .spec
        .as_ref()
        .unwrap()
}

fn worker(l: &LeaderWorkerSet) -> &PodSpec {
    l.spec
        .leader_worker_template
        .worker_template
        .spec
        .as_ref()
        .unwrap()
}

fn env<'a>(c: &'a Container, name: &str) -> Option<&'a EnvVar> {
    c.env.as_ref()?.iter().find(|e| e.name == name)
}

fn field_path(e: &EnvVar) -> &str {
    &e.value_from
        .as_ref()
        .unwrap()
        .field_ref
        .as_ref()
        .unwrap()
        .field_path
}

fn gpu_node(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "nvidia.com/gpu.present": "true",
            "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3",
            "nvidia.com/gpu.count": "8",
            "nvidia.com/gpu.memory": "81559",
            "nvidia.com/gpu.family": "hopper",
            "nvidia.com/gpu.sharing-strategy": "none",
            "nvidia.com/gpu.replicas": "1",
            "nvidia.com/mig.capable": "false"}},
        "status": {"allocatable": {"nvidia.com/gpu": "8"}, "capacity": {"nvidia.com/gpu": "8"},
                   "conditions": [{"type": "Ready", "status": "True"}]}
    })
}

fn planned(objs: Vec<Value>) -> nim_planner::plan::Plan {
    let (input, problems) = PlanInput::from_objects(&objs);
    assert!(problems.is_empty(), "{problems:?}");
    let snap = ClusterSnapshot::from_objects(&[gpu_node("n0"), gpu_node("n1"), gpu_node("n2")]);
    plan(&input, &snap)
}

fn index_of(objects: &[Value], kind: &str, name: &str) -> usize {
    objects
        .iter()
        .position(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {name} not planned"))
}

#[test]
fn leader_worker_set_shape_matches_nvidia() {
    let l = lws(sample(), &ctx());
    assert_eq!(l.metadata.name.as_deref(), Some("deepseek-r1-lws"));
    assert_eq!(l.metadata.namespace.as_deref(), Some(NS));
    let owners = l.metadata.owner_references.as_ref().unwrap();
    assert_eq!(owners.len(), 1);
    assert_eq!(
        (
            owners[0].kind.as_str(),
            owners[0].name.as_str(),
            owners[0].uid.as_str()
        ),
        ("NIMService", NAME, UID)
    );
    assert_eq!(owners[0].controller, Some(true));
    let labels = l.metadata.labels.as_ref().unwrap();
    assert_eq!(labels["app.kubernetes.io/managed-by"], "k8s-nim-operator");
    assert_eq!(labels["app.kubernetes.io/part-of"], "nim-service");

    let v = serde_json::to_value(&l).unwrap();
    assert_eq!(v["apiVersion"], "leaderworkerset.x-k8s.io/v1");
    assert_eq!(v["spec"]["replicas"], 1);
    assert_eq!(v["spec"]["startupPolicy"], "LeaderCreated");
    assert_eq!(
        v["spec"]["networkConfig"],
        json!({"subdomainPolicy": "Shared"})
    );
    assert_eq!(
        v["spec"]["rolloutStrategy"],
        json!({"type": "RollingUpdate", "rollingUpdateConfiguration": {"maxSurge": 0, "maxUnavailable": 1}})
    );
    let t = &v["spec"]["leaderWorkerTemplate"];
    assert_eq!(t["size"], 2);
    assert_eq!(t["restartPolicy"], "RecreateGroupOnPodRestart");
    assert_eq!(
        t["leaderTemplate"]["metadata"]["labels"]["app"],
        "deepseek-r1-lws"
    );
    assert_eq!(
        t["leaderTemplate"]["metadata"]["labels"]["nim-llm-role"],
        "leader"
    );
    // Worker pods carry no labels of ours; both carry the pod annotations (user + SCC).
    assert!(t["workerTemplate"]["metadata"].get("labels").is_none());
    for role in ["leaderTemplate", "workerTemplate"] {
        let a = &t[role]["metadata"]["annotations"];
        assert_eq!(a["k8s.v1.cni.cncf.io/networks"], "example-ipoibnetwork");
        assert_eq!(a["openshift.io/required-scc"], "nonroot");
        assert!(a.get("nvidia.com/parent-spec-hash").is_none());
    }
    // No nulls anywhere.
    assert!(!serde_json::to_string(&v).unwrap().contains("null"));
}

#[test]
fn containers_env_gpus_and_probes() {
    let l = lws(sample(), &ctx());
    let (lp, wp) = (leader(&l), worker(&l));
    let (lc, wc) = (&lp.containers[0], &wp.containers[0]);
    assert_eq!(lc.name, "nim-leader");
    assert_eq!(wc.name, "nim-worker");
    for c in [lc, wc] {
        assert_eq!(
            c.image.as_deref(),
            Some("nvcr.io/nim/deepseek-ai/deepseek-r1:1.7.3")
        );
        assert!(c.command.is_none() && c.args.is_none() && c.image_pull_policy.is_none());
        let r = c.resources.as_ref().unwrap();
        assert_eq!(r.limits.as_ref().unwrap()["nvidia.com/gpu"].0, "8");
        assert_eq!(r.requests.as_ref().unwrap()["nvidia.com/gpu"].0, "8");
        assert_eq!(
            r.limits.as_ref().unwrap()["rdma/rdma_shared_device_a"].0,
            "1"
        );
        // User env first, then standard env, then the multi-node env.
        assert_eq!(
            env(c, "NIM_USE_SGLANG").unwrap().value.as_deref(),
            Some("1")
        );
        assert_eq!(
            env(c, "NIM_MULTI_NODE").unwrap().value.as_deref(),
            Some("1")
        );
        assert_eq!(
            env(c, "NIM_NUM_COMPUTE_NODES").unwrap().value.as_deref(),
            Some("2")
        );
        assert_eq!(
            env(c, "NIM_TENSOR_PARALLEL_SIZE").unwrap().value.as_deref(),
            Some("8")
        );
        assert_eq!(
            env(c, "NIM_PIPELINE_PARALLEL_SIZE")
                .unwrap()
                .value
                .as_deref(),
            Some("2")
        );
        assert_eq!(
            env(c, "NIM_MPI_ALLOW_RUN_AS_ROOT")
                .unwrap()
                .value
                .as_deref(),
            Some("0")
        );
        assert_eq!(
            field_path(env(c, "NIM_NODE_RANK").unwrap()),
            "metadata.labels['leaderworkerset.sigs.k8s.io/worker-index']"
        );
        assert!(env(c, "NGC_API_KEY").is_some());
    }
    assert_eq!(
        env(lc, "NIM_LEADER_ROLE").unwrap().value.as_deref(),
        Some("1")
    );
    assert_eq!(
        env(wc, "NIM_LEADER_ROLE").unwrap().value.as_deref(),
        Some("0")
    );
    assert_eq!(
        env(lc, "CLUSTER_START_TIMEOUT").unwrap().value.as_deref(),
        Some("6000")
    );
    assert_eq!(
        env(lc, "GPUS_PER_NODE").unwrap().value.as_deref(),
        Some("8")
    );
    assert_eq!(
        field_path(env(lc, "CLUSTER_SIZE").unwrap()),
        "metadata.annotations['leaderworkerset.sigs.k8s.io/size']"
    );
    assert_eq!(
        field_path(env(wc, "LEADER_NAME").unwrap()),
        "metadata.annotations['leaderworkerset.sigs.k8s.io/leader-name']"
    );
    assert_eq!(
        field_path(env(wc, "NAMESPACE").unwrap()),
        "metadata.namespace"
    );
    assert!(env(wc, "CLUSTER_START_TIMEOUT").is_none());

    // The sample's probes: user readiness and startup, default liveness, on the leader only.
    assert_eq!(
        lc.startup_probe.as_ref().unwrap().initial_delay_seconds,
        Some(900)
    );
    assert_eq!(
        lc.startup_probe.as_ref().unwrap().failure_threshold,
        Some(100)
    );
    assert_eq!(
        lc.liveness_probe.as_ref().unwrap().failure_threshold,
        Some(3)
    );
    assert!(
        wc.liveness_probe.is_none() && wc.readiness_probe.is_none() && wc.startup_probe.is_none()
    );

    // Pod level: security context, pull secrets, scheduler on the leader only, no SA.
    for p in [lp, wp] {
        let sc = p.security_context.as_ref().unwrap();
        assert_eq!(
            (sc.run_as_user, sc.run_as_group, sc.fs_group),
            (Some(1000), Some(2000), Some(2000))
        );
        assert!(p.service_account_name.is_none() && p.runtime_class_name.is_none());
    }
}

#[test]
fn gpus_per_pod_default_to_tensor_parallelism() {
    let mut v = sample();
    v["spec"].as_object_mut().unwrap().remove("resources");
    let l = lws(v, &ctx());
    for p in [leader(&l), worker(&l)] {
        let r = p.containers[0].resources.as_ref().unwrap();
        assert_eq!(r.limits.as_ref().unwrap()["nvidia.com/gpu"].0, "8");
        assert_eq!(r.requests.as_ref().unwrap()["nvidia.com/gpu"].0, "8");
    }
}

#[test]
fn mpi_volumes_config_maps_and_secret() {
    let s = svc(sample());
    let c = ctx();
    let l = lws(sample(), &c);
    let names = |p: &PodSpec| -> Vec<String> {
        p.volumes
            .as_ref()
            .unwrap()
            .iter()
            .map(|v| v.name.clone())
            .collect()
    };
    assert_eq!(
        names(leader(&l)),
        [
            "dshm",
            "model-store",
            "mpi-config",
            "ssh-dotfiles",
            "ssh-pk",
            "start-mpi-script"
        ]
    );
    assert_eq!(
        names(worker(&l)),
        [
            "dshm",
            "model-store",
            "ssh-confs",
            "ssh-dotfiles",
            "ssh-pk",
            "start-mpi-script"
        ]
    );
    let v = serde_json::to_value(worker(&l)).unwrap();
    assert_eq!(
        v["volumes"][4]["secret"],
        json!({"secretName": "deepseek-r1-ssh-pk", "defaultMode": 256})
    );
    assert_eq!(
        v["volumes"][5]["configMap"],
        json!({"name": "deepseek-r1-mpi-start-script", "defaultMode": 365})
    );
    let mounts: Vec<(String, String)> = leader(&l).containers[0]
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.name.clone(), m.mount_path.clone()))
        .collect();
    assert!(mounts.contains(&("mpi-config".into(), "/etc/mpi".into())));
    assert!(mounts.contains(&(
        "start-mpi-script".into(),
        "/opt/nim/start-mpi-cluster.sh".into()
    )));
    let model = &leader(&l).volumes.as_ref().unwrap()[1];
    assert_eq!(
        model.persistent_volume_claim.as_ref().unwrap().claim_name,
        "deepseek-r1-nimcache-pvc"
    );

    let cm = leaderworkerset::mpi_config_map(&s, &c).unwrap();
    assert_eq!(cm.metadata.name.as_deref(), Some("deepseek-r1-mpi-config"));
    assert_eq!(
        cm.data.unwrap()["hostfile-0"],
        "localhost slots=8\ndeepseek-r1-lws-0-1.deepseek-r1-lws.nim-service.svc slots=8\n"
    );
    let script = leaderworkerset::mpi_start_script_config_map(&s, &c).unwrap();
    assert_eq!(
        script.metadata.name.as_deref(),
        Some("deepseek-r1-mpi-start-script")
    );
    assert!(script.data.unwrap().contains_key("start-mpi-cluster.sh"));
    for meta in [&cm.metadata, &script.metadata] {
        assert_eq!(meta.owner_references.as_ref().unwrap()[0].uid, UID);
        assert_eq!(
            meta.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"],
            "k8s-nim-operator"
        );
    }
    // The SSH key Secret needs a caller-supplied key (no randomness in the planner).
    assert!(leaderworkerset::ssh_secret(&s, &c).is_none());
    let with_key = RenderContext {
        mpi_ssh_private_key: Some("PEM".into()),
        ..c
    };
    let secret = leaderworkerset::ssh_secret(&s, &with_key).unwrap();
    assert_eq!(secret.metadata.name.as_deref(), Some("deepseek-r1-ssh-pk"));
    assert_eq!(secret.string_data.unwrap()["private.key"], "PEM");
}

#[test]
fn gpu_product_affinity_on_both_templates_merged_with_user_affinity() {
    let mut v = sample();
    v["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]}}});
    let l = lws(v.clone(), &ctx());
    for p in [leader(&l), worker(&l)] {
        let terms = &p
            .affinity
            .as_ref()
            .unwrap()
            .node_affinity
            .as_ref()
            .unwrap()
            .required_during_scheduling_ignored_during_execution
            .as_ref()
            .unwrap()
            .node_selector_terms;
        let keys: Vec<&str> = terms[0]
            .match_expressions
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(keys, ["zone", "nvidia.com/gpu.product"]);
    }
    // Without allowed products, NVIDIA's template (no affinity) is followed.
    let plain = RenderContext {
        allowed_gpu_products: vec![],
        ..ctx()
    };
    let l = lws(v, &plain);
    assert!(leader(&l).affinity.is_none() && worker(&l).affinity.is_none());
}

#[test]
fn compute_domain_and_its_claim_on_both_pods() {
    let s = svc(sample());
    let cd = computedomain::compute_domain(&s, &ctx()).unwrap();
    let v = serde_json::to_value(&cd).unwrap();
    assert_eq!(v["apiVersion"], "resource.nvidia.com/v1beta1");
    assert_eq!(v["metadata"]["name"], NAME);
    assert_eq!(v["metadata"]["ownerReferences"][0]["uid"], UID);
    let template = nim_planner::render::dra::compute_domain_claim_template_name(NAME);
    assert_eq!(
        v["spec"],
        json!({"numNodes": 2, "channel": {"resourceClaimTemplate": {"name": template}, "allocationMode": "Single"}})
    );
    let l = lws(sample(), &ctx());
    for p in [leader(&l), worker(&l)] {
        let claims = p.resource_claims.as_ref().unwrap();
        assert_eq!(claims.len(), 1);
        assert_eq!(
            claims[0].resource_claim_template_name.as_deref(),
            Some(template.as_str())
        );
        let c = p.containers[0]
            .resources
            .as_ref()
            .unwrap()
            .claims
            .as_ref()
            .unwrap();
        assert_eq!(c[0].name, claims[0].name);
        assert!(claims[0].name.starts_with("claim-") && claims[0].name.ends_with("-0"));
    }

    // An existing ComputeDomain: its channel template is read by the caller.
    let mut v = sample();
    v["spec"]["multiNode"]["computeDomain"] = json!({"name": "shared"});
    assert_eq!(
        leaderworkerset::leader_worker_set(&svc(v.clone()), &ctx()),
        Err(RenderError::ComputeDomainNotResolved("shared".into()))
    );
    let known = RenderContext {
        compute_domain_claim_template: Some("shared-channel".into()),
        ..ctx()
    };
    let l = lws(v.clone(), &known);
    assert_eq!(
        leader(&l).resource_claims.as_ref().unwrap()[0]
            .resource_claim_template_name
            .as_deref(),
        Some("shared-channel")
    );
    assert!(computedomain::compute_domain(&svc(v), &known).is_none());
}

#[test]
fn ray_variant_has_no_mpi_objects() {
    let mut v = sample();
    let mn = v["spec"]["multiNode"].as_object_mut().unwrap();
    mn.remove("mpi");
    mn.insert("ray".into(), json!({"rayPort": 6380}));
    let s = svc(v.clone());
    assert!(leaderworkerset::mpi_config_map(&s, &ctx()).is_none());
    assert!(leaderworkerset::mpi_start_script_config_map(&s, &ctx()).is_none());
    let l = lws(v, &ctx());
    let (lc, wc) = (&leader(&l).containers[0], &worker(&l).containers[0]);
    assert_eq!(
        lc.args.as_ref().unwrap().join(" "),
        "nim-serve-ray --head --port 6380"
    );
    assert_eq!(
        wc.args.as_ref().unwrap().join(" "),
        "nim-serve-ray --head-address $(LWS_LEADER_ADDRESS):6380"
    );
    for c in [lc, wc] {
        let ports = c.ports.as_ref().unwrap();
        assert!(
            ports
                .iter()
                .any(|p| p.name.as_deref() == Some("ray") && p.container_port == 6380)
        );
    }
    let probe = wc.startup_probe.as_ref().unwrap();
    assert_eq!(
        probe.exec.as_ref().unwrap().command.as_ref().unwrap()[2],
        "ray status"
    );
    let vols: Vec<&str> = leader(&l)
        .volumes
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.name.as_str())
        .collect();
    assert_eq!(vols, ["dshm", "model-store"]);
}

#[test]
fn render_service_bundles_lws_and_points_the_service_at_the_leader() {
    let s = svc(sample());
    let c = render_service(&s, &ctx()).unwrap();
    assert!(c.deployment.is_none() && c.hpa.is_none());
    let m = c.multi_node.unwrap();
    assert!(m.compute_domain.is_some() && m.mpi_config.is_some() && m.ssh_secret_missing);
    assert_eq!(
        m.leader_worker_set.metadata.name.as_deref(),
        Some("deepseek-r1-lws")
    );
    let sel = service::service(&s, &ctx()).spec.unwrap().selector.unwrap();
    assert_eq!(sel["app"], "deepseek-r1-lws");
    assert_eq!(sel["nim-llm-role"], "leader");
    // The Deployment renderer still refuses the multi-node shape.
    assert!(matches!(
        nim_planner::render::deployment::deployment(&s, &ctx()),
        Err(RenderError::Unsupported(_))
    ));
}

#[test]
fn plan_includes_multi_node_objects_in_dependency_order() {
    let p = planned(vec![cache(), sample()]);
    let o = &p.objects;
    let lws = index_of(o, "LeaderWorkerSet", "deepseek-r1-lws");
    for (kind, name) in [
        ("ConfigMap", "deepseek-r1-mpi-config"),
        ("ConfigMap", "deepseek-r1-mpi-start-script"),
        ("ComputeDomain", NAME),
        ("RoleBinding", NAME),
        ("PersistentVolumeClaim", "deepseek-r1-nimcache-pvc"),
    ] {
        assert!(
            index_of(o, kind, name) < lws,
            "{kind} {name} must precede the LWS"
        );
    }
    assert!(lws < index_of(o, "Service", NAME));
    assert!(!o.iter().any(|x| x["kind"] == "Deployment"));
    // The Secret is left to the operator, and the plan says so.
    assert!(!o.iter().any(|x| x["kind"] == "Secret"));
    assert!(
        p.diagnostics
            .iter()
            .any(|d| d.code == nim_planner::diagnostics::Code::NotRendered
                && d.message.contains("deepseek-r1-ssh-pk"))
    );
    assert!(
        !p.diagnostics
            .iter()
            .any(|d| d.message.contains("not rendered by this renderer"))
    );
    for x in o
        .iter()
        .filter(|x| x["metadata"]["namespace"] == NS && x["kind"] != "Job")
    {
        let labels = &x["metadata"]["labels"];
        if x["metadata"]["name"]
            .as_str()
            .unwrap()
            .starts_with("nim-cache")
        {
            continue;
        }
        assert_eq!(
            labels["app.kubernetes.io/managed-by"], "k8s-nim-operator",
            "{x}"
        );
    }
    // Deterministic.
    let again = planned(vec![sample(), cache()]);
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
}
