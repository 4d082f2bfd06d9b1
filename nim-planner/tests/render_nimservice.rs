//! Rendering of a standalone NIMService against NVIDIA's contract (§3.0, §3.2), using inputs
//! shaped like the samples shipped in `config/samples/nim/serving/standalone/`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Affinity, EnvVar, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
    PodSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use nim_planner::render::{
    CacheInfo, RenderContext, RenderError, deployment, grpcroute, hpa, httproute, ingress, pvc,
    service, service_account, service_monitor,
};
use nim_types::{NIMCache, NIMService};
use serde_json::{Value, json};

const NAME: &str = "meta-llama-3-2-1b-instruct";
const NS: &str = "nim-service";
const UID: &str = "5f0c1a8e-0000-4000-8000-000000000001";

/// `nim/serving/standalone/basic/llm.yaml` (NIMService part), plus a uid.
fn basic_llm() -> Value {
    json!({
        "apiVersion": "apps.nvidia.com/v1alpha1",
        "kind": "NIMService",
        "metadata": {"name": NAME, "namespace": NS, "uid": UID},
        "spec": {
            "image": {
                "repository": "nvcr.io/nim/meta/llama-3.2-1b-instruct",
                "tag": "1.12.0",
                "pullPolicy": "IfNotPresent",
                "pullSecrets": ["ngc-secret"]
            },
            "authSecret": "ngc-api-secret",
            "storage": {"nimCache": {"name": NAME, "profile": ""}},
            "replicas": 1,
            "resources": {"limits": {"nvidia.com/gpu": 1}},
            "expose": {"service": {"type": "ClusterIP", "port": 8000}}
        }
    })
}

/// `nim/caching/ngc/nimcache.yaml` shaped NIMCache, Ready with a PVC.
fn basic_cache() -> NIMCache {
    serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1",
        "kind": "NIMCache",
        "metadata": {"name": NAME, "namespace": NS},
        "spec": {
            "source": {"ngc": {
                "modelPuller": "nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0",
                "pullSecret": "ngc-secret",
                "authSecret": "ngc-api-secret",
                "model": {"engine": "tensorrt_llm", "tensorParallelism": "1"}
            }},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}
        },
        "status": {"state": "Ready", "pvc": format!("{NAME}-pvc")}
    }))
    .unwrap()
}

fn nimservice(v: Value) -> NIMService {
    serde_json::from_value(v).expect("valid NIMService")
}

fn ctx_with_cache() -> RenderContext {
    RenderContext {
        nim_cache: Some(CacheInfo::from_nimcache(&basic_cache())),
        ..Default::default()
    }
}

fn pod(d: &Deployment) -> &PodSpec {
    d.spec.as_ref().unwrap().template.spec.as_ref().unwrap()
}

fn env_value<'a>(env: &'a [EnvVar], name: &str) -> Option<&'a EnvVar> {
    env.iter().find(|e| e.name == name)
}

/// Every owned object: one controller owner reference to the NIMService.
fn assert_owned(meta: &ObjectMeta) {
    let owners: &Vec<OwnerReference> = meta.owner_references.as_ref().expect("owner refs");
    assert_eq!(owners.len(), 1, "{meta:?}");
    let o = &owners[0];
    assert_eq!(o.api_version, "apps.nvidia.com/v1alpha1");
    assert_eq!(o.kind, "NIMService");
    assert_eq!(o.name, NAME);
    assert_eq!(o.uid, UID);
    assert_eq!(o.controller, Some(true));
    assert_eq!(o.block_owner_deletion, Some(true));
    assert_eq!(meta.namespace.as_deref(), Some(NS));
    assert_eq!(
        meta.labels.as_ref().unwrap()["app.kubernetes.io/managed-by"],
        "k8s-nim-operator"
    );
}

