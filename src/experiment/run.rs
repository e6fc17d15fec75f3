//! Runs one experiment end to end, as its phases: the data, training (`train.rs`), sampling
//! (`sampling.rs`), measuring (`measure.rs`) and the see-saw diagnostics (`diagnose.rs`),
//! each a function of its own; [`run_with`] is the short list of them. The result types live
//! here.

pub use super::diagnose::see_saw;
pub use super::event::{phase, Event, RunError};
pub use super::measure::{check_radii, reference_draws};
pub use super::sampling::{record_plan, Sampling};
pub use super::train::{
    build_net, choose_engine, resolve_backend, train_model, Backend, EngineChoice, OnGpu, TrainedModel,
};
pub(crate) use super::train::check_params;
pub use crate::metrics::reference::{reference_counts, std_dev, subsample, tid_with_spread, TidEntry};
use super::spec::ExperimentSpec;
use super::{measure, sampling, train};
use crate::clock::now_s;
use crate::engine::TrainReport;
use crate::metrics::SurvivalCurve;
use crate::points::Points;
use crate::diagnostics::Diagnostics;
use crate::sample::Recording;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

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
}

/// One net of a run and the time range it was trained on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetTraining {
    pub t_lo: f64,
    pub t_hi: f64,
    pub report: TrainReport,
}

