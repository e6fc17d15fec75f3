//! `collapse-lab study`: a study run here (resumed from --out by spec), written as a job-array
//! folder (--slurm) or collected from one (--collect).

use super::{
    CliError, Flags, axis_samplers, backend_of, batch, check_in_file, check_out_dir, check_out_file, check_resumed_engine, emit, engine_of, jobs_of,
    lock_output, note_unsampled_steps, num, print_plan_of, reuse_files, run_flags, set_threads, spec_from_flags, spec_usage, vary_axes, write_atomic,
};

pub(super) fn cmd_study(args: &[String]) -> Result<(), CliError> {
    use crate::study;
    let f = run_flags(
        args,
        &["--vary", "--seeds", "--jobs", "--together", "--out", "--reuse", "--slurm", "--slurm-opts", "--collect"],
        &["--restart", "--submit", "--print-plan", "--print-spec"],
    )?;
    for flag in ["--samples-out", "--record-out", "--print-spec"] {
        if f.pairs.iter().any(|(n, _)| n == flag) {
            return Err(CliError::Usage(format!("{flag} is for single runs; a study writes one JSON (--out)")));
        }
    }
    if let Some(dir) = f.get("--collect") {
        if let Some((other, _)) = f.pairs.iter().find(|(n, _)| !["--collect", "--quiet", "--out", "--restart"].contains(&n.as_str())) {
            return Err(CliError::Usage(format!("{other}: --collect DIR reads the study written there; give no run settings with it")));
        }
        return collect_study(std::path::Path::new(dir), f.get("--out"), f.has("--restart"), f.has("--quiet"));
    }
    if f.get("--slurm").is_none() {
        for (flag, on) in [("--slurm-opts", f.given("--slurm-opts")), ("--submit", f.has("--submit"))] {
            if on {
                return Err(CliError::Usage(format!("{flag} goes with --slurm DIR")));
            }
        }
    } else {
        // --slurm runs nothing here: each task of the job array is one run of its own, so what
        // shapes a local batch would be ignored without a word (issue 55).
        for (flag, why) in [
            ("--together", "trains the nets of several runs side by side in one process"),
            ("--jobs", "sets the runs at a time of a local study"),
            ("--out", "is the file of a local study (collect the array's results with --collect DIR --out FILE)"),
            ("--reuse", "takes runs into a local study"),
            ("--restart", "starts a local study's --out file afresh"),
        ] {
            if f.given(flag) && (flag != "--restart" || f.has(flag)) {
                return Err(CliError::Usage(format!(
                    "{flag}: {why}; with --slurm DIR each task of the job array is one run of its own and nothing runs here: drop {flag}"
                )));
            }
        }
    }
    let base = spec_from_flags(&f)?;
    base.check_single_run().map_err(|e| spec_usage(&e))?;
    set_threads(&f)?;
    let axes = vary_axes(&f)?;
    let mut sampled = base.sampling.samplers.clone();
    sampled.extend(axis_samplers(&axes, &["samplers"]));
    let by = if axes.iter().any(|a| a.name == "samplers") { "--samplers with --vary samplers" } else { "--samplers" };
    note_unsampled_steps(&f, &sampled, by);
    let seeds: usize = f.get("--seeds").map(|v| num("--seeds", v, "an integer")).transpose()?.unwrap_or(3);
    let jobs = jobs_of(&f)?;
    let together: usize = f.get("--together").map(|v| num("--together", v, "an integer")).transpose()?.unwrap_or(study::share::TOGETHER_DEFAULT);
    if !(1..=study::share::TOGETHER_MAX).contains(&together) {
        return Err(CliError::Usage(format!("--together: must be in 1..={}, got {together}", study::share::TOGETHER_MAX)));
    }
    let plan = study::plan(&base, axes, seeds).map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
    // Nothing is run or written: each planned run, and where it already is.
    let print_plan = f.has("--print-plan");
    if let Some(dir) = f.get("--slurm") {
        if print_plan {
            return Err(CliError::Usage("--print-plan: give it without --slurm (the folder's plan.json holds the plan)".into()));
        }
        return write_slurm(&plan, std::path::Path::new(dir), &f);
    }
    let out = f.get("--out").map(std::path::PathBuf::from);
    if f.has("--restart") && out.is_none() {
        return Err(CliError::Usage("--restart: starts the --out file afresh; without --out there is nothing to restart (drop --restart)".into()));
    }
    let mut records = Vec::new();
    // Held to the end of the command: a second study on this file is refused while it runs.
    let _lock = match &out {
        Some(path) if !print_plan => {
            check_out_file("--out", &path.to_string_lossy())?;
            Some(lock_output("--out", path, false)?)
        }
        _ => None,
    };
    if let Some(path) = &out {
        check_out_file("--out", &path.to_string_lossy())?;
        if path.exists() && std::fs::metadata(path).is_ok_and(|m| m.len() > 0) && !(f.has("--restart") && is_study_file(path)) {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("--out {}: {e}", path.display())))?;
            let earlier: study::StudyResult = serde_json::from_str(&text)
                .map_err(|e| CliError::Usage(format!("--out {}: not a study of this lab ({e}); remove it or choose another file", path.display())))?;
            let resumed = study::resumable(&plan, &earlier);
            if !resumed.dropped.is_empty() && !f.has("--restart") {
                let r = &resumed.dropped[0];
                let what: Vec<String> = r.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
                return Err(CliError::Usage(format!(
                    "--out {}: holds {} finished run(s) this study does not plan (e.g. {} seed={}), which resuming would lose; \
                     give --restart to start the file afresh, or choose another --out",
                    path.display(),
                    resumed.dropped.len(),
                    what.join(" "),
                    r.seed
                )));
            }
            records = resumed.kept;
            eprintln!("resuming {}: {} of {} runs already done", path.display(), records.len(), plan.runs.len());
        }
    }
    // Runs another study already made: the same spec and seed is the same run (bit for bit on
    // the engine that made it, which its record names), so it is taken, not trained again; so
    // is a run that sampled more samplers, narrowed to this study's.
    let from_out = records.len();
    let held: Vec<usize> = records.iter().map(|r| r.index).collect();
    let reused = reuse_files(&f, &mut records, ("run(s)", "runs of this study"), |text| {
        let other: study::StudyResult = serde_json::from_str(text).map_err(|e| format!("not a study of this lab ({e})"))?;
        let runs = study::reusable(&plan, &other);
        let narrowed = runs.iter().filter(|r| !held.contains(&r.index) && !other.runs.iter().any(|o| o.spec == r.spec)).count();
        if narrowed > 0 {
            eprintln!("{narrowed} finished run(s) in the file below sampled more samplers than this study's: taken narrowed to this study's samplers");
        }
        Ok(runs)
    })?;
    if print_plan {
        print_plan_of(&plan, &records, records.len() - reused);
        return Ok(());
    }
    let quiet = f.has("--quiet");
    let backend = backend_of(&f)?;
    if let Some(path) = &out {
        check_resumed_engine(&path.to_string_lossy(), &records[..from_out], &backend, "runs")?;
    }
    // Every check has passed (a refused command writes nothing, and --restart empties the file
    // only now): the file holds this plan from the start, so a new study, a resumed one with
    // more seeds or values, or runs taken from another file show before the first new run ends,
    // and a file that cannot be written fails here, not after hours of training.
    let save = |s: &study::StudyResult| save_study(out.as_ref().expect("with --out"), s);
    let progress = |done: &study::batch::Finished| {
        let rec = done.record;
        let what: Vec<String> = rec.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let status = rec.error.clone().map(|e| format!("FAILED: {e}")).unwrap_or_else(|| "done".into());
        eprintln!("[{}/{}] {} seed={}: {status}  ({:.0} s, ETA {:.0} s)", done.done, done.todo, what.join(" "), rec.seed, done.elapsed_s, done.eta_s());
    };
    batch::BatchEnd {
        plan: &plan,
        aggregate: &study::aggregate,
        save: out.as_ref().map(|_| &save as &(dyn Fn(&study::StudyResult) -> Result<(), CliError> + Sync)),
        save_first: true,
        progress: (!quiet).then_some(&progress as &(dyn Fn(&study::batch::Finished) + Sync)),
        summarize: (!quiet).then_some(&summarize_study as &(dyn Fn(&study::StudyResult) + Sync)),
        failed: &|r: &study::StudyResult| (r.failed.len(), r.runs.len()),
        failed_words: ("runs", "failed"),
    }
    .run(records, jobs, backend, &study::batch::Work::study().together(together))
}

