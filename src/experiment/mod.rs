//! Spec → data → train → sample → metrics → result.

pub mod diagnose;
pub mod event;
pub mod figures;
pub mod measure;
pub mod run;
pub mod sampling;
pub mod train;
pub mod overrides;
pub mod presets;
pub mod saved;
pub mod spec;

pub use run::{choose_engine, run, run_on, run_with, subsample, Pretrained, Backend, EngineChoice, Event, ExperimentResult, RunError, SamplerResult, TidEntry};
pub use spec::{ExperimentSpec, SpecError};
