//! Capacity planning: the fewest new VMs (of offered VM classes) that run a set of replica
//! demands, with the packing (which pod goes on which new VM).
//!
//! Pure and abstract: no Kubernetes objects, only numbers. A [`Demand`] is one replica: `pods`
//! pods of `gpus_per_pod` GPUs each, and the offered classes (indices into the
//! [`VmClass`] slice) that can run it. The pods of one replica may share a VM or use different
//! VMs, as the planner's placement allows. Whether a class is eligible for a replica is decided
//! by the caller (the CLI re-plans the service with one synthetic node of the class).
//!
//! **Objective.** Minimise, lexicographically, the [`Cost`]: total VMs, then total GPUs of the
//! added VMs, then the sorted list of class indices (so earlier offered classes win ties).
//!
//! **Methods.**
//!
//! * [`Method::Exact`]: depth-first branch and bound over pods sorted by size (descending). Each
//!   pod goes into an already opened VM with room (VMs with the same class and the same free
//!   GPUs are interchangeable, so only one of them is tried) or into a new VM of an eligible
//!   class. The first-fit-decreasing packing is the initial upper bound; a branch is cut when
//!   `(VMs so far + ⌈(pod GPUs left − free GPUs in open VMs) / largest class⌉, GPUs so far +
//!   (pod GPUs left − free GPUs in open VMs))` already exceeds the best cost. Used when the
//!   instance has at most [`EXACT_MAX_PODS`] (12) pods and the search finishes within
//!   [`EXACT_MAX_STEPS`] (2,000,000) branch visits (a count, so results are deterministic).
//! * [`Method::FirstFitDecreasing`]: pods by size descending (ties: demand order); each pod goes
//!   into the first opened VM (in opening order) of an eligible class with room, else into a
//!   new VM of the *largest* eligible class (ties: class order); finally each VM is shrunk to
//!   the eligible class with the fewest GPUs that still holds its pods (ties: class order),
//!   which never changes the VM count. When one offered class can run every pod and has the
//!   most GPUs, the opening phase is plain first-fit-decreasing bin packing into that class, and
//!   any packing can be moved into that class VM for VM, so the result uses at most
//!   `11/9 · OPT + 6/9` VMs (Dósa 2007). Otherwise the class split is greedy and carries no
//!   bound.
//!
//! ```
//! use nim_planner::capacity::{Demand, Method, VmClass, pack};
//!
//! let classes = [VmClass::new("H100XM x4", 4), VmClass::new("L40S x4", 4)];
//! let demands = [
//!     // a tp=4 replica only the H100XM class can run
//!     Demand::new("llama-70b#1", 4, 1, vec![0]),
//!     // two single-GPU replicas either class can run
//!     Demand::new("llama-8b#1", 1, 1, vec![0, 1]),
//!     Demand::new("llama-8b#2", 1, 1, vec![0, 1]),
//! ];
//! let packing = pack(&classes, &demands)?;
//! assert_eq!(packing.method, Method::Exact);
//! assert_eq!(packing.vms_per_class(classes.len()), [2, 0]);
//! assert_eq!(packing.cost(&classes).vms, 2);
//! packing.check(&classes, &demands)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

/// Largest number of pods (over all demands) for which [`pack`] runs the exact search.
///
/// ```
/// assert_eq!(nim_planner::capacity::EXACT_MAX_PODS, 12);
/// ```
pub const EXACT_MAX_PODS: usize = 12;

/// Branch visits the exact search may make before [`pack`] falls back to first-fit-decreasing.
///
/// ```
/// assert_eq!(nim_planner::capacity::EXACT_MAX_STEPS, 2_000_000);
/// ```
pub const EXACT_MAX_STEPS: u64 = 2_000_000;

/// An offered VM class: a name (for reports) and its GPUs per VM.
///
/// ```
/// let c = nim_planner::capacity::VmClass::new("NVIDIA-H100XM-80C:4:vgpu", 4);
/// assert_eq!((c.name.as_str(), c.gpus), ("NVIDIA-H100XM-80C:4:vgpu", 4));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VmClass {
    /// Display name.
    pub name: String,
    /// GPUs per VM.
    pub gpus: u32,
}

impl VmClass {
    /// A class.
    ///
    /// ```
    /// assert_eq!(nim_planner::capacity::VmClass::new("x", 8).gpus, 8);
    /// ```
    pub fn new(name: impl Into<String>, gpus: u32) -> Self {
        Self {
            name: name.into(),
            gpus,
        }
    }
}

