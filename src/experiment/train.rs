//! The training phase (SPEC §4, §8): where training runs (the CPU engine, the WGSL engine, or
//! whichever of the two a timing finds faster), every net of the spec trained one after the
//! other on its own time range, with the fall back to the CPU engine when the GPU cannot take the
//! spec or is lost; or, without training, the model a run samples: the exact score of a mixture
//! or a saved run's nets. The two-net model (two models split at t') is assembled in one place.

use super::event::{Event, RunError, phase};
use super::result::{EngineChoice, NetTraining, Pretrained};
use crate::clock::now_s;
use crate::diffusion::TimeRange;
use crate::engine::gpu::{GpuContext, GpuEngine, NetSetup};
use crate::engine::{self, CpuEngine, Engine, EngineError, Progress, TrainReport};
use crate::nn::{ScoreNet, ScoreNetConfig};
use crate::points::Points;
use crate::rng;
use crate::sample::{EpsModel, ExactEps, SplitEps, TrainedNet};
use crate::spec::{ExperimentSpec, SpecError};
use std::ops::ControlFlow;
use std::sync::Arc;

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

impl Backend {
    /// The backend of one job of a batch that runs several at once: on the GPU the same device
    /// with the job's own work counts ([`GpuContext::for_job`]), so each run's device work is
    /// its own whatever runs beside it.
    pub fn for_job(&self) -> Backend {
        match self {
            Backend::Cpu => Backend::Cpu,
            Backend::Gpu(ctx) => Backend::Gpu(ctx.for_job()),
            Backend::Auto(ctx) => Backend::Auto(ctx.for_job()),
        }
    }
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
    let times = TimeRange { lo: lo as f32, hi: hi as f32, dist: spec.training.t_dist };
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

/// A trained net with its training's report and its engine's description.
type NetOut = (TrainedNet, TrainReport, String);

/// Trains with `eng`, returning the trained net, the report and the engine's description.
async fn train_on<E: Engine>(eng: &mut E, spec: &ExperimentSpec, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>) -> Result<NetOut, EngineError> {
    let mut cb = |p: &Progress| on_event(Event::Training(p));
    let t = &spec.training;
    let report = engine::train_with_checkpoints(eng, t.iters, t.report_every, &t.checkpoints, &mut cb).await?;
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
    /// The nets' parameters at each of `training.checkpoints` (one vector per net).
    pub snapshots: Vec<(u64, Vec<Vec<f32>>)>,
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
    let mut nets: Vec<NetOut> = Vec::new();
    let mut i = 0;
    while i < ranges.len() {
        let (lo, hi) = ranges[i];
        let times = TimeRange { lo: lo as f32, hi: hi as f32, dist: spec.training.t_dist };
        let seed = rng::net_seed(spec.seed, i as u64);
        let offset = iters * i as u64;
        let before: f64 = nets.iter().map(|n| n.1.seconds).sum();
        // Progress runs over all nets: net i reports iterations offset+1 ..= offset+iters.
        let mut forward = |e: Event| match e {
            Event::Training(p) => on_event(Event::Training(&Progress { iter: offset + p.iter, total, loss: p.loss, elapsed_s: before + p.elapsed_s })),
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
    Ok(finish(spec, trained, nets))
}

/// The nets of several specs trained side by side on one GPU ([`engine::gpu::train_together`]):
/// every net of every spec (two with two-model training), each on its own data, time range and
/// seed as [`train_model`] trains it alone, so each spec's model is the one it gets alone, bit
/// for bit. The specs share their training's length, report interval and checkpoints (the
/// caller groups them so); `data[i]` is spec i's. Per spec: its model, or why it failed (a net
/// that diverged). A net the engine cannot take, a device error or a cancel fails them all (the
/// outer error: the caller then trains each alone, which falls back to the CPU as a run does).
pub async fn train_models_together(
    specs: &[&ExperimentSpec],
    data: &[Arc<Points>],
    ctx: &GpuContext,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<Vec<Result<TrainedModel, RunError>>, RunError> {
    let Some(first) = specs.first() else { return Ok(Vec::new()) };
    let t = &first.training;
    if let Some(s) = specs.iter().find(|s| (s.training.iters, s.training.report_every, &s.training.checkpoints) != (t.iters, t.report_every, &t.checkpoints)) {
        return Err(RunError::Spec(SpecError {
            field: "training".into(),
            message: format!("nets trained together share their length, report interval and checkpoints ({} against {})", s.training.iters, t.iters),
        }));
    }
    // The nets of every spec; those of one shape (architecture, batch, law of t, data size)
    // share one engine and so every dispatch, each with its own data, seed, rate and range.
    struct Net<'a> {
        spec: usize,
        net: ScoreNet,
        setup: NetSetup<'a>,
    }
    let mut groups: Vec<Vec<Net>> = Vec::new();
    for (k, spec) in specs.iter().enumerate() {
        for (i, &(lo, hi)) in spec.nets().iter().enumerate() {
            let times = TimeRange { lo: lo as f32, hi: hi as f32, dist: spec.training.t_dist };
            let setup = NetSetup { data: &data[k], lr: spec.training.lr, times, seed: rng::net_seed(spec.seed, i as u64) };
            let net = Net { spec: k, net: build_net(spec), setup };
            let batch = |n: &Net| specs[n.spec].training.batch;
            let same = |g: &&mut Vec<Net>| g[0].net.config == net.net.config && batch(&g[0]) == batch(&net) && g[0].setup.fits_with(&net.setup);
            match groups.iter_mut().find(same) {
                Some(g) => g.push(net),
                None => groups.push(vec![net]),
            }
        }
    }
    let mut engines = Vec::new();
    for g in &groups {
        let setups: Vec<NetSetup> = g.iter().map(|n| n.setup).collect();
        let eng = GpuEngine::new_many(ctx.clone(), g[0].net.clone(), &setups, specs[g[0].spec].training.batch)
            .map_err(|why| RunError::Engine(EngineError::Device(why)))?;
        engines.push(eng);
    }
    // The flat list of nets, as the engines hold them: net j belongs to spec owner[j].
    let owner: Vec<usize> = groups.iter().flatten().map(|n| n.spec).collect();
    let shapes: Vec<ScoreNet> = groups.iter().flatten().map(|n| n.net.clone()).collect();
    phase(on_event, "training")?;
    let mut cb = |p: &Progress| on_event(Event::Training(p));
    let reports = engine::gpu::train_together(&mut engines, t.iters, t.report_every, &t.checkpoints, &mut cb).await.map_err(RunError::Engine)?;
    let params = {
        let refs: Vec<&mut GpuEngine> = engines.iter_mut().collect();
        GpuEngine::params_together(&refs).await.map_err(RunError::Engine)?
    };
    let describe = engines[0].describe();
    let mut per_spec: Vec<Result<Vec<NetOut>, RunError>> = specs.iter().map(|_| Ok(Vec::new())).collect();
    for (((net, report), p), &k) in shapes.into_iter().zip(reports).zip(params).zip(&owner) {
        match (report, &mut per_spec[k]) {
            (Ok(r), Ok(nets)) => nets.push((TrainedNet { net, params: p }, r, describe.clone())),
            (Err(e), slot @ Ok(_)) => *slot = Err(RunError::Engine(e)),
            (_, Err(_)) => {}
        }
    }
    Ok(specs
        .iter()
        .zip(per_spec)
        .map(|(spec, nets)| {
            let nets = nets?;
            let trained = nets.iter().map(|n| n.0.clone()).collect();
            Ok(finish(spec, trained, nets))
        })
        .collect())
}

/// A model from its trained nets (with each net's report and engine): the samplers' model, the
/// model's checkpoints (every net at its own iteration k) and, with two nets, one report for
/// the model beside each net's.
fn finish(spec: &ExperimentSpec, trained: Vec<TrainedNet>, mut nets: Vec<NetOut>) -> TrainedModel {
    let ranges = spec.nets();
    let engine = nets[0].2.clone();
    let model = assemble(spec, trained.clone());
    // Checkpoint k of the model: every net at its own iteration k.
    let snapshots = nets[0].1.snapshots.iter().enumerate().map(|(c, (k, _))| (*k, nets.iter().map(|n| n.1.snapshots[c].1.clone()).collect())).collect();
    if nets.len() == 1 {
        let report = nets.pop().expect("one net").1;
        return TrainedModel { model, nets: trained, report: Some(report), net_reports: Vec::new(), engine, snapshots };
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
    let net_reports = nets.iter().zip(&ranges).map(|(n, &(t_lo, t_hi))| NetTraining { t_lo, t_hi, report: n.1.clone() }).collect();
    TrainedModel { model, nets: trained, report: Some(combined), net_reports, engine, snapshots }
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

pub fn build_net(spec: &ExperimentSpec) -> ScoreNet {
    ScoreNet::new(ScoreNetConfig {
        dim: spec.data_dim(),
        depth: spec.model.depth,
        width: spec.model.width,
        activation: spec.model.activation,
        parameterization: spec.model.parameterization,
        process: spec.process,
        target: spec.model.target,
        precond: spec.model.precond,
        sigma_data: if spec.model.precond.is_none() { 0.0 } else { spec.data_std() as f32 },
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
            return Err(bad(format!("net {i} has {} parameters but the spec's {}x{} net has {n}", p.len(), spec.model.depth, spec.model.width)));
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

/// The spec's data set's exact score on its process (the mixtures have one; painted sets and
/// CSV files do not): the model of an exact-score run or generation, and the diagnostics' truth.
pub fn exact_score(spec: &ExperimentSpec) -> Option<ExactEps> {
    spec.mixture().map(|mixture| ExactEps { mixture, process: spec.process })
}

/// [`exact_score`] for a spec that samples it (`sampling.exact_score`), refused by name for a
/// data set without one.
pub fn exact_score_model(spec: &ExperimentSpec) -> Result<ExactEps, RunError> {
    exact_score(spec).ok_or_else(|| RunError::Spec(SpecError { field: "exact_score".into(), message: "only the mixtures have an exact score".into() }))
}

/// The model a run with these nets' parameters samples (the exact score where the spec asks
/// for it, with no parameters): what a helper worker rebuilds to sample some of its blocks.
pub fn model_of(spec: &ExperimentSpec, params: &[Vec<f32>]) -> Result<Box<dyn EpsModel>, RunError> {
    if spec.sampling.exact_score {
        return Ok(Box::new(exact_score_model(spec)?));
    }
    Ok(assemble(spec, pretrained_nets(spec, params)?))
}

/// The model the samplers evaluate: one net, or two split at t' (two-model training).
pub(crate) fn assemble(spec: &ExperimentSpec, nets: Vec<TrainedNet>) -> Box<dyn EpsModel> {
    let ranges = spec.nets();
    if nets.len() == 1 {
        return Box::new(nets.into_iter().next().expect("one net"));
    }
    let mut it = nets.into_iter().map(|n| Box::new(n) as Box<dyn EpsModel>);
    let (low, high) = (it.next().expect("two nets"), it.next().expect("two nets"));
    Box::new(SplitEps { low, high, split: ranges[1].0 as f32 })
}

/// The model a run samples, and what made it.
pub struct Model {
    pub model: Box<dyn EpsModel>,
    pub training: Option<TrainReport>,
    pub training_nets: Vec<NetTraining>,
    /// What trained it ("cpu (2 threads)", the GPU adapter, "saved run (...)", "exact score").
    pub engine: String,
    /// One parameter vector per net (none for the exact score).
    pub params: Vec<Vec<f32>>,
    pub engine_choice: Option<EngineChoice>,
    /// The nets, where they were trained on the GPU (the samplers then run there too).
    pub on_gpu: Option<OnGpu>,
    /// Seconds of training, where the run trained.
    pub train_s: Option<f64>,
    /// The nets at each of `training.checkpoints`, where the run trained.
    pub snapshots: Vec<(u64, Vec<Vec<f32>>)>,
}

/// Where the training phase starts from.
pub enum Start {
    /// The seed's initialisation.
    Fresh,
    /// These parameters, one vector per net (a chain's generation after the first, with
    /// `warm_start`: the previous generation's nets), trained on as usual.
    Warm(Vec<Vec<f32>>),
    /// A saved run's (or a study's shared) nets: no training.
    Saved(Box<Pretrained>),
}

/// The training phase of a run or of a generation: the exact score (no training), a saved
/// run's nets (checked against the spec), or the spec's nets trained on `backend` from `start`.
pub async fn obtain(
    spec: &ExperimentSpec,
    data: &Arc<Points>,
    backend: Backend,
    start: Start,
    notes: &mut Vec<String>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<Model, RunError> {
    if spec.sampling.exact_score {
        let model: Box<dyn EpsModel> = Box::new(exact_score_model(spec)?);
        let engine = "exact score (no training)".to_string();
        return Ok(Model {
            model,
            training: None,
            training_nets: Vec::new(),
            engine,
            params: Vec::new(),
            engine_choice: None,
            on_gpu: None,
            train_s: None,
            snapshots: Vec::new(),
        });
    }
    let warm = match start {
        Start::Fresh => Vec::new(),
        Start::Warm(params) => params,
        Start::Saved(p) => return saved_model(spec, backend, *p, notes),
    };
    let (backend, engine_choice) = resolve_backend(spec, data, backend, notes, on_event).await?;
    phase(on_event, "training")?;
    let t = now_s();
    let mut on_gpu = None;
    let trained = train_model(spec, data, backend, &warm, notes, &mut on_gpu, on_event).await?;
    let params = trained.nets.iter().map(|n| n.params.clone()).collect();
    Ok(Model {
        model: trained.model,
        training: trained.report,
        training_nets: trained.net_reports,
        engine: trained.engine,
        params,
        engine_choice,
        on_gpu,
        train_s: Some(now_s() - t),
        snapshots: trained.snapshots,
    })
}

/// [`obtain`] from a saved run's (or a study's shared) nets: checked against the spec, with
/// their checkpoints; sampled on the GPU where a study shares nets trained there.
fn saved_model(spec: &ExperimentSpec, backend: Backend, p: Pretrained, notes: &mut Vec<String>) -> Result<Model, RunError> {
    let nets = pretrained_nets(spec, &p.params)?;
    // Nets shared within a study sample where they were trained (the GPU when the caller
    // passes it); a saved run's are sampled on the CPU.
    let on_gpu = match (&backend, &p.shared) {
        (Backend::Gpu(ctx), Some(_)) => {
            let ranges = spec.nets();
            Some(OnGpu { ctx: ctx.clone(), nets: nets.clone(), split: (ranges.len() > 1).then(|| ranges[1].0 as f32) })
        }
        _ => None,
    };
    let model = assemble(spec, nets);
    let engine = match &p.shared {
        Some(note) => {
            notes.push(note.clone());
            p.engine.clone()
        }
        None => format!("saved run (trained on {})", p.engine),
    };
    let want: Vec<u64> = spec.training.checkpoints.clone();
    if p.snapshots.iter().map(|s| s.0).collect::<Vec<_>>() != want {
        return Err(RunError::Spec(SpecError {
            field: "checkpoints".into(),
            message: format!("the spec asks for checkpoints {want:?} but the saved nets are kept at {:?}", p.snapshots.iter().map(|s| s.0).collect::<Vec<_>>()),
        }));
    }
    for (_, s) in &p.snapshots {
        check_params(spec, s)?;
    }
    Ok(Model {
        model,
        training: p.training,
        training_nets: p.training_nets,
        engine,
        params: p.params,
        engine_choice: None,
        on_gpu,
        train_s: None,
        snapshots: p.snapshots,
    })
}
