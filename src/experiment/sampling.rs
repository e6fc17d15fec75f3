//! The sampling phase (SPEC §5): every sampler of the spec from the same initial noise, each
//! with its own noise stream, recorded (marginals, paths) for the views; on the GPU where the
//! nets were trained there, else on the CPU.

use super::event::{Event, RunError, phase};
use super::result::SamplerResult;
use super::train::OnGpu;
use crate::clock::now_s;
use crate::points::Points;
use crate::sample::{self, BlockHelpers, BlockOut, EpsModel, RecordPlan, Recording, RunOptions, SampleJob, SamplerKind};
use crate::spec::ExperimentSpec;
use serde::Serialize;
use std::collections::BTreeMap;
use std::ops::ControlFlow;

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

/// What the page's helper workers need to sample blocks of a run's samplers: the spec, the
/// nets' parameters (none for the exact score) and the recording plan.
#[derive(Serialize)]
pub struct SampleSetup<'a> {
    pub spec: &'a ExperimentSpec,
    #[serde(skip)]
    pub params: &'a [Vec<f32>],
    pub plan: &'a RecordPlan,
}

/// Makes the sampling helpers of a run (None: sample alone). Set by the page's worker
/// ([`set_block_helpers`]); natively, threads split the blocks instead.
pub type BlockHelperFactory = Box<dyn Fn(&SampleSetup) -> Option<Box<dyn BlockHelpers>>>;

thread_local! {
    static BLOCK_HELPERS: std::cell::RefCell<Option<BlockHelperFactory>> = const { std::cell::RefCell::new(None) };
}

/// Every run sampled on the CPU on this thread from now on asks `factory` for helpers.
pub fn set_block_helpers(factory: Option<BlockHelperFactory>) {
    BLOCK_HELPERS.with(|h| *h.borrow_mut() = factory);
}

/// A helper's side: a run's model, initial noise and recording plan, rebuilt from the
/// [`SampleSetup`] the run's worker sent, to sample the blocks it is asked for.
pub struct BlockJob {
    spec: ExperimentSpec,
    model: Box<dyn EpsModel>,
    init: Points,
    plan: RecordPlan,
}

impl BlockJob {
    pub fn new(spec: ExperimentSpec, params: &[Vec<f32>], plan: RecordPlan) -> Result<BlockJob, RunError> {
        spec.validate().map_err(RunError::Spec)?;
        let model = super::train::model_of(&spec, params)?;
        let init = sample::initial_points_at(&spec.process, spec.sampling.t_start, spec.sampling.n_samples, spec.data_dim(), spec.seed);
        Ok(BlockJob { spec, model, init, plan })
    }

    /// Blocks `which` of sampler `kind`'s run, exactly as the run's worker would compute them.
    pub fn run(&self, kind: SamplerKind, stream: u64, which: &[usize]) -> Vec<BlockOut> {
        let sampler = kind.build(self.spec.steps(kind), &self.spec.sampling.settings());
        let opts = RunOptions { denoise: self.spec.sampling.denoise, record: Some(&self.plan), start: self.spec.sampling.t_start };
        let job = SampleJob {
            sampler: sampler.as_ref(),
            model: self.model.as_ref(),
            process: &self.spec.process,
            init: &self.init,
            seed: self.spec.seed,
            stream,
            opts: &opts,
        };
        sample::run_blocks(&job, which)
    }
}

/// Where the samplers run. Nets trained on the GPU also sample there: every point of a run
/// stays on the GPU, which runs the sampler's operations in WGSL (`engine::gpu::sampling`) and
/// is read once at the end. After CPU training, on the CPU. A device fault sends that sampler
/// (run again from its start, with the same noise) and the rest to the CPU, with a note.
pub struct Sampling {
    gpu: Option<crate::engine::gpu::sampling::GpuSampler>,
    /// The page's helper workers, on the CPU (see [`BlockHelpers`]).
    helpers: std::sync::Mutex<Option<Box<dyn BlockHelpers>>>,
    helper_failure: std::sync::Mutex<Option<String>>,
    /// Where the samplers run ("cpu (2 threads)" or the GPU engine's description).
    pub engine: String,
    failed: std::sync::Mutex<Option<String>>,
}