/// One replica to place on new VMs.
///
/// ```
/// let d = nim_planner::capacity::Demand::new("svc#1", 2, 3, vec![0]);
/// assert_eq!(d.gpus(), 6);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Demand {
    /// Display label (e.g. `default/llama-3-1-70b replica 1`).
    pub label: String,
    /// GPUs per pod.
    pub gpus_per_pod: u32,
    /// Pods per replica.
    pub pods: u32,
    /// Indices of the offered classes that can run the pods.
    pub classes: Vec<usize>,
}

impl Demand {
    /// A demand.
    ///
    /// ```
    /// let d = nim_planner::capacity::Demand::new("a", 1, 1, vec![0, 1]);
    /// assert_eq!(d.classes, [0, 1]);
    /// ```
    pub fn new(
        label: impl Into<String>,
        gpus_per_pod: u32,
        pods: u32,
        classes: Vec<usize>,
    ) -> Self {
        Self {
            label: label.into(),
            gpus_per_pod,
            pods,
            classes,
        }
    }

    /// GPUs of the whole replica.
    ///
    /// ```
    /// assert_eq!(nim_planner::capacity::Demand::new("a", 4, 2, vec![]).gpus(), 8);
    /// ```
    pub fn gpus(&self) -> u64 {
        u64::from(self.gpus_per_pod) * u64::from(self.pods)
    }

    /// Whether a pod of this demand can go on a VM of class `class`: listed, and large enough.
    ///
    /// ```
    /// use nim_planner::capacity::{Demand, VmClass};
    /// let classes = [VmClass::new("small", 2), VmClass::new("big", 8)];
    /// let d = Demand::new("a", 4, 1, vec![0, 1]);
    /// assert!(!d.eligible(&classes, 0) && d.eligible(&classes, 1));
    /// ```
    pub fn eligible(&self, classes: &[VmClass], class: usize) -> bool {
        self.classes.contains(&class)
            && classes
                .get(class)
                .is_some_and(|c| c.gpus >= self.gpus_per_pod)
    }
}

/// One pod of a demand.
///
/// ```
/// let p = nim_planner::capacity::PodRef { demand: 0, pod: 1 };
/// assert_eq!(p.pod, 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PodRef {
    /// Index into the demands.
    pub demand: usize,
    /// Pod index within the replica (0-based).
    pub pod: u32,
}

/// One new VM and the pods it runs.
///
/// ```
/// let vm = nim_planner::capacity::NewVm { class: 0, pods: vec![] };
/// assert!(vm.pods.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewVm {
    /// Index into the classes.
    pub class: usize,
    /// Pods placed on it, in placement order.
    pub pods: Vec<PodRef>,
}

impl NewVm {
    /// GPUs its pods use.
    ///
    /// ```
    /// use nim_planner::capacity::{Demand, NewVm, PodRef};
    /// let d = [Demand::new("a", 2, 2, vec![0])];
    /// let vm = NewVm { class: 0, pods: vec![PodRef { demand: 0, pod: 0 }, PodRef { demand: 0, pod: 1 }] };
    /// assert_eq!(vm.used_gpus(&d), 4);
    /// ```
    pub fn used_gpus(&self, demands: &[Demand]) -> u64 {
        self.pods
            .iter()
            .map(|p| u64::from(demands[p.demand].gpus_per_pod))
            .sum()
    }
}

/// How a packing was found.
///
/// ```
/// use nim_planner::capacity::Method;
/// assert_eq!(Method::Exact.to_string(), "exact branch and bound (optimal)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Branch and bound, optimal.
    Exact,
    /// First-fit-decreasing (too many pods, or the exact search ran out of steps).
    FirstFitDecreasing,
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact => f.write_str("exact branch and bound (optimal)"),
            Self::FirstFitDecreasing => f.write_str(
                "first-fit-decreasing (at most 11/9 x OPT + 6/9 VMs when the largest offered class \
                 can run every pod; otherwise greedy, no bound)",
            ),
        }
    }
}

/// The objective, compared lexicographically: VMs, then GPUs, then sorted class indices.
///
/// ```
/// use nim_planner::capacity::Cost;
/// let a = Cost { vms: 1, gpus: 8, classes: vec![1] };
/// let b = Cost { vms: 2, gpus: 4, classes: vec![0, 0] };
/// assert!(a < b);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Cost {
    /// Number of new VMs.
    pub vms: usize,
    /// GPUs of the new VMs.
    pub gpus: u64,
    /// Class index of each new VM, sorted.
    pub classes: Vec<usize>,
}