/// Runs the whole experiment on the CPU engine.
pub async fn run(spec: &ExperimentSpec, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, RunError> {
    run_on(spec, Backend::Cpu, on_event).await
}

/// A run's first phase, shared by [`run_with`] and [`train_only`]: the spec checked (a spec of
/// many generations is refused here), the training data drawn, and the spec the nets are built
/// from (EDM's s_d resolved once, from this data; `None` where that is the spec as given).
fn prepare(
    spec: &ExperimentSpec,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<(Arc<Points>, Option<ExperimentSpec>), RunError> {
    spec.validate().map_err(RunError::Spec)?;
    spec.check_data().map_err(RunError::Spec)?;
    spec.check_single_run().map_err(RunError::Spec)?;
    phase(on_event, "data")?;
    let data = Arc::new(spec.data(spec.data_size()));
    let resolved = spec.with_sigma_data(&data).map_err(RunError::Spec)?;
    Ok((data, resolved))
}

/// Runs the whole experiment, training on `backend`.
pub async fn run_on(
    spec: &ExperimentSpec,
    backend: Backend,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<ExperimentResult, RunError> {
    run_with(spec, backend, None, on_event).await
}

/// [`run_on`], or with `pretrained` nets (a saved run) sampled and measured without training:
/// the same data, noise and metrics, so the same numbers as the run that saved them (to float
/// rounding where that run sampled on the GPU). A run is its phases: data, train, sample,
/// measure, diagnose.
pub async fn run_with(
    spec: &ExperimentSpec,
    backend: Backend,
    pretrained: Option<Pretrained>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<ExperimentResult, RunError> {
    let mut timings = BTreeMap::new();
    let mut notes = Vec::new();
    let t0 = now_s();
    let (data, resolved) = prepare(spec, on_event)?;
    timings.insert("data_s".into(), now_s() - t0);
    let (refs, fresh) = reference_draws(spec, &data);
    check_radii(spec, &refs[0])?;
    // The result reports the spec as given; the nets are built from the resolved one.
    let given = spec;
    let spec = resolved.as_ref().unwrap_or(given);
    let trains = pretrained.as_ref().is_none_or(|p| p.shared.is_some());
    if let (Some(s_d), true) = (spec.model.sigma_data.filter(|_| !spec.model.precond.is_none()), trains) {
        let how = if given.model.sigma_data.is_some() { "as given" } else { "the training data's standard deviation" };
        notes.push(format!("EDM preconditioning with s_d = {:.4} ({how})", s_d as f32));
    }

    let m = train::obtain(spec, &data, backend, pretrained, &mut notes, on_event).await?;
    if let Some(t) = m.train_s {
        timings.insert("train_s".into(), t);
    }
    let gpu = m.on_gpu.as_ref().map(|g| (g.ctx.clone(), g.split));
    let sampled = sampling::sample_all(spec, m.model.as_ref(), &m.params, m.on_gpu, &m.engine, &refs[0], &mut notes, on_event).await?;
    let truth = sampled.plan.noised_data(&refs[0], &spec.process, spec.seed);

    phase(on_event, "metrics")?;
    let t = now_s();
    let measured = measure::measure(spec, &refs, &fresh, &sampled);
    timings.insert("metrics_s".into(), now_s() - t);

    let diagnostics = if spec.diagnostics.enabled {
        phase(on_event, "diagnostics")?;
        let t = now_s();
        let d = see_saw(spec, m.model.as_ref(), &sampled.init);
        timings.insert("diagnostics_s".into(), now_s() - t);
        Some(d)
    } else {
        None
    };
    let mut checkpoints = Vec::new();
    if !m.snapshots.is_empty() {
        let t = now_s();
        for (iter, params) in &m.snapshots {
            phase(on_event, &format!("checkpoint {iter}"))?;
            checkpoints.push(checkpoint(spec, *iter, params, m.training.as_ref(), gpu.clone(), &m.engine, &refs, &fresh, &mut notes, on_event).await?);
        }
        timings.insert("checkpoints_s".into(), now_s() - t);
    }
    timings.insert("total_s".into(), now_s() - t0);
    Ok(ExperimentResult {
        spec: given.clone(),
        engine: m.engine,
        sampling_engine: sampled.engine,
        engine_choice: m.engine_choice,
        notes,
        data_dim: spec.data_dim(),
        training: m.training,
        training_nets: m.training_nets,
        samplers: sampled.samplers,
        tid: measured.tid,
        tid_null: measured.tid_null,
        tid_grid: measured.tid_grid,
        marginal_accuracy: measured.marginal_accuracy,
        marginal_accuracy_null: measured.marginal_accuracy_null,
        survival: measured.survival,
        diagnostics,
        checkpoints,
        timings,
        samples: sampled.samples,
        reference: refs.into_iter().next(),
        recordings: sampled.recordings,
        truth: Some(truth),
        params: m.params,
        checkpoint_params: m.snapshots,
    })
}

/// The training phase of a run alone: the spec's nets trained on `backend` (with the nets kept
/// at its checkpoints), as [`run_with`] would train them, for runs that then sample them
/// (`study::share`).
pub async fn train_only(spec: &ExperimentSpec, backend: Backend, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<Pretrained, RunError> {
    let (data, resolved) = prepare(spec, on_event)?;
    let spec = resolved.as_ref().unwrap_or(spec);
    let mut notes = Vec::new();
    let m = train::obtain(spec, &data, backend, None, &mut notes, on_event).await?;
    Ok(Pretrained { params: m.params, training: m.training, training_nets: m.training_nets, engine: m.engine, snapshots: m.snapshots, shared: None })
}

/// Samples, measures and (where asked) diagnoses the nets kept at checkpoint `iter`, as the run
/// does its final nets: the same initial noise, sampler streams and reference draws, so the
/// figures are those of a separate run of `iter` iterations (on the engine that sampled it).
#[allow(clippy::too_many_arguments)]
async fn checkpoint(
    spec: &ExperimentSpec,
    iter: u64,
    params: &[Vec<f32>],
    training: Option<&TrainReport>,
    gpu: Option<(crate::engine::gpu::GpuContext, Option<f32>)>,
    engine: &str,
    refs: &[Points],
    fresh: &Points,
    notes: &mut Vec<String>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<CheckpointResult, RunError> {
    let model = train::model_of(spec, params)?;
    let nets: Vec<crate::sample::TrainedNet> =
        params.iter().map(|p| crate::sample::TrainedNet { net: build_net(spec), params: p.clone() }).collect();
    let on_gpu = gpu.map(|(ctx, split)| train::OnGpu { ctx, nets, split });
    let sampled = sampling::sample_all(spec, model.as_ref(), params, on_gpu, engine, &refs[0], notes, on_event).await?;
    let measured = measure::measure(spec, refs, fresh, &sampled);
    let diagnostics = spec.diagnostics.enabled.then(|| see_saw(spec, model.as_ref(), &sampled.init));
    let loss = training.and_then(|r| r.losses.iter().find(|(i, _)| *i == iter).map(|l| l.1));
    Ok(CheckpointResult { iter, loss, samplers: sampled.samplers, tid: measured.tid, marginal_accuracy: measured.marginal_accuracy, diagnostics })
}
