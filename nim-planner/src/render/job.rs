//! The NIMCache caching Job `<nimcache>-job` (contract §3.1 step 8).
//!
//! NVIDIA creates the Job only when it is absent and the NIMCache is not `Ready`, and never
//! updates it; that decision belongs to the caller.

use std::collections::BTreeMap;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Capabilities, ConfigMapVolumeSource, Container, EmptyDirVolumeSource, EnvFromSource, EnvVar,
    LocalObjectReference, PersistentVolumeClaimVolumeSource, PodSecurityContext, PodSpec,
    PodTemplateSpec, ResourceRequirements, SecretEnvSource, SecurityContext, Volume,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use nim_types::NIMCache;

use super::deployment::{DEFAULT_GROUP_ID, DEFAULT_USER_ID, MODEL_STORE_PATH, proxy_env};
use super::labels::{
    NIMCACHE_KIND, cache_labels, merge_env, name_of, non_empty, non_empty_str, non_empty_vec,
    owned_meta,
};
use super::pvc::pvc_name;
use super::service_account::CACHE_SERVICE_ACCOUNT;
use super::{RenderContext, RenderError};

/// Node selector applied by NVIDIA when `spec.nodeSelector` is nil.
pub const DEFAULT_CACHE_NODE_SELECTOR: (&str, &str) =
    ("feature.node.kubernetes.io/pci-10de.present", "true");

/// Name of the caching container.
pub const CACHE_CONTAINER: &str = "nim-cache-ctr";

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_string(),
        value: Some(value.to_string()),
        value_from: None,
    }
}

use super::deployment::mount;

/// The caching container's `(command, args)` for the NIMCache source, as NVIDIA renders them:
///
/// * NGC without `modelEndpoint`: `download-to-cache` with `--all` (profiles `["all"]`) or
///   `--profiles <id…>` (explicit `model.profiles`, else `ctx.selected_profiles`; none ⇒
///   [`RenderError::NoProfilesSelected`]);
/// * NGC with `modelEndpoint`: `create-model-store --model-repo <endpoint> --model-store /model-store`;
/// * HF / DataStore: `huggingface-cli download <ns>/<model|dataset> --local-dir /model-store
///   --repo-type model|dataset [--revision r]`, or for `status.type=model-free`
///   `download-to-cache --model-uri hf://<ns>/<model> --manifest-file /model-store/model_manifest.json`;
/// * native (`status.type=native`): none (the image's entrypoint).
///
/// ```
/// use nim_planner::render::{RenderContext, job::cache_command};
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama"},
///     "spec": {"source": {"ngc": {"authSecret": "s", "modelPuller": "img", "model": {"profiles": ["all"]}}},
///              "storage": {"pvc": {"name": "p"}}}
/// })).unwrap();
/// let (cmd, args) = cache_command(&cache, &RenderContext::default()).unwrap();
/// assert_eq!(cmd, vec!["download-to-cache".to_string()]);
/// assert_eq!(args, vec!["--all".to_string()]);
/// ```
pub fn cache_command(
    cache: &NIMCache,
    ctx: &RenderContext,
) -> Result<(Vec<String>, Vec<String>), RenderError> {
    let source = &cache.spec.source;
    let cache_type = cache.status.as_ref().and_then(|s| s.type_.as_deref());
    if cache_type == Some("native") {
        return Ok((Vec::new(), Vec::new()));
    }
    let s = |v: &str| v.to_string();
    if let Some(ngc) = &source.ngc {
        if let Some(endpoint) = ngc.model_endpoint.as_ref() {
            return Ok((
                vec![s("create-model-store")],
                vec![
                    s("--model-repo"),
                    endpoint.clone(),
                    s("--model-store"),
                    s(MODEL_STORE_PATH),
                ],
            ));
        }
        let explicit: Vec<String> = ngc
            .model
            .as_ref()
            .map(|m| m.profiles.clone())
            .unwrap_or_default();
        let profiles = if explicit.is_empty() {
            ctx.selected_profiles.clone()
        } else {
            explicit
        };
        let args = if profiles.iter().any(|p| p == "all") {
            vec![s("--all")]
        } else if profiles.is_empty() {
            return Err(RenderError::NoProfilesSelected);
        } else {
            std::iter::once(s("--profiles")).chain(profiles).collect()
        };
        return Ok((vec![s("download-to-cache")], args));
    }
    let (namespace, model, dataset, revision) = if let Some(hf) = &source.hf {
        (
            &hf.namespace,
            &hf.model_name,
            &hf.dataset_name,
            &hf.revision,
        )
    } else if let Some(ds) = &source.data_store {
        (
            &ds.namespace,
            &ds.model_name,
            &ds.dataset_name,
            &ds.revision,
        )
    } else {
        return Err(RenderError::NoSource);
    };
    if cache_type == Some("model-free") {
        let model = model.clone().unwrap_or_default();
        return Ok((
            vec![s("download-to-cache")],
            vec![
                s("--model-uri"),
                format!("hf://{namespace}/{model}"),
                s("--manifest-file"),
                s("/model-store/model_manifest.json"),
            ],
        ));
    }
    let (repo, repo_type) = match (model, dataset) {
        (Some(m), _) => (m.clone(), "model"),
        (None, Some(d)) => (d.clone(), "dataset"),
        (None, None) => (String::new(), "model"),
    };
    let mut args = vec![
        s("download"),
        format!("{namespace}/{repo}"),
        s("--local-dir"),
        s(MODEL_STORE_PATH),
        s("--repo-type"),
        s(repo_type),
    ];
    if let Some(r) = revision.as_ref().filter(|r| !r.is_empty()) {
        args.push(s("--revision"));
        args.push(r.clone());
    }
    Ok((vec![s("huggingface-cli")], args))
}

