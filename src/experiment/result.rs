//! What a run gives back, and what its phases hand each other: the result types of an
//! experiment (its samplers' figures, TID, checkpoints, the nets' training) and the nets a run
//! may start from instead of training (`Pretrained`). A leaf of `experiment/`: the phases
//! (train.rs, sampling.rs, measure.rs) and run.rs import these from here, and this module
//! imports from none of them.

use crate::diagnostics::Diagnostics;
use crate::engine::TrainReport;
use crate::metrics::SurvivalCurve;
use crate::metrics::reference::TidEntry;
use crate::points::Points;
use crate::sample::Recording;
use crate::spec::ExperimentSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SamplerResult {
    pub steps: usize,
    /// Network (or exact-score) evaluations per point.
    pub evaluations: usize,
    pub seconds: f64,
    pub mean: Vec<f64>,
    pub variance: Vec<f64>,
    /// False when the sampler produced NaN/inf (then no TID is computed).
    pub finite: bool,
    /// On the GPU: what the whole run of this sampler asked of the device (dispatches,
    /// submissions, buffer writes, readbacks; per step: divide by `steps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu: Option<crate::engine::GpuCounts>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExperimentResult {
    pub spec: ExperimentSpec,
    pub engine: String,
    /// What evaluated the net for the samplers: the GPU engine natively after GPU training,
    /// the CPU otherwise (the exact score is always evaluated on the CPU).
    #[serde(default)]
    pub sampling_engine: String,
    /// With `--engine auto` (the page's default on a hardware GPU): both engines' timings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_choice: Option<EngineChoice>,
    /// Fallbacks and other remarks on how the run went.
    pub notes: Vec<String>,
    pub data_dim: usize,
    /// Training of the whole model. With two nets (two-model training) its losses are the
    /// range-weighted means of the nets' losses, i.e. the DSM loss over t ~ U(t_eps, t_max).
    pub training: Option<TrainReport>,
    /// Each net's own training, with the time range it saw (two-model training only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub training_nets: Vec<NetTraining>,
    pub samplers: BTreeMap<String, SamplerResult>,
    /// TID(e) per sampler.
    pub tid: BTreeMap<String, Vec<TidEntry>>,
    /// TID between two independent draws of the data: the noise floor at each e.
    pub tid_null: Vec<TidEntry>,
    /// TID's robustness (`metrics.k_grid`): TID over Hill's k x e per sampler and, as "data",
    /// for the fresh data draw (the floor).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tid_grid: BTreeMap<String, crate::metrics::reference::TidGrid>,
    /// Marginal accuracy of each sampler's samples against the reference (SPEC §6).
    #[serde(default)]
    pub marginal_accuracy: BTreeMap<String, f64>,
    /// The same for a fresh draw of the data: its noise floor.
    #[serde(default)]
    pub marginal_accuracy_null: f64,
    /// Survival functions of the neighbour counts at `metrics.survival_eps`: "data" (the first
    /// reference draw) and each sampler with finite samples.
    pub survival: BTreeMap<String, SurvivalCurve>,
    /// The see-saw diagnostics (SPEC §7), when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
    /// The net at each of `training.checkpoints`, sampled and measured as the run's final net.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checkpoints: Vec<CheckpointResult>,
    pub timings: BTreeMap<String, f64>,
    /// The samples and the training reference set (for CSV output and plots).
    #[serde(skip)]
    pub samples: BTreeMap<String, Points>,
    #[serde(skip)]
    pub reference: Option<Points>,
    /// What each sampler recorded (density evolution, marginals, trajectories).
    #[serde(skip)]
    pub recordings: BTreeMap<String, Recording>,
    /// The same histograms of the true noised data.
    #[serde(skip)]
    pub truth: Option<Recording>,
    /// The trained parameters of each net (none for the exact score): what a saved run carries
    /// so that it can be sampled and measured again without training.
    #[serde(skip)]
    pub params: Vec<Vec<f32>>,
    /// The nets' parameters at each checkpoint (what a saved run carries to measure them again).
    #[serde(skip)]
    pub checkpoint_params: Vec<(u64, Vec<Vec<f32>>)>,
}

/// Trained nets from a saved run (`run --save-run`, the page's "Save run"): the run samples
/// and measures them instead of training, and carries their training report along.
#[derive(Clone, Debug, Default)]
pub struct Pretrained {
    /// One parameter vector per net of the spec (two with two-model training).
    pub params: Vec<Vec<f32>>,
    pub training: Option<TrainReport>,
    pub training_nets: Vec<NetTraining>,
    /// The engine that trained them.
    pub engine: String,
    /// The nets at each of the spec's checkpoints (iteration, one vector per net).
    pub snapshots: Vec<(u64, Vec<Vec<f32>>)>,
    /// Where the nets come from a training shared by runs of one study (`study::share`): the
    /// note that says so. The run then reports the engine that trained them and samples there,
    /// with that note, instead of calling itself a saved run.
    pub shared: Option<String>,
}

/// The model at one checkpoint of training (`training.checkpoints`): what the run measures of
/// its final model, for the nets as they were after `iter` iterations (each net's own
/// iteration `iter` with two-model training).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CheckpointResult {
    pub iter: u64,
    /// The training loss reported at that iteration (the model's, as in `training.losses`).
    pub loss: Option<f32>,
    pub samplers: BTreeMap<String, SamplerResult>,
    pub tid: BTreeMap<String, Vec<TidEntry>>,
    #[serde(default)]
    pub marginal_accuracy: BTreeMap<String, f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Diagnostics>,
    /// TID over `metrics.k_grid` x the radii, as the final nets' (`ExperimentResult::tid_grid`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tid_grid: BTreeMap<String, crate::metrics::reference::TidGrid>,
}

/// One net of a run and the time range it was trained on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetTraining {
    pub t_lo: f64,
    pub t_hi: f64,
    pub report: TrainReport,
}

/// How `Backend::Auto` chose: both engines' ms per step for the spec's net and batch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EngineChoice {
    pub cpu_ms_per_step: f64,
    /// None when the WGSL engine could not take the spec or failed (see `why`).
    pub gpu_ms_per_step: Option<f64>,
    pub gpu_adapter: String,
    /// "gpu" or "cpu".
    pub chosen: String,
    pub why: String,
}