impl Sampling {
    /// For runs of `n` points; `engine` names the training engine (used when on the GPU).
    /// With `setup`, blocks may go to the page's helper workers (see [`set_block_helpers`]).
    pub fn new(on_gpu: Option<OnGpu>, engine: &str, n: usize, setup: Option<&SampleSetup>, notes: &mut Vec<String>) -> Sampling {
        let gpu = on_gpu.and_then(|g| match crate::engine::gpu::sampling::GpuSampler::new(&g.ctx, &g.nets, g.split, n) {
            Ok(e) => Some(e),
            Err(why) => {
                notes.push(format!("{why}; sampling on the CPU"));
                None
            }
        });
        // Helpers for a run of more than one block on the CPU (none natively: threads).
        let helpers = match &gpu {
            None if n > sample::BLOCK => setup.and_then(|setup| BLOCK_HELPERS.with(|h| h.borrow().as_ref().and_then(|f| f(setup)))),
            _ => None,
        };
        let engine = match (&gpu, &helpers) {
            (Some(_), _) => engine.to_string(),
            (None, Some(h)) => format!("cpu ({} workers)", h.count() + 1),
            (None, None) => {
                let t = crate::parallel::threads();
                format!("cpu ({t} thread{})", if t == 1 { "" } else { "s" })
            }
        };
        Sampling { gpu, helpers: std::sync::Mutex::new(helpers), helper_failure: std::sync::Mutex::new(None), engine, failed: std::sync::Mutex::new(None) }
    }

    /// `sample::run_with` on this engine: the GPU where the nets are there, else spread over
    /// the page's helper workers where it has them, else here.
    pub async fn run(&self, kind: SamplerKind, job: &SampleJob<'_>) -> (Points, Option<Recording>) {
        if let Some(g) = &self.gpu
            && self.failed.lock().unwrap().is_none()
        {
            match g.run(job.sampler, job.process, job.init, job.seed, job.stream, job.opts).await {
                Ok(out) => return out,
                Err(e) => *self.failed.lock().unwrap() = Some(e.to_string()),
            }
        }
        let helpers = self.helpers.lock().unwrap().take();
        if let Some(mut h) = helpers {
            let (out, failure) = sample::run_spread(kind, job, h.as_mut()).await;
            match failure {
                // A helper failed: its blocks ran here (the same bits); the rest of the run
                // samples in this worker alone.
                Some(why) => *self.helper_failure.lock().unwrap() = Some(why),
                None => *self.helpers.lock().unwrap() = Some(h),
            }
            return out;
        }
        sample::run_with(job)
    }

    /// What the GPU has been asked so far, where the samplers run there (and have not failed).
    pub fn gpu_counts(&self) -> Option<crate::engine::GpuCounts> {
        self.gpu.as_ref().filter(|_| self.failed.lock().unwrap().is_none()).map(|g| g.counts())
    }

    /// The notes of a GPU fault or a helper worker's failure during sampling, if any.
    pub fn failure_notes(&self) -> Vec<String> {
        let gpu = self
            .failed
            .lock()
            .unwrap()
            .clone()
            .map(|why| format!("sampling on the GPU failed ({why}); that sampler and the rest ran on the CPU, from their start and with the same noise"));
        let helper = self.helper_failure.lock().unwrap().clone().map(|why| {
            format!("a helper worker failed while sampling ({why}); its blocks ran in the run's worker (the same numbers), and the rest sampled there alone")
        });
        gpu.into_iter().chain(helper).collect()
    }
}

/// One sampler of the spec (its steps and settings) on `model` from `init`, with the noise
/// of `seed`: the samples, the recording `opts` asked for, and the figures of the run. The run
/// (every sampler of [`sample_all`]) and each generation of a chain sample through it.
pub async fn sample_one(
    sampling: &Sampling,
    spec: &ExperimentSpec,
    kind: SamplerKind,
    model: &dyn EpsModel,
    init: &Points,
    seed: u64,
    opts: &RunOptions<'_>,
) -> (Points, Option<Recording>, SamplerResult) {
    let t = now_s();
    let settings = spec.sampling.settings();
    let steps = spec.steps(kind);
    let sampler = kind.build(steps, &settings);
    // Each sampler's noise stream is fixed by its kind, so adding or removing another sampler
    // from the comparison leaves its samples unchanged.
    let stream = kind as u64;
    let before = sampling.gpu_counts();
    let job = SampleJob { sampler: sampler.as_ref(), model, process: &spec.process, init, seed, stream, opts };
    let (s, rec) = sampling.run(kind, &job).await;
    let gpu = before.zip(sampling.gpu_counts()).map(|(b, a)| a.since(&b));
    let evaluations = kind.evaluations(steps, &settings) + spec.sampling.denoise as usize;
    let result = SamplerResult { steps, evaluations, seconds: now_s() - t, mean: s.mean(), variance: s.variance(), finite: s.all_finite(), gpu };
    (s, rec, result)
}