/// `study --slurm DIR`: the job-array folder, and the sbatch command for the runs without a
/// result (run it with --submit).
pub(super) fn write_slurm(plan: &crate::study::Plan, dir: &std::path::Path, f: &Flags) -> Result<(), CliError> {
    use crate::study::slurm;
    if dir.as_os_str().is_empty() {
        return Err(CliError::Usage("--slurm: needs a folder name".into()));
    }
    // The files written there are regular files or new (a FIFO would block, a device be replaced).
    let names: Vec<String> =
        ["plan.json".to_string(), "study.sbatch".to_string()].into_iter().chain(plan.runs.iter().map(|r| format!("runs/{}.json", r.index))).collect();
    check_out_dir("--slurm", &dir.to_string_lossy(), &names)?;
    let opts = slurm::parse_opts(f.get("--slurm-opts").unwrap_or("")).map_err(|e| CliError::Usage(format!("--slurm-opts: {e}")))?;
    let engine = engine_of(f, "auto")?;
    if plan.base.csv.is_some() {
        return Err(CliError::Usage(
            "--slurm: the tasks read their specs from files, which name a CSV data set's file but do not hold its points; run this study locally (without --slurm)".into(),
        ));
    }
    let bin = std::env::current_exe().map_err(|e| CliError::Failed(format!("cannot find this program's path: {e}")))?;
    let w = slurm::write(plan, dir, &bin, engine, &opts).map_err(|e| CliError::Usage(format!("--slurm: {e}")))?;
    for r in &w.rejected {
        eprintln!("run {}: results/{}.json is {}; moved to {}", r.index, r.index, r.why, r.moved_to.display());
    }
    let d = w.script.parent().unwrap_or(dir).display().to_string();
    let total = plan.runs.len();
    let summary = serde_json::json!({
        "dir": d, "script": w.script.display().to_string(), "runs": total, "missing": w.missing,
        "array": slurm::array_spec(&w.missing),
    });
    if w.missing.is_empty() {
        eprintln!("all {total} runs of {d} have results: collapse-lab study --collect {d}");
        emit(&serde_json::to_string_pretty(&summary).unwrap());
        return Ok(());
    }
    let array = slurm::array_spec(&w.missing);
    let command = format!("sbatch --array={array} {}", w.script.display());
    if !f.has("--submit") {
        eprintln!(
            "wrote {total} runs ({} without a result) to {d}; submit them with:\n  {command}\nthen, when squeue shows them gone: collapse-lab study --collect {d}",
            w.missing.len()
        );
        let mut s = summary;
        s["submit"] = command.into();
        emit(&serde_json::to_string_pretty(&s).unwrap());
        return Ok(());
    }
    let out = std::process::Command::new("sbatch")
        .args(["--parsable", &format!("--array={array}")])
        .arg(&w.script)
        .output()
        .map_err(|e| CliError::Failed(format!("--submit: cannot run sbatch ({e}); install Slurm's client, or submit yourself: {command}")))?;
    if !out.status.success() {
        let why: Vec<String> = String::from_utf8_lossy(&out.stderr).lines().map(|l| l.trim_start_matches("sbatch: error: ").to_string()).collect();
        return Err(CliError::Failed(format!(
            "sbatch refused the job array ({}); check --slurm-opts {:?}",
            why.join("; "),
            f.get("--slurm-opts").unwrap_or("")
        )));
    }
    let job = String::from_utf8_lossy(&out.stdout).trim().split(';').next().unwrap_or("").to_string();
    eprintln!("submitted job {job} ({} tasks); watch it with `squeue -j {job}`, then: collapse-lab study --collect {d}", w.missing.len());
    let mut s = summary;
    s["job"] = job.into();
    emit(&serde_json::to_string_pretty(&s).unwrap());
    Ok(())
}

