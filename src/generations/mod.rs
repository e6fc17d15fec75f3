//! Recursive training on the lab's own samples (SPEC §10; the recursive-training paper in
//! `../shared/papers/`). One *chain* trains generation 0 on data, then generation i+1 on
//! q_i = a p_data + (1 - a) p_hat_i: a fraction a of fresh data and 1 - a samples of generation
//! i drawn by the chain's sampler. Per generation it measures, on one fixed histogram of the
//! first two coordinates ([`Histogram`]), D_i = chi^2(p_hat_i || p_data), KL(p_hat_i || p_data),
//! I_i = chi^2(p_hat_{i+1} || q_i) and the geometric account of D_N; and TID against the data.
//!
//! Many chains (several a, samplers, seeds) are a study: the axes `fresh` and `gen-sampler`
//! and the seeds are planned by `study::plan`, each planned run is one chain ([`run_chain`]),
//! and [`aggregate`] gives mean and spread over seeds per (a, sampler) like any study.

pub(crate) mod findings;
#[cfg(test)]
mod tests;
pub use findings::{findings, tid_radius};

use crate::experiment::Event;
use crate::experiment::event::{RunError, phase};
use crate::experiment::run::prepare_data;
use crate::experiment::sampling::sample_all;
use crate::experiment::train::{Backend, Start, obtain, resolve_backend};
pub use crate::metrics::histogram::{Histogram, mix};
use crate::metrics::reference::{TidEntry, reference_counts, tid_with_spread};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::spec::{ExperimentSpec, SpecError};
use crate::study::{self, Plan, PlannedRun, RunRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::Arc;

/// Points of the large data draw behind the data's histogram p_data.
pub const HIST_DRAW_POINTS: usize = 200_000;
/// Reference-stream indices of the chain's own data draws (TID references use 0, 1, ...).
const HIST_DRAW: u64 = rng::reference::GENERATIONS_HISTOGRAM;
const NULL_DRAW: u64 = rng::reference::GENERATIONS_NULL;
const FRESH_DRAW: u64 = rng::reference::GENERATIONS_FRESH;

/// What one generation measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenerationRecord {
    pub generation: usize,
    /// D_i = chi^2(p_hat_i || p_data).
    pub chi2: f64,
    /// KL(p_hat_i || p_data).
    pub kl: f64,
    /// I_i = chi^2(p_hat_{i+1} || q_i): the next generation's own error (null for the last).
    pub chi2_step: Option<f64>,
    /// The geometric account of D_i: (1-a)^{2i} D_0 + sum_{j<i} (1-a)^{2(i-1-j)} I_j.
    pub geometric: f64,
    /// The DSM training loss at the end of this generation's training (on its own training set).
    pub dsm_loss: Option<f64>,
    /// TID of this generation's samples against the data, at the run's e grid.
    pub tid: Vec<TidEntry>,
    /// Points of this generation's training set that were fresh data / samples of the previous.
    pub fresh_points: usize,
    pub model_points: usize,
    pub train_s: f64,
    pub sample_s: f64,
    /// The first `shown` samples, first two coordinates (one for 1-D data), row-major.
    pub samples: Vec<f32>,
}

/// One chain of recursive training and everything it measured.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ChainResult {
    pub fresh: f64,
    pub sampler: String,
    pub seed: u64,
    pub warm_start: bool,
    pub generations: Vec<GenerationRecord>,
    /// contributions[N][j] for j <= N: (1-a)^{2(N-j)} e_j, with e_0 = D_0 and e_j = I_{j-1}
    /// (generation j's own error); row N sums to generation N's geometric account.
    pub contributions: Vec<Vec<f64>>,
    /// chi^2 and KL of a fresh draw of gen_size data points: the histogram's noise floor.
    pub chi2_null: f64,
    pub kl_null: f64,
    /// TID of a fresh draw of the data against the same references: TID's noise floor.
    pub tid_null: Vec<TidEntry>,
    pub histogram: Histogram,
    pub engine: String,
    pub sampling_engine: String,
    pub notes: Vec<String>,
    /// Why the chain stopped early (divergence, non-finite samples); the generations before stay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub seconds: f64,
}

