//! The end that `study` and `generations` share: the plan's runs not yet held run on the batch
//! runner, each finished one printed and saved, then the result printed, summarised and turned
//! into the exit status (a failed save, runs that failed).

use super::{CliError, Flags, emit, experiment};
use crate::study::{self, Plan, RunRecord};
use serde::Serialize;

/// `--reuse FILE` (repeatable, study and generations): the finished runs `kept` finds in each
/// file for this plan (the same spec and seed: the same run, bit for bit on the engine its
/// record names) join `records` where not there yet, instead of running again. `what` names
/// them in the message ("run(s)", "runs of this study"). Returns how many were taken.
pub(super) fn reuse_files(
    f: &Flags,
    records: &mut Vec<crate::study::RunRecord>,
    what: (&str, &str),
    kept: impl Fn(&str) -> Result<Vec<crate::study::RunRecord>, String>,
) -> Result<usize, CliError> {
    let read = read_reuse_files(f, kept)?;
    Ok(add_reused(records, read, what))
}

/// The `--reuse FILE`s read (regular files only: a FIFO would block the read forever) and the
/// finished runs `kept` finds in each, or the first that cannot be read or is not a result of
/// this lab, by name. Nothing is written: a command reads them before it makes its outputs, so
/// a bad --reuse leaves no new --out folder behind (issue 55).
pub(super) fn read_reuse_files(
    f: &Flags,
    kept: impl Fn(&str) -> Result<Vec<crate::study::RunRecord>, String>,
) -> Result<Vec<(String, Vec<crate::study::RunRecord>)>, CliError> {
    let mut read = Vec::new();
    for (_, file) in f.pairs.iter().filter(|(n, _)| n == "--reuse") {
        let file = file.as_deref().unwrap_or("");
        crate::output::check_input(std::path::Path::new(file)).map_err(|e| CliError::Usage(format!("--reuse {file}: {e}")))?;
        let text = std::fs::read_to_string(file).map_err(|e| CliError::Usage(format!("--reuse {file}: {e}")))?;
        read.push((file.to_string(), kept(&text).map_err(|e| CliError::Usage(format!("--reuse {file}: {e}")))?));
    }
    Ok(read)
}

/// The runs [`read_reuse_files`] found joining `records` where not there yet, each file's
/// count said; returns how many were taken.
pub(super) fn add_reused(records: &mut Vec<crate::study::RunRecord>, read: Vec<(String, Vec<crate::study::RunRecord>)>, what: (&str, &str)) -> usize {
    let mut reused = 0;
    for (file, runs) in read {
        let mut n = 0;
        for mut r in runs {
            if !records.iter().any(|k| k.index == r.index) {
                reused_from(&mut r, &file);
                records.push(r);
                n += 1;
            }
        }
        eprintln!("reusing {n} finished {} of {file}: the same spec and seed as {}", what.0, what.1);
        reused += n;
    }
    reused
}

/// The engine that trained a finished run, as its record's result names it ("cpu (2 threads)",
/// "gpu: llvmpipe ..."): "cpu" or "gpu"; None where it names neither (the exact score).
fn engine_family(r: &RunRecord) -> Option<&'static str> {
    let name = r.result.as_ref()?.get("engine")?.as_str()?;
    ["cpu", "gpu"].into_iter().find(|f| name.starts_with(f))
}

/// A study or generations run resumed from its `--out` (`path`) on `backend` whose kept runs
/// were made by the other engine is refused, naming both engines: each cell's mean ± sd would
/// mix runs of the two (their floats differ by rounding, their times by far), with no word of
/// it (issue 55). `--engine auto` picks per run by design and is not held to it. `kept` are
/// the runs resumed from the file (not those --reuse takes, which the command names).
pub(super) fn check_resumed_engine(path: &str, kept: &[RunRecord], backend: &experiment::Backend, runs: &str) -> Result<(), CliError> {
    let now = match backend {
        experiment::Backend::Cpu => "cpu",
        experiment::Backend::Gpu(_) => "gpu",
        experiment::Backend::Auto(_) => return Ok(()),
    };
    let other: Vec<&RunRecord> = kept.iter().filter(|r| engine_family(r).is_some_and(|f| f != now)).collect();
    let Some(first) = other.first() else { return Ok(()) };
    let made = engine_family(first).unwrap_or("other");
    let named = first.result.as_ref().and_then(|v| v["engine"].as_str()).unwrap_or(made);
    Err(CliError::Usage(format!(
        "--out {path}: {} of its {} finished {runs} were made on the {made} engine (e.g. run {}: {named}), and this one runs on the {now} engine:          their cells would mix the two engines' runs; give --engine {made} to resume on the engine that made them, or --restart to start the file afresh on the {now} engine",
        other.len(),
        kept.len(),
        first.index
    )))
}

