//! Status vocabulary (NVIDIA's state strings, condition types and reasons) and condition setters
//! following the Kubernetes API conventions.
//!
//! Setters take the current time as an argument, so pure code (the planner) stays clock-free.

use std::fmt;
use std::str::FromStr;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// Condition type `Ready` (NIMService).
pub const READY: &str = "Ready";
/// Condition type `Failed` (NIMService).
pub const FAILED: &str = "Failed";
/// Our condition type explaining placement: reason = planner diagnostic code.
pub const SCHEDULED: &str = "Scheduled";

/// NIMService condition reasons used by NVIDIA's operator.
pub mod reasons {
    /// Ready.
    pub const READY: &str = "Ready";
    /// Not ready yet.
    pub const NOT_READY: &str = "NotReady";
    /// Waiting for the NIMCache.
    pub const NIM_CACHE_NOT_READY: &str = "NIMCacheNotReady";
    /// NIMCache missing.
    pub const NIM_CACHE_NOT_FOUND: &str = "NIMCacheNotFound";
    /// NIMCache failed.
    pub const NIM_CACHE_FAILED: &str = "NIMCacheFailed";
    /// Generic failure.
    pub const FAILED: &str = "Failed";
    /// Deployment (or InferenceService) could not be applied.
    pub const DEPLOYMENT_FAILED: &str = "DeploymentFailed";
    /// DRA is not usable.
    pub const DRA_RESOURCES_UNSUPPORTED: &str = "DRAResourcesUnsupported";
    /// Placement succeeded (our `Scheduled` condition).
    pub const PLACED: &str = "Placed";
}

/// NIMCache condition types.
pub mod nimcache_conditions {
    /// PVC created.
    pub const PVC_CREATED: &str = "NIM_CACHE_PVC_CREATED";
    /// Job created.
    pub const JOB_CREATED: &str = "NIM_CACHE_JOB_CREATED";
    /// Job pending.
    pub const JOB_PENDING: &str = "NIM_CACHE_JOB_PENDING";
    /// Job completed.
    pub const JOB_COMPLETED: &str = "NIM_CACHE_JOB_COMPLETED";
    /// Reconcile failed.
    pub const RECONCILE_FAILED: &str = "NIM_CACHE_RECONCILE_FAILED";
}

/// NIMBuild condition types.
pub mod nimbuild_conditions {
    /// Waiting for the NIMCache.
    pub const WAIT_FOR_NIM_CACHE_READY: &str = "NIM_BUILD_WAIT_FOR_NIM_CACHE_READY";
    /// Reconcile failed.
    pub const RECONCILE_FAILED: &str = "NIM_BUILD_RECONCILE_FAILED";
    /// Several buildable profiles and none chosen.
    pub const MULTIPLE_BUILDABLE_PROFILES_FOUND: &str =
        "NIM_BUILD_MULTIPLE_BUILDABLE_PROFILES_FOUND";
    /// Exactly one buildable profile.
    pub const SINGLE_BUILDABLE_PROFILE_FOUND: &str = "NIM_BUILD_SINGLE_BUILDABLE_PROFILE_FOUND";
    /// No buildable profile.
    pub const NO_BUILDABLE_PROFILE_FOUND: &str = "NIM_BUILD_NO_BUILDABLE_PROFILE_FOUND";
    /// Build pod created.
    pub const ENGINE_BUILD_POD_CREATED: &str = "NIM_BUILD_ENGINE_BUILD_POD_CREATED";
    /// Build pod completed.
    pub const ENGINE_BUILD_POD_COMPLETED: &str = "NIM_BUILD_ENGINE_BUILD_POD_COMPLETED";
    /// Build pod pending.
    pub const ENGINE_BUILD_POD_PENDING: &str = "NIM_BUILD_ENGINE_BUILD_POD_PENDING";
    /// Manifest pod completed.
    pub const MODEL_MANIFEST_POD_COMPLETED: &str = "NIM_BUILD_MODEL_MANIFEST_POD_COMPLETED";
    /// NIMCache missing.
    pub const NIM_CACHE_NOT_FOUND: &str = "NIM_BUILD_NIM_CACHE_NOT_FOUND";
    /// NIMCache failed.
    pub const NIM_CACHE_FAILED: &str = "NIM_BUILD_NIM_CACHE_FAILED";
}

/// An unknown state string.
///
/// ```
/// use nim_types::conditions::ServiceState;
/// assert!("Bogus".parse::<ServiceState>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state {0:?}")]
pub struct UnknownState(pub String);

