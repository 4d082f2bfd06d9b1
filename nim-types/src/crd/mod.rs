//! The four `apps.nvidia.com/v1alpha1` custom resources and their generated CRDs.

pub mod common;
pub mod nimbuild;
pub mod nimcache;
pub mod nimpipeline;
pub mod nimservice;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};
use kube::CustomResourceExt;

/// API group of the NIM custom resources.
pub const GROUP: &str = "apps.nvidia.com";
/// API version of the NIM custom resources.
pub const VERSION: &str = "v1alpha1";
/// `apiVersion` string of the NIM custom resources.
pub const API_VERSION: &str = "apps.nvidia.com/v1alpha1";

/// The four CRDs, in a stable order (NIMCache, NIMService, NIMPipeline, NIMBuild).
///
/// ```
/// let crds = nim_types::crds();
/// assert_eq!(crds.len(), 4);
/// assert_eq!(crds[0].metadata.name.as_deref(), Some("nimcaches.apps.nvidia.com"));
/// ```
pub fn crds() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![
        nimcache::NIMCache::crd(),
        nimservice::NIMService::crd(),
        nimpipeline::NIMPipeline::crd(),
        nimbuild::NIMBuild::crd(),
    ];
    for crd in &mut crds {
        for version in &mut crd.spec.versions {
            if let Some(schema) = version
                .schema
                .as_mut()
                .and_then(|s| s.open_api_v3_schema.as_mut())
            {
                strip_doc_examples(schema);
            }
        }
    }
    crds
}

/// Rustdoc examples are for Rust users; the apiserver's `kubectl explain` text keeps only the
/// prose before the first code fence.
fn strip_doc_examples(schema: &mut JSONSchemaProps) {
    if let Some(desc) = schema.description.as_mut()
        && let Some(pos) = desc.find("```")
    {
        desc.truncate(pos);
        let trimmed = desc.trim_end().to_string();
        *desc = trimmed;
    }
    if let Some(props) = schema.properties.as_mut() {
        props.values_mut().for_each(strip_doc_examples);
    }
    if let Some(JSONSchemaPropsOrArray::Schema(items)) = schema.items.as_mut() {
        strip_doc_examples(items);
    }
    if let Some(JSONSchemaPropsOrBool::Schema(extra)) = schema.additional_properties.as_mut() {
        strip_doc_examples(extra);
    }
    for list in [&mut schema.all_of, &mut schema.any_of, &mut schema.one_of]
        .into_iter()
        .flatten()
    {
        list.iter_mut().for_each(strip_doc_examples);
    }
}
