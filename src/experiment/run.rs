//! Runs one experiment end to end. Phases are plain functions so the browser worker can run
//! them one by one (and swap in the GPU engine); [`run`] chains them for the CLI and tests.

pub use super::event::{phase, Event, RunError};
pub use crate::metrics::reference::{reference_counts, std_dev, subsample, tid_with_spread, TidEntry};
use crate::metrics::reference::subsample_indices;
use super::spec::{ExperimentSpec, SpecError};
use crate::clock::now_s;
use crate::engine::gpu::{GpuContext, GpuEngine};
use crate::engine::{self, CpuEngine, Engine, EngineError, Progress, TrainReport};
use crate::engine::cpu::TimeRange;
use crate::metrics::{self, SurvivalCurve};
use crate::nn::{ScoreNet, ScoreNetConfig};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::diagnostics::{self, Diagnostics};
use crate::sample::{self, EpsModel, ExactEps, RecordPlan, Recording, RunOptions, SplitEps, TrainedNet};
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
}

/// One net of a run and the time range it was trained on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetTraining {
    pub t_lo: f64,
    pub t_hi: f64,
    pub report: TrainReport,
}

/// Histogram range of the recorded coordinate: the data's range padded by 5%, and at least
/// [-3.5, 3.5] so the N(0, 1) start fits.
pub fn record_plan(spec: &ExperimentSpec, data: &Points) -> RecordPlan {
    let c = spec.record.coordinate;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for row in data.data.chunks_exact(data.dim) {
        lo = lo.min(row[c] as f64);
        hi = hi.max(row[c] as f64);
    }
    let pad = 0.05 * (hi - lo);
    RecordPlan {
        coordinate: c,
        lo: (lo - pad).min(-3.5),
        hi: (hi + pad).max(3.5),
        bins: spec.record.bins,
        times: spec.record.times.clone(),
        trajectories: spec.record.trajectories,
    }
}

pub fn build_net(spec: &ExperimentSpec) -> ScoreNet {
    ScoreNet::new(ScoreNetConfig {
        dim: spec.data_dim(),
        depth: spec.model.depth,
        width: spec.model.width,
        activation: spec.model.activation,
        parameterization: spec.model.parameterization,
        process: spec.process,
    })
}



/// TID's reference draws (`metrics.repeats` subsamples of the training set, `n_samples` rows
/// each) and the fresh data draw behind its noise floor. A CSV set cannot be drawn afresh: its
/// floor takes `n_samples` rows held out of the references, which are drawn from the other
/// rows, so the two are disjoint rows of the file as two fresh draws would be.
pub fn reference_draws(spec: &ExperimentSpec, data: &Points) -> (Vec<Points>, Points) {
    let n = spec.sampling.n_samples;
    let repeats = spec.metrics.repeats as u64;
    if spec.dataset == crate::data::Dataset::Csv {
        let held = subsample_indices(data.len(), n, spec.seed, NULL_DRAW);
        let mut is_held = vec![false; data.len()];
        for &i in &held {
            is_held[i] = true;
        }
        let rest: Vec<usize> = (0..data.len()).filter(|&i| !is_held[i]).collect();
        let refs = (0..repeats)
            .map(|r| {
                let idx: Vec<usize> = subsample_indices(rest.len(), n, spec.seed, r).into_iter().map(|i| rest[i]).collect();
                data.select(&idx)
            })
            .collect();
        return (refs, data.select(&held));
    }
    let refs = (0..repeats).map(|r| subsample(data, n, spec.seed, r)).collect();
    (refs, spec.data_from(n, &mut rng::stream(spec.seed, Stream::Reference, NULL_DRAW)))
}





/// Reference-stream index of the fresh data draw behind `tid_null` (repeats use 0, 1, ...).
const NULL_DRAW: u64 = 1 << 40;

