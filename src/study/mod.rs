//! Studies (SPEC §9): one base experiment, axes of settings (a grid), and seeds. Every cell x
//! seed is one run; every figure of a cell is reported as mean, standard deviation and the
//! per-seed values. The plan and the aggregation live here, shared by the CLI (which runs the
//! plan on threads, see [`native`]) and the page (which runs it in Web Workers).
//!
//! An axis is a setting name exactly as the CLI flags and URL parameters spell it (the one
//! override table, `crate::spec::overrides`) and a list of values, so anything a run can set, a
//! study can vary.

#[cfg(not(target_arch = "wasm32"))]
pub mod batch;
pub mod share;
#[cfg(not(target_arch = "wasm32"))]
pub mod slurm;

use crate::experiment::ExperimentResult;
use crate::spec::{ExperimentSpec, SpecError, overrides};
use crate::stats::{Stat, stat};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Most runs one study may plan (cells x seeds).
pub const MAX_RUNS: usize = 1000;
pub const MAX_SEEDS: usize = 100;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    pub name: String,
    pub values: Vec<String>,
}

fn bad(field: &str, message: String) -> SpecError {
    SpecError { field: field.to_string(), message }
}

impl Axis {
    /// `NAME=v1,v2,...`; values that themselves hold commas (lists such as `eps`) are separated
    /// by `;` instead: `eps=0.01,0.02;0.05,0.1`.
    pub fn parse(text: &str) -> Result<Axis, SpecError> {
        let (name, values) = text.split_once('=').ok_or_else(|| bad("vary", format!("expected NAME=v1,v2,..., got {text:?}")))?;
        let sep = if values.contains(';') { ';' } else { ',' };
        let values = if values.trim().is_empty() { Vec::new() } else { values.split(sep).map(|v| v.trim().to_string()).collect() };
        Ok(Axis { name: name.trim().to_string(), values })
    }
}

/// One run of a study: cell `cell`, seed number `seed_index` (the spec's seed is the base seed
/// plus it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedRun {
    pub index: usize,
    pub cell: usize,
    pub seed_index: usize,
    pub settings: BTreeMap<String, String>,
    pub spec: ExperimentSpec,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub base: ExperimentSpec,
    pub axes: Vec<Axis>,
    pub seeds: usize,
    /// The settings of each cell (the grid of the axes, the last axis fastest).
    pub cells: Vec<BTreeMap<String, String>>,
    pub runs: Vec<PlannedRun>,
}

/// Plans a study, checking everything up front: axis names, values, grid size and every run's
/// spec, each error naming the axis (`vary width`) and the field.
pub fn plan(base: &ExperimentSpec, axes: Vec<Axis>, seeds: usize) -> Result<Plan, SpecError> {
    if !(1..=MAX_SEEDS).contains(&seeds) {
        return Err(bad("seeds", format!("must be in 1..={MAX_SEEDS}, got {seeds}")));
    }
    let mut names = BTreeSet::new();
    for a in &axes {
        let field = format!("vary {}", a.name);
        if a.name == "seed" {
            return Err(bad(&field, "seeds are not an axis: use --seeds K (URL seeds=K), which runs seeds base..base+K-1".into()));
        }
        if overrides::setting(&a.name).is_none() {
            return Err(bad(&field, format!("unknown setting; known: {}", overrides::names().join(", "))));
        }
        if !names.insert(a.name.clone()) {
            return Err(bad(&field, "this setting is varied twice".into()));
        }
        if a.values.is_empty() || a.values.iter().any(|v| v.is_empty()) {
            return Err(bad(&field, "give one or more non-empty values, like width=16,64,256".into()));
        }
        let distinct: BTreeSet<&String> = a.values.iter().collect();
        if distinct.len() != a.values.len() {
            return Err(bad(&field, format!("a value is listed twice in {:?}", a.values)));
        }
        // The same value written two ways (8 and 08, 0.005 and 5e-3) would put the same run in
        // two cells: values are compared by what they set.
        let set: Vec<Option<ExperimentSpec>> = a
            .values
            .iter()
            .map(|v| {
                let mut s = base.clone();
                overrides::apply(&mut s, &a.name, v).ok().map(|_| s)
            })
            .collect();
        for i in 0..set.len() {
            for j in i + 1..set.len() {
                if set[i].is_some() && set[i] == set[j] {
                    return Err(bad(&field, format!("{:?} and {:?} are the same value", a.values[i], a.values[j])));
                }
            }
        }
    }
    let n_cells: usize = axes.iter().map(|a| a.values.len()).try_fold(1usize, |acc, n| acc.checked_mul(n)).unwrap_or(usize::MAX);
    if n_cells.saturating_mul(seeds) > MAX_RUNS {
        return Err(bad("vary", format!("the study has {n_cells} cells x {seeds} seeds, more than {MAX_RUNS} runs; split it or use fewer values")));
    }
    let mut cells = Vec::with_capacity(n_cells);
    for c in 0..n_cells {
        let mut settings = BTreeMap::new();
        let mut rest = c;
        for a in axes.iter().rev() {
            settings.insert(a.name.clone(), a.values[rest % a.values.len()].clone());
            rest /= a.values.len();
        }
        cells.push(settings);
    }
    let mut runs = Vec::with_capacity(n_cells * seeds);
    for (cell, settings) in cells.iter().enumerate() {
        let mut spec = base.clone();
        for a in &axes {
            let v = &settings[&a.name];
            overrides::apply(&mut spec, &a.name, v).map_err(|e| bad(&format!("vary {}", a.name), e.message))?;
        }
        for seed_index in 0..seeds {
            let mut s = spec.clone();
            s.seed = base.seed.checked_add(seed_index as u64).ok_or_else(|| bad("seed", "base seed + seeds overflows".into()))?;
            s.validate().map_err(|e| {
                let axis = settings.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" ");
                bad(&format!("vary {axis}"), e.to_string())
            })?;
            runs.push(PlannedRun { index: runs.len(), cell, seed_index, settings: settings.clone(), spec: s });
        }
    }
    Ok(Plan { base: base.clone(), axes, seeds, cells, runs })
}

