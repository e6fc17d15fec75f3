//! Spec → data → train → sample → metrics → result.

pub mod run;
pub mod overrides;
pub mod spec;

pub use run::{run, run_on, subsample, Backend, Event, ExperimentResult, RunError, SamplerResult, TidEntry};
pub use spec::{ExperimentSpec, SpecError};