impl ChainResult {
    /// Fills the geometric account and the contribution matrix from D_0 and the I_i present.
    fn account(&mut self) {
        let r = (1.0 - self.fresh).powi(2);
        let own: Vec<f64> =
            self.generations.iter().enumerate().map(|(j, g)| if j == 0 { g.chi2 } else { self.generations[j - 1].chi2_step.unwrap_or(f64::NAN) }).collect();
        self.contributions = (0..self.generations.len()).map(|n| (0..=n).map(|j| r.powi((n - j) as i32) * own[j]).collect()).collect();
        for (n, g) in self.generations.iter_mut().enumerate() {
            g.geometric = self.contributions[n].iter().sum();
        }
    }
}

/// First `shown` rows of `p`, first two coordinates.
fn shown_xy(p: &Points, shown: usize) -> Vec<f32> {
    let c = p.dim.min(2);
    p.data.chunks_exact(p.dim).take(shown).flat_map(|r| r[..c].iter().copied()).collect()
}

/// What the caller of a chain hears: the events of its runs, and the chain after every
/// generation (everything done so far).
pub enum ChainEvent<'a> {
    Run(Event<'a>),
    Generation(&'a ChainResult),
}

impl ChainEvent<'_> {
    /// As the page's workers post it: a run's event as [`Event::to_json`], and `{kind: "chain",
    /// chain}` after every generation.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ChainEvent::Run(e) => e.to_json(),
            ChainEvent::Generation(c) => serde_json::json!({"kind": "chain", "chain": c}),
        }
    }
}