/// `study --collect DIR`: the results present, aggregated as a local study; which runs are
/// missing or failed, and the command that resubmits them.
pub(super) fn collect_study(dir: &std::path::Path, out: Option<&str>, restart: bool, quiet: bool) -> Result<(), CliError> {
    // --out is checked before anything is read or moved: a file that is not a study of this
    // lab is never overwritten, nor a study of another plan unless --restart says so.
    // A study of this plan there is merged into, exactly as a local resume does: its finished
    // runs are kept and the collected ones added (issue 55 #2), never dropped.
    let mut earlier = None;
    // The plan is read first, and only from a regular file (a FIFO would block forever).
    check_in_file("--collect", &dir.join("plan.json").to_string_lossy())?;
    // Held to the end of the command: a local study or another collect on this file is refused.
    let mut _lock = None;
    if let Some(path) = out {
        check_out_file("--out", path)?;
        _lock = Some(lock_output("--out", std::path::Path::new(path), false)?);
        let plan_path = dir.join("plan.json");
        let plan: Option<crate::study::Plan> = std::fs::read_to_string(&plan_path).ok().and_then(|t| serde_json::from_str(&t).ok());
        earlier = check_study_out(std::path::Path::new(path), plan.as_ref(), restart)?;
    }
    let (plan, mut result, rejected) = crate::study::slurm::collect(dir).map_err(|e| CliError::Usage(format!("--collect: {e}")))?;
    for r in &rejected {
        eprintln!("  run {}: results/{}.json is {}; moved to {} (a resubmission redoes it)", r.index, r.index, r.why, r.moved_to.display());
    }
    if let (Some(path), Some(earlier)) = (out, &earlier) {
        let resumed = crate::study::resumable(&plan, earlier);
        let mut records = resumed.kept;
        let kept = records.len();
        let collected: Vec<_> = result.runs.iter().filter(|r| !records.iter().any(|k| k.index == r.index)).cloned().collect();
        let added = collected.iter().filter(|r| r.error.is_none()).count();
        records.extend(collected);
        result = crate::study::aggregate(&plan, &records);
        eprintln!("merged into {path}: {kept} finished run(s) kept from it, {added} collected run(s) added");
    }
    if let Some(path) = out {
        save_study(std::path::Path::new(path), &result)?;
    }
    let total = result.cells.len() * result.seeds;
    if !quiet {
        summarize_study(&result);
    }
    eprintln!("collected {} of {total} runs from {}", total - result.missing.len(), dir.display());
    for r in result.runs.iter().filter(|r| r.error.is_some()) {
        eprintln!("  run {} failed: {}", r.index, r.error.as_deref().unwrap_or(""));
    }
    let redo: Vec<usize> = result.missing.iter().chain(&result.failed).copied().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if !result.missing.is_empty() {
        eprintln!("  missing: {}", crate::study::slurm::array_spec(&result.missing));
        for &i in result.missing.iter().take(5) {
            if let Some(line) = crate::study::slurm::log_tail(dir, i) {
                eprintln!("  run {i} has no result; its log ends: {line}");
            }
        }
    }
    emit(&serde_json::to_string_pretty(&result).unwrap());
    if !redo.is_empty() {
        eprintln!(
            "resubmit them with: sbatch --array={} {} (a failed run's error will repeat unless its cause is fixed)",
            crate::study::slurm::array_spec(&redo),
            dir.join("study.sbatch").display()
        );
        return Err(CliError::Failed(format!("{} of {total} runs missing, {} failed", result.missing.len(), result.failed.len())));
    }
    Ok(())
}

