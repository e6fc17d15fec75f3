//! A study as a job array: a folder with the plan, one spec per run and a batch script whose
//! task i runs `collapse-lab run --spec DIR/runs/i.json > DIR/results/i.json`. Slurm (`sbatch`),
//! any other array scheduler or plain `xargs -P` runs the tasks; [`collect`] reads the results
//! present and aggregates them exactly as a local study does. No scheduler or daemon of ours.
//!
//! ```text
//! DIR/plan.json            the study's plan (base, axes, seeds, cells, runs)
//! DIR/runs/I.json          the spec of planned run I
//! DIR/study.sbatch         the array script (task I = planned run I)
//! DIR/results/I.json       the result of run I, written when it finished (atomically)
//! DIR/logs/I.out, I.err    the task's output (Slurm's --output/--error)
//! ```

use super::{Plan, StudyResult, aggregate, record};
use crate::experiment::ExperimentResult;
use std::path::{Path, PathBuf};

/// What writing the folder found: the runs without a result yet.
pub struct Written {
    pub script: PathBuf,
    pub missing: Vec<usize>,
    pub rejected: Vec<Rejected>,
}

fn io(what: &Path, e: std::io::Error) -> String {
    format!("{}: {e}", what.display())
}

/// `0-3,5,7-9` for Slurm's `--array`.
pub fn array_spec(indices: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < indices.len() {
        let mut j = i;
        while j + 1 < indices.len() && indices[j + 1] == indices[j] + 1 {
            j += 1;
        }
        parts.push(if i == j { indices[i].to_string() } else { format!("{}-{}", indices[i], indices[j]) });
        i = j + 1;
    }
    parts.join(",")
}

/// Options for `#SBATCH` lines: whitespace-separated, each starting with `-`; no quotes, no
/// newlines (they would end the directive). Slurm itself checks their meaning at submission.
pub fn parse_opts(opts: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for o in opts.split_whitespace() {
        if !o.starts_with('-') {
            return Err(format!("expected sbatch options like \"--partition=gpu --gres=gpu:1\", got {o:?} (write option=value, without spaces or quotes)"));
        }
        if o.contains(['"', '\'', '\\', '`', '$']) {
            return Err(format!("{o:?}: quotes, backslashes and $ are not allowed in an #SBATCH line"));
        }
        out.push(o.to_string());
    }
    Ok(out)
}

/// Single-quotes `s` for bash.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The array script. Task i skips a run whose result is present, so a resubmission of the whole
/// array redoes only what is missing; the result is written to a `.part` file and renamed, so a
/// task killed mid-run leaves no result.
pub fn script(dir: &Path, bin: &Path, engine: &str, opts: &[String], n_runs: usize) -> String {
    let d = dir.display().to_string();
    let mut s = String::from("#!/bin/bash\n");
    s.push_str("#SBATCH --job-name=collapse-lab-study\n");
    s.push_str(&format!("#SBATCH --array=0-{}\n", n_runs.saturating_sub(1)));
    s.push_str(&format!("#SBATCH --output={d}/logs/%a.out\n#SBATCH --error={d}/logs/%a.err\n"));
    for o in opts {
        s.push_str(&format!("#SBATCH {o}\n"));
    }
    s.push_str(&format!(
        r#"# Written by `collapse-lab study --slurm`. Task I runs planned run I of {d}/plan.json.
# Any array scheduler can run it with SLURM_ARRAY_TASK_ID=I, e.g. plain xargs:
#   seq 0 {last} | xargs -P 4 -I{{}} env SLURM_ARRAY_TASK_ID={{}} bash {d}/study.sbatch
# Then: collapse-lab study --collect {d}
set -u
i="${{SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID to a run index}}"
dir={qd}
bin="${{COLLAPSE_LAB_BIN:-}}"
[ -n "$bin" ] || bin={qb}
if [ -s "$dir/results/$i.json" ]; then echo "run $i: its result is present, skipped"; exit 0; fi
"$bin" run --spec "$dir/runs/$i.json" --engine {engine} --quiet > "$dir/results/$i.json.part" \
  && mv "$dir/results/$i.json.part" "$dir/results/$i.json"
"#,
        last = n_runs.saturating_sub(1),
        qd = quote(&d),
        qb = quote(&bin.display().to_string()),
    ));
    s
}

/// A result file that is not a result of its planned run: cut short, stale from another study
/// in a reused folder, or another run's result under this run's name. It is moved aside to
/// `results/I.json.rejected` (so the array script, which skips any result present, redoes the
/// run on a resubmission) and named.
#[derive(Clone, Debug)]
pub struct Rejected {
    pub index: usize,
    pub why: String,
    pub moved_to: PathBuf,
}

/// The good results (plan index, result) and the rejected files.
type Finished = (Vec<(usize, ExperimentResult)>, Vec<Rejected>);

