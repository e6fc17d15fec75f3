//! A run's figures as the page draws them, without its nets: the result, every sampler's
//! samples, the data drawn beside them, the samplers' recordings and the true noised data's.
//! `collapse-lab run --save-figures FILE` writes it; `scripts/make-gallery-runs.sh` ships one
//! beside each saved run (`www/runs/ID.figures.json` beside `ID.json`), so a paper link shows
//! its figures at once while the page samples the nets again to check them ("checked here").
//!
//! ```json
//! {"format": "collapse-lab-figures", "version": 1, "result": {...the run's result JSON...},
//!  "samples": {"ode": [f32, ...], ...}, "reference": [f32, ...] | null,
//!  "recordings": {"ode": Recording, ...}, "truth": Recording | null}
//! ```
//!
//! Points are row-major `[point][dim]`. A recording's trajectories keep at most
//! [`TRAJECTORY_ROWS`] of its times (evenly spaced, the first and last kept): a drawn path of
//! 1000 steps and one of 200 are the same picture, and a 10-D run's file stays near 1 MB.

use super::result::ExperimentResult;
use crate::sample::Recording;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const FORMAT: &str = "collapse-lab-figures";
pub const VERSION: u32 = 1;
/// Times of a trajectory kept in the file.
pub const TRAJECTORY_ROWS: usize = 201;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figures {
    pub format: String,
    pub version: u32,
    pub result: serde_json::Value,
    pub samples: BTreeMap<String, Vec<f32>>,
    pub reference: Option<Vec<f32>>,
    pub recordings: BTreeMap<String, Recording>,
    pub truth: Option<Recording>,
}

/// The figures of `r` (its trajectories thinned to [`TRAJECTORY_ROWS`] times).
pub fn of(r: &ExperimentResult) -> Result<Figures, String> {
    Ok(Figures {
        format: FORMAT.into(),
        version: VERSION,
        result: serde_json::to_value(r).map_err(|e| e.to_string())?,
        samples: r.samples.iter().map(|(k, p)| (k.clone(), p.data.clone())).collect(),
        reference: r.reference.as_ref().map(|p| p.data.clone()),
        recordings: r.recordings.iter().map(|(k, rec)| (k.clone(), thinned(rec, TRAJECTORY_ROWS))).collect(),
        truth: r.truth.as_ref().map(|t| thinned(t, TRAJECTORY_ROWS)),
    })
}

/// `rec` with at most `rows` trajectory times: evenly spaced, the first and the last kept.
pub fn thinned(rec: &Recording, rows: usize) -> Recording {
    let t = rec.trajectory_times.len();
    if t <= rows || rows < 2 {
        return rec.clone();
    }
    let row = rec.trajectory_points * rec.dim;
    let keep: Vec<usize> = (0..rows).map(|j| ((j * (t - 1)) as f64 / (rows - 1) as f64).round() as usize).collect();
    let mut out = rec.clone();
    out.trajectory_times = keep.iter().map(|&k| rec.trajectory_times[k]).collect();
    out.trajectories = keep.iter().flat_map(|&k| rec.trajectories[k * row..(k + 1) * row].iter().copied()).collect();
    out
}