/// Runs one chain. Errors only on a bad spec or cancellation (`on_event` breaking); a chain that
/// fails mid-way (a generation diverges, its samples are not finite) returns the generations
/// done with `error` set. `on_event` hears the run's events (each phase named with its
/// generation) and, after every generation, the chain so far.
///
/// A chain is a loop over a run's phases (`experiment`): prepared once (the spec checked, the
/// first training set drawn, EDM's s_d resolved from it, the engine chosen), then per generation
/// the nets obtained (trained on this generation's set, from the previous generation's nets with
/// `warm_start`; the exact score needs none), sampled (the chain's sampler, `gen_size` points
/// from the generation's seed) and measured ([`measure_generation`]).
pub async fn run_chain(spec: &ExperimentSpec, backend: Backend, on_event: &mut dyn FnMut(ChainEvent) -> ControlFlow<()>) -> Result<ChainResult, RunError> {
    let rec = spec
        .recursion
        .clone()
        .ok_or_else(|| RunError::Spec(SpecError { field: "recursion".into(), message: "not a generations run (set fresh, generations, ...)".into() }))?;
    let t0 = crate::clock::now_s();
    let (m, a) = (rec.gen_size, rec.fresh);
    // Prepare: generation 0's training set is `m` points of the data; EDM's s_d is resolved
    // once, from it (the data set's own spread), so every generation's nets share one
    // preconditioning.
    let (mut train, resolved) = prepare_data(spec, m, &mut |e| on_event(ChainEvent::Run(e)))?;
    let spec = resolved.as_ref().unwrap_or(spec);
    let draws = ChainDraws::new(spec, &rec);
    let mut chain = ChainResult {
        fresh: a,
        sampler: rec.sampler.name().to_string(),
        seed: spec.seed,
        warm_start: rec.warm_start,
        generations: Vec::new(),
        contributions: Vec::new(),
        chi2_null: draws.hist.chi2(&draws.null_masses, &draws.hist.data),
        kl_null: draws.hist.kl(&draws.null_masses, &draws.hist.data),
        tid_null: draws.tid_null.clone(),
        histogram: draws.hist.clone(),
        engine: String::new(),
        sampling_engine: String::new(),
        notes: Vec::new(),
        error: None,
        seconds: 0.0,
    };
    let (backend, _) = if spec.sampling.exact_score {
        // Refused here, before any generation, for a data set without one.
        crate::experiment::train::exact_score_model(spec)?;
        (Backend::Cpu, None)
    } else {
        resolve_backend(spec, &train, backend, &mut chain.notes, &mut |e| on_event(ChainEvent::Run(e))).await?
    };
    let (mut fresh_points, mut model_points) = (m, 0);
    let mut warm: Vec<Vec<f32>> = Vec::new();
    let mut prev_masses: Option<Vec<f64>> = None;
    for g in 0..=rec.generations {
        // This generation's spec: its own seed; its chain's sampler alone, on `m` points.
        let mut gspec = spec.clone();
        gspec.seed = rng::generation_seed(spec.seed, g as u64);
        gspec.sampling.samplers = vec![rec.sampler];
        gspec.sampling.n_samples = m;
        let label = format!("generation {g} of {}", rec.generations);
        let mut run_event = |e: Event| match e {
            Event::Phase(p) => on_event(ChainEvent::Run(Event::Phase(&format!("{label}: {p}")))),
            other => on_event(ChainEvent::Run(other)),
        };
        // Obtain: train on this generation's set (warm-started from the last nets where asked).
        let t = crate::clock::now_s();
        let start = if warm.is_empty() { Start::Fresh } else { Start::Warm(std::mem::take(&mut warm)) };
        // This generation's notes (a fallback to the CPU, a sampler that did not converge), each
        // said with its generation.
        let mut notes = Vec::new();
        let obtained = obtain(&gspec, &train, backend.clone(), start, &mut notes, &mut run_event).await;
        chain.notes.extend(notes.drain(..).map(|n| format!("generation {g}: {n}")));
        let model = match obtained {
            Ok(model) => model,
            Err(RunError::Cancelled(p)) => return Err(RunError::Cancelled(p)),
            Err(e) => {
                chain.error = Some(format!("generation {g}: {e}"));
                break;
            }
        };
        if g == 0 {
            chain.engine = model.engine.clone();
        }
        if rec.warm_start {
            warm = model.params.clone();
        }
        let dsm_loss = model.training.as_ref().and_then(|r| r.losses.last().map(|l| l.1 as f64));
        let train_s = crate::clock::now_s() - t;
        // Sample: `m` points of the chain's sampler, unrecorded.
        let t = crate::clock::now_s();
        let sampled =
            sample_all(&gspec, model.model.as_ref(), &model.params, model.on_gpu, &chain.engine, &draws.refs[0], false, &mut notes, &mut run_event).await?;
        chain.notes.extend(notes.drain(..).map(|n| format!("generation {g}: {n}")));
        chain.sampling_engine = sampled.engine.clone();
        let sample_s = crate::clock::now_s() - t;
        let samples = sampled.samples.into_values().next().expect("the chain's sampler");
        if !samples.all_finite() {
            chain.error = Some(format!("generation {g}: the {} sampler produced non-finite samples; the chain stops here", rec.sampler.name()));
            break;
        }
        // Measure.
        phase(&mut run_event, "metrics")?;
        let masses = draws.hist.masses(&samples);
        if let (Some(prev), Some(last)) = (&prev_masses, chain.generations.last_mut()) {
            last.chi2_step = Some(draws.hist.chi2(&masses, &mix(a, &draws.hist.data, prev)));
        }
        chain.generations.push(GenerationRecord {
            generation: g,
            chi2: draws.hist.chi2(&masses, &draws.hist.data),
            kl: draws.hist.kl(&masses, &draws.hist.data),
            chi2_step: None,
            geometric: f64::NAN,
            dsm_loss,
            tid: draws.tid(spec, &samples),
            fresh_points,
            model_points,
            train_s,
            sample_s,
            samples: shown_xy(&samples, rec.shown),
        });
        chain.account();
        chain.seconds = crate::clock::now_s() - t0;
        if on_event(ChainEvent::Generation(&chain)).is_break() {
            return Err(RunError::Cancelled(format!("generation {}", g + 1)));
        }
        prev_masses = Some(masses);
        // The next training set: round(a M) fresh data points, then the first M - that of
        // this generation's samples.
        if g < rec.generations {
            let k = (a * m as f64).round() as usize;
            train = Arc::new(draws.next_training_set(spec, g, k, &samples));
            (fresh_points, model_points) = (k, m - k);
        }
    }
    chain.seconds = crate::clock::now_s() - t0;
    Ok(chain)
}

/// What a chain draws from the data once, besides its training sets: the histogram's large
/// draw (p_data), TID's references and their neighbour counts, and a fresh draw of `gen_size`
/// points (the histogram's and TID's noise floors), each from its own reference stream. A run's
/// references are subsamples of its training set (`experiment::measure::reference_draws`); a
/// chain's training sets after the first are partly its own samples, so its references are
/// fresh draws of the data, the same for every generation.
struct ChainDraws {
    hist: Histogram,
    refs: Vec<Points>,
    ref_counts: Vec<Vec<Vec<u32>>>,
    null_masses: Vec<f64>,
    tid_null: Vec<TidEntry>,
}