/// Where training runs.
#[derive(Clone)]
pub enum Backend {
    Cpu,
    /// The WGSL engine on this device; the run falls back to the CPU engine, with a note, if the
    /// engine cannot take the spec or the device is lost.
    Gpu(GpuContext),
    /// Whichever of the two trains this spec's net faster, timed on throw-away engines before
    /// training ([`choose_engine`]); the run then goes on as `Gpu` or `Cpu`.
    Auto(GpuContext),
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

/// Seconds of timed steps per engine when choosing (after one warm-up step).
const CHOOSE_BUDGET_S: f64 = 0.3;

/// Times a few training steps of the spec's (first) net on both engines, each a throw-away
/// engine with the run's seed, and picks the faster. The run itself starts afresh on the chosen
/// engine, so the choice never changes what is trained, only how fast (and the float
/// rounding, see README).
pub async fn choose_engine(spec: &ExperimentSpec, data: &Arc<Points>, ctx: &GpuContext) -> EngineChoice {
    let (batch, lr) = (spec.training.batch, spec.training.lr);
    let (lo, hi) = spec.nets()[0];
    let times = TimeRange { lo: lo as f32, hi: hi as f32 };
    let mut cpu = CpuEngine::new(build_net(spec), data.clone(), batch, lr, times, spec.seed);
    let cpu_ms = engine::ms_per_step(&mut cpu, CHOOSE_BUDGET_S).await.unwrap_or(f64::INFINITY);
    let threads = cpu.describe();
    let gpu = match GpuEngine::new(ctx.clone(), build_net(spec), data, batch, lr, times, spec.seed) {
        Ok(mut eng) => engine::ms_per_step(&mut eng, CHOOSE_BUDGET_S).await.map_err(|e| e.to_string()),
        Err(why) => Err(why),
    };
    let adapter = ctx.adapter.clone();
    let (gpu_ms, chosen, why) = match gpu {
        Ok(g) if g < cpu_ms => {
            (Some(g), "gpu", format!("the WGSL engine on {adapter} took {g:.3} ms per step, the {threads} engine {cpu_ms:.3}: training on the GPU"))
        }
        Ok(g) => (Some(g), "cpu", format!("the {threads} engine took {cpu_ms:.3} ms per step, the WGSL engine on {adapter} {g:.3}: training on the CPU")),
        Err(e) => (None, "cpu", format!("the WGSL engine on {adapter} cannot train this spec ({e}): training on the CPU")),
    };
    EngineChoice { cpu_ms_per_step: cpu_ms, gpu_ms_per_step: gpu_ms, gpu_adapter: adapter, chosen: chosen.into(), why: format!("engine auto: {why}") }
}

/// Trains with `eng`, returning the trained net, the report and the engine's description.
async fn train_on<E: Engine>(
    eng: &mut E,
    spec: &ExperimentSpec,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<(TrainedNet, TrainReport, String), EngineError> {
    let mut cb = |p: &Progress| on_event(Event::Training(p));
    let report = engine::train(eng, spec.training.iters, spec.training.report_every, &mut cb).await?;
    let trained = TrainedNet { net: eng.net().clone(), params: eng.params().await? };
    Ok((trained, report, eng.describe()))
}

/// Nets trained on the GPU engine, for sampling there: the device, the nets, and t' of two.
pub struct OnGpu {
    pub ctx: GpuContext,
    pub nets: Vec<TrainedNet>,
    pub split: Option<f32>,
}

/// A trained model: what the samplers evaluate, the nets behind it (their parameters, for a
/// warm start), the whole model's training report, each net's report (two nets only) and the
/// engine that trained it.
pub struct TrainedModel {
    pub model: Box<dyn EpsModel>,
    pub nets: Vec<TrainedNet>,
    pub report: Option<TrainReport>,
    pub net_reports: Vec<NetTraining>,
    pub engine: String,
}

/// Trains every net the spec asks for (SPEC §4, §8) on `backend`, one after the other, each on
/// its own time range and seed; net i starts from `init[i]` where given (a warm start), else
/// from the seed's initialisation. Training starts on the GPU engine where asked; if it cannot
/// take the spec or the device is lost, every net is (re)trained on the CPU engine, with a note.
pub async fn train_model(
    spec: &ExperimentSpec,
    data: &Arc<Points>,
    backend: Backend,
    init: &[Vec<f32>],
    notes: &mut Vec<String>,
    on_gpu: &mut Option<OnGpu>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<TrainedModel, RunError> {
    let ranges = spec.nets();
    let (batch, lr, iters) = (spec.training.batch, spec.training.lr, spec.training.iters);
    let total = iters * ranges.len() as u64;
    let mut gpu = match backend {
        Backend::Gpu(ctx) => Some(ctx),
        Backend::Cpu => None,
        Backend::Auto(_) => unreachable!("resolved by the caller (resolve_backend)"),
    };
    let mut nets: Vec<(TrainedNet, TrainReport, String)> = Vec::new();
    let mut i = 0;
    while i < ranges.len() {
        let (lo, hi) = ranges[i];
        let times = TimeRange { lo: lo as f32, hi: hi as f32 };
        let seed = rng::net_seed(spec.seed, i as u64);
        let offset = iters * i as u64;
        let before: f64 = nets.iter().map(|n| n.1.seconds).sum();
        // Progress runs over all nets: net i reports iterations offset+1 ..= offset+iters.
        let mut forward = |e: Event| match e {
            Event::Training(p) => on_event(Event::Training(&Progress {
                iter: offset + p.iter,
                total,
                loss: p.loss,
                elapsed_s: before + p.elapsed_s,
            })),
            other => on_event(other),
        };
        if let Some(ctx) = gpu.clone() {
            let failed = match GpuEngine::new(ctx, build_net(spec), data, batch, lr, times, seed) {
                Ok(mut eng) => {
                    if let Some(p) = init.get(i) {
                        eng.set_params(p);
                    }
                    match train_on(&mut eng, spec, &mut forward).await {
                        Ok(x) => {
                            nets.push(x);
                            i += 1;
                            continue;
                        }
                        Err(EngineError::Device(m)) => format!("{m}; trained again on the CPU engine"),
                        Err(e) => return Err(RunError::Engine(e)),
                    }
                }
                Err(why) => format!("{why}; trained on the CPU engine"),
            };
            let _ = forward(Event::Note(&failed));
            notes.push(failed);
            // All nets of one model train on one engine: start again on the CPU.
            gpu = None;
            nets.clear();
            i = 0;
            continue;
        }
        let mut eng = CpuEngine::new(build_net(spec), data.clone(), batch, lr, times, seed);
        if let Some(p) = init.get(i) {
            eng.set_params(p);
        }
        nets.push(train_on(&mut eng, spec, &mut forward).await.map_err(RunError::Engine)?);
        if let Some(why) = eng.helpers_lost() {
            // The engine computed the lost helpers' shards itself: the same numbers, more slowly.
            let note = format!("the helper workers stopped ({why}); training went on in one worker, with the same numbers");
            let _ = forward(Event::Note(&note));
            notes.push(note);
        }
        i += 1;
    }
    let trained: Vec<TrainedNet> = nets.iter().map(|n| n.0.clone()).collect();
    if let Some(ctx) = gpu {
        let split = (ranges.len() > 1).then(|| ranges[1].0 as f32);
        *on_gpu = Some(OnGpu { ctx, nets: trained.clone(), split });
    }
    let engine = nets[0].2.clone();
    if nets.len() == 1 {
        let (net, report, _) = nets.pop().expect("one net");
        return Ok(TrainedModel { model: Box::new(net), nets: trained, report: Some(report), net_reports: Vec::new(), engine });
    }
    // The model's loss over t ~ U(t_eps, t_max) weighs each net's loss by its range's length.
    let span = ranges.last().expect("nets").1 - ranges[0].0;
    let weights: Vec<f64> = ranges.iter().map(|(lo, hi)| (hi - lo) / span).collect();
    let mut combined = TrainReport::default();
    for (k, &(it, _)) in nets[0].1.losses.iter().enumerate() {
        let loss: f64 = nets.iter().zip(&weights).map(|(n, w)| w * n.1.losses[k].1 as f64).sum();
        combined.losses.push((it, loss as f32));
    }
    combined.iters = nets.iter().map(|n| n.1.iters).sum();
    combined.seconds = nets.iter().map(|n| n.1.seconds).sum();
    combined.ms_per_step = 1000.0 * combined.seconds / combined.iters.max(1) as f64;
    let net_reports =
        nets.iter().zip(&ranges).map(|(n, &(t_lo, t_hi))| NetTraining { t_lo, t_hi, report: n.1.clone() }).collect();
    let mut it = nets.into_iter().map(|n| Box::new(n.0) as Box<dyn EpsModel>);
    let (low, high) = (it.next().expect("two nets"), it.next().expect("two nets"));
    let model = SplitEps { low, high, split: ranges[1].0 as f32 };
    Ok(TrainedModel { model: Box::new(model), nets: trained, report: Some(combined), net_reports, engine })
}

/// Resolves `Backend::Auto` by timing both engines on the spec's net ([`choose_engine`]),
/// noting the choice; other backends pass through.
pub async fn resolve_backend(
    spec: &ExperimentSpec,
    data: &Arc<Points>,
    backend: Backend,
    notes: &mut Vec<String>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<(Backend, Option<EngineChoice>), RunError> {
    match backend {
        Backend::Auto(ctx) => {
            phase(on_event, "choosing the engine")?;
            let choice = choose_engine(spec, data, &ctx).await;
            let _ = on_event(Event::Note(&choice.why));
            notes.push(choice.why.clone());
            let chosen = if choice.chosen == "gpu" { Backend::Gpu(ctx) } else { Backend::Cpu };
            Ok((chosen, Some(choice)))
        }
        other => Ok((other, None)),
    }
}

/// Where the samplers run. Nets trained on the GPU also sample there: every point of a run
/// stays on the GPU, which runs the sampler's operations in WGSL (`engine::gpu::sampling`) and
/// is read once at the end. After CPU training, on the CPU. A device fault sends that sampler
/// (run again from its start, with the same noise) and the rest to the CPU, with a note.
pub struct Sampling {
    gpu: Option<crate::engine::gpu::sampling::GpuSampler>,
    /// Where the samplers run ("cpu (2 threads)" or the GPU engine's description).
    pub engine: String,
    failed: std::sync::Mutex<Option<String>>,
}

impl Sampling {
    /// For runs of `n` points; `engine` names the training engine (used when on the GPU).
    pub fn new(on_gpu: Option<OnGpu>, engine: &str, n: usize, notes: &mut Vec<String>) -> Sampling {
        let gpu = on_gpu.and_then(|g| match crate::engine::gpu::sampling::GpuSampler::new(&g.ctx, &g.nets, g.split, n) {
            Ok(e) => Some(e),
            Err(why) => {
                notes.push(format!("{why}; sampling on the CPU"));
                None
            }
        });
        let engine = match &gpu {
            Some(_) => engine.to_string(),
            None => {
                let t = crate::parallel::threads();
                format!("cpu ({t} thread{})", if t == 1 { "" } else { "s" })
            }
        };
        Sampling { gpu, engine, failed: std::sync::Mutex::new(None) }
    }

    /// `sample::run_with` on this engine.
    #[allow(clippy::too_many_arguments)]
    pub async fn run(
        &self,
        sampler: &dyn sample::Sampler,
        model: &dyn EpsModel,
        process: &dyn crate::diffusion::Process,
        init: &Points,
        seed: u64,
        stream: u64,
        opts: &RunOptions<'_>,
    ) -> (Points, Option<Recording>) {
        if let Some(g) = &self.gpu {
            if self.failed.lock().unwrap().is_none() {
                match g.run(sampler, process, init, seed, stream, opts).await {
                    Ok(out) => return out,
                    Err(e) => *self.failed.lock().unwrap() = Some(e.to_string()),
                }
            }
        }
        sample::run_with(sampler, model, process, init, seed, stream, opts)
    }

    /// The note for a GPU fault during sampling, if there was one.
    pub fn failure_note(&self) -> Option<String> {
        self.failed
            .lock()
            .unwrap()
            .clone()
            .map(|why| format!("sampling on the GPU failed ({why}); that sampler and the rest ran on the CPU, from their start and with the same noise"))
    }
}

/// The see-saw diagnostics of SPEC §7 for `model`: MAE and DSM at the spec's times on a fresh
/// draw, and, for the mixtures, the velocity-error correlation along each sampler's paths from
/// the first points of `init`, and the velocity field.
pub fn see_saw(spec: &ExperimentSpec, model: &dyn EpsModel, init: &Points) -> Diagnostics {
    let g = &spec.diagnostics;
    let d = spec.data_dim();
    let x0 = spec.data_from(g.points, &mut rng::stream(spec.seed, Stream::Diagnostics, 0));
    let mut eps = vec![0.0f32; x0.data.len()];
    rng::fill_normal(&mut rng::stream(spec.seed, Stream::Diagnostics, 1), &mut eps);
    let exact = spec.dataset.mixture(spec.dim).map(|mixture| ExactEps { mixture, process: spec.process });
    let exact_ref = exact.as_ref().map(|e| e as &dyn EpsModel);
    let (mae_velocity, dsm_at_t) = diagnostics::mae_and_dsm(model, exact_ref, &spec.process, &x0, &eps, &g.times);
    let mut out = Diagnostics { points: g.points, mae_velocity, dsm_at_t, ..Default::default() };
    let Some(exact) = exact_ref else {
        out.notes.push(format!(
            "{} has no exact score: only the DSM loss at fixed t is computed (MAE, error correlation and the velocity field need the mixtures)",
            spec.dataset.name()
        ));
        return out;
    };
    let p = g.trajectories.min(init.len());
    let start = Points::new(d, init.data[..p * d].to_vec());
    let plan = RecordPlan { coordinate: 0, lo: -1.0, hi: 1.0, bins: 1, times: vec![1.0], trajectories: p };
    let settings = spec.sampling.settings();
    for &kind in &spec.sampling.samplers {
        let sampler = kind.build(spec.steps(kind), &settings);
        let opts = RunOptions { denoise: false, record: Some(&plan) };
        // The run's initial points and noise stream: for the deterministic samplers these are the
        // paths of the run's first p samples.
        let (_, rec) = sample::run_with(sampler.as_ref(), model, &spec.process, &start, spec.seed, kind as u64, &opts);
        let rec = rec.expect("planned");
        out.error_correlation.insert(kind.name().to_string(), diagnostics::error_correlation(model, exact, &spec.process, &rec));
    }
    let mut fixed = vec![0.0f32; d - 1];
    rng::fill_normal(&mut rng::stream(spec.seed, Stream::Diagnostics, 2), &mut fixed);
    out.velocity_field = Some(diagnostics::velocity_field(model, exact, &spec.process, &fixed));
    out
}

/// Runs the whole experiment on the CPU engine.
pub async fn run(spec: &ExperimentSpec, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<ExperimentResult, RunError> {
    run_on(spec, Backend::Cpu, on_event).await
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
/// rounding where that run sampled on the GPU).
pub async fn run_with(
    spec: &ExperimentSpec,
    backend: Backend,
    pretrained: Option<Pretrained>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<ExperimentResult, RunError> {
    spec.validate().map_err(RunError::Spec)?;
    spec.check_data().map_err(RunError::Spec)?;
    if spec.recursion.is_some() {
        return Err(RunError::Spec(SpecError {
            field: "recursion".into(),
            message: "this spec is a run of many generations (it sets fresh, generations, ...): run it with `collapse-lab generations` or the page's Generations button".into(),
        }));
    }
    let mut timings = BTreeMap::new();
    let mut notes = Vec::new();
    let mut engine_choice = None;
    let mut on_gpu: Option<OnGpu> = None;
    let t0 = now_s();
    phase(on_event, "data")?;
    let data = Arc::new(spec.data(spec.data_size()));
    timings.insert("data_s".into(), now_s() - t0);

    let n = spec.sampling.n_samples;
    let (refs, fresh) = reference_draws(spec, &data);
    // Neighbour counting is quadratic where e covers much of the data: refuse, before training,
    // radii that would take hours on the reference set.
    for &e in &spec.metrics.eps {
        let pairs = metrics::pair_checks(&refs[0], e);
        if pairs > metrics::MAX_PAIR_CHECKS {
            return Err(RunError::Spec(SpecError {
                field: "metrics.eps".into(),
                message: format!(
                    "counting neighbours within {e} of {n} points would compare about {pairs:.1e} pairs (more than {:.0e}, hours of work); choose smaller radii or fewer samples",
                    metrics::MAX_PAIR_CHECKS
                ),
            }));
        }
    }
    let mut params = Vec::new();
    let (model, training, training_nets, engine_name) = if spec.sampling.exact_score {
        let mixture = spec.dataset.mixture(spec.dim).expect("validated");
        let exact: Box<dyn EpsModel> = Box::new(ExactEps { mixture, process: spec.process });
        (exact, None, Vec::new(), "exact score (no training)".to_string())
    } else if let Some(p) = pretrained {
        let nets = pretrained_nets(spec, &p.params)?;
        params = p.params;
        (assemble(spec, nets), p.training, p.training_nets, format!("saved run (trained on {})", p.engine))
    } else {
        let (backend, choice) = resolve_backend(spec, &data, backend, &mut notes, on_event).await?;
        engine_choice = choice;
        phase(on_event, "training")?;
        let t = now_s();
        let trained = train_model(spec, &data, backend, &[], &mut notes, &mut on_gpu, on_event).await?;
        timings.insert("train_s".into(), now_s() - t);
        params = trained.nets.iter().map(|n| n.params.clone()).collect();
        (trained.model, trained.report, trained.net_reports, trained.engine)
    };

    let plan = record_plan(spec, &refs[0]);
    let init = sample::initial_noise(n, spec.data_dim(), spec.seed);
    let settings = spec.sampling.settings();
    let opts = RunOptions { denoise: spec.sampling.denoise, record: Some(&plan) };
    let mut samples = BTreeMap::new();
    let mut samplers = BTreeMap::new();
    let mut recordings = BTreeMap::new();
    let sampling = Sampling::new(on_gpu, &engine_name, n, &mut notes);
    for &kind in &spec.sampling.samplers {
        phase(on_event, kind.name())?;
        let t = now_s();
        let steps = spec.steps(kind);
        let sampler = kind.build(steps, &settings);
        // Each sampler's noise stream is fixed by its kind, so adding or removing another
        // sampler from the comparison leaves its samples unchanged.
        let stream = kind as u64;
        let (s, rec) = sampling.run(sampler.as_ref(), model.as_ref(), &spec.process, &init, spec.seed, stream, &opts).await;
        let seconds = now_s() - t;
        let evaluations = kind.evaluations(steps, &settings) + spec.sampling.denoise as usize;
        samplers.insert(
            kind.name().to_string(),
            SamplerResult { steps, evaluations, seconds, mean: s.mean(), variance: s.variance(), finite: s.all_finite() },
        );
        samples.insert(kind.name().to_string(), s);
        recordings.insert(kind.name().to_string(), rec.expect("planned"));
    }
    for (name, r) in &samplers {
        if !r.finite {
            let note = format!("{name} produced non-finite samples (the sampler or the net blew up): no TID for {name}");
            let _ = on_event(Event::Note(&note));
            notes.push(note);
        }
    }
    notes.extend(sampling.failure_note());
    let truth = plan.noised_data(&refs[0], &spec.process, spec.seed);

    phase(on_event, "metrics")?;
    let t = now_s();
    let ref_counts = reference_counts(&refs, &spec.metrics.eps);
    let mut tid = BTreeMap::new();
    for (name, s) in &samples {
        if samplers[name].finite {
            tid.insert(name.clone(), tid_with_spread(&ref_counts, s, &spec.metrics.eps, spec.metrics.k));
        }
    }
    // Noise floor: a fresh draw of the data measured against the same references.
    let tid_null = tid_with_spread(&ref_counts, &fresh, &spec.metrics.eps, spec.metrics.k);
    let se = spec.metrics.survival_eps;
    let mut survival = BTreeMap::new();
    survival.insert("data".to_string(), SurvivalCurve::new(&metrics::neighbour_counts(&refs[0], se), se, spec.metrics.k));
    for (name, s) in &samples {
        if samplers[name].finite {
            survival.insert(name.clone(), SurvivalCurve::new(&metrics::neighbour_counts(s, se), se, spec.metrics.k));
        }
    }
    let marginal_accuracy: BTreeMap<String, f64> =
        samples.iter().map(|(name, s)| (name.clone(), metrics::marginal_accuracy(s, &refs[0]))).collect();
    let marginal_accuracy_null = metrics::marginal_accuracy(&fresh, &refs[0]);
    timings.insert("metrics_s".into(), now_s() - t);
    let diagnostics = if spec.diagnostics.enabled {
        phase(on_event, "diagnostics")?;
        let t = now_s();
        let d = see_saw(spec, model.as_ref(), &init);
        timings.insert("diagnostics_s".into(), now_s() - t);
        Some(d)
    } else {
        None
    };
    timings.insert("total_s".into(), now_s() - t0);
    Ok(ExperimentResult {
        spec: spec.clone(),
        engine: engine_name,
        sampling_engine: sampling.engine.clone(),
        engine_choice,
        notes,
        data_dim: spec.data_dim(),
        training,
        training_nets,
        samplers,
        tid,
        tid_null,
        marginal_accuracy,
        marginal_accuracy_null,
        survival,
        diagnostics,
        timings,
        samples,
        reference: refs.into_iter().next(),
        recordings,
        truth: Some(truth),
        params,
    })
}

/// Whether saved parameters fit the spec's nets: one vector per net, of the net's size, finite.
pub(crate) fn check_params(spec: &ExperimentSpec, params: &[Vec<f32>]) -> Result<(), RunError> {
    let bad = |message: String| RunError::Spec(SpecError { field: "params".into(), message });
    let nets = spec.nets().len();
    if params.len() != nets {
        return Err(bad(format!("the spec has {nets} net(s) but the saved run {}", params.len())));
    }
    let n = build_net(spec).n_params();
    for (i, p) in params.iter().enumerate() {
        if p.len() != n {
            return Err(bad(format!(
                "net {i} has {} parameters but the spec's {}x{} net has {n}",
                p.len(),
                spec.model.depth,
                spec.model.width
            )));
        }
        if let Some(j) = p.iter().position(|x| !x.is_finite()) {
            return Err(bad(format!("net {i} parameter {j} is not a finite number")));
        }
    }
    Ok(())
}

/// The spec's nets with saved parameters, checked against the spec's architecture.
fn pretrained_nets(spec: &ExperimentSpec, params: &[Vec<f32>]) -> Result<Vec<TrainedNet>, RunError> {
    check_params(spec, params)?;
    let net = build_net(spec);
    Ok(params.iter().map(|p| TrainedNet { net: net.clone(), params: p.clone() }).collect())
}

/// The model the samplers evaluate: one net, or two split at t' (two-model training).
fn assemble(spec: &ExperimentSpec, nets: Vec<TrainedNet>) -> Box<dyn EpsModel> {
    let ranges = spec.nets();
    if nets.len() == 1 {
        return Box::new(nets.into_iter().next().expect("one net"));
    }
    let mut it = nets.into_iter().map(|n| Box::new(n) as Box<dyn EpsModel>);
    let (low, high) = (it.next().expect("two nets"), it.next().expect("two nets"));
    Box::new(SplitEps { low, high, split: ranges[1].0 as f32 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CsvSet, Dataset};

    /// A CSV set's floor compares rows held out of every reference draw; the references are
    /// distinct rows of the others, and a built-in set's draws are as before.
    #[test]
    fn a_csv_sets_floor_rows_are_held_out_of_every_reference() {
        // Row i is (i, -i): every row can be told by its first value.
        let rows = 1000;
        let data = Points::new(2, (0..rows).flat_map(|i| [i as f32, -(i as f32)]).collect());
        let mut spec = ExperimentSpec { dataset: Dataset::Csv, csv: Some(CsvSet::of(data.clone())), ..Default::default() };
        spec.sampling.n_samples = 400;
        spec.metrics.repeats = 3;
        spec.validate().unwrap();
        spec.check_data().unwrap();
        assert_eq!(spec.data(spec.data_size()), data, "the training set is the file's rows, in order");
        let (refs, fresh) = reference_draws(&spec, &data);
        let ids = |p: &Points| p.data.chunks(2).map(|r| r[0] as usize).collect::<Vec<_>>();
        let held: std::collections::BTreeSet<usize> = ids(&fresh).into_iter().collect();
        assert_eq!(held.len(), 400, "held-out rows are distinct");
        assert_eq!(refs.len(), 3);
        for r in &refs {
            let seen: std::collections::BTreeSet<usize> = ids(r).into_iter().collect();
            assert_eq!(seen.len(), 400, "a reference's rows are distinct");
            assert!(seen.is_disjoint(&held), "a reference shares rows with the floor's draw");
        }
        assert_ne!(refs[0], refs[1]);
        // The same seed draws the same rows; another seed others.
        assert_eq!(reference_draws(&spec, &data).1, fresh);
        spec.seed = 1;
        assert_ne!(reference_draws(&spec, &data).1, fresh);
        // A built-in set: references are subsamples of the training set, the floor a fresh draw.
        let s = ExperimentSpec { data_size: Some(5000), ..Default::default() };
        let train = s.data(5000);
        let (refs, fresh) = reference_draws(&s, &train);
        assert_eq!(refs[0], subsample(&train, s.sampling.n_samples, s.seed, 0));
        assert_eq!(fresh, s.data_from(s.sampling.n_samples, &mut rng::stream(s.seed, Stream::Reference, NULL_DRAW)));
    }
}