/// No `null` anywhere and no empty list/object except an `emptyDir: {}` volume source or an
/// (intentionally) empty route spec.
fn assert_no_nulls(v: &Value) {
    fn walk(v: &Value, path: &str, bad: &mut Vec<String>) {
        match v {
            Value::Null => bad.push(format!("{path} = null")),
            Value::Array(a) => {
                if a.is_empty() {
                    bad.push(format!("{path} = []"));
                }
                for (i, x) in a.iter().enumerate() {
                    walk(x, &format!("{path}/{i}"), bad);
                }
            }
            Value::Object(m) => {
                if m.is_empty() && !path.ends_with("/emptyDir") {
                    bad.push(format!("{path} = {{}}"));
                }
                for (k, x) in m {
                    walk(x, &format!("{path}/{k}"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(v, "", &mut bad);
    assert!(bad.is_empty(), "null/empty values: {bad:?}\n{v:#}");
}

fn standard_labels() -> BTreeMap<String, String> {
    BTreeMap::from(
        [
            ("app.kubernetes.io/name", NAME),
            ("app.kubernetes.io/instance", NAME),
            ("app.kubernetes.io/operator-version", ""),
            ("app.kubernetes.io/part-of", "nim-service"),
            ("app.kubernetes.io/managed-by", "k8s-nim-operator"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string())),
    )
}

#[test]
fn basic_llm_deployment_matches_contract() {
    let svc = nimservice(basic_llm());
    let ctx = ctx_with_cache();
    let d = deployment::deployment(&svc, &ctx).unwrap();
    assert_owned(&d.metadata);
    assert_eq!(d.metadata.name.as_deref(), Some(NAME));
    assert_eq!(d.metadata.labels.as_ref().unwrap(), &standard_labels());
    let annotations = d.metadata.annotations.as_ref().unwrap();
    assert_eq!(annotations["openshift.io/required-scc"], "nonroot");

    let v = serde_json::to_value(&d).unwrap();
    assert_no_nulls(&v);
    assert_eq!(v["apiVersion"], "apps/v1");
    assert_eq!(v["kind"], "Deployment");
    assert_eq!(v["spec"]["replicas"], 1);
    assert_eq!(
        v["spec"]["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 0}})
    );
    assert_eq!(v["spec"]["selector"], json!({"matchLabels": {"app": NAME}}));

    let template = d.spec.as_ref().unwrap().template.metadata.as_ref().unwrap();
    let mut pod_labels = standard_labels();
    pod_labels.insert("app".into(), NAME.into());
    assert_eq!(template.labels.as_ref().unwrap(), &pod_labels);
    assert_eq!(
        template.annotations.as_ref().unwrap(),
        &BTreeMap::from([(
            "openshift.io/required-scc".to_string(),
            "nonroot".to_string()
        )])
    );

    let p = pod(&d);
    assert_eq!(p.service_account_name.as_deref(), Some(NAME));
    assert_eq!(p.image_pull_secrets.as_ref().unwrap()[0].name, "ngc-secret");
    let sc = p.security_context.as_ref().unwrap();
    assert_eq!(
        (sc.run_as_user, sc.run_as_group, sc.fs_group),
        (Some(1000), Some(2000), Some(2000))
    );
    assert!(sc.seccomp_profile.is_none());
    assert!(p.affinity.is_none() && p.node_selector.is_none() && p.tolerations.is_none());
    assert!(p.init_containers.is_none());

    assert_eq!(p.containers.len(), 1);
    let c = &p.containers[0];
    assert_eq!(c.name, format!("{NAME}-ctr"));
    assert_eq!(
        c.image.as_deref(),
        Some("nvcr.io/nim/meta/llama-3.2-1b-instruct:1.12.0")
    );
    assert_eq!(c.image_pull_policy.as_deref(), Some("IfNotPresent"));
    assert!(c.command.is_none() && c.args.is_none());
    let cv = serde_json::to_value(c).unwrap();
    assert_eq!(
        cv["ports"],
        json!([{"name": "api", "containerPort": 8000, "protocol": "TCP"}])
    );
    assert_eq!(cv["resources"], json!({"limits": {"nvidia.com/gpu": "1"}}));

    // Environment: operator standard env, NVIDIA order; no NIM_MODEL_PROFILE for profile ''.
    assert_eq!(
        cv["env"],
        json!([
            {"name": "NIM_CACHE_PATH", "value": "/model-store"},
            {"name": "NGC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "ngc-api-secret", "key": "NGC_API_KEY"}}},
            {"name": "OUTLINES_CACHE_DIR", "value": "/tmp/outlines"},
            {"name": "NIM_SERVER_PORT", "value": "8000"},
            {"name": "NIM_HTTP_API_PORT", "value": "8000"},
            {"name": "NIM_JSONL_LOGGING", "value": "1"},
            {"name": "NIM_LOG_LEVEL", "value": "INFO"}
        ])
    );

    // Probes: defaults on the named port `api`.
    let probe = |path: &str, delay: i32, failure: i32| {
        json!({
            "httpGet": {"path": path, "port": "api"},
            "initialDelaySeconds": delay, "timeoutSeconds": 1, "periodSeconds": 10,
            "successThreshold": 1, "failureThreshold": failure
        })
    };
    assert_eq!(cv["livenessProbe"], probe("/v1/health/live", 15, 3));
    assert_eq!(cv["readinessProbe"], probe("/v1/health/ready", 15, 3));
    assert_eq!(cv["startupProbe"], probe("/v1/health/ready", 30, 120));

    // Volumes and mounts.
    assert_eq!(
        cv["volumeMounts"],
        json!([
            {"name": "model-store", "mountPath": "/model-store"},
            {"name": "dshm", "mountPath": "/dev/shm"}
        ])
    );
    assert_eq!(
        v["spec"]["template"]["spec"]["volumes"],
        json!([
            {"name": "dshm", "emptyDir": {"medium": "Memory"}},
            {"name": "model-store", "persistentVolumeClaim": {"claimName": format!("{NAME}-pvc")}}
        ])
    );
}

#[test]
fn basic_llm_supporting_objects() {
    let svc = nimservice(basic_llm());
    let ctx = RenderContext::default();

    let sa = service_account::service_account(&svc, &ctx);
    assert_owned(&sa.metadata);
    assert_eq!(sa.metadata.name.as_deref(), Some(NAME));

    let role = service_account::role(&svc, &ctx);
    assert_owned(&role.metadata);
    assert_eq!(
        serde_json::to_value(&role.rules).unwrap(),
        json!([{
            "apiGroups": ["security.openshift.io"],
            "resources": ["securitycontextconstraints"],
            "resourceNames": ["nonroot"],
            "verbs": ["use"]
        }])
    );
    let rb = service_account::role_binding(&svc, &ctx);
    assert_owned(&rb.metadata);
    let rbv = serde_json::to_value(&rb).unwrap();
    assert_eq!(
        rbv["roleRef"],
        json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME})
    );
    assert_eq!(
        rbv["subjects"],
        json!([{"kind": "ServiceAccount", "name": NAME, "namespace": NS}])
    );

    let s = service::service(&svc, &ctx);
    assert_owned(&s.metadata);
    let v = serde_json::to_value(&s).unwrap();
    assert_no_nulls(&v);
    assert_eq!(
        v["spec"],
        json!({
            "type": "ClusterIP",
            "selector": {"app": NAME},
            "ports": [{"name": "api", "port": 8000, "targetPort": "api", "protocol": "TCP"}]
        })
    );

    // Nothing optional is wanted for the basic sample.
    assert!(hpa::hpa(&svc, &ctx).is_none());
    assert!(ingress::ingress(&svc, &ctx).is_none());
    assert!(httproute::http_route(&svc, &ctx).is_none());
    assert!(grpcroute::grpc_route(&svc, &ctx).is_none());
    assert!(service_monitor::service_monitor(&svc, &ctx).is_none());
    assert_eq!(pvc::service_pvc(&svc), Ok(None));
}

/// `nim/serving/standalone/autoscaling/llm.yaml`: HPA + ServiceMonitor (and the sample's
/// conflicting `replicas: 1`).
fn autoscaling_llm() -> Value {
    let mut v = basic_llm();
    v["spec"]["metrics"] = json!({
        "enabled": true,
        "serviceMonitor": {"additionalLabels": {"release": "kube-prometheus-stack"}}
    });
    v["spec"]["scale"] = json!({
        "enabled": true,
        "hpa": {
            "minReplicas": 1,
            "maxReplicas": 2,
            "metrics": [{
                "type": "Object",
                "object": {
                    "metric": {"name": "gpu_cache_usage_perc"},
                    "describedObject": {"apiVersion": "v1", "kind": "Service", "name": NAME},
                    "target": {"type": "Value", "value": "0.5"}
                }
            }]
        }
    });
    v
}

#[test]
fn autoscaling_deployment_has_no_replicas() {
    let svc = nimservice(autoscaling_llm());
    let d = deployment::deployment(&svc, &ctx_with_cache()).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    assert!(v["spec"].get("replicas").is_none(), "{:#}", v["spec"]);
    assert_no_nulls(&v);
}

#[test]
fn autoscaling_hpa_matches_contract() {
    let svc = nimservice(autoscaling_llm());
    let mut spec = svc.spec.clone();
    spec.scale.as_mut().unwrap().annotations =
        BTreeMap::from([("scale/a".to_string(), "1".to_string())]);
    let svc = NIMService {
        spec,
        ..svc.clone()
    };
    let h = hpa::hpa(&svc, &RenderContext::default()).unwrap();
    assert_owned(&h.metadata);
    assert_eq!(h.metadata.annotations.as_ref().unwrap()["scale/a"], "1");
    let v = serde_json::to_value(&h).unwrap();
    assert_no_nulls(&v);
    assert_eq!(v["apiVersion"], "autoscaling/v2");
    assert_eq!(
        v["spec"]["scaleTargetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": NAME})
    );
    assert_eq!(v["spec"]["minReplicas"], 1);
    assert_eq!(v["spec"]["maxReplicas"], 2);
    assert_eq!(
        v["spec"]["metrics"][0]["object"]["metric"]["name"],
        "gpu_cache_usage_perc"
    );
}

#[test]
fn autoscaling_service_monitor_matches_contract() {
    let svc = nimservice(autoscaling_llm());
    let sm = service_monitor::service_monitor(&svc, &RenderContext::default()).unwrap();
    assert_owned(&sm.metadata);
    let mut labels = standard_labels();
    labels.insert("release".into(), "kube-prometheus-stack".into());
    assert_eq!(sm.metadata.labels.as_ref().unwrap(), &labels);
    let v = serde_json::to_value(&sm).unwrap();
    assert_no_nulls(&v);
    assert_eq!(v["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(v["spec"]["namespaceSelector"], json!({"matchNames": [NS]}));
    assert_eq!(
        v["spec"]["selector"]["matchLabels"],
        serde_json::to_value(standard_labels()).unwrap()
    );
    assert_eq!(
        v["spec"]["endpoints"],
        json!([{"port": "api", "path": "/v1/metrics"}])
    );

    // With a metrics port, interval and timeout.
    let mut v2 = autoscaling_llm();
    v2["spec"]["expose"]["service"]["metricsPort"] = json!(8002);
    v2["spec"]["metrics"]["serviceMonitor"]["interval"] = json!("30s");
    v2["spec"]["metrics"]["serviceMonitor"]["scrapeTimeout"] = json!("10s");
    let sm = service_monitor::service_monitor(&nimservice(v2), &RenderContext::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&sm.spec.endpoints).unwrap(),
        json!([
            {"port": "api", "path": "/v1/metrics", "interval": "30s", "scrapeTimeout": "10s"},
            {"port": "metrics", "path": "/metrics"}
        ])
    );
}

/// `nim/serving/standalone/routers/httproutes/llm.yaml`.
fn httproute_llm() -> Value {
    let mut v = basic_llm();
    v["spec"]["expose"]["router"] = json!({
        "gateway": {"namespace": "nim-service", "name": "istio-gateway", "httpRoutesEnabled": true},
        "hostDomainName": "demo.nvidia.example.com",
        "annotations": {"router/a": "1"}
    });
    v
}

#[test]
fn httproute_router_matches_contract() {
    let svc = nimservice(httproute_llm());
    let route = httproute::http_route(&svc, &RenderContext::default()).unwrap();
    assert_owned(&route.metadata);
    assert_eq!(
        route.metadata.annotations.as_ref().unwrap()["router/a"],
        "1"
    );
    let v = serde_json::to_value(&route).unwrap();
    assert_no_nulls(&v);
    assert_eq!(v["apiVersion"], "gateway.networking.k8s.io/v1");
    assert_eq!(v["kind"], "HTTPRoute");
    assert_eq!(
        v["spec"],
        json!({
            "parentRefs": [{"name": "istio-gateway", "namespace": "nim-service"}],
            "hostnames": ["meta-llama-3-2-1b-instruct.nim-service.demo.nvidia.example.com"],
            "rules": [{
                "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                "backendRefs": [{"name": NAME, "port": 8000}]
            }]
        })
    );
    // No GRPCRoute unless enabled; no Ingress with a gateway router.
    assert!(grpcroute::grpc_route(&svc, &RenderContext::default()).is_none());
    assert!(ingress::ingress(&svc, &RenderContext::default()).is_none());

    // `httpRoutesEnabled: false` ⇒ no route.
    let mut off = httproute_llm();
    off["spec"]["expose"]["router"]["gateway"]["httpRoutesEnabled"] = json!(false);
    assert!(httproute::http_route(&nimservice(off), &RenderContext::default()).is_none());
}

#[test]
fn httproute_with_inference_pool_backend() {
    // `nim/serving/advanced/epp/nimservice.yaml`: backendRef to an InferencePool.
    let mut v = httproute_llm();
    v["spec"]["expose"]["router"]["gateway"]["backendRef"] = json!({
        "group": "inference.networking.k8s.io", "kind": "InferencePool", "name": NAME
    });
    let route = httproute::http_route(&nimservice(v), &RenderContext::default()).unwrap();
    assert_eq!(
        serde_json::to_value(&route.spec.rules[0].backend_refs).unwrap(),
        json!([{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": NAME}])
    );
}

#[test]
fn grpcroute_matches_contract() {
    // `nim/serving/standalone/routers/grpcroutes/llm.yaml` (Riva TTS).
    let v = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": "riva-tts", "namespace": "nemo", "uid": "u"},
        "spec": {
            "image": {"repository": "nvcr.io/nim/nvidia/riva-tts", "tag": "1.3.0"},
            "authSecret": "ngc-api-secret",
            "storage": {"emptyDir": {}},
            "expose": {
                "service": {"type": "ClusterIP", "port": 9000, "grpcPort": 50051},
                "router": {
                    "gateway": {"namespace": "nemo", "name": "istio-gateway", "grpcRoutesEnabled": true, "httpRoutesEnabled": false},
                    "hostDomainName": "demo.nvidia.example.com"
                }
            }
        }
    });
    let svc = nimservice(v.clone());
    let route = grpcroute::grpc_route(&svc, &RenderContext::default()).unwrap();
    let rv = serde_json::to_value(&route).unwrap();
    assert_no_nulls(&rv);
    assert_eq!(rv["kind"], "GRPCRoute");
    assert_eq!(
        rv["spec"],
        json!({
            "parentRefs": [{"name": "istio-gateway", "namespace": "nemo"}],
            "hostnames": ["riva-tts.nemo.demo.nvidia.example.com"],
            "rules": [{"backendRefs": [{"name": "riva-tts", "port": 50051}]}]
        })
    );
    assert!(httproute::http_route(&svc, &RenderContext::default()).is_none());

    // Service and env carry the gRPC port.
    let s = serde_json::to_value(service::service(&svc, &RenderContext::default())).unwrap();
    assert_eq!(
        s["spec"]["ports"],
        json!([
            {"name": "api", "port": 9000, "targetPort": "api", "protocol": "TCP"},
            {"name": "grpc", "port": 50051, "targetPort": "grpc", "protocol": "TCP"}
        ])
    );
    let d = deployment::deployment(&svc, &RenderContext::default()).unwrap();
    let env = pod(&d).containers[0].env.clone().unwrap();
    assert_eq!(
        env_value(&env, "NIM_GRPC_API_PORT")
            .unwrap()
            .value
            .as_deref(),
        Some("50051")
    );
    assert_eq!(
        env_value(&env, "NIM_TRITON_GRPC_PORT")
            .unwrap()
            .value
            .as_deref(),
        Some("50051")
    );
    assert_eq!(
        env_value(&env, "NIM_SERVER_PORT").unwrap().value.as_deref(),
        Some("9000")
    );

    // Without a gRPC port NVIDIA renders an empty spec.
    let mut no_port = v;
    no_port["spec"]["expose"]["service"]
        .as_object_mut()
        .unwrap()
        .remove("grpcPort");
    let route = grpcroute::grpc_route(&nimservice(no_port), &RenderContext::default()).unwrap();
    assert_eq!(serde_json::to_value(&route).unwrap()["spec"], json!({}));
}

#[test]
fn router_ingress_matches_contract() {
    // `nim/serving/standalone/routers/ingress/multi-llm.yaml` (router under expose).
    let mut v = basic_llm();
    v["spec"]["expose"]["router"] = json!({
        "ingress": {"ingressClass": "nginx", "tlsSecretName": "llm-tls"},
        "hostDomainName": "demo.nvidia.example.com",
        "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "0"}
    });
    let ing = ingress::ingress(&nimservice(v), &RenderContext::default()).unwrap();
    assert_owned(&ing.metadata);
    let annotations = ing.metadata.annotations.as_ref().unwrap();
    assert_eq!(
        annotations["nginx.ingress.kubernetes.io/proxy-body-size"],
        "0"
    );
    assert_eq!(annotations["openshift.io/required-scc"], "nonroot");
    let host = "meta-llama-3-2-1b-instruct.nim-service.demo.nvidia.example.com";
    let v = serde_json::to_value(&ing).unwrap();
    assert_no_nulls(&v);
    assert_eq!(
        v["spec"],
        json!({
            "ingressClassName": "nginx",
            "rules": [{
                "host": host,
                "http": {"paths": [{
                    "path": "/",
                    "pathType": "Prefix",
                    "backend": {"service": {"name": NAME, "port": {"name": "api"}}}
                }]}
            }],
            "tls": [{"hosts": [host], "secretName": "llm-tls"}]
        })
    );
}

#[test]
fn legacy_ingress_is_copied_verbatim() {
    // `nim/serving/standalone/full/llm.yaml`: deprecated expose.ingress.
    let mut v = basic_llm();
    let spec = json!({
        "ingressClassName": "nginx",
        "rules": [{
            "host": "demo.nvidia.example.com",
            "http": {"paths": [{
                "path": "/v1/chat/completions",
                "pathType": "Prefix",
                "backend": {"service": {"name": NAME, "port": {"number": 8000}}}
            }]}
        }]
    });
    v["spec"]["expose"]["ingress"] = json!({
        "enabled": true,
        "annotations": {"legacy/a": "1"},
        "spec": spec
    });
    let ing = ingress::ingress(&nimservice(v.clone()), &RenderContext::default()).unwrap();
    assert_owned(&ing.metadata);
    assert_eq!(ing.metadata.annotations.as_ref().unwrap()["legacy/a"], "1");
    assert_eq!(serde_json::to_value(&ing).unwrap()["spec"], spec);

    // Disabled ⇒ no Ingress.
    v["spec"]["expose"]["ingress"]["enabled"] = json!(false);
    assert!(ingress::ingress(&nimservice(v), &RenderContext::default()).is_none());
}

fn term(key: &str, value: &str) -> NodeSelectorTerm {
    NodeSelectorTerm {
        match_expressions: Some(vec![NodeSelectorRequirement {
            key: key.into(),
            operator: "In".into(),
            values: Some(vec![value.into()]),
        }]),
        match_fields: None,
    }
}

fn product_requirement(values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement {
        key: "nvidia.com/gpu.product".into(),
        operator: "In".into(),
        values: Some(values.iter().map(|s| s.to_string()).collect()),
    }
}

#[test]
fn gpu_product_affinity_is_anded_into_every_user_term() {
    let fields_only = NodeSelectorTerm {
        match_expressions: None,
        match_fields: Some(vec![NodeSelectorRequirement {
            key: "metadata.name".into(),
            operator: "In".into(),
            values: Some(vec!["node-a".into()]),
        }]),
    };
    let user = Affinity {
        node_affinity: Some(NodeAffinity {
            required_during_scheduling_ignored_during_execution: Some(NodeSelector {
                node_selector_terms: vec![
                    term("topology.kubernetes.io/zone", "a"),
                    term("topology.kubernetes.io/zone", "b"),
                    fields_only,
                ],
            }),
            preferred_during_scheduling_ignored_during_execution: None,
        }),
        ..Default::default()
    };
    let mut v = basic_llm();
    v["spec"]["affinity"] = serde_json::to_value(&user).unwrap();
    let svc = nimservice(v);
    let ctx = RenderContext {
        allowed_gpu_products: vec![
            "NVIDIA-L40S".into(),
            "NVIDIA-H100-80GB-HBM3".into(),
            "NVIDIA-L40S".into(),
        ],
        ..ctx_with_cache()
    };
    let d = deployment::deployment(&svc, &ctx).unwrap();
    let terms = pod(&d)
        .affinity
        .as_ref()
        .unwrap()
        .node_affinity
        .as_ref()
        .unwrap()
        .required_during_scheduling_ignored_during_execution
        .as_ref()
        .unwrap()
        .node_selector_terms
        .clone();
    assert_eq!(terms.len(), 3, "no term added or removed (terms are ORed)");
    let req = product_requirement(&["NVIDIA-H100-80GB-HBM3", "NVIDIA-L40S"]);
    for (i, t) in terms.iter().enumerate() {
        let exprs = t.match_expressions.as_ref().unwrap();
        assert_eq!(exprs.last().unwrap(), &req, "term {i}: {t:?}");
        assert_eq!(exprs.iter().filter(|e| **e == req).count(), 1);
    }
    assert_eq!(terms[0].match_expressions.as_ref().unwrap().len(), 2);
    assert!(terms[2].match_fields.is_some(), "matchFields kept");

    // Idempotent: merging again adds nothing.
    let again = deployment::merge_gpu_product_affinity(
        pod(&d).affinity.as_ref(),
        &[
            "NVIDIA-L40S".to_string(),
            "NVIDIA-H100-80GB-HBM3".to_string(),
        ],
    );
    assert_eq!(again.as_ref(), pod(&d).affinity.as_ref());
}

#[test]
fn gpu_product_affinity_creates_a_term_and_keeps_other_affinity() {
    let pod_anti = json!({"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
        "weight": 1,
        "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": NAME}}}
    }]}});
    for user in [None, Some(pod_anti.clone())] {
        let mut v = basic_llm();
        if let Some(a) = &user {
            v["spec"]["affinity"] = a.clone();
        }
        let ctx = RenderContext {
            allowed_gpu_products: vec!["NVIDIA-A100-SXM4-80GB".into()],
            ..ctx_with_cache()
        };
        let d = deployment::deployment(&nimservice(v), &ctx).unwrap();
        let a = serde_json::to_value(pod(&d).affinity.as_ref().unwrap()).unwrap();
        assert_eq!(
            a["nodeAffinity"],
            json!({"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "nvidia.com/gpu.product", "operator": "In", "values": ["NVIDIA-A100-SXM4-80GB"]}]}
            ]}})
        );
        if user.is_some() {
            assert_eq!(a["podAntiAffinity"], pod_anti["podAntiAffinity"]);
        }
    }
    // No products ⇒ the user's affinity untouched (none here).
    let d = deployment::deployment(&nimservice(basic_llm()), &ctx_with_cache()).unwrap();
    assert!(pod(&d).affinity.is_none());
}