/// The caching Job `<nimcache>-job`: labels (also on the Job) `app=k8s-nim-operator`,
/// `app.kubernetes.io/name=<nimcache>`, managed-by; pod annotations
/// `sidecar.istio.io/inject: "false"` and `openshift.io/scc: anyuid|nonroot`; `backoffLimit: 5`,
/// `ttlSecondsAfterFinished: 600`, `restartPolicy: Never`, SA `nim-cache-sa`, pod securityContext
/// `runAsUser` (1000) / `fsGroup` (2000) / `runAsNonRoot`; volumes `nim-cache-volume` (the PVC)
/// and `scratch`; nodeSelector (default `feature.node.kubernetes.io/pci-10de.present: "true"`),
/// tolerations, runtimeClassName, imagePullSecrets `[pullSecret]`; one container
/// `nim-cache-ctr` (see [`cache_command`] for command/args) with env per source, `spec.env`
/// (user wins), proxy env (wins), `envFrom` the auth secret, resources requests = limits =
/// `spec.resources`, dropped capabilities, no privilege escalation,
/// `terminationMessagePolicy: FallbackToLogsOnError`; init containers (`update-ca-certificates`
/// with `proxy.certConfigMap`, then `spec.initContainers` with the main mounts and env).
///
/// ```
/// use nim_planner::render::{RenderContext, job::cache_job};
/// let cache: nim_types::NIMCache = serde_json::from_value(serde_json::json!({
///     "apiVersion": "apps.nvidia.com/v1alpha1", "kind": "NIMCache", "metadata": {"name": "llama", "namespace": "nim"},
///     "spec": {"source": {"ngc": {"authSecret": "ngc-api-secret", "modelPuller": "nvcr.io/nim/meta/llama:1", "pullSecret": "ngc-secret"}},
///              "storage": {"pvc": {"create": true, "size": "50Gi", "volumeAccessMode": "ReadWriteOnce"}}}
/// })).unwrap();
/// let ctx = RenderContext { selected_profiles: vec!["abc123".into()], ..Default::default() };
/// let job = cache_job(&cache, &ctx).unwrap();
/// assert_eq!(job.metadata.name.as_deref(), Some("llama-job"));
/// let pod = job.spec.unwrap().template.spec.unwrap();
/// assert_eq!(pod.containers[0].args.as_ref().unwrap(), &vec!["--profiles".to_string(), "abc123".to_string()]);
/// ```
/// The cache pods' cpu/memory (`spec.resources`), as both requests and limits.
pub(crate) fn cache_resources(cache: &NIMCache) -> Option<ResourceRequirements> {
    cache.spec.resources.as_ref().and_then(|r| {
        let map: BTreeMap<_, _> = [("cpu", &r.cpu), ("memory", &r.memory)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().map(|q| (k.to_string(), q)))
            .collect();
        non_empty(map).map(|m| ResourceRequirements {
            limits: Some(m.clone()),
            requests: Some(m),
            claims: None,
        })
    })
}