impl ChainDraws {
    fn new(spec: &ExperimentSpec, rec: &crate::spec::RecursionSpec) -> ChainDraws {
        let n = spec.sampling.n_samples;
        let draw = |k: usize, index: u64| spec.data_from(k, &mut rng::stream(spec.seed, Stream::Reference, index));
        let hist = Histogram::of_data(&draw(HIST_DRAW_POINTS, HIST_DRAW), rec.hist_bins, rec.hist_floor);
        let refs: Vec<Points> = (0..spec.metrics.repeats).map(|r| draw(n, r as u64)).collect();
        let ref_counts = reference_counts(&refs, &spec.metrics.eps);
        let null = draw(rec.gen_size, NULL_DRAW);
        let null_masses = hist.masses(&null);
        let tid_null = tid_with_spread(&ref_counts, &null.select(&(0..n).collect::<Vec<_>>()), &spec.metrics.eps, spec.metrics.k);
        ChainDraws { hist, refs, ref_counts, null_masses, tid_null }
    }

    /// TID of the first `n_samples` of a generation's samples against the references.
    fn tid(&self, spec: &ExperimentSpec, samples: &Points) -> Vec<TidEntry> {
        let head = samples.select(&(0..spec.sampling.n_samples).collect::<Vec<_>>());
        tid_with_spread(&self.ref_counts, &head, &spec.metrics.eps, spec.metrics.k)
    }

    /// Generation g + 1's training set: `k` fresh data points (their own stream per generation),
    /// then the first `gen_size - k` of generation g's samples.
    fn next_training_set(&self, spec: &ExperimentSpec, g: usize, k: usize, samples: &Points) -> Points {
        let d = samples.dim;
        let m = samples.len();
        let fresh = spec.data_from(k, &mut rng::stream(spec.seed, Stream::Reference, FRESH_DRAW + g as u64 + 1));
        let mut points = fresh.data;
        points.extend_from_slice(&samples.data[..(m - k) * d]);
        Points::new(d, points)
    }
}

/// Every per-generation figure of a chain that a study of chains aggregates, by name:
/// `chi2@G`, `kl@G`, `chi2_step@G`, `geometric@G`, `dsm_loss@G`, `tid@G@E`.
pub fn chain_metrics(c: &ChainResult) -> BTreeMap<String, Option<f64>> {
    let mut out = BTreeMap::new();
    for g in &c.generations {
        let i = g.generation;
        out.insert(format!("chi2@{i}"), Some(g.chi2));
        out.insert(format!("kl@{i}"), Some(g.kl));
        out.insert(format!("geometric@{i}"), Some(g.geometric).filter(|v| v.is_finite()));
        if g.chi2_step.is_some() {
            out.insert(format!("chi2_step@{i}"), g.chi2_step);
        }
        out.insert(format!("dsm_loss@{i}"), g.dsm_loss);
        for e in &g.tid {
            out.insert(format!("tid@{i}@{}", e.point.eps), e.point.tid);
        }
    }
    out
}

/// One chain as a study keeps it: its figures, its result, and its error (a chain stopped
/// early keeps the figures of the generations it finished).
pub fn record(run: &PlannedRun, outcome: Result<&ChainResult, String>) -> RunRecord {
    let mut r = study::record_of(run, BTreeMap::new(), None, None);
    match outcome {
        Ok(c) => {
            r.metrics = chain_metrics(c);
            r.error = c.error.clone();
            r.result = serde_json::to_value(c).ok();
        }
        Err(e) => r.error = Some(e),
    }
    r
}

/// Plans the chains of a generations run: the base spec (with its recursion settings), the
/// fresh fractions and samplers as axes, `seeds` chains per (a, sampler), and any further axes.
pub fn plan(base: &ExperimentSpec, fresh: &[String], samplers: &[String], extra: Vec<study::Axis>, seeds: usize) -> Result<Plan, SpecError> {
    if base.recursion.is_none() {
        return Err(SpecError { field: "recursion".into(), message: "not a generations run".into() });
    }
    // Each value on its own first, so an error names the list it came from (`fresh`), not a cell.
    for (name, values) in [("fresh", fresh), ("gen-sampler", samplers)] {
        for v in values {
            let mut s = base.clone();
            crate::spec::overrides::apply(&mut s, name, v)?;
            s.validate().map_err(|e| SpecError { field: name.into(), message: e.to_string() })?;
        }
    }
    let mut axes = vec![study::Axis { name: "fresh".into(), values: fresh.to_vec() }];
    axes.push(study::Axis { name: "gen-sampler".into(), values: samplers.to_vec() });
    axes.extend(extra);
    study::plan(base, axes, seeds)
}