#[test]
fn env_precedence() {
    let mut v = basic_llm();
    v["spec"]["env"] = json!([
        {"name": "NIM_LOG_LEVEL", "value": "DEBUG"},
        {"name": "HTTPS_PROXY", "value": "http://user-proxy:1"},
        {"name": "NIM_MODEL_PROFILE", "value": "user-profile"},
        {"name": "CUSTOM", "value": "x"}
    ]);
    v["spec"]["proxy"] = json!({"httpsProxy": "http://proxy:3128", "noProxy": "localhost"});
    let svc = nimservice(v);
    let ctx = RenderContext {
        profile: Some("planner-profile".into()),
        ..ctx_with_cache()
    };
    let d = deployment::deployment(&svc, &ctx).unwrap();
    let env = pod(&d).containers[0].env.clone().unwrap();
    let names: Vec<&str> = env.iter().map(|e| e.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        names.len(),
        "no duplicate env names: {names:?}"
    );

    let val = |n: &str| env_value(&env, n).and_then(|e| e.value.clone());
    assert_eq!(
        val("NIM_LOG_LEVEL").as_deref(),
        Some("DEBUG"),
        "user beats standard"
    );
    assert_eq!(
        val("HTTPS_PROXY").as_deref(),
        Some("http://proxy:3128"),
        "proxy beats user"
    );
    assert_eq!(val("https_proxy").as_deref(), Some("http://proxy:3128"));
    assert_eq!(val("NO_PROXY").as_deref(), Some("localhost"));
    assert_eq!(val("NIM_SDK_USE_NATIVE_TLS").as_deref(), Some("1"));
    assert_eq!(
        val("HTTP_PROXY"),
        None,
        "unset proxy ⇒ no value, never null"
    );
    assert_eq!(
        val("NIM_MODEL_PROFILE").as_deref(),
        Some("user-profile"),
        "user beats profile"
    );
    assert_eq!(val("CUSTOM").as_deref(), Some("x"));

    // Proxy ⇒ Role uses anyuid, annotation stays nonroot without a CA ConfigMap.
    let role = service_account::role(&svc, &ctx);
    assert_eq!(
        role.rules.unwrap()[0].resource_names.as_ref().unwrap()[0],
        "anyuid"
    );
    assert_eq!(
        d.metadata.annotations.as_ref().unwrap()["openshift.io/required-scc"],
        "nonroot"
    );
    assert_no_nulls(&serde_json::to_value(&d).unwrap());
}