/// New VMs and the pods on them.
///
/// ```
/// use nim_planner::capacity::{Method, Packing};
/// let p = Packing { method: Method::Exact, vms: vec![] };
/// assert_eq!(p.vms_per_class(2), [0, 0]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Packing {
    /// How it was found.
    pub method: Method,
    /// New VMs, grouped by class in class order, then in opening order.
    pub vms: Vec<NewVm>,
}

impl Packing {
    /// New VMs per class (`n` classes).
    ///
    /// ```
    /// use nim_planner::capacity::{Method, NewVm, Packing};
    /// let p = Packing { method: Method::Exact, vms: vec![NewVm { class: 1, pods: vec![] }] };
    /// assert_eq!(p.vms_per_class(2), [0, 1]);
    /// ```
    pub fn vms_per_class(&self, n: usize) -> Vec<usize> {
        let mut out = vec![0; n];
        for vm in &self.vms {
            if let Some(c) = out.get_mut(vm.class) {
                *c += 1;
            }
        }
        out
    }

    /// The objective value.
    ///
    /// ```
    /// use nim_planner::capacity::{Method, NewVm, Packing, VmClass};
    /// let p = Packing { method: Method::Exact, vms: vec![NewVm { class: 0, pods: vec![] }] };
    /// assert_eq!(p.cost(&[VmClass::new("a", 4)]).gpus, 4);
    /// ```
    pub fn cost(&self, classes: &[VmClass]) -> Cost {
        let mut cls: Vec<usize> = self.vms.iter().map(|v| v.class).collect();
        cls.sort_unstable();
        Cost {
            vms: self.vms.len(),
            gpus: self
                .vms
                .iter()
                .map(|v| u64::from(classes[v.class].gpus))
                .sum(),
            classes: cls,
        }
    }

    /// Checks the packing: every pod of every demand placed exactly once, only on VMs of an
    /// eligible class, and no VM over its GPUs.
    ///
    /// ```
    /// use nim_planner::capacity::{Demand, Method, NewVm, Packing, PodRef, VmClass};
    /// let classes = [VmClass::new("a", 2)];
    /// let demands = [Demand::new("x", 2, 1, vec![0])];
    /// let bad = Packing { method: Method::Exact, vms: vec![] };
    /// assert!(bad.check(&classes, &demands).is_err());
    /// let good = Packing { method: Method::Exact,
    ///     vms: vec![NewVm { class: 0, pods: vec![PodRef { demand: 0, pod: 0 }] }] };
    /// assert!(good.check(&classes, &demands).is_ok());
    /// ```
    pub fn check(&self, classes: &[VmClass], demands: &[Demand]) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for (i, vm) in self.vms.iter().enumerate() {
            let Some(class) = classes.get(vm.class) else {
                return Err(format!("VM {i}: no class {}", vm.class));
            };
            for p in &vm.pods {
                let Some(d) = demands.get(p.demand) else {
                    return Err(format!("VM {i}: no demand {}", p.demand));
                };
                if p.pod >= d.pods {
                    return Err(format!("VM {i}: {} has no pod {}", d.label, p.pod));
                }
                if !d.eligible(classes, vm.class) {
                    return Err(format!("VM {i}: {} cannot run on {}", d.label, class.name));
                }
                if !seen.insert(*p) {
                    return Err(format!("{} pod {} placed twice", d.label, p.pod));
                }
            }
            if vm.pods.is_empty() {
                return Err(format!("VM {i} is empty"));
            }
            let used = vm.used_gpus(demands);
            if used > u64::from(class.gpus) {
                return Err(format!(
                    "VM {i} ({}): {used} GPU(s) used of {}",
                    class.name, class.gpus
                ));
            }
        }
        for (di, d) in demands.iter().enumerate() {
            for pod in 0..d.pods {
                if !seen.contains(&PodRef { demand: di, pod }) {
                    return Err(format!("{} pod {pod} not placed", d.label));
                }
            }
        }
        Ok(())
    }
}

/// Why no packing exists.
///
/// ```
/// use nim_planner::capacity::{CapacityError, Demand, VmClass, pack};
/// let err = pack(&[VmClass::new("small", 2)], &[Demand::new("big", 4, 1, vec![0])]).unwrap_err();
/// assert_eq!(err, CapacityError::NoEligibleClass { demand: 0 });
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapacityError {
    /// No offered class can run a pod of this demand.
    #[error("no offered VM class can run demand {demand}")]
    NoEligibleClass {
        /// Index into the demands.
        demand: usize,
    },
}

/// A pod to place, flattened.
#[derive(Debug, Clone)]
struct Item {
    pod: PodRef,
    size: u32,
    classes: Vec<usize>,
}