macro_rules! state_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $(#[doc = $text] $variant),+
        }

        impl $name {
            /// NVIDIA's wire string for this state.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownState;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $($text => Ok(Self::$variant),)+ other => Err(UnknownState(other.to_string())) }
            }
        }
    };
}

state_enum! {
    /// `NIMService.status.state`.
    ///
    /// ```
    /// use nim_types::conditions::ServiceState;
    /// assert_eq!(ServiceState::NotReady.as_str(), "NotReady");
    /// assert_eq!("Ready".parse::<ServiceState>(), Ok(ServiceState::Ready));
    /// ```
    ServiceState { Pending => "Pending", NotReady => "NotReady", Ready => "Ready", Failed => "Failed" }
}

state_enum! {
    /// `NIMCache.status.state`.
    ///
    /// ```
    /// use nim_types::conditions::CacheState;
    /// assert_eq!(CacheState::PvcCreated.as_str(), "PVC-Created");
    /// ```
    CacheState {
        NotReady => "NotReady", PvcCreated => "PVC-Created", Started => "Started",
        InProgress => "InProgress", Pending => "Pending", Ready => "Ready", Failed => "Failed",
    }
}

state_enum! {
    /// `NIMBuild.status.state`.
    ///
    /// ```
    /// use nim_types::conditions::BuildState;
    /// assert_eq!(BuildState::InProgress.to_string(), "InProgress");
    /// ```
    BuildState { Pending => "Pending", InProgress => "InProgress", Ready => "Ready", Failed => "Failed" }
}

state_enum! {
    /// `NIMPipeline.status.state`.
    ///
    /// ```
    /// use nim_types::conditions::PipelineState;
    /// assert_eq!(PipelineState::Failed.as_str(), "Failed");
    /// ```
    PipelineState { NotReady => "NotReady", Ready => "Ready", Failed => "Failed" }
}

/// Build a condition.
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
/// let now = Time("2026-01-01T00:00:00Z".parse().unwrap());
/// let c = nim_types::conditions::new_condition("Ready", true, "Ready", "deployment is ready", Some(3), now);
/// assert_eq!(c.status, "True");
/// assert_eq!(c.observed_generation, Some(3));
/// ```
pub fn new_condition(
    type_: &str,
    status: bool,
    reason: &str,
    message: &str,
    observed_generation: Option<i64>,
    now: Time,
) -> Condition {
    Condition {
        type_: type_.to_string(),
        status: if status { "True" } else { "False" }.to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        observed_generation,
        last_transition_time: now,
    }
}

/// Find a condition by type.
///
/// ```
/// assert!(nim_types::conditions::find_condition(&[], "Ready").is_none());
/// ```
pub fn find_condition<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Insert or update a condition. `lastTransitionTime` only moves when the status changes;
/// reason, message and observedGeneration are always refreshed. Returns whether anything
/// changed, so callers can skip a status write when nothing did.
///
/// ```
/// use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
/// use nim_types::conditions::{new_condition, set_condition};
/// let t1 = Time("2026-01-01T00:00:00Z".parse().unwrap());
/// let t2 = Time("2026-01-02T00:00:00Z".parse().unwrap());
/// let mut conds = vec![];
/// assert!(set_condition(&mut conds, new_condition("Ready", false, "NotReady", "rolling out", Some(1), t1.clone())));
/// assert!(set_condition(&mut conds, new_condition("Ready", false, "NotReady", "still rolling out", Some(1), t2.clone())));
/// assert_eq!(conds[0].last_transition_time, t1);
/// assert!(!set_condition(&mut conds, new_condition("Ready", false, "NotReady", "still rolling out", Some(1), t2.clone())));
/// assert!(set_condition(&mut conds, new_condition("Ready", true, "Ready", "ready", Some(1), t2.clone())));
/// assert_eq!(conds[0].last_transition_time, t2);
/// ```
pub fn set_condition(conditions: &mut Vec<Condition>, new: Condition) -> bool {
    match conditions.iter_mut().find(|c| c.type_ == new.type_) {
        None => {
            conditions.push(new);
            conditions.sort_by(|a, b| a.type_.cmp(&b.type_));
            true
        }
        Some(existing) => {
            if existing.status != new.status {
                *existing = new;
                return true;
            }
            let changed = existing.reason != new.reason
                || existing.message != new.message
                || existing.observed_generation != new.observed_generation;
            existing.reason = new.reason;
            existing.message = new.message;
            existing.observed_generation = new.observed_generation;
            changed
        }
    }
}