#[test]
fn profile_and_gpu_sizing() {
    let mut v = basic_llm();
    v["spec"]["storage"]["nimCache"]["profile"] =
        json!("09e2f8e68f78ce94bf79d15b40a21333cea5d09dbe01ede63f6c957f4fcfab7b");
    v["spec"].as_object_mut().unwrap().remove("resources");
    let ctx = RenderContext {
        gpus_per_pod: Some(2),
        ..ctx_with_cache()
    };
    let d = deployment::deployment(&nimservice(v.clone()), &ctx).unwrap();
    let c = &pod(&d).containers[0];
    let env = c.env.clone().unwrap();
    assert_eq!(
        env_value(&env, "NIM_MODEL_PROFILE")
            .unwrap()
            .value
            .as_deref(),
        Some("09e2f8e68f78ce94bf79d15b40a21333cea5d09dbe01ede63f6c957f4fcfab7b")
    );
    assert_eq!(
        serde_json::to_value(&c.resources).unwrap(),
        json!({"limits": {"nvidia.com/gpu": "2"}, "requests": {"nvidia.com/gpu": "2"}})
    );

    // The user's nvidia.com/gpu (in requests only) is never overridden.
    v["spec"]["resources"] = json!({"requests": {"nvidia.com/gpu": 1, "cpu": "4"}});
    let d = deployment::deployment(&nimservice(v), &ctx).unwrap();
    assert_eq!(
        serde_json::to_value(&pod(&d).containers[0].resources).unwrap(),
        json!({"requests": {"nvidia.com/gpu": "1", "cpu": "4"}})
    );
}

