//! Shared training: runs of a study that differ only in what they do after training (sampler
//! settings, evaluation budgets, metrics, diagnostics) train the same nets, bit for bit, as
//! training reads only the data, the model, the process, the training settings and the seed.
//! Runs that differ also in their length (`iters`) train the same nets up to the shorter
//! length: the nets a long training keeps at a checkpoint are those of a run of that length,
//! bit for bit (`training.checkpoints`). So a study trains once per group of such runs, to the
//! group's longest length, and samples every run of the group from those nets (or from the
//! nets kept at its length), as a saved run is sampled: `open-nfe`'s seven budgets train once
//! per seed instead of seven times, and a study over `iters` trains once per seed. The CLI
//! (`study::batch`) and the page (`runStudyGroup`) run the same groups.

use super::{Plan, PlannedRun, RunRecord, record};
use crate::engine::TrainReport;
use crate::experiment::result::NetTraining;
use crate::experiment::run::train_only;
use crate::experiment::{self, Backend, Event, ExperimentResult, Pretrained};
use crate::spec::ExperimentSpec;
use crate::spec::limits::CHECKPOINTS;
use std::collections::BTreeMap;
use std::ops::ControlFlow;

/// What training reads of a spec, as text: two runs with the same key train the same nets, up
/// to the shorter one's length. A run's length is left out of the key where it can be a
/// checkpoint of a longer training (a multiple of `report-every`, no checkpoints of its own).
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
    if length_shared(spec) {
        s.training.iters = 0;
    }
    serde_json::to_string(&s).ok()
}

/// Whether a run's nets can come from a longer training's checkpoint.
fn length_shared(spec: &ExperimentSpec) -> bool {
    spec.training.checkpoints.is_empty() && spec.training.iters.is_multiple_of(spec.training.report_every.max(1))
}

/// The runs `todo` (indices into the plan) in groups that share training, in plan order of
/// each group's first run; runs with nothing to share are groups of one. A group holds at
/// most as many lengths as one training can keep (its checkpoints and its end).
pub fn groups(plan: &Plan, todo: &[usize]) -> Vec<Vec<usize>> {
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut by_key: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for &i in todo {
        let spec = &plan.runs[i].spec;
        let Some(k) = training_key(spec) else {
            out.push(vec![i]);
            continue;
        };
        let slots = by_key.entry(k).or_default();
        let fits = |g: &Vec<usize>| {
            let mut lengths: Vec<u64> = g.iter().map(|&j| plan.runs[j].spec.training.iters).collect();
            lengths.push(spec.training.iters);
            lengths.sort();
            lengths.dedup();
            lengths.len() <= CHECKPOINTS + 1
        };
        match slots.iter().find(|&&g| fits(&out[g])) {
            Some(&g) => out[g].push(i),
            None => {
                slots.push(out.len());
                out.push(vec![i]);
            }
        }
    }
    out
}

/// The groups of `todo` in the order a batch starts them (the CLI's `study::batch` and the
/// page's workers alike): seed by seed, every cell's first seed before any cell's second, so a
/// batch stopped part way leaves every cell with figures; within a seed the costliest group
/// first ([`work_of`]), so that the last runs of a batch are short ones and no job is left
/// alone with a wide net while the others wait (the quick see-saw's 2 x 400 nets took ~16 times
/// a 2 x 100 net's time). The order changes no result: every run is seeded on its own.
pub fn schedule(plan: &Plan, todo: &[usize]) -> Vec<Vec<usize>> {
    let mut out = groups(plan, todo);
    let cost = |g: &Vec<usize>| {
        let train = g.iter().map(|&i| work_of(&plan.runs[i].spec).0).fold(0.0, f64::max);
        train + g.iter().map(|&i| work_of(&plan.runs[i].spec).1).sum::<f64>()
    };
    // A stable sort: equal groups keep plan order.
    out.sort_by(|a, b| plan.runs[a[0]].seed_index.cmp(&plan.runs[b[0]].seed_index).then(cost(b).total_cmp(&cost(a))));
    out
}

/// A run's work in multiply-adds, roughly: (training, sampling). Training is iterations x
/// batch x the net's weights (times the nets trained); sampling is the samples x every
/// sampler's steps x the weights. Only the order of runs uses it.
pub fn work_of(spec: &ExperimentSpec) -> (f64, f64) {
    let (w, d) = (spec.model.width as f64, spec.data_dim() as f64);
    let weights = w * (d + 1.0) + spec.model.depth.saturating_sub(1) as f64 * w * w + w * d;
    let nets = if spec.training.two_model.is_some() { 2.0 } else { 1.0 };
    let train = spec.training.iters as f64 * spec.training.batch as f64 * weights * nets;
    let steps: usize = spec.sampling.samplers.iter().map(|&k| spec.steps(k)).sum();
    (train, spec.sampling.n_samples as f64 * steps as f64 * weights)
}