/// A sampler whose samples' summed variance is this many times the data's gets a note.
pub const SPREAD_NOTE: f64 = 100.0;

/// Every sampler's samples, figures and recording, from the same initial noise.
pub struct Sampled {
    pub samples: BTreeMap<String, Points>,
    pub samplers: BTreeMap<String, SamplerResult>,
    pub recordings: BTreeMap<String, Recording>,
    /// The initial noise every sampler started from (the diagnostics follow its first points).
    pub init: Points,
    pub plan: RecordPlan,
    /// Where the samplers ran.
    pub engine: String,
}

/// The sampling phase of a run (and of each generation of a chain): each sampler of the spec on
/// `model`, from the spec's seed's initial noise, recorded on the reference's range where
/// `record` (a run's views; a generation keeps its samples alone); a sampler whose samples are
/// not finite, or spread far beyond the reference, is noted (it gets no TID).
#[allow(clippy::too_many_arguments)] // reason: the sampling phase's inputs (spec, model, nets, engine, reference, notes, events), each used once
pub async fn sample_all(
    spec: &ExperimentSpec,
    model: &dyn EpsModel,
    params: &[Vec<f32>],
    on_gpu: Option<OnGpu>,
    engine_name: &str,
    reference: &Points,
    record: bool,
    notes: &mut Vec<String>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
) -> Result<Sampled, RunError> {
    let n = spec.sampling.n_samples;
    let plan = record_plan(spec, reference);
    let init = sample::initial_points_at(&spec.process, spec.sampling.t_start, n, spec.data_dim(), spec.seed);
    let opts = RunOptions { denoise: spec.sampling.denoise, record: record.then_some(&plan), start: spec.sampling.t_start };
    let mut samples = BTreeMap::new();
    let mut samplers = BTreeMap::new();
    let mut recordings = BTreeMap::new();
    // A helper rebuilds the nets from the spec: the run resolved EDM's s_d in it
    // (`ExperimentSpec::with_sigma_data`), as a CSV file's points do not travel with the spec.
    let setup = SampleSetup { spec, params, plan: &plan };
    let sampling = Sampling::new(on_gpu, engine_name, n, Some(&setup), notes);
    for &kind in &spec.sampling.samplers {
        phase(on_event, kind.name())?;
        let (s, rec, result) = sample_one(&sampling, spec, kind, model, &init, spec.seed, &opts).await;
        samplers.insert(kind.name().to_string(), result);
        samples.insert(kind.name().to_string(), s);
        if let Some(rec) = rec {
            recordings.insert(kind.name().to_string(), rec);
        }
    }
    // Samples spread far beyond the data (ALD on the VE process with its defaults ends with a
    // variance in the thousands) did not converge: said, not left for the reader to find.
    let data_var = reference.variance().iter().sum::<f64>().max(1e-12);
    for (name, r) in &samplers {
        if !r.finite {
            let note = format!("{name} produced non-finite samples (the sampler or the net blew up): no TID for {name}");
            let _ = on_event(Event::Note(&note));
            notes.push(note);
        } else if r.variance.iter().sum::<f64>() > SPREAD_NOTE * data_var {
            let ratio = r.variance.iter().sum::<f64>() / data_var;
            let note = format!(
                "{name}'s samples spread {ratio:.0} times as widely as the data (summed variance): the sampler did not converge; give it more steps{}",
                if name == "ald" || name == "pc" { " or another snr" } else { "" }
            );
            let _ = on_event(Event::Note(&note));
            notes.push(note);
        }
    }
    notes.extend(sampling.failure_notes());
    let engine = sampling.engine.clone();
    Ok(Sampled { samples, samplers, recordings, init, plan, engine })
}

#[cfg(test)]
mod tests {
    use crate::engine::block_on;
    use crate::spec::overrides;
    use std::ops::ControlFlow;

    /// A sampler whose samples spread far beyond the data gets a note (issue 41 #15: ALD on
    /// the VE process with its defaults ends with a variance in the thousands); one that
    /// converged does not.
    #[test]
    fn a_sampler_that_did_not_converge_is_noted() {
        let spec =
            overrides::from_pairs([("dataset", "mog"), ("process", "ve"), ("samplers", "ald,sde"), ("exact-score", "true"), ("n-samples", "500")]).unwrap();
        let r = block_on(crate::experiment::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
        let noted: Vec<&String> = r.notes.iter().filter(|n| n.contains("did not converge")).collect();
        assert_eq!(noted.len(), 1, "{:?}", r.notes);
        assert!(noted[0].starts_with("ald's samples spread ") && noted[0].contains("or another snr"), "{}", noted[0]);
    }
}