/// Reads a figures file and checks it against the saved run it stands beside (`saved_result`,
/// that file's `result`): the same spec, the same figures (by [`super::saved::check`]'s
/// tolerance), samples of every sampler at the spec's size and recordings of the right shape.
pub fn open(text: &str, saved_result: &serde_json::Value) -> Result<Figures, String> {
    let f: Figures = crate::spec::parse_object(text, "a figures file").map_err(|e| format!("bad figures file: {e}"))?;
    if f.format != FORMAT || f.version != VERSION {
        return Err(format!("format {:?} version {}: this lab reads {FORMAT:?} version {VERSION}", f.format, f.version));
    }
    if f.result.get("spec") != saved_result.get("spec") {
        return Err("result.spec: not the saved run's spec (made from another run)".into());
    }
    let again: ExperimentResult = serde_json::from_value(f.result.clone()).map_err(|e| format!("result: {e}"))?;
    super::saved::check(saved_result, &again, super::saved::TOLERANCE).map_err(|e| format!("result: {e}"))?;
    let (n, dim) = (again.spec.sampling.n_samples, again.data_dim);
    let names: Vec<&String> = again.tid.keys().collect();
    if f.samples.keys().collect::<Vec<_>>() != names {
        return Err(format!("samples: of {:?}, but the result measured {names:?}", f.samples.keys().collect::<Vec<_>>()));
    }
    for (name, s) in &f.samples {
        if s.len() != n * dim {
            return Err(format!("samples.{name}: {} values, not {n} points x {dim}", s.len()));
        }
    }
    let truth = f.truth.iter().map(|t| ("truth", t));
    for (name, rec) in f.recordings.iter().map(|(k, r)| (k.as_str(), r)).chain(truth) {
        let rows = rec.trajectory_times.len() * rec.trajectory_points * rec.dim;
        if rec.trajectories.len() != rows || rec.histograms.len() != rec.times.len() || rec.histograms.iter().any(|h| h.len() != rec.bins) {
            return Err(format!("recordings.{name}: its trajectories or histograms do not have the shape its fields give"));
        }
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::block_on;
    use crate::experiment;
    use crate::sample::SamplerKind;
    use crate::spec::ExperimentSpec;
    use std::ops::ControlFlow;

    fn small_run() -> ExperimentResult {
        let mut spec = ExperimentSpec::default();
        spec.model.width = 16;
        spec.training.iters = 60;
        spec.training.batch = 128;
        spec.training.report_every = 20;
        spec.sampling.samplers = vec![SamplerKind::Ode, SamplerKind::Sde];
        spec.sampling.steps = [(SamplerKind::Ode, 30), (SamplerKind::Sde, 300)].into();
        spec.sampling.n_samples = 300;
        spec.record.trajectories = 5;
        block_on(experiment::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap()
    }

    #[test]
    fn a_runs_figures_open_beside_its_saved_run_and_an_edit_or_another_run_is_refused() {
        let r = small_run();
        let saved: serde_json::Value = serde_json::to_value(&r).unwrap();
        let f = of(&r).unwrap();
        // Thinned: the SDE's 301 trajectory times down to TRAJECTORY_ROWS, the first and last
        // rows those of the run; the ODE's 31 kept whole.
        let (sde, full) = (&f.recordings["sde"], &r.recordings["sde"]);
        assert_eq!((full.trajectory_times.len(), sde.trajectory_times.len()), (301, TRAJECTORY_ROWS));
        let row = full.trajectory_points * full.dim;
        assert_eq!(sde.trajectories[..row], full.trajectories[..row]);
        assert_eq!(sde.trajectories[sde.trajectories.len() - row..], full.trajectories[full.trajectories.len() - row..]);
        assert_eq!((sde.trajectory_times[0], sde.trajectory_times[TRAJECTORY_ROWS - 1]), (full.trajectory_times[0], *full.trajectory_times.last().unwrap()));
        assert_eq!(f.recordings["ode"], r.recordings["ode"]);
        assert_eq!(f.samples["ode"], r.samples["ode"].data);
        let text = serde_json::to_string(&f).unwrap();
        open(&text, &saved).unwrap();
        // An edited figure, a cut sample set, another run's spec, a bad shape: each refused by name.
        let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let edit = |v: &mut serde_json::Value, f: &dyn Fn(&mut serde_json::Value)| {
            let mut w = v.clone();
            f(&mut w);
            open(&w.to_string(), &saved).unwrap_err()
        };
        let e = edit(&mut v, &|w| {
            let t = w["result"]["tid"]["ode"][2]["tid"].as_f64().unwrap();
            w["result"]["tid"]["ode"][2]["tid"] = (t + 0.5).into();
        });
        assert!(e.starts_with("result: tid.ode[2].tid is"), "{e}");
        let e = edit(&mut v, &|w| {
            w["samples"]["sde"].as_array_mut().unwrap().pop();
        });
        assert!(e.starts_with("samples.sde: 599 values"), "{e}");
        let e = edit(&mut v, &|w| w["result"]["spec"]["seed"] = 7.into());
        assert!(e.starts_with("result.spec: not the saved run's spec"), "{e}");
        let e = edit(&mut v, &|w| {
            w["recordings"]["ode"]["trajectories"].as_array_mut().unwrap().pop();
        });
        assert!(e.starts_with("recordings.ode:"), "{e}");
        let e = edit(&mut v, &|w| w["format"] = "collapse-lab-run".into());
        assert!(e.contains("this lab reads \"collapse-lab-figures\""), "{e}");
    }
}