#[test]
fn universal_and_hf_cache_env() {
    let cache: NIMCache = serde_json::from_value(json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache",
        "metadata": {"name": "nim-cache-multi-llm", "namespace": NS},
        "spec": {
            "source": {"hf": {
                "endpoint": "https://huggingface.co", "namespace": "meta-llama",
                "modelName": "Llama-3.2-1B-Instruct", "authSecret": "hf-secret",
                "modelPuller": "nvcr.io/nim/nvidia/llm-nim:1.12", "pullSecret": "ngc-secret"
            }},
            "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce", "storageClass": "", "subPath": "models"}}
        }
    }))
    .unwrap();
    let mut v = basic_llm();
    v["spec"]["storage"]["nimCache"] =
        json!({"name": "nim-cache-multi-llm", "profile": "tensorrt_llm"});
    v["spec"]["authSecret"] = json!("hf-secret");
    v["spec"]["env"] = json!([{"name": "HF_HOME", "value": "/user/hf"}]);
    let ctx = RenderContext {
        nim_cache: Some(CacheInfo::from_nimcache(&cache)),
        ..Default::default()
    };
    let d = deployment::deployment(&nimservice(v), &ctx).unwrap();
    let c = &pod(&d).containers[0];
    let env = c.env.clone().unwrap();
    let val = |n: &str| env_value(&env, n).and_then(|e| e.value.clone());
    assert_eq!(val("NIM_MODEL_NAME").as_deref(), Some("/model-store"));
    assert_eq!(
        val("HF_HOME").as_deref(),
        Some("/user/hf"),
        "user wins over universal env"
    );
    assert_eq!(
        val("NIM_MODEL_PATH").as_deref(),
        Some("hf://meta-llama/Llama-3.2-1B-Instruct")
    );
    let ngc = serde_json::to_value(env_value(&env, "NGC_API_KEY").unwrap()).unwrap();
    assert_eq!(
        ngc["valueFrom"]["secretKeyRef"],
        json!({"name": "hf-secret", "key": "NGC_API_KEY", "optional": true})
    );
    let hf = serde_json::to_value(env_value(&env, "HF_TOKEN").unwrap()).unwrap();
    assert_eq!(
        hf["valueFrom"]["secretKeyRef"],
        json!({"name": "hf-secret", "key": "HF_TOKEN"})
    );
    // The cache's subPath is used for the mount, its PVC for the volume.
    let m = serde_json::to_value(&c.volume_mounts).unwrap();
    assert_eq!(
        m[0],
        json!({"name": "model-store", "mountPath": "/model-store", "subPath": "models"})
    );
    let vols = serde_json::to_value(&pod(&d).volumes).unwrap();
    assert_eq!(
        vols[1]["persistentVolumeClaim"]["claimName"],
        "nim-cache-multi-llm-pvc"
    );
}

