//! Runs one experiment end to end. Phases are plain functions so the browser worker can run
//! them one by one (and swap in the GPU engine); [`run`] chains them for the CLI and tests.

use super::spec::{ExperimentSpec, SpecError};
use crate::clock::now_s;
use crate::engine::gpu::{GpuContext, GpuEngine};
use crate::engine::{self, CpuEngine, Engine, EngineError, Progress, TrainReport};
use crate::engine::cpu::TimeRange;
use crate::metrics::{self, SurvivalCurve, TidPoint};
use crate::nn::{ScoreNet, ScoreNetConfig};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::diffusion::{Process, T_EPS};
use crate::sample::{self, EpsModel, ExactEps, RecordPlan, Recording, RunOptions, TrainedNet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;

#[derive(Debug)]
pub enum RunError {
    Spec(SpecError),
    Engine(EngineError),
    /// The caller cancelled before the named phase.
    Cancelled(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Spec(e) => e.fmt(f),
            RunError::Engine(e) => e.fmt(f),
            RunError::Cancelled(phase) => write!(f, "cancelled before {phase}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What the caller hears while an experiment runs.
pub enum Event<'a> {
    Phase(&'a str),
    Training(&'a Progress),
    /// Something the user should know, e.g. a fallback from the GPU to the CPU engine.
    Note(&'a str),
}

/// TID at one radius, with its spread over repeated reference draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TidEntry {
    #[serde(flatten)]
    pub point: TidPoint,
    /// Standard deviation of TID over `metrics.repeats` independent reference draws.
    pub tid_std: Option<f64>,
}

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
    /// Fallbacks and other remarks on how the run went.
    pub notes: Vec<String>,
    pub data_dim: usize,
    pub training: Option<TrainReport>,
    pub samplers: BTreeMap<String, SamplerResult>,
    /// TID(e) per sampler.
    pub tid: BTreeMap<String, Vec<TidEntry>>,
    /// TID between two independent draws of the data: the noise floor at each e.
    pub tid_null: Vec<TidEntry>,
    /// Survival functions of the neighbour counts at `metrics.survival_eps`: "data" (the first
    /// reference draw) and each sampler with finite samples.
    pub survival: BTreeMap<String, SurvivalCurve>,
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

/// `n` distinct rows of `data`, drawn with the seed's reference stream `index`.
pub fn subsample(data: &Points, n: usize, seed: u64, index: u64) -> Points {
    let mut r = rng::stream(seed, Stream::Reference, index);
    let total = data.len();
    // Partial Fisher–Yates over a sparse permutation: O(n) memory for any data size.
    let mut swapped: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let mut idx = Vec::with_capacity(n);
    for i in 0..n.min(total) {
        let j = i + rng::index(&mut r, total - i);
        let vj = *swapped.get(&j).unwrap_or(&j);
        let vi = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, vi);
        idx.push(vj);
    }
    data.select(&idx)
}

fn std_dev(v: &[f64]) -> Option<f64> {
    if v.len() < 2 {
        return None;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    Some((v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt())
}

/// Neighbour counts of each reference draw at each radius: `[draw][radius]`, computed once
/// and shared by every sampler and the noise floor.
pub fn reference_counts(refs: &[Points], eps: &[f64]) -> Vec<Vec<Vec<u32>>> {
    refs.iter().map(|r| eps.iter().map(|&e| metrics::neighbour_counts(r, e)).collect()).collect()
}

/// TID of `samples` against the reference draws: the first draw's values, the spread over all.
pub fn tid_with_spread(ref_counts: &[Vec<Vec<u32>>], samples: &Points, eps: &[f64], k: Option<usize>) -> Vec<TidEntry> {
    eps.iter()
        .enumerate()
        .map(|(i, &e)| {
            let sample_counts = metrics::neighbour_counts(samples, e);
            let points: Vec<TidPoint> =
                ref_counts.iter().map(|r| metrics::tid::tid_from_counts(&r[i], &sample_counts, e, k)).collect();
            let tids: Vec<f64> = points.iter().filter_map(|p| p.tid).collect();
            TidEntry { tid_std: std_dev(&tids), point: points[0].clone() }
        })
        .collect()
}

fn phase(on_event: &mut dyn FnMut(Event) -> ControlFlow<()>, name: &str) -> Result<(), RunError> {
    match on_event(Event::Phase(name)) {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(()) => Err(RunError::Cancelled(name.to_string())),
    }
}

/// Reference-stream index of the fresh data draw behind `tid_null` (repeats use 0, 1, ...).
const NULL_DRAW: u64 = 1 << 40;

/// Where training runs.
pub enum Backend {
    Cpu,
    /// The WGSL engine on this device; the run falls back to the CPU engine, with a note, if the
    /// engine cannot take the spec or the device is lost.
    Gpu(GpuContext),
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
    spec.validate().map_err(RunError::Spec)?;
    let mut timings = BTreeMap::new();
    let mut notes = Vec::new();
    let t0 = now_s();
    phase(on_event, "data")?;
    let data = Arc::new(spec.dataset.generate(spec.data_size(), spec.dim, spec.seed));
    timings.insert("data_s".into(), now_s() - t0);

    let (model, training, engine_name): (Box<dyn EpsModel>, _, _) = if spec.sampling.exact_score {
        let mixture = spec.dataset.mixture(spec.dim).expect("validated");
        (Box::new(ExactEps { mixture, process: spec.process }), None, "exact score (no training)".to_string())
    } else {
        phase(on_event, "training")?;
        let t = now_s();
        let times = TimeRange { lo: T_EPS as f32, hi: spec.process.t_max() as f32 };
        let (batch, lr) = (spec.training.batch, spec.training.lr);
        let mut trained = None;
        if let Backend::Gpu(ctx) = backend {
            match GpuEngine::new(ctx, build_net(spec), &data, batch, lr, times, spec.seed) {
                Ok(mut eng) => match train_on(&mut eng, spec, on_event).await {
                    Ok(x) => trained = Some(x),
                    Err(EngineError::Device(m)) => notes.push(format!("{m}; trained again on the CPU engine")),
                    Err(e) => return Err(RunError::Engine(e)),
                },
                Err(why) => notes.push(format!("{why}; trained on the CPU engine")),
            }
            if let Some(n) = notes.last() {
                let _ = on_event(Event::Note(n));
            }
        }
        let (net, report, name) = match trained {
            Some(x) => x,
            None => {
                let mut eng = CpuEngine::new(build_net(spec), data.clone(), batch, lr, times, spec.seed);
                train_on(&mut eng, spec, on_event).await.map_err(RunError::Engine)?
            }
        };
        timings.insert("train_s".into(), now_s() - t);
        (Box::new(net), Some(report), name)
    };

    let n = spec.sampling.n_samples;
    let refs: Vec<Points> = (0..spec.metrics.repeats).map(|r| subsample(&data, n, spec.seed, r as u64)).collect();
    let plan = record_plan(spec, &refs[0]);
    let init = sample::initial_noise(n, spec.data_dim(), spec.seed);
    let settings = spec.sampling.settings();
    let opts = RunOptions { denoise: spec.sampling.denoise, record: Some(&plan) };
    let mut samples = BTreeMap::new();
    let mut samplers = BTreeMap::new();
    let mut recordings = BTreeMap::new();
    for &kind in &spec.sampling.samplers {
        phase(on_event, kind.name())?;
        let t = now_s();
        let steps = spec.steps(kind);
        let sampler = kind.build(steps, &settings);
        // Each sampler's noise stream is fixed by its kind, so adding or removing another
        // sampler from the comparison leaves its samples unchanged.
        let stream = kind as u64;
        let (s, rec) = sample::run_with(sampler.as_ref(), model.as_ref(), &spec.process, &init, spec.seed, stream, &opts);
        let seconds = now_s() - t;
        let evaluations = kind.evaluations(steps, &settings) + spec.sampling.denoise as usize;
        samplers.insert(
            kind.name().to_string(),
            SamplerResult { steps, evaluations, seconds, mean: s.mean(), variance: s.variance(), finite: s.all_finite() },
        );
        samples.insert(kind.name().to_string(), s);
        recordings.insert(kind.name().to_string(), rec.expect("planned"));
    }
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
    // Noise floor: fresh draws of the data measured against the same references.
    let fresh = spec.dataset.generate_from(n, spec.dim, &mut rng::stream(spec.seed, Stream::Reference, NULL_DRAW));
    let tid_null = tid_with_spread(&ref_counts, &fresh, &spec.metrics.eps, spec.metrics.k);
    let se = spec.metrics.survival_eps;
    let mut survival = BTreeMap::new();
    survival.insert("data".to_string(), SurvivalCurve::new(&metrics::neighbour_counts(&refs[0], se), se, spec.metrics.k));
    for (name, s) in &samples {
        if samplers[name].finite {
            survival.insert(name.clone(), SurvivalCurve::new(&metrics::neighbour_counts(s, se), se, spec.metrics.k));
        }
    }
    timings.insert("metrics_s".into(), now_s() - t);
    timings.insert("total_s".into(), now_s() - t0);
    Ok(ExperimentResult {
        spec: spec.clone(),
        engine: engine_name,
        notes,
        data_dim: spec.data_dim(),
        training,
        samplers,
        tid,
        tid_null,
        survival,
        timings,
        samples,
        reference: refs.into_iter().next(),
        recordings,
        truth: Some(truth),
    })
}