fn items(classes: &[VmClass], demands: &[Demand]) -> Result<Vec<Item>, CapacityError> {
    let mut out = Vec::new();
    for (di, d) in demands.iter().enumerate() {
        let eligible: Vec<usize> = (0..classes.len())
            .filter(|&c| d.eligible(classes, c))
            .collect();
        if d.pods > 0 && eligible.is_empty() {
            return Err(CapacityError::NoEligibleClass { demand: di });
        }
        for pod in 0..d.pods {
            out.push(Item {
                pod: PodRef { demand: di, pod },
                size: d.gpus_per_pod,
                classes: eligible.clone(),
            });
        }
    }
    // Largest first; ties keep demand order (stable sort).
    out.sort_by_key(|i| std::cmp::Reverse(i.size));
    Ok(out)
}

/// VMs in canonical order: by class, then opening order.
fn finish(method: Method, mut vms: Vec<NewVm>) -> Packing {
    vms.sort_by_key(|v| v.class);
    Packing { method, vms }
}

/// First-fit-decreasing (see the module docs).
///
/// ```
/// use nim_planner::capacity::{Demand, VmClass, pack_ffd};
/// let classes = [VmClass::new("x4", 4)];
/// let demands: Vec<Demand> = (0..5).map(|i| Demand::new(format!("r{i}"), 1, 1, vec![0])).collect();
/// assert_eq!(pack_ffd(&classes, &demands)?.vms.len(), 2);
/// # Ok::<(), nim_planner::capacity::CapacityError>(())
/// ```
pub fn pack_ffd(classes: &[VmClass], demands: &[Demand]) -> Result<Packing, CapacityError> {
    let items = items(classes, demands)?;
    let mut vms: Vec<NewVm> = Vec::new();
    let mut free: Vec<u32> = Vec::new();
    for it in &items {
        if let Some(j) =
            (0..vms.len()).find(|&j| it.classes.contains(&vms[j].class) && free[j] >= it.size)
        {
            vms[j].pods.push(it.pod);
            free[j] -= it.size;
            continue;
        }
        // New VM: the eligible class with the most GPUs (ties: class order).
        let c = it
            .classes
            .iter()
            .copied()
            .min_by_key(|&c| (std::cmp::Reverse(classes[c].gpus), c))
            .ok_or(CapacityError::NoEligibleClass {
                demand: it.pod.demand,
            })?;
        vms.push(NewVm {
            class: c,
            pods: vec![it.pod],
        });
        free.push(classes[c].gpus - it.size);
    }
    // Shrink each VM to the smallest class that holds its pods and that all of them may use.
    for vm in &mut vms {
        let used = vm.used_gpus(demands);
        if let Some(c) = (0..classes.len())
            .filter(|&c| {
                u64::from(classes[c].gpus) >= used
                    && vm
                        .pods
                        .iter()
                        .all(|p| demands[p.demand].eligible(classes, c))
            })
            .min_by_key(|&c| (classes[c].gpus, c))
        {
            vm.class = c;
        }
    }
    Ok(finish(Method::FirstFitDecreasing, vms))
}

struct Search<'a> {
    classes: &'a [VmClass],
    items: &'a [Item],
    /// Suffix sums of item sizes.
    rest: Vec<u64>,
    max_cap: u64,
    steps: u64,
    max_steps: u64,
    vms: Vec<NewVm>,
    free: Vec<u32>,
    best: Option<(Cost, Vec<NewVm>)>,
}