/// The study a study preset runs at `size` (its base, axes and seeds), planned as a link to it
/// would be.
pub fn preset_plan(p: &crate::spec::presets::Preset, size: crate::spec::presets::Size) -> Result<Plan, SpecError> {
    let r = p.resolve(size)?;
    let axes = r.vary.iter().map(|a| Axis::parse(a)).collect::<Result<Vec<_>, _>>()?;
    plan(&p.spec(size)?, axes, r.seeds.unwrap_or(3))
}

/// Every figure of one run that a study aggregates, by name (null where undefined):
/// `final_loss`, `mae_velocity@T`, `dsm@T`, `dsm_floor@T`, `tid@SAMPLER@E`,
/// `marginal_accuracy@SAMPLER`, `ms_per_step`, `train_s`, `total_s`.
pub fn run_metrics(r: &ExperimentResult) -> BTreeMap<String, Option<f64>> {
    let mut m = BTreeMap::new();
    if let Some(t) = &r.training {
        m.insert("final_loss".into(), t.losses.last().map(|l| crate::output::f32_short(l.1)));
        m.insert("ms_per_step".into(), Some(t.ms_per_step));
    }
    if let Some(d) = &r.diagnostics {
        for x in &d.mae_velocity {
            m.insert(format!("mae_velocity@{}", x.t), Some(x.mae));
        }
        for x in &d.dsm_at_t {
            m.insert(format!("dsm@{}", x.t), Some(x.loss));
            if x.floor.is_some() {
                m.insert(format!("dsm_floor@{}", x.t), x.floor);
            }
        }
    }
    for (name, entries) in &r.tid {
        for e in entries {
            m.insert(format!("tid@{name}@{}", e.point.eps), e.point.tid);
        }
    }
    for (name, v) in &r.marginal_accuracy {
        m.insert(format!("marginal_accuracy@{name}"), Some(*v));
    }
    for k in ["train_s", "total_s"] {
        if let Some(v) = r.timings.get(k) {
            m.insert(k.into(), Some(*v));
        }
    }
    m
}

/// One finished (or failed) run as a study keeps it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub index: usize,
    pub cell: usize,
    pub seed: u64,
    pub settings: BTreeMap<String, String>,
    pub spec: ExperimentSpec,
    pub metrics: BTreeMap<String, Option<f64>>,
    /// Why the run failed (divergence, ...); its metrics are then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The run's result JSON without its view-only parts (velocity field, survival curves).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