/// A finished run's nets, to share with the runs of its group.
fn pretrained_of(r: &ExperimentResult) -> Pretrained {
    Pretrained {
        params: r.params.clone(),
        training: r.training.clone(),
        training_nets: r.training_nets.clone(),
        engine: r.engine.clone(),
        snapshots: r.checkpoint_params.clone(),
        shared: None,
    }
}

/// A training report as a run of `iters` iterations (per net) would have made it, from one of
/// `full`: the losses up to there (reported at the same iterations, `iters` being a multiple of
/// `report-every`), its iterations (`iters` times the nets it covers) and time in proportion.
fn report_to(r: &TrainReport, iters: u64, full: u64) -> TrainReport {
    let mut out = r.clone();
    out.losses.retain(|(i, _)| *i <= iters);
    out.iters = r.iters / full.max(1) * iters;
    out.seconds = r.seconds * iters as f64 / full.max(1) as f64;
    out.snapshots.clear();
    out
}

/// The nets of a run of `spec.training.iters` iterations, from a shared training to `full`.
fn nets_at(trained: &Pretrained, spec: &ExperimentSpec, full: u64, note: String) -> Option<Pretrained> {
    let iters = spec.training.iters;
    let params = if iters == full { trained.params.clone() } else { trained.snapshots.iter().find(|s| s.0 == iters)?.1.clone() };
    Some(Pretrained {
        params,
        training: trained.training.as_ref().map(|t| report_to(t, iters, full)),
        training_nets: trained.training_nets.iter().map(|n| NetTraining { t_lo: n.t_lo, t_hi: n.t_hi, report: report_to(&n.report, iters, full) }).collect(),
        engine: trained.engine.clone(),
        // The run's own checkpoints (a group of one length), not those kept for other lengths.
        snapshots: trained.snapshots.iter().filter(|s| spec.training.checkpoints.contains(&s.0)).cloned().collect(),
        shared: Some(note),
    })
}

/// Runs one group of runs that share training (see [`groups`]), in order, handing each record
/// to `on_record` as it finishes. Runs of one length: the first trains on `backend`, the
/// others sample its nets on the engine that trained them. Runs of several lengths: one
/// training to the longest, keeping the nets at the others, then every run samples the nets of
/// its length. A run that fails leaves the next one to train afresh; a shared training that
/// fails leaves every run to train alone. (A study's file keeps no nets, so a resumed group
/// trains again once.)
pub async fn run_group(runs: &[&PlannedRun], backend: Backend, on_event: &mut dyn FnMut(Event) -> ControlFlow<()>, on_record: &mut dyn FnMut(RunRecord)) {
    run_group_from(runs, backend, None, on_event, on_record).await
}

/// The spec a group's shared training trains: the first run's, or where the group holds runs of
/// several lengths the longest's, keeping the nets at the others as checkpoints.
pub fn training_spec(runs: &[&PlannedRun]) -> ExperimentSpec {
    let mut lengths: Vec<u64> = runs.iter().map(|r| r.spec.training.iters).collect();
    lengths.sort();
    lengths.dedup();
    let longest = *lengths.last().expect("a run");
    let mut spec = runs.iter().find(|r| r.spec.training.iters == longest).expect("a longest run").spec.clone();
    if lengths.len() > 1 {
        spec.training.checkpoints = lengths[..lengths.len() - 1].to_vec();
    }
    spec
}

/// [`run_group`], with the group's training already done where `trained` gives it (nets of
/// [`training_spec`] trained beside other groups', [`run_together`]) and the note its runs carry.
async fn run_group_from(
    runs: &[&PlannedRun],
    backend: Backend,
    trained: Option<(Pretrained, String)>,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
    on_record: &mut dyn FnMut(RunRecord),
) {
    // The engine the shared runs sample on: the one that trained the nets (the GPU where the
    // training ran there, else the CPU; `auto` resolved by that training's choice).
    let gpu = match &backend {
        Backend::Gpu(ctx) | Backend::Auto(ctx) => Some(ctx.clone()),
        Backend::Cpu => None,
    };
    let sample_on = |engine: &str| match &gpu {
        Some(ctx) if engine.starts_with("gpu") => Backend::Gpu(ctx.clone()),
        _ => Backend::Cpu,
    };
    let mut lengths: Vec<u64> = runs.iter().map(|r| r.spec.training.iters).collect();
    lengths.sort();
    lengths.dedup();
    // The shared nets and the note each run that samples them carries.
    let mut shared: Option<(Pretrained, String)> = trained;
    let longest = *lengths.last().expect("a run");
    if lengths.len() > 1 && shared.is_none() {
        // One training to the longest length, the others kept as checkpoints.
        if let Ok(p) = train_only(&training_spec(runs), backend.clone(), on_event).await {
            let all = lengths.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(", ");
            shared = Some((
                p,
                format!(
                    "trained once for this study's runs of {all} iterations (the same data, nets, training settings and seed; the nets kept at each length are those of a run of that length): this run only sampled and measured the nets at its length"
                ),
            ));
        }
    }
    for run in runs {
        let pretrained = shared.as_ref().and_then(|(p, note)| nets_at(p, &run.spec, longest, note.clone()));
        let outcome = match pretrained {
            Some(p) => {
                let on = sample_on(&p.engine);
                experiment::run_with(&run.spec, on, Some(p), on_event).await
            }
            None => experiment::run_with(&run.spec, backend.clone(), None, on_event).await,
        };
        match &outcome {
            Ok(r) => {
                if shared.is_none() && training_key(&run.spec).is_some() && lengths.len() == 1 {
                    let note = format!(
                        "training shared with run {} of this study (the same data, nets, training settings and seed, so the same nets): this run only sampled and measured them",
                        run.index
                    );
                    shared = Some((pretrained_of(r), note));
                }
                on_record(record(run, Ok(r)));
            }
            Err(e) => on_record(record(run, Err(e.to_string()))),
        }
    }
}

