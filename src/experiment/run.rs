//! Runs one experiment end to end, as its phases: the data, training (`train.rs`), sampling
//! (`sampling.rs`), measuring (`measure.rs`) and the see-saw diagnostics (`diagnose.rs`),
//! each a function of its own; [`run_with`] is the short list of them. The result types are
//! in `result.rs`.

use super::diagnose::see_saw;
use super::event::{Event, RunError, phase};
use super::measure::{check_radii, reference_draws};
use super::result::{CheckpointResult, ExperimentResult, Pretrained};
use super::train::{Backend, build_net};
use super::{measure, sampling, train};
use crate::clock::now_s;
use crate::engine::TrainReport;
use crate::points::Points;
use crate::spec::ExperimentSpec;
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Runs the whole experiment on the CPU engine.
pub async fn run(spec: &ExperimentSpec, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, RunError> {
    run_on(spec, Backend::Cpu, on_event).await
}

/// A run's first phase, shared by [`run_with`] and [`train_only`]: the spec checked (a spec of
/// many generations is refused here) and [`prepare_data`] on the spec's data size.
fn prepare(spec: &ExperimentSpec, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<(Arc<Points>, Option<ExperimentSpec>), RunError> {
    spec.check_single_run().map_err(RunError::Spec)?;
    prepare_data(spec, spec.data_size(), on_event)
}

/// The first phase of a run or of a chain of generations (`generations::run_chain`, whose
/// generation 0 trains on `n` = its generation size): the spec checked, `n` training points
/// drawn, and the spec the nets are built from (EDM's s_d resolved once, from this data;
/// `None` where that is the spec as given).
pub fn prepare_data(
    spec: &ExperimentSpec,
    n: usize,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<(Arc<Points>, Option<ExperimentSpec>), RunError> {
    spec.validate().map_err(RunError::Spec)?;
    spec.check_data().map_err(RunError::Spec)?;
    phase(on_event, "data")?;
    let data = Arc::new(spec.data(n));
    let resolved = spec.with_sigma_data(&data).map_err(RunError::Spec)?;
    Ok((data, resolved))
}

/// Runs the whole experiment, training on `backend`.
pub async fn run_on(spec: &ExperimentSpec, backend: Backend, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, RunError> {
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

    let start = pretrained.map_or(train::Start::Fresh, |p| train::Start::Saved(Box::new(p)));
    let m = train::obtain(spec, &data, backend, start, &mut notes, on_event).await?;
    if let Some(t) = m.train_s {
        timings.insert("train_s".into(), t);
    }
    let gpu = m.on_gpu.as_ref().map(|g| (g.ctx.clone(), g.split));
    let sampled = sampling::sample_all(spec, m.model.as_ref(), &m.params, m.on_gpu, &m.engine, &refs[0], true, &mut notes, on_event).await?;
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
    let m = train::obtain(spec, &data, backend, train::Start::Fresh, &mut notes, on_event).await?;
    Ok(Pretrained { params: m.params, training: m.training, training_nets: m.training_nets, engine: m.engine, snapshots: m.snapshots, shared: None })
}

/// [`train_only`] for several specs at once, their nets side by side on one GPU
/// (`train::train_models_together`: the same nets as each trains alone, in fewer submissions
/// and readbacks). Per spec its nets, or why they failed; the outer error where none trained
/// (the caller then trains each alone).
pub async fn train_only_together(
    specs: &[&ExperimentSpec],
    ctx: &crate::engine::gpu::GpuContext,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<Vec<Result<Pretrained, RunError>>, RunError> {
    let mut data = Vec::new();
    let mut resolved = Vec::new();
    for spec in specs {
        let (d, r) = prepare(spec, on_event)?;
        data.push(d);
        resolved.push(r.unwrap_or_else(|| (*spec).clone()));
    }
    let refs: Vec<&ExperimentSpec> = resolved.iter().collect();
    let models = train::train_models_together(&refs, &data, ctx, on_event).await?;
    Ok(models
        .into_iter()
        .map(|m| {
            m.map(|m| Pretrained {
                params: m.nets.iter().map(|n| n.params.clone()).collect(),
                training: m.report,
                training_nets: m.net_reports,
                engine: m.engine,
                snapshots: m.snapshots,
                shared: None,
            })
        })
        .collect())
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
    let nets: Vec<crate::sample::TrainedNet> = params.iter().map(|p| crate::sample::TrainedNet { net: build_net(spec), params: p.clone() }).collect();
    let on_gpu = gpu.map(|(ctx, split)| train::OnGpu { ctx, nets, split });
    let sampled = sampling::sample_all(spec, model.as_ref(), params, on_gpu, engine, &refs[0], true, notes, on_event).await?;
    let measured = measure::measure(spec, refs, fresh, &sampled);
    let diagnostics = spec.diagnostics.enabled.then(|| see_saw(spec, model.as_ref(), &sampled.init));
    let loss = training.and_then(|r| r.losses.iter().find(|(i, _)| *i == iter).map(|l| l.1));
    Ok(CheckpointResult {
        iter,
        loss,
        samplers: sampled.samplers,
        tid: measured.tid,
        marginal_accuracy: measured.marginal_accuracy,
        diagnostics,
        tid_grid: measured.tid_grid,
    })
}