/// A study keeps each run's result without the parts only a single run's views use, so that
/// a hundred runs stay a few megabytes; `run` with the run's spec gives them back.
pub fn record(run: &PlannedRun, outcome: Result<&ExperimentResult, String>) -> RunRecord {
    let (metrics, error, result) = match outcome {
        Ok(r) => {
            let mut v = crate::output::json_value(r);
            if let Some(o) = v.as_object_mut() {
                o.remove("survival");
                o.remove("spec");
                if let Some(d) = o.get_mut("diagnostics").and_then(|d| d.as_object_mut()) {
                    d.remove("velocity_field");
                }
            }
            (run_metrics(r), None, Some(v))
        }
        Err(e) => (BTreeMap::new(), Some(e), None),
    };
    record_of(run, metrics, error, result)
}

/// The record of a planned run with these figures, error and result.
pub fn record_of(run: &PlannedRun, metrics: BTreeMap<String, Option<f64>>, error: Option<String>, result: Option<serde_json::Value>) -> RunRecord {
    RunRecord { index: run.index, cell: run.cell, seed: run.spec.seed, settings: run.settings.clone(), spec: run.spec.clone(), metrics, error, result }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cell {
    pub settings: BTreeMap<String, String>,
    /// Runs of this cell that finished (with or without error).
    pub done: usize,
    /// Of those, the runs that ended in an error (their figures are missing from `metrics`).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: usize,
    pub metrics: BTreeMap<String, Stat>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StudyResult {
    pub axes: Vec<Axis>,
    pub seeds: usize,
    pub base: ExperimentSpec,
    pub cells: Vec<Cell>,
    /// Indices of planned runs with no record yet.
    pub missing: Vec<usize>,
    pub failed: Vec<usize>,
    pub runs: Vec<RunRecord>,
}

/// Aggregates the records present (any subset of the plan, in any order).
pub fn aggregate(plan: &Plan, records: &[RunRecord]) -> StudyResult {
    let mut by_index: BTreeMap<usize, &RunRecord> = BTreeMap::new();
    for r in records {
        by_index.insert(r.index, r);
    }
    let cells = plan
        .cells
        .iter()
        .enumerate()
        .map(|(c, settings)| {
            let runs: Vec<Option<&RunRecord>> = plan.runs.iter().filter(|p| p.cell == c).map(|p| by_index.get(&p.index).copied()).collect();
            let names: BTreeSet<&String> = runs.iter().flatten().flat_map(|r| r.metrics.keys()).collect();
            let metrics = names
                .into_iter()
                .map(|name| {
                    let values = runs.iter().map(|r| r.and_then(|r| r.metrics.get(name).copied().flatten())).collect();
                    (name.clone(), stat(values))
                })
                .collect();
            let failed = runs.iter().flatten().filter(|r| r.error.is_some()).count();
            Cell { settings: settings.clone(), done: runs.iter().flatten().count(), failed, metrics }
        })
        .collect();
    StudyResult {
        axes: plan.axes.clone(),
        seeds: plan.seeds,
        base: plan.base.clone(),
        cells,
        missing: plan.runs.iter().filter(|p| !by_index.contains_key(&p.index)).map(|p| p.index).collect(),
        failed: by_index.values().filter(|r| r.error.is_some()).map(|r| r.index).collect(),
        runs: by_index.into_values().cloned().collect(),
    }
}

/// The records of an earlier study's output that belong to `plan`: a record counts when the
/// planned run at its index has exactly its spec (so a changed base setting re-runs it).
pub fn resumable(plan: &Plan, earlier: &StudyResult) -> Resumed {
    // Matched by what each run is (its whole spec, seed included), not by its place in the
    // plan: a reordered axis, more seeds or another value list keep every run still planned.
    let mut kept: Vec<RunRecord> = Vec::new();
    let mut dropped = Vec::new();
    let mut taken = vec![false; plan.runs.len()];
    for r in &earlier.runs {
        let at = plan.runs.iter().position(|p| p.spec == r.spec).filter(|&i| !taken[i]);
        match at {
            Some(i) if r.error.is_none() => {
                taken[i] = true;
                let p = &plan.runs[i];
                kept.push(RunRecord { index: p.index, cell: p.cell, settings: p.settings.clone(), ..r.clone() });
            }
            // A failed run is run again; one no longer planned has nothing to lose.
            Some(_) => {}
            None if r.error.is_some() => {}
            None => dropped.push(r.clone()),
        }
    }
    Resumed { kept, dropped }
}

/// The finished runs of another study (`--reuse`) that give runs of `plan` without training:
/// those with the same spec and seed (as `resumable`), and those that differ only in sampling
/// more samplers, narrowed to this plan's. Each sampler's noise stream and every measure of its
/// samples depend on that sampler alone (`experiment::sampling`), so a run narrowed to fewer
/// samplers has the figures of a run that sampled only those, bit for bit on the engine that
/// made it; only its timings still include the samplers dropped (a note says so). So Fig. 9a's
/// single nets (the ODE) are Fig. 9b's plain nets (the ODE and PC) without training again.
pub fn reusable(plan: &Plan, other: &StudyResult) -> Vec<RunRecord> {
    let mut kept = resumable(plan, other).kept;
    let finished: Vec<&RunRecord> = other.runs.iter().filter(|r| r.error.is_none() && r.result.is_some()).collect();
    // One wider run may give several planned ones (a study varying the samplers).
    for p in &plan.runs {
        if kept.iter().any(|k| k.index == p.index) {
            continue;
        }
        if let Some(r) = finished.iter().find(|r| narrows(&r.spec, &p.spec)) {
            kept.push(narrowed(r, p));
        }
    }
    kept
}

/// Whether a run of `spec` is a run of `wider` with some of its samplers left out.
fn narrows(wider: &ExperimentSpec, spec: &ExperimentSpec) -> bool {
    if !spec.sampling.samplers.iter().all(|k| wider.sampling.samplers.contains(k)) {
        return false;
    }
    let mut w = wider.clone();
    w.sampling.samplers = spec.sampling.samplers.clone();
    w.canonical() == spec.canonical()
}

/// An earlier run's record as the planned run's: its figures of the planned samplers only.
fn narrowed(r: &RunRecord, planned: &PlannedRun) -> RunRecord {
    let keep: Vec<&str> = planned.spec.sampling.samplers.iter().map(|k| k.name()).collect();
    let dropped: Vec<&str> = r.spec.sampling.samplers.iter().map(|k| k.name()).filter(|n| !keep.contains(n)).collect();
    // A sampler's figures name it (`tid@pc@0.3`, `marginal_accuracy@pc`: `run_metrics`).
    let metrics = r.metrics.iter().filter(|(k, _)| !k.split('@').any(|part| dropped.contains(&part))).map(|(k, v)| (k.clone(), *v)).collect();
    let mut result = r.result.clone();
    if let Some(o) = result.as_mut().and_then(|v| v.as_object_mut()) {
        narrow_measures(o, &keep);
        for c in o.get_mut("checkpoints").and_then(|c| c.as_array_mut()).into_iter().flatten() {
            if let Some(c) = c.as_object_mut() {
                narrow_measures(c, &keep);
            }
        }
        // A note about a sampler dropped (its samples not finite) goes with it.
        if let Some(notes) = o.get_mut("notes").and_then(|n| n.as_array_mut()) {
            notes.retain(|n| !n.as_str().is_some_and(|n| dropped.iter().any(|d| n.starts_with(&format!("{d} ")))));
            notes.push(serde_json::Value::String(format!(
                "taken from a run that also sampled {} (the same nets, initial noise and noise streams; its timings include {})",
                dropped.join(", "),
                if dropped.len() == 1 { "that sampler" } else { "those samplers" }
            )));
        }
    }
    record_of(planned, metrics, None, result)
}

/// Keeps the per-sampler parts of a result (or of a checkpoint's) for the samplers `keep`.
fn narrow_measures(o: &mut serde_json::Map<String, serde_json::Value>, keep: &[&str]) {
    // TID's robustness grid and the survival curves hold the data's too.
    for key in ["samplers", "tid", "marginal_accuracy", "survival", "tid_grid"] {
        if let Some(m) = o.get_mut(key).and_then(|m| m.as_object_mut()) {
            m.retain(|name, _| keep.contains(&name.as_str()) || name == "data");
        }
    }
    if let Some(m) = o.get_mut("diagnostics").and_then(|d| d.get_mut("error_correlation")).and_then(|m| m.as_object_mut()) {
        m.retain(|name, _| keep.contains(&name.as_str()));
    }
}

/// What a resume keeps of an earlier study file, and its finished runs the new plan does not
/// have (which a resume would lose: the CLI refuses unless told to start afresh).
#[derive(Clone, Debug)]
pub struct Resumed {
    pub kept: Vec<RunRecord>,
    pub dropped: Vec<RunRecord>,
}

pub(crate) mod findings;
pub use findings::{Finding, Seesaw, data_neighbours_by_radius, findings, ranked, seesaw, tid_radius};

#[cfg(test)]
mod tests;