/// The planned runs' results present in `dir/results`, checked against the plan: each must
/// parse and hold exactly its planned run's spec (seed included). The others are moved aside.
fn finished(dir: &Path, plan: &Plan) -> Result<Finished, String> {
    let mut good = Vec::new();
    let mut rejected = Vec::new();
    for r in &plan.runs {
        let path = dir.join("results").join(format!("{}.json", r.index));
        // Only a regular file is read (a FIFO would block the read forever): anything else is
        // moved aside as a result that is not one, and a resubmission redoes the run.
        let read = match crate::output::check_input(&path) {
            Ok(()) => std::fs::read_to_string(&path).map_err(|_| None),
            Err(why) => Err(Some(why)),
        };
        let parsed = match read {
            Ok(text) => serde_json::from_str::<ExperimentResult>(&text).map_err(|e| format!("unreadable, not a whole result ({e})")),
            Err(Some(why)) => Err(why),
            Err(None) => continue,
        };
        let why = match parsed {
            Err(e) => e,
            Ok(result) if result.spec != r.spec => {
                let other = plan.runs.iter().find(|p| p.spec == result.spec).map(|p| format!("planned run {}", p.index));
                format!(
                    "the result of {}, not of planned run {} (seed {})",
                    other.unwrap_or_else(|| "a run this study does not plan".into()),
                    r.index,
                    r.spec.seed
                )
            }
            Ok(result) => {
                good.push((r.index, result));
                continue;
            }
        };
        let moved_to = path.with_extension("json.rejected");
        std::fs::rename(&path, &moved_to).map_err(|e| io(&path, e))?;
        rejected.push(Rejected { index: r.index, why, moved_to });
    }
    Ok((good, rejected))
}

/// Writes (or, for the same plan, refreshes) the folder: plan, run specs, script. A folder that
/// holds another study is refused.
pub fn write(plan: &Plan, dir: &Path, bin: &Path, engine: &str, opts: &[String]) -> Result<Written, String> {
    for sub in ["runs", "results", "logs"] {
        std::fs::create_dir_all(dir.join(sub)).map_err(|e| io(&dir.join(sub), e))?;
    }
    let dir = std::fs::canonicalize(dir).map_err(|e| io(dir, e))?;
    let plan_path = dir.join("plan.json");
    if let Ok(text) = std::fs::read_to_string(&plan_path) {
        let earlier: Plan = serde_json::from_str(&text).map_err(|e| format!("{}: not a study plan ({e})", plan_path.display()))?;
        if earlier != *plan {
            return Err(format!("{} holds another study (its plan differs from this one); collect it, or choose another folder", dir.display()));
        }
    } else {
        std::fs::write(&plan_path, serde_json::to_string_pretty(plan).unwrap()).map_err(|e| io(&plan_path, e))?;
    }
    for r in &plan.runs {
        let p = dir.join("runs").join(format!("{}.json", r.index));
        std::fs::write(&p, serde_json::to_string_pretty(&r.spec).unwrap()).map_err(|e| io(&p, e))?;
    }
    let script_path = dir.join("study.sbatch");
    std::fs::write(&script_path, script(&dir, bin, engine, opts, plan.runs.len())).map_err(|e| io(&script_path, e))?;
    let (good, rejected) = finished(&dir, plan)?;
    let done: Vec<usize> = good.iter().map(|(i, _)| *i).collect();
    let missing = plan.runs.iter().map(|r| r.index).filter(|i| !done.contains(i)).collect();
    Ok(Written { script: script_path, missing, rejected })
}

/// The `error: ...` line a failed task left in its log, if any (a task killed by the scheduler
/// leaves none of ours: it counts as missing and a resubmission runs it again).
fn error_line(dir: &Path, index: usize) -> Option<String> {
    let text = read_log(dir, index)?;
    text.lines().rev().find(|l| l.starts_with("error: ")).map(|l| l.trim_start_matches("error: ").to_string())
}

/// The last line of a run's error log, for a run without a result (why it may be missing).
pub fn log_tail(dir: &Path, index: usize) -> Option<String> {
    let text = read_log(dir, index)?;
    text.lines().rev().find(|l| !l.trim().is_empty()).map(str::to_string)
}

/// A task's error log, where it is a regular file (a FIFO would block the read forever).
fn read_log(dir: &Path, index: usize) -> Option<String> {
    let path = dir.join("logs").join(format!("{index}.err"));
    crate::output::check_input(&path).ok()?;
    std::fs::read_to_string(path).ok()
}

/// Reads the results present and aggregates them as a local study: the same JSON, the same
/// numbers for the same runs; runs without a result are `missing` (a rejected result file, moved
/// aside, among them), those whose task reported an error are `failed` with that error.
pub fn collect(dir: &Path) -> Result<(Plan, StudyResult, Vec<Rejected>), String> {
    let plan_path = dir.join("plan.json");
    crate::output::check_input(&plan_path).map_err(|why| format!("{} {why}", plan_path.display()))?;
    let text = std::fs::read_to_string(&plan_path).map_err(|e| format!("{}: {e} (not a folder written by --slurm)", plan_path.display()))?;
    let plan: Plan = serde_json::from_str(&text).map_err(|e| format!("{}: not a study plan ({e})", plan_path.display()))?;
    let mut records = Vec::new();
    let mut found = std::collections::BTreeSet::new();
    let (good, rejected) = finished(dir, &plan)?;
    for (i, result) in good {
        records.push(record(&plan.runs[i], Ok(&result)));
        found.insert(i);
    }
    for run in &plan.runs {
        if !found.contains(&run.index)
            && let Some(e) = error_line(dir, run.index)
        {
            records.push(record(run, Err(e)));
        }
    }
    let result = aggregate(&plan, &records);
    Ok((plan, result, rejected))
}