#[test]
fn native_nim_mounts_and_env() {
    let ctx = RenderContext {
        nim_cache: Some(CacheInfo {
            name: NAME.into(),
            pvc_name: "native-pvc".into(),
            native: true,
            ..Default::default()
        }),
        ..Default::default()
    };
    let d = deployment::deployment(&nimservice(basic_llm()), &ctx).unwrap();
    let c = &pod(&d).containers[0];
    let paths: Vec<_> = c
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("model-store", "/model"),
            ("model-store", "/opt/cache"),
            ("dshm", "/dev/shm")
        ]
    );
    let env = c.env.clone().unwrap();
    assert_eq!(
        env_value(&env, "NIM_ENGINE_MODEL_PATH")
            .unwrap()
            .value
            .as_deref(),
        Some(format!("/model/{NAME}").as_str())
    );
    let ngc = serde_json::to_value(env_value(&env, "NGC_API_KEY").unwrap()).unwrap();
    assert_eq!(ngc["valueFrom"]["secretKeyRef"]["optional"], true);
    assert!(env_value(&env, "HF_TOKEN").is_some());
}

#[test]
fn model_store_variants_and_errors() {
    // emptyDir with a size limit; sharedMemorySizeLimit on dshm.
    let mut v = basic_llm();
    v["spec"]["storage"] =
        json!({"emptyDir": {"sizeLimit": "10Gi"}, "sharedMemorySizeLimit": "8Gi"});
    let d = deployment::deployment(&nimservice(v.clone()), &RenderContext::default()).unwrap();
    let vols = serde_json::to_value(&pod(&d).volumes).unwrap();
    assert_eq!(
        vols,
        json!([
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}},
            {"name": "model-store", "emptyDir": {"sizeLimit": "10Gi"}}
        ])
    );

    // pvc.create (no-precaching/llm.yaml): <name>-pvc, read-only flag, and the PVC itself.
    v["spec"]["storage"] = json!({"pvc": {"create": true, "size": "10Gi", "volumeAccessMode": "ReadWriteOnce"}, "readOnly": true});
    let svc = nimservice(v.clone());
    let d = deployment::deployment(&svc, &RenderContext::default()).unwrap();
    let vols = serde_json::to_value(&pod(&d).volumes).unwrap();
    assert_eq!(
        vols[1],
        json!({"name": "model-store", "persistentVolumeClaim": {"claimName": format!("{NAME}-pvc"), "readOnly": true}})
    );
    let p = pvc::service_pvc(&svc).unwrap().unwrap();
    assert_owned(&p.metadata);
    assert_eq!(
        serde_json::to_value(&p.spec).unwrap(),
        json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}})
    );

    // hostPath ⇒ hostmount-anyuid.
    v["spec"]["storage"] = json!({"hostPath": "/mnt/models"});
    let svc = nimservice(v.clone());
    let d = deployment::deployment(&svc, &RenderContext::default()).unwrap();
    assert_eq!(
        d.metadata.annotations.as_ref().unwrap()["openshift.io/required-scc"],
        "hostmount-anyuid"
    );

    // Nothing usable ⇒ NVIDIA's error; unresolved NIMCache ⇒ error.
    v["spec"].as_object_mut().unwrap().remove("storage");
    assert_eq!(
        deployment::deployment(&nimservice(v), &RenderContext::default()),
        Err(RenderError::NoModelStore)
    );
    assert_eq!(
        deployment::deployment(&nimservice(basic_llm()), &RenderContext::default()),
        Err(RenderError::NimCacheNotResolved(NAME.into()))
    );
}