/// Writes the study atomically (a temporary file, then a rename), so a kill never leaves half.
/// Whether `path` holds a study of this lab (so --restart may overwrite it; anything else is
/// never overwritten).
pub(super) fn is_study_file(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| serde_json::from_str::<crate::study::StudyResult>(&t).is_ok())
}

/// `--out FILE` of `study --collect`: FILE may be absent, or a study of this lab of the same
/// plan (base, axes, seeds), returned to be merged into (None with `--restart`: it is replaced);
/// another study only with `--restart`; anything else never.
pub(super) fn check_study_out(path: &std::path::Path, plan: Option<&crate::study::Plan>, restart: bool) -> Result<Option<crate::study::StudyResult>, CliError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(None) };
    if text.trim().is_empty() {
        return Ok(None);
    }
    let earlier: crate::study::StudyResult = serde_json::from_str(&text).map_err(|_| {
        CliError::Usage(format!("--out {}: exists and is not a study of this lab; it is not overwritten: remove it or choose another file", path.display()))
    })?;
    let same = plan.is_some_and(|p| p.base == earlier.base && p.axes == earlier.axes && p.seeds == earlier.seeds);
    if !same && !restart {
        return Err(CliError::Usage(format!(
            "--out {}: holds another study (its base, axes or seeds differ from {}); give --restart to replace it, or choose another file",
            path.display(),
            if plan.is_some() { "this folder's plan.json" } else { "this folder's plan, which cannot be read" }
        )));
    }
    Ok((!restart).then_some(earlier))
}

pub(super) fn save_study(path: &std::path::Path, s: &crate::study::StudyResult) -> Result<(), CliError> {
    write_atomic(path, serde_json::to_string(s).unwrap().as_bytes()).map_err(|e| CliError::Failed(format!("--out {}: {e}", path.display())))
}

/// Mean ± std of the main figures per cell, on stderr.
pub(super) fn summarize_study(s: &crate::study::StudyResult) {
    let mut keys: Vec<&String> = s.cells.iter().flat_map(|c| c.metrics.keys()).collect();
    keys.sort();
    keys.dedup();
    let shown: Vec<&String> = keys
        .into_iter()
        .filter(|k| k.starts_with("mae_velocity@") || (k.starts_with("dsm@")) || k.as_str() == "final_loss" || (k.starts_with("tid@") && k.ends_with("@0.05")))
        .collect();
    eprintln!("study: {} cells x {} seeds; mean ± std over seeds", s.cells.len(), s.seeds);
    for c in &s.cells {
        let what: Vec<String> = c.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let figs: Vec<String> = shown
            .iter()
            .filter_map(|k| c.metrics.get(*k).map(|m| (k, m)))
            .map(|(k, m)| {
                let f = |v: Option<f64>| v.map(|x| format!("{x:.4}")).unwrap_or_else(|| "-".into());
                format!("{k} {} ± {}", f(m.mean), f(m.std))
            })
            .collect();
        eprintln!("  {}: {}", what.join(" "), figs.join(", "));
    }
    // The leading findings (the figure's answer) as the page shows them, the rest marked.
    for f in crate::study::ranked(s) {
        eprintln!("{} {}", if f.lead { "finding:" } else { "finding (more):" }, f.text);
    }
}
