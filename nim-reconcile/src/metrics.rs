//! Operator metrics (Prometheus text format): reconcile counts, durations, errors, writes and
//! objects by state.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels `kind`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// NIM kind.
    pub kind: String,
}

/// Labels `kind`, `result` (`ok` or `error`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// NIM kind.
    pub kind: String,
    /// `ok` or `error`.
    pub result: String,
}

/// Labels `kind`, `code` (the error's stable code).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// NIM kind.
    pub kind: String,
    /// Error code.
    pub code: String,
}

/// Labels `kind`, `state` (`status.state`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabels {
    /// NIM kind.
    pub kind: String,
    /// State.
    pub state: String,
}

type HistogramFamily = Family<KindLabels, Histogram, fn() -> Histogram>;

/// The operator's metrics and their registry.
///
/// ```
/// let m = nim_reconcile::metrics::Metrics::new();
/// m.reconciled("NIMService", std::time::Duration::from_millis(3), Ok(2));
/// m.set_state("NIMService", "nim/llm", "Ready");
/// let text = m.encode();
/// assert!(text.contains("nim_operator_reconciles_total{kind=\"NIMService\",result=\"ok\"} 1"), "{text}");
/// assert!(text.contains("nim_operator_objects{kind=\"NIMService\",state=\"Ready\"} 1"), "{text}");
/// assert!(text.contains("nim_operator_writes_total{kind=\"NIMService\"} 2"), "{text}");
/// ```
pub struct Metrics {
    registry: Registry,
    reconciles: Family<ResultLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    writes: Family<KindLabels, Counter>,
    duration: HistogramFamily,
    objects: Family<StateLabels, Gauge>,
    states: Mutex<BTreeMap<(String, String), String>>,
    /// 1 while this replica holds the leader lease.
    pub leader: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Fresh metrics registered under the `nim_operator` prefix.
    ///
    /// ```
    /// assert!(nim_reconcile::metrics::Metrics::new().encode().contains("nim_operator_leader"));
    /// ```
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("nim_operator");
        let reconciles = Family::<ResultLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let writes = Family::<KindLabels, Counter>::default();
        let duration: HistogramFamily =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.0, 16)));
        let objects = Family::<StateLabels, Gauge>::default();
        let leader = Gauge::default();
        registry.register(
            "reconciles",
            "Reconciles by kind and result",
            reconciles.clone(),
        );
        registry.register(
            "reconcile_errors",
            "Reconcile errors by kind and code",
            errors.clone(),
        );
        registry.register(
            "writes",
            "Write requests made by reconciles",
            writes.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Reconcile duration by kind",
            duration.clone(),
        );
        registry.register(
            "objects",
            "NIM objects by kind and status.state",
            objects.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica is the leader",
            leader.clone(),
        );
        Self {
            registry,
            reconciles,
            errors,
            writes,
            duration,
            objects,
            states: Mutex::new(BTreeMap::new()),
            leader,
        }
    }

    /// Record one reconcile: `Ok(writes)` or `Err(code)`.
    ///
    /// ```
    /// let m = nim_reconcile::metrics::Metrics::new();
    /// m.reconciled("NIMCache", std::time::Duration::ZERO, Err("Rejected"));
    /// assert!(m.encode().contains("nim_operator_reconcile_errors_total{kind=\"NIMCache\",code=\"Rejected\"} 1"));
    /// ```
    pub fn reconciled(&self, kind: &str, took: Duration, result: Result<u32, &str>) {
        let k = KindLabels { kind: kind.into() };
        self.duration.get_or_create(&k).observe(took.as_secs_f64());
        let outcome = match result {
            Ok(writes) => {
                self.writes.get_or_create(&k).inc_by(u64::from(writes));
                "ok"
            }
            Err(code) => {
                self.errors
                    .get_or_create(&ErrorLabels {
                        kind: kind.into(),
                        code: code.into(),
                    })
                    .inc();
                "error"
            }
        };
        self.reconciles
            .get_or_create(&ResultLabels {
                kind: kind.into(),
                result: outcome.into(),
            })
            .inc();
    }

    /// Record the state of one object (`key` = `namespace/name`); empty `state` forgets it.
    ///
    /// ```
    /// let m = nim_reconcile::metrics::Metrics::new();
    /// m.set_state("NIMCache", "n/c", "Ready");
    /// m.set_state("NIMCache", "n/c", "");
    /// assert!(m.encode().contains("nim_operator_objects{kind=\"NIMCache\",state=\"Ready\"} 0"));
    /// ```
    pub fn set_state(&self, kind: &str, key: &str, state: &str) {
        let Ok(mut states) = self.states.lock() else {
            return;
        };
        let k = (kind.to_string(), key.to_string());
        if state.is_empty() {
            states.remove(&k);
        } else {
            states.insert(k, state.to_string());
        }
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for ((kd, _), st) in states.iter() {
            if kd == kind {
                *counts.entry(st).or_default() += 1;
            }
        }
        // Reset every known state of this kind, then set the live counts.
        for s in [
            "Pending",
            "NotReady",
            "Ready",
            "Failed",
            "PVC-Created",
            "Started",
            "InProgress",
        ] {
            if !counts.contains_key(s) {
                self.objects
                    .get_or_create(&StateLabels {
                        kind: kind.into(),
                        state: s.into(),
                    })
                    .set(0);
            }
        }
        for (st, n) in counts {
            self.objects
                .get_or_create(&StateLabels {
                    kind: kind.into(),
                    state: st.into(),
                })
                .set(n);
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