#[test]
fn probes_tolerations_and_pod_settings() {
    let mut v = basic_llm();
    v["spec"]["livenessProbe"] = json!({"enabled": false});
    v["spec"]["startupProbe"] = json!({"probe": {"httpGet": {"path": "/custom", "port": 8000}, "failureThreshold": 100, "initialDelaySeconds": 900}});
    v["spec"]["tolerations"] = json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]);
    v["spec"]["nodeSelector"] = json!({"nvidia.com/gpu.present": "true"});
    v["spec"]["userID"] = json!(1000);
    v["spec"]["groupID"] = json!(1000);
    v["spec"]["runtimeClassName"] = json!("nvidia");
    v["spec"]["schedulerName"] = json!("kai-scheduler");
    v["spec"]["priorityClassName"] = json!("high");
    v["spec"]["labels"] =
        json!({"team": "ml", "app": "hijack", "app.kubernetes.io/name": "hijack"});
    v["spec"]["annotations"] = json!({"team/a": "1", "openshift.io/required-scc": "privileged"});
    let ctx = RenderContext {
        tkgs: true,
        parent_spec_hash: Some("2166136261".into()),
        operator_version: "v3.1.2".into(),
        ..ctx_with_cache()
    };
    let d = deployment::deployment(&nimservice(v), &ctx).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    assert_no_nulls(&v);
    let c = &v["spec"]["template"]["spec"]["containers"][0];
    assert!(c.get("livenessProbe").is_none());
    assert_eq!(c["startupProbe"]["httpGet"]["path"], "/custom");
    assert_eq!(c["startupProbe"]["failureThreshold"], 100);
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "api");

    let p = &v["spec"]["template"]["spec"];
    assert_eq!(
        p["tolerations"],
        json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoExecute"}])
    );
    assert_eq!(p["nodeSelector"], json!({"nvidia.com/gpu.present": "true"}));
    assert_eq!(
        p["securityContext"],
        json!({"runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(p["runtimeClassName"], "nvidia");
    assert_eq!(p["schedulerName"], "kai-scheduler");
    assert_eq!(p["priorityClassName"], "high");

    // Operator labels/annotations win; selector label `app` always matches.
    let labels = &v["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/name"], NAME);
    assert_eq!(labels["app.kubernetes.io/operator-version"], "v3.1.2");
    assert_eq!(labels["team"], "ml");
    assert_eq!(v["spec"]["template"]["metadata"]["labels"]["app"], NAME);
    let ann = &v["metadata"]["annotations"];
    assert_eq!(ann["openshift.io/required-scc"], "nonroot");
    assert_eq!(ann["nvidia.com/parent-spec-hash"], "2166136261");
    assert_eq!(ann["team/a"], "1");
    let pod_ann = &v["spec"]["template"]["metadata"]["annotations"];
    assert!(pod_ann.get("nvidia.com/parent-spec-hash").is_none());
    assert_eq!(pod_ann["team/a"], "1");
}

#[test]
fn init_and_sidecar_containers_get_scratch_env_and_mounts() {
    let mut v = basic_llm();
    v["spec"]["initContainers"] = json!([{"name": "prep", "image": {"repository": "busybox", "tag": "1.36"},
        "command": ["sh", "-c", "true"], "env": [{"name": "NIM_LOG_LEVEL", "value": "WARN"}]}]);
    v["spec"]["sidecarContainers"] = json!([{"name": "log", "image": {"repository": "fluent-bit", "tag": "3", "pullPolicy": "Always"}}]);
    let d = deployment::deployment(&nimservice(v), &ctx_with_cache()).unwrap();
    let v = serde_json::to_value(&d).unwrap();
    assert_no_nulls(&v);
    let p = &v["spec"]["template"]["spec"];
    assert_eq!(p["volumes"][2], json!({"name": "scratch", "emptyDir": {}}));
    let init = &p["initContainers"][0];
    assert_eq!(init["image"], "busybox:1.36");
    assert_eq!(
        init["imagePullPolicy"], "IfNotPresent",
        "defaults to the NIM image's policy"
    );
    assert_eq!(
        init["env"][0],
        json!({"name": "NIM_LOG_LEVEL", "value": "WARN"})
    );
    assert_eq!(
        init["volumeMounts"],
        json!([{"name": "model-store", "mountPath": "/model-store"}, {"name": "scratch", "mountPath": "/scratch"}])
    );
    let sidecar = &p["containers"][1];
    assert_eq!(sidecar["name"], "log");
    assert_eq!(sidecar["imagePullPolicy"], "Always");
    assert_eq!(sidecar["volumeMounts"], p["containers"][0]["volumeMounts"]);
    assert_eq!(sidecar["env"], p["containers"][0]["env"]);
}

#[test]
fn odd_input_does_not_panic_and_is_deterministic() {
    // No namespace, no uid, no expose, no storage details beyond emptyDir.
    let v = json!({
        "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMService",
        "metadata": {"name": "x"},
        "spec": {"image": {"repository": "r", "tag": "1"}, "storage": {"emptyDir": {}},
                 "expose": {"router": {"gateway": {"name": "gw", "grpcRoutesEnabled": true}}},
                 "metrics": {"enabled": true},
                 "scale": {"enabled": true}}
    });
    let svc = nimservice(v);
    let ctx = RenderContext::default();
    let d = deployment::deployment(&svc, &ctx).unwrap();
    assert_eq!(d.metadata.namespace.as_deref(), Some("default"));
    let owner = &d.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(owner.uid, "");
    let s = service::service(&svc, &ctx);
    assert_eq!(
        s.spec.unwrap().ports.unwrap()[0].target_port,
        Some(IntOrString::String("api".into()))
    );
    let route = httproute::http_route(&svc, &ctx).unwrap();
    assert!(route.spec.hostnames.is_empty());
    assert_eq!(
        route.spec.parent_refs[0].namespace.as_deref(),
        Some("default")
    );
    assert!(grpcroute::grpc_route(&svc, &ctx).is_some());
    let h = hpa::hpa(&svc, &ctx).unwrap();
    assert_eq!(h.spec.as_ref().unwrap().max_replicas, 1);
    assert!(service_monitor::service_monitor(&svc, &ctx).is_some());

    // Same input, same bytes.
    let a = serde_json::to_string(
        &deployment::deployment(&nimservice(autoscaling_llm()), &ctx_with_cache()).unwrap(),
    )
    .unwrap();
    let b = serde_json::to_string(
        &deployment::deployment(&nimservice(autoscaling_llm()), &ctx_with_cache()).unwrap(),
    )
    .unwrap();
    assert_eq!(a, b);

    // Multi-node and KServe are not rendered as a Deployment.
    let mut mn = basic_llm();
    mn["spec"]["multiNode"] = json!({"parallelism": {"pipeline": 2, "tensor": 8}});
    assert!(matches!(
        deployment::deployment(&nimservice(mn.clone()), &ctx_with_cache()),
        Err(RenderError::Unsupported(_))
    ));
    // ... but the multi-node Service selector points at the LWS leader.
    let s = service::service(&nimservice(mn), &ctx);
    assert_eq!(
        serde_json::to_value(s.spec.unwrap().selector).unwrap(),
        json!({"app": format!("{NAME}-lws"), "nim-llm-role": "leader"})
    );
}