impl Search<'_> {
    fn current_cost(&self) -> Cost {
        let mut cls: Vec<usize> = self.vms.iter().map(|v| v.class).collect();
        cls.sort_unstable();
        Cost {
            vms: self.vms.len(),
            gpus: self
                .vms
                .iter()
                .map(|v| u64::from(self.classes[v.class].gpus))
                .sum(),
            classes: cls,
        }
    }

    /// Returns false when the step budget ran out.
    fn dfs(&mut self, i: usize) -> bool {
        self.steps += 1;
        if self.steps > self.max_steps {
            return false;
        }
        let cur_vms = self.vms.len();
        let cur_gpus: u64 = self
            .vms
            .iter()
            .map(|v| u64::from(self.classes[v.class].gpus))
            .sum();
        let open_free: u64 = self.free.iter().map(|&f| u64::from(f)).sum();
        let short = self.rest[i].saturating_sub(open_free);
        let lb_vms = cur_vms + usize::try_from(short.div_ceil(self.max_cap)).unwrap_or(usize::MAX);
        if let Some((best, _)) = &self.best
            && (lb_vms, cur_gpus + short) > (best.vms, best.gpus)
        {
            return true;
        }
        if i == self.items.len() {
            let cost = self.current_cost();
            if self.best.as_ref().is_none_or(|(b, _)| cost < *b) {
                self.best = Some((cost, self.vms.clone()));
            }
            return true;
        }
        let it = &self.items[i];
        let mut tried: BTreeSet<(usize, u32)> = BTreeSet::new();
        for j in 0..self.vms.len() {
            let class = self.vms[j].class;
            if self.free[j] < it.size
                || !it.classes.contains(&class)
                || !tried.insert((class, self.free[j]))
            {
                continue;
            }
            self.vms[j].pods.push(it.pod);
            self.free[j] -= it.size;
            let ok = self.dfs(i + 1);
            self.free[j] += it.size;
            self.vms[j].pods.pop();
            if !ok {
                return false;
            }
        }
        for &c in &it.classes {
            self.vms.push(NewVm {
                class: c,
                pods: vec![it.pod],
            });
            self.free.push(self.classes[c].gpus - it.size);
            let ok = self.dfs(i + 1);
            self.free.pop();
            self.vms.pop();
            if !ok {
                return false;
            }
        }
        true
    }
}

/// The exact branch and bound (see the module docs), whatever the instance size; `None` when it
/// needs more than `max_steps` branch visits.
///
/// ```
/// use nim_planner::capacity::{Demand, VmClass, pack_exact};
/// // Sizes 5, 4, 3, 3, 3, 2 on 10-GPU VMs: first-fit-decreasing opens 3 VMs
/// // ({5,4}, {3,3,3}, {2}); the optimum is 2 ({5,3,2}, {4,3,3}).
/// let classes = [VmClass::new("x10", 10)];
/// let demands: Vec<Demand> = [5, 4, 3, 3, 3, 2].iter().enumerate()
///     .map(|(i, &g)| Demand::new(format!("r{i}"), g, 1, vec![0])).collect();
/// assert_eq!(nim_planner::capacity::pack_ffd(&classes, &demands)?.vms.len(), 3);
/// let p = pack_exact(&classes, &demands, 100_000)?.expect("within budget");
/// assert_eq!(p.vms.len(), 2);
/// p.check(&classes, &demands).unwrap();
/// # Ok::<(), nim_planner::capacity::CapacityError>(())
/// ```
pub fn pack_exact(
    classes: &[VmClass],
    demands: &[Demand],
    max_steps: u64,
) -> Result<Option<Packing>, CapacityError> {
    let items = items(classes, demands)?;
    let mut rest = vec![0u64; items.len() + 1];
    for i in (0..items.len()).rev() {
        rest[i] = rest[i + 1] + u64::from(items[i].size);
    }
    let upper = pack_ffd(classes, demands)?;
    let mut search = Search {
        classes,
        items: &items,
        rest,
        max_cap: classes
            .iter()
            .map(|c| u64::from(c.gpus))
            .max()
            .unwrap_or(1)
            .max(1),
        steps: 0,
        max_steps,
        vms: Vec::new(),
        free: Vec::new(),
        best: Some((upper.cost(classes), upper.vms)),
    };
    if !search.dfs(0) {
        return Ok(None);
    }
    Ok(search.best.map(|(_, vms)| finish(Method::Exact, vms)))
}

/// The packing [`crate::capacity`] describes: exact when there are at most [`EXACT_MAX_PODS`]
/// pods and the search fits [`EXACT_MAX_STEPS`], else first-fit-decreasing.
///
/// ```
/// use nim_planner::capacity::{Demand, Method, VmClass, pack};
/// let classes = [VmClass::new("x8", 8)];
/// let many: Vec<Demand> = (0..20).map(|i| Demand::new(format!("r{i}"), 2, 1, vec![0])).collect();
/// let p = pack(&classes, &many)?;
/// assert_eq!((p.method, p.vms.len()), (Method::FirstFitDecreasing, 5));
/// # Ok::<(), nim_planner::capacity::CapacityError>(())
/// ```
pub fn pack(classes: &[VmClass], demands: &[Demand]) -> Result<Packing, CapacityError> {
    let pods: u64 = demands.iter().map(|d| u64::from(d.pods)).sum();
    if pods <= EXACT_MAX_PODS as u64
        && let Some(p) = pack_exact(classes, demands, EXACT_MAX_STEPS)?
    {
        return Ok(p);
    }
    pack_ffd(classes, demands)
}
