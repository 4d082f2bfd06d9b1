//! One module per CLI command.

pub mod capacity;
pub mod crds;
pub mod explain;
pub mod graph;
pub mod install;
pub mod live;
pub mod plan;
pub mod report;
pub mod run;
pub mod validate;
pub mod whatif;