/// A run taken from `file`: its notes of shared training name runs of that file, not of this
/// study (whose run of the same index may be another run).
pub(super) fn reused_from(r: &mut crate::study::RunRecord, file: &str) {
    let notes = r.result.as_mut().and_then(|v| v.get_mut("notes")).and_then(|n| n.as_array_mut());
    for n in notes.into_iter().flatten() {
        if let Some(text) = n.as_str() {
            let fixed = if text.starts_with("training shared with run ") && text.contains(" of this study") {
                text.replacen(" of this study", &format!(" of {file} (this run was reused from it)"), 1)
            } else if text.starts_with("trained once for this study's runs") {
                text.replacen("this study's runs", &format!("{file}'s runs"), 1) + &format!(" (this run was reused from {file})")
            } else {
                continue;
            };
            *n = serde_json::Value::String(fixed);
        }
    }
}

/// `--print-plan` (study, generations): every planned run with its spec and where it already
/// is: `records` holds first the `resumed` runs of --out, then those --reuse files gave.
pub(super) fn print_plan_of(plan: &crate::study::Plan, records: &[crate::study::RunRecord], resumed: usize) {
    let runs: Vec<serde_json::Value> = plan
        .runs
        .iter()
        .map(|p| {
            let done = records.iter().position(|r| r.index == p.index).map(|i| if i < resumed { "out" } else { "reuse" });
            serde_json::json!({"index": p.index, "cell": p.cell, "seed": p.spec.seed, "settings": p.settings, "done": done, "spec": p.spec})
        })
        .collect();
    emit(&serde_json::to_string_pretty(&serde_json::json!({"seeds": plan.seeds, "cells": plan.cells, "runs": runs})).unwrap());
}

/// Writes a batch's result to the command's output.
pub(super) type Save<'a, R> = dyn Fn(&R) -> Result<(), CliError> + Sync + 'a;

/// What differs between a study and a generations run at this end.
pub(super) struct BatchEnd<'a, R> {
    pub plan: &'a Plan,
    /// The result of the records so far (`study::aggregate`, `generations::aggregate`).
    pub aggregate: &'a (dyn Fn(&Plan, &[RunRecord]) -> R + Sync),
    /// Writes the result to the command's output (none without --out).
    pub save: Option<&'a Save<'a, R>>,
    /// Saved before the first new run ends (a resumed or reused file: the plan shows at once,
    /// and a file that cannot be written fails before hours of training).
    pub save_first: bool,
    /// The progress line of a finished run (none under --quiet).
    pub progress: Option<&'a (dyn Fn(&study::batch::Finished) + Sync)>,
    pub summarize: Option<&'a (dyn Fn(&R) + Sync)>,
    /// Runs that failed, of how many: with its noun ("2 of 6 runs failed").
    pub failed: &'a (dyn Fn(&R) -> (usize, usize) + Sync),
    pub failed_words: (&'a str, &'a str),
}

impl<R: Serialize + Send> BatchEnd<'_, R> {
    /// Runs what `records` lacks on `jobs` threads with `work`, saving after each run.
    pub fn run(&self, records: Vec<RunRecord>, jobs: usize, backend: experiment::Backend, work: &study::batch::Work) -> Result<(), CliError> {
        if let (Some(save), true) = (self.save, self.save_first) {
            save(&(self.aggregate)(self.plan, &records))?;
        }
        let on_finished = |done: study::batch::Finished| -> Result<(), String> {
            if let Some(p) = self.progress {
                p(&done);
            }
            match self.save {
                Some(save) => save(&(self.aggregate)(self.plan, done.records)).map_err(|e| e.to_string()),
                None => Ok(()),
            }
        };
        let (records, save_error) = study::batch::run(self.plan, records, jobs, backend, work, &on_finished);
        let result = (self.aggregate)(self.plan, &records);
        emit(&serde_json::to_string_pretty(&result).unwrap());
        if let Some(s) = self.summarize {
            s(&result);
        }
        if let Some(m) = save_error {
            return Err(CliError::Failed(m));
        }
        let (failed, of) = (self.failed)(&result);
        if failed > 0 {
            let (noun, verb) = self.failed_words;
            return Err(CliError::Failed(format!("{failed} of {of} {noun} {verb} (their errors are in the JSON)")));
        }
        Ok(())
    }
}
