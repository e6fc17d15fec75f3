//! Spec → data → train → sample → metrics → result.

pub mod diagnose;
pub mod event;
pub mod figures;
pub mod measure;
pub mod reopen;
pub mod result;
pub mod run;
pub mod sampling;
pub mod saved;
pub mod train;

pub use event::{Event, RunError};
pub use result::{EngineChoice, ExperimentResult, Pretrained, SamplerResult};
pub use run::{run, run_on, run_with};
pub use train::{Backend, choose_engine};