pub fn cache_job(cache: &NIMCache, ctx: &RenderContext) -> Result<Job, RenderError> {
    let spec = &cache.spec;
    if spec.cert_config.is_some() {
        return Err(RenderError::DeprecatedCertConfig);
    }
    let source = &spec.source;
    let image = source
        .model_puller()
        .ok_or(RenderError::NoSource)?
        .to_string();
    let (command, args) = cache_command(cache, ctx)?;
    let name = name_of(&cache.metadata);
    let native = cache.status.as_ref().and_then(|s| s.type_.as_deref()) == Some("native");
    let pvc = spec.storage.pvc.clone().unwrap_or_default();
    let sub_path = non_empty_str(pvc.sub_path.as_ref());
    let user_id = spec.user_id.unwrap_or(DEFAULT_USER_ID);
    let group_id = spec.group_id.unwrap_or(DEFAULT_GROUP_ID);
    let ca_config_map = spec
        .proxy
        .as_ref()
        .and_then(|p| non_empty_str(p.cert_config_map.as_ref()));

    // Mounts of the caching container.
    let mut mounts = if native {
        vec![
            mount("nim-cache-volume", "/model", sub_path.clone()),
            mount("nim-cache-volume", "/opt/cache", sub_path),
        ]
    } else {
        vec![mount("nim-cache-volume", MODEL_STORE_PATH, sub_path)]
    };
    mounts.push(mount("scratch", "/scratch", None));
    let mut volumes = vec![
        Volume {
            name: "nim-cache-volume".to_string(),
            persistent_volume_claim: Some(PersistentVolumeClaimVolumeSource {
                claim_name: pvc_name(&pvc, &name),
                read_only: None,
            }),
            ..Default::default()
        },
        Volume {
            name: "scratch".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        },
    ];
    if let Some(cm) = &ca_config_map {
        volumes.push(Volume {
            name: "ca-cert-volume".to_string(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
        volumes.push(Volume {
            name: "custom-ca".to_string(),
            config_map: Some(ConfigMapVolumeSource {
                name: cm.clone(),
                ..Default::default()
            }),
            ..Default::default()
        });
        mounts.push(mount("ca-cert-volume", "/etc/ssl", None));
    }

    // Environment: per source, then user env (user wins), then proxy (wins).
    let hf_like = source.hf.is_some() || source.data_store.is_some();
    let base_env = if native {
        Vec::new()
    } else if hf_like {
        let endpoint = source
            .hf
            .as_ref()
            .map(|h| h.endpoint.clone())
            .or_else(|| source.data_store.as_ref().map(|d| d.endpoint.clone()))
            .unwrap_or_default();
        vec![
            env("HF_ENDPOINT", &endpoint),
            env("HF_HUB_OFFLINE", "0"),
            env("NIM_CACHE_PATH", MODEL_STORE_PATH),
            env("HF_HOME", "/model-store/huggingface/hub"),
        ]
    } else {
        vec![env("NIM_CACHE_PATH", MODEL_STORE_PATH)]
    };
    let mut container_env = merge_env(&base_env, &spec.env);
    if native {
        container_env = merge_env(
            &container_env,
            &[
                env("NIM_ENGINE_MODEL_DOWNLOAD_ONLY", "1"),
                env("NIM_ENGINE_MODEL_PATH", &format!("/model/{name}")),
            ],
        );
    }
    container_env = merge_env(&container_env, &proxy_env(spec.proxy.as_ref()));

    let env_from = source.auth_secret().map(|secret| {
        vec![EnvFromSource {
            secret_ref: Some(SecretEnvSource {
                name: secret.to_string(),
                optional: None,
            }),
            ..Default::default()
        }]
    });
    let resources = cache_resources(cache);
    let container_security = SecurityContext {
        allow_privilege_escalation: Some(false),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
            add: None,
        }),
        run_as_non_root: Some(true),
        run_as_group: Some(group_id),
        run_as_user: Some(user_id),
        ..Default::default()
    };

    let mut init_containers = Vec::new();
    if ca_config_map.is_some() {
        init_containers.push(Container {
            name: "update-ca-certificates".to_string(),
            image: Some(image.clone()),
            command: Some(vec!["/bin/sh".to_string(), "-c".to_string()]),
            args: Some(vec![
                "cp /custom/*.crt /custom/*.pem /usr/local/share/ca-certificates/ 2>/dev/null || true; update-ca-certificates && cp -r /etc/ssl/* /ca-certs/".to_string(),
            ]),
            security_context: Some(SecurityContext {
                run_as_user: Some(0),
                ..Default::default()
            }),
            volume_mounts: Some(vec![
                mount("ca-cert-volume", "/ca-certs", None),
                mount("custom-ca", "/custom", None),
            ]),
            ..Default::default()
        });
    }
    init_containers.extend(spec.init_containers.iter().map(|c| Container {
        name: c.name.clone(),
        image: Some(c.image.reference()),
        image_pull_policy: non_empty_str(c.image.pull_policy.as_ref()),
        command: non_empty_vec(c.command.clone()),
        args: non_empty_vec(c.args.clone()),
        working_dir: non_empty_str(c.working_dir.as_ref()),
        env: non_empty_vec(merge_env(&container_env, &c.env)),
        volume_mounts: Some(mounts.clone()),
        ..Default::default()
    }));

    let pull_secret = source
        .ngc
        .as_ref()
        .and_then(|n| n.pull_secret.clone())
        .or_else(|| source.hf.as_ref().map(|h| h.pull_secret.clone()))
        .or_else(|| source.data_store.as_ref().map(|d| d.pull_secret.clone()))
        .filter(|s| !s.is_empty());
    let node_selector = spec.node_selector.clone().unwrap_or_else(|| {
        BTreeMap::from([(
            DEFAULT_CACHE_NODE_SELECTOR.0.to_string(),
            DEFAULT_CACHE_NODE_SELECTOR.1.to_string(),
        )])
    });
    let scc = if spec.proxy.is_some() {
        "anyuid"
    } else {
        "nonroot"
    };
    let pod_annotations = BTreeMap::from([
        ("openshift.io/scc".to_string(), scc.to_string()),
        ("sidecar.istio.io/inject".to_string(), "false".to_string()),
    ]);
    let labels = cache_labels(&name);

    let pod = PodSpec {
        restart_policy: Some("Never".to_string()),
        service_account_name: Some(CACHE_SERVICE_ACCOUNT.to_string()),
        security_context: Some(PodSecurityContext {
            run_as_user: Some(user_id),
            fs_group: Some(group_id),
            run_as_non_root: Some(true),
            ..Default::default()
        }),
        node_selector: non_empty(node_selector),
        tolerations: non_empty_vec(spec.tolerations.clone()),
        runtime_class_name: non_empty_str(spec.runtime_class_name.as_ref()),
        image_pull_secrets: pull_secret.map(|name| vec![LocalObjectReference { name }]),
        init_containers: non_empty_vec(init_containers),
        containers: vec![Container {
            name: CACHE_CONTAINER.to_string(),
            image: Some(image),
            command: non_empty_vec(command),
            args: non_empty_vec(args),
            env: non_empty_vec(container_env),
            env_from,
            resources,
            security_context: Some(container_security),
            termination_message_policy: Some("FallbackToLogsOnError".to_string()),
            volume_mounts: Some(mounts),
            ..Default::default()
        }],
        volumes: Some(volumes),
        ..Default::default()
    };
    Ok(Job {
        metadata: owned_meta(
            &cache.metadata,
            NIMCACHE_KIND,
            &format!("{name}-job"),
            labels.clone(),
            BTreeMap::new(),
        ),
        spec: Some(JobSpec {
            backoff_limit: Some(5),
            ttl_seconds_after_finished: Some(600),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels),
                    annotations: Some(pod_annotations),
                    ..Default::default()
                }),
                spec: Some(pod),
            },
            ..Default::default()
        }),
        status: None,
    })
}
