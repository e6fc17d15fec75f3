//! The diagnosing phase (SPEC §7): the see-saw diagnostics of a trained model.

use crate::diagnostics::{self, Diagnostics};
use crate::points::Points;
use crate::rng::{self, Stream};
use crate::sample::{self, EpsModel, RecordPlan, RunOptions};
use crate::spec::ExperimentSpec;

/// The times MAE(t) and DSM(t) are measured at: the spec's, a time past the process's end (the
/// default t = 1 on the linear path, which ends at 0.999) at that end, each once.
pub fn times(spec: &ExperimentSpec) -> Vec<f64> {
    use crate::diffusion::Process;
    let end = spec.process.t_max();
    let mut out: Vec<f64> = Vec::new();
    for &t in &spec.diagnostics.times {
        let t = t.min(end);
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
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
    let exact = super::train::exact_score(spec);
    let exact_ref = exact.as_ref().map(|e| e as &dyn EpsModel);
    let (mae_velocity, dsm_at_t) = diagnostics::mae_and_dsm(model, exact_ref, &spec.process, &x0, &eps, &times(spec));
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
        let opts = RunOptions { denoise: false, record: Some(&plan), start: spec.sampling.t_start };
        // The run's initial points and noise stream: for the deterministic samplers these are the
        // paths of the run's first p samples.
        let (_, rec) = sample::run_with(&sample::SampleJob {
            sampler: sampler.as_ref(),
            model,
            process: &spec.process,
            init: &start,
            seed: spec.seed,
            stream: kind as u64,
            opts: &opts,
        });
        let rec = rec.expect("planned");
        out.error_correlation.insert(kind.name().to_string(), diagnostics::error_correlation(model, exact, &spec.process, &rec));
    }
    let mut fixed = vec![0.0f32; d - 1];
    rng::fill_normal(&mut rng::stream(spec.seed, Stream::Diagnostics, 2), &mut fixed);
    out.velocity_field = Some(diagnostics::velocity_field(model, exact, &spec.process, &fixed));
    out
}
