//! Shared training: runs of a study that differ only in what they do after training (sampler
//! settings, evaluation budgets, metrics, diagnostics) train the same nets, bit for bit, as
//! training reads only the data, the model, the process, the training settings and the seed.
//! So a study trains once per group of such runs and samples the group's other runs from those
//! nets, as a saved run is sampled: `open-nfe`'s seven budgets train once per seed instead of
//! seven times. The CLI (`study::batch`) and the page (`runStudyGroup`) run the same groups.

use super::{record, Plan, PlannedRun, RunRecord};
use crate::experiment::{self, Backend, Event, ExperimentResult, ExperimentSpec, Pretrained};
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// What training reads of a spec, as text: two runs with the same key train the same nets.
/// None where a run trains nothing to share (the exact score) or is not a single run.
pub fn training_key(spec: &ExperimentSpec) -> Option<String> {
    if spec.sampling.exact_score || spec.recursion.is_some() {
        return None;
    }
    let mut s = spec.clone();
    s.sampling = Default::default();
    s.metrics = Default::default();
    s.record = Default::default();
    s.diagnostics = Default::default();
    serde_json::to_string(&s).ok()
}

/// The runs `todo` (indices into the plan) in groups that share training, in plan order of
/// each group's first run; runs with nothing to share are groups of one.
pub fn groups(plan: &Plan, todo: &[usize]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    for &i in todo {
        match training_key(&plan.runs[i].spec) {
            Some(k) => match by_key.get(&k) {
                Some(&g) => out[g].push(i),
                None => {
                    by_key.insert(k, out.len());
                    out.push(vec![i]);
                }
            },
            None => out.push(vec![i]),
        }
    }
    out
}

/// A finished run's nets, to share with the runs of its group.
pub fn pretrained_of(r: &ExperimentResult) -> Pretrained {
    Pretrained {
        params: r.params.clone(),
        training: r.training.clone(),
        training_nets: r.training_nets.clone(),
        engine: r.engine.clone(),
        snapshots: r.checkpoint_params.clone(),
        shared_from: None,
    }
}

/// Runs one group of runs that share training (see [`groups`]), in order, handing each
/// record to `on_record` as it finishes: the first run trains on `backend` (unless `donor`,
/// a kept run of the group, already did), the others sample its nets on the engine that
/// trained them. A run that fails leaves the next one to train afresh.
pub async fn run_group(
    runs: &[&PlannedRun],
    backend: Backend,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
    on_record: &mut dyn FnMut(RunRecord),
) {
    // The engine the shared runs sample on: the one that trained the nets (the GPU where the
    // first run trained there, else the CPU; `auto` resolved by that run's choice).
    let gpu_of = |b: &Backend| match b {
        Backend::Gpu(ctx) | Backend::Auto(ctx) => Some(ctx.clone()),
        Backend::Cpu => None,
    };
    let sample_on = |engine: &str| match gpu_of(&backend) {
        Some(ctx) if engine.starts_with("gpu") => Backend::Gpu(ctx),
        _ => Backend::Cpu,
    };
    let mut donor: Option<(usize, Pretrained)> = None;
    for run in runs {
        let outcome = match &donor {
            Some((from, p)) => {
                let mut p = p.clone();
                p.shared_from = Some(*from);
                experiment::run_with(&run.spec, sample_on(&p.engine), Some(p), on_event).await
            }
            None => experiment::run_with(&run.spec, backend.clone(), None, on_event).await,
        };
        match &outcome {
            Ok(r) => {
                if donor.is_none() && training_key(&run.spec).is_some() {
                    donor = Some((run.index, pretrained_of(r)));
                }
                on_record(record(run, Ok(r)));
            }
            Err(e) => on_record(record(run, Err(e.to_string()))),
        }
    }
}