/// The chains of an earlier generations file that `plan` still plans, as a study resumes: each
/// finished chain is matched by its whole spec (seed included), so other values, more seeds or
/// a reordered list keep it. `dropped` counts finished chains `plan` does not have (the CLI
/// refuses to overwrite them unless told to start afresh). A chain that stopped early runs again.
pub fn resumable(plan: &Plan, earlier: &GenerationsResult) -> Result<study::Resumed, String> {
    let was = study::plan(&earlier.base, earlier.axes.clone(), earlier.seeds).map_err(|e| format!("its plan does not check: {e}"))?;
    let mut records = Vec::new();
    for v in &earlier.runs {
        let Some(run) = v.get("index").and_then(|i| i.as_u64()).and_then(|i| was.runs.get(i as usize)) else {
            return Err("a chain without its index".into());
        };
        if v.get("generations").and_then(|g| g.as_array()).is_none_or(|g| g.is_empty()) {
            continue; // never ran: nothing to keep
        }
        let chain: ChainResult = serde_json::from_value(v.clone()).map_err(|e| format!("chain {}: {e}", run.index))?;
        records.push(record(run, Ok(&chain)));
    }
    let earlier = study::aggregate(&was, &records);
    Ok(study::resumable(plan, &earlier))
}

/// The output of a generations run: `runs` in the JSON shape of the issue (each chain with its
/// settings and index), `cells` with mean, std and per-seed values of every figure per
/// (a, sampler), and which chains are missing or failed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GenerationsResult {
    pub base: ExperimentSpec,
    pub axes: Vec<study::Axis>,
    pub seeds: usize,
    pub runs: Vec<serde_json::Value>,
    pub cells: Vec<study::Cell>,
    pub missing: Vec<usize>,
    pub failed: Vec<usize>,
}

pub fn aggregate(plan: &Plan, records: &[RunRecord]) -> GenerationsResult {
    let s = study::aggregate(plan, records);
    let runs = s
        .runs
        .iter()
        .map(|r| {
            let mut v = r.result.clone().unwrap_or_else(|| {
                let rec = r.spec.recursion.clone().unwrap_or_default();
                serde_json::json!({"fresh": rec.fresh, "sampler": rec.sampler.name(), "seed": r.seed, "generations": []})
            });
            if let Some(o) = v.as_object_mut() {
                o.insert("index".into(), r.index.into());
                o.insert("cell".into(), r.cell.into());
                o.insert("settings".into(), serde_json::to_value(&r.settings).unwrap_or_default());
                if let Some(e) = &r.error {
                    o.insert("error".into(), e.clone().into());
                }
            }
            v
        })
        .collect();
    GenerationsResult { base: s.base, axes: s.axes, seeds: s.seeds, runs, cells: s.cells, missing: s.missing, failed: s.failed }
}

/// One row per chain and generation, every per-generation figure a column (TID per e).
pub fn to_csv(g: &GenerationsResult) -> String {
    let eps = &g.base.metrics.eps;
    let mut out = String::from("fresh,sampler,seed,generation,chi2,kl,chi2_step,geometric,dsm_loss,fresh_points,model_points");
    for e in eps {
        out.push_str(&format!(",tid@{e},tid_std@{e}"));
    }
    out.push('\n');
    let f = |v: Option<f64>| v.filter(|x| x.is_finite()).map(|x| format!("{x}")).unwrap_or_default();
    for run in &g.runs {
        let Ok(c) = serde_json::from_value::<ChainResult>(run.clone()) else { continue };
        for gr in &c.generations {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}",
                c.fresh,
                c.sampler,
                c.seed,
                gr.generation,
                f(Some(gr.chi2)),
                f(Some(gr.kl)),
                f(gr.chi2_step),
                f(Some(gr.geometric)),
                f(gr.dsm_loss),
                gr.fresh_points,
                gr.model_points
            ));
            for e in &gr.tid {
                out.push_str(&format!(",{},{}", f(e.point.tid), f(e.tid_std)));
            }
            out.push('\n');
        }
    }
    out
}
