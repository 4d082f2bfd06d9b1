//! Property tests for the GPU-product node-affinity merge (contract: required node-selector
//! terms are ORed, so the product requirement must be ANDed into every term).

use k8s_openapi::api::core::v1::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm,
};
use nim_planner::render::deployment::{GPU_PRODUCT_LABEL, merge_gpu_product_affinity};
use proptest::prelude::*;

fn requirement() -> impl Strategy<Value = NodeSelectorRequirement> {
    (
        prop::sample::select(vec!["zone", "pool", "nvidia.com/gpu.product", "arch"]),
        prop::sample::select(vec!["In", "NotIn", "Exists"]),
        prop::collection::vec("[a-c]{1,2}", 0..3),
    )
        .prop_map(|(key, op, values)| NodeSelectorRequirement {
            key: key.to_string(),
            operator: op.to_string(),
            values: (!values.is_empty()).then_some(values),
        })
}

fn term() -> impl Strategy<Value = NodeSelectorTerm> {
    (
        prop::option::of(prop::collection::vec(requirement(), 0..3)),
        prop::option::of(prop::collection::vec(requirement(), 0..2)),
    )
        .prop_map(|(match_expressions, match_fields)| NodeSelectorTerm {
            match_expressions,
            match_fields,
        })
}

fn affinity() -> impl Strategy<Value = Option<Affinity>> {
    prop::option::of(
        prop::option::of(prop::collection::vec(term(), 0..4)).prop_map(|terms| Affinity {
            node_affinity: Some(NodeAffinity {
                required_during_scheduling_ignored_during_execution: terms.map(
                    |node_selector_terms| NodeSelector {
                        node_selector_terms,
                    },
                ),
                preferred_during_scheduling_ignored_during_execution: None,
            }),
            ..Default::default()
        }),
    )
}

fn is_empty_term(t: &NodeSelectorTerm) -> bool {
    t.match_expressions.as_ref().is_none_or(Vec::is_empty)
        && t.match_fields.as_ref().is_none_or(Vec::is_empty)
}

fn terms_of(a: Option<&Affinity>) -> Vec<NodeSelectorTerm> {
    a.and_then(|a| a.node_affinity.as_ref())
        .and_then(|n| {
            n.required_during_scheduling_ignored_during_execution
                .as_ref()
        })
        .map(|r| r.node_selector_terms.clone())
        .unwrap_or_default()
}

proptest! {
    #[test]
    fn product_requirement_is_anded_into_every_term(
        user in affinity(),
        products in prop::collection::vec("[A-D]{1,3}", 1..4),
    ) {
        let merged = merge_gpu_product_affinity(user.as_ref(), &products);
        let before = terms_of(user.as_ref());
        let after = terms_of(merged.as_ref());
        let mut values = products.clone();
        values.sort();
        values.dedup();
        let req = NodeSelectorRequirement {
            key: GPU_PRODUCT_LABEL.to_string(),
            operator: "In".to_string(),
            values: Some(values),
        };
        if before.is_empty() {
            // No term: exactly one is created, holding only the product requirement.
            prop_assert_eq!(after.len(), 1);
            prop_assert_eq!(after[0].match_expressions.clone(), Some(vec![req.clone()]));
        } else {
            // Terms are neither added nor removed; each non-empty term gains the requirement
            // exactly once and keeps its own requirements in order.
            prop_assert_eq!(after.len(), before.len());
            for (b, a) in before.iter().zip(&after) {
                if is_empty_term(b) {
                    prop_assert!(is_empty_term(a));
                    continue;
                }
                let exprs = a.match_expressions.clone().unwrap_or_default();
                prop_assert_eq!(exprs.iter().filter(|e| **e == req).count(), 1);
                let old = b.match_expressions.clone().unwrap_or_default();
                let kept: Vec<_> = exprs.iter().filter(|e| **e != req).cloned().collect();
                let old_kept: Vec<_> = old.iter().filter(|e| **e != req).cloned().collect();
                prop_assert_eq!(kept, old_kept);
                prop_assert_eq!(&a.match_fields, &b.match_fields);
            }
        }
        // Idempotent.
        let twice = merge_gpu_product_affinity(merged.as_ref(), &products);
        prop_assert_eq!(twice, merged);
    }

    #[test]
    fn no_products_leaves_affinity_untouched(user in affinity()) {
        prop_assert_eq!(merge_gpu_product_affinity(user.as_ref(), &[]), user.clone());
        prop_assert_eq!(merge_gpu_product_affinity(user.as_ref(), &[String::new()]), user);
    }
}