/// The most nets a job trains side by side on the GPU ([`jobs`]).
pub const TOGETHER_MAX: usize = 64;

/// Nets a study's job trains side by side on the GPU engine unless told otherwise (the CLI's
/// `--together`, the page's `together=`).
pub const TOGETHER_DEFAULT: usize = 8;

/// Training length, report interval and checkpoints: see [`together_key`].
type TogetherKey = (u64, u64, Vec<u64>);

/// What nets trained side by side must share: their training's length, report interval and
/// checkpoints (the step loop's shape; widths, data and settings may differ). None for a group
/// that trains nothing to share.
fn together_key(runs: &[&PlannedRun]) -> Option<TogetherKey> {
    training_key(&runs[0].spec)?;
    let t = training_spec(runs).training;
    Some((t.iters, t.report_every, t.checkpoints))
}

/// The groups of [`schedule`] gathered into jobs: with `together` > 1 (the GPU engine), groups
/// whose training has one shape ([`together_key`]) go to one job, up to `together` nets a job
/// (two-model training counts two), whose nets train side by side ([`run_together`]); else a job
/// is one group. Jobs keep the schedule's order of their first groups (seed by seed).
pub fn jobs(plan: &Plan, todo: &[usize], together: usize) -> Vec<Vec<Vec<usize>>> {
    let groups = schedule(plan, todo);
    if together <= 1 {
        return groups.into_iter().map(|g| vec![g]).collect();
    }
    let mut out: Vec<Vec<Vec<usize>>> = Vec::new();
    let mut open: Vec<(TogetherKey, usize, usize)> = Vec::new();
    for g in groups {
        let runs: Vec<&PlannedRun> = g.iter().map(|&i| &plan.runs[i]).collect();
        let nets = training_spec(&runs).nets().len();
        let Some(key) = together_key(&runs) else {
            out.push(vec![g]);
            continue;
        };
        match open.iter_mut().find(|(k, _, n)| *k == key && n + nets <= together) {
            Some((_, job, n)) => {
                out[*job].push(g);
                *n += nets;
            }
            None => {
                open.push((key, out.len(), nets));
                out.push(vec![g]);
            }
        }
    }
    out
}

/// Runs a job of groups ([`jobs`]): on the GPU engine with more than one group, every group's
/// training ([`training_spec`]) side by side on the device (`experiment::run::train_only_together`:
/// the same nets as alone, in one submission per block of steps and one loss readback for all,
/// the nets of one shape in one dispatch per kernel),
/// then each group's runs sample their nets as in [`run_group`]; otherwise, or where that
/// training fails as a whole, each group as [`run_group`] runs it.
pub async fn run_together(
    groups: &[Vec<&PlannedRun>],
    backend: Backend,
    on_event: &mut dyn FnMut(Event) -> ControlFlow<()>,
    on_record: &mut dyn FnMut(RunRecord),
) {
    if let (Backend::Gpu(ctx), true) = (&backend, groups.len() > 1) {
        let specs: Vec<ExperimentSpec> = groups.iter().map(|g| training_spec(g)).collect();
        let refs: Vec<&ExperimentSpec> = specs.iter().collect();
        let nets: usize = specs.iter().map(|s| s.nets().len()).sum();
        if let Ok(trained) = crate::experiment::run::train_only_together(&refs, ctx, on_event).await {
            let note = format!(
                "trained side by side with the nets of {} other run group(s) of this study on the GPU ({nets} nets, one submission per block of steps and one loss readback for all, the nets of one shape sharing every dispatch; each net's steps are those it takes alone, so the same nets): this run only sampled and measured its nets",
                groups.len() - 1
            );
            for (g, t) in groups.iter().zip(trained) {
                run_group_from(g, backend.clone(), t.ok().map(|p| (p, note.clone())), on_event, on_record).await;
            }
            return;
        }
    }
    for g in groups {
        run_group(g, backend.clone(), on_event, on_record).await;
    }
}
