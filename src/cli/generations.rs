//! `collapse-lab generations`: chains of recursive training (SPEC §10), resumed from --out by spec.

use super::{
    CliError, ControlFlow, Event, add_reused, axis_samplers, backend_of, batch, block_on, check_out_dir, check_output_kind, check_resumed_engine, experiment,
    jobs_of, lock_output, note_unsampled_steps, num, print_plan_of, read_reuse_files, run_flags, set_threads, spec_from_flags, spec_usage, vary_axes,
    write_file,
};

pub(super) fn cmd_generations(args: &[String]) -> Result<(), CliError> {
    use crate::{generations, study};
    let f = run_flags(args, &["--fresh", "--sampler", "--vary", "--seeds", "--jobs", "--out", "--reuse"], &["--restart", "--print-spec", "--print-plan"])?;
    for flag in ["--samples-out", "--record-out", "--print-spec", "--gen-sampler"] {
        if f.pairs.iter().any(|(n, _)| n == flag) {
            let why = if flag == "--gen-sampler" { "use --sampler LIST" } else { "a generations run writes its JSON and CSV with --out DIR" };
            return Err(CliError::Usage(format!("{flag}: {why}")));
        }
    }
    if f.given("--data-size") {
        return Err(CliError::Usage("--data-size: a generations run trains every generation on --gen-size points; set that instead".into()));
    }
    let list = |flag: &str, default: &str| -> Vec<String> { f.get(flag).unwrap_or(default).split(',').map(|v| v.trim().to_string()).collect() };
    // --fresh and --sampler are the axes; the other recursion flags set every chain.
    let fresh = list("--fresh", "0.1,0.5,0.9");
    let samplers = list("--sampler", "sde");
    let mut settings = f.clone();
    settings.pairs.retain(|(n, _)| n != "--fresh");
    let mut base = spec_from_flags(&settings)?;
    if base.recursion.is_none() {
        base.recursion = Some(Default::default());
    }
    base.validate().map_err(|e| spec_usage(&e))?;
    set_threads(&f)?;
    let extra = vary_axes(&f)?;
    let seeds: usize = f.get("--seeds").map(|v| num("--seeds", v, "an integer")).transpose()?.unwrap_or(1);
    let plan = generations::plan(&base, &fresh, &samplers, extra, seeds).map_err(|e| {
        let field = if e.field == "gen-sampler" { "sampler" } else { e.field.as_str() };
        CliError::Usage(format!("--{field}: {}", e.message))
    })?;
    // --steps names the loop's samplers only (--sampler, or a further axis of them).
    let mut sampled: Vec<crate::sample::SamplerKind> = samplers.iter().filter_map(|x| crate::sample::SamplerKind::parse(x)).collect();
    sampled.extend(axis_samplers(&vary_axes(&f)?, &["gen-sampler", "sampler"]));
    note_unsampled_steps(&f, &sampled, "--sampler");
    let jobs = jobs_of(&f)?;
    // Chains another generations file already made (the same spec and seed: the same chain,
    // as a study's --reuse), taken instead of run again, and written to --out at once. Read
    // before --out is made: a --reuse that cannot be read leaves no new folder behind.
    let reusable = read_reuse_files(&f, |text| {
        let other: generations::GenerationsResult = serde_json::from_str(text).map_err(|e| format!("not a generations result of this lab ({e})"))?;
        Ok(generations::resumable(&plan, &other)?.kept)
    })?;
    let out = f.get("--out");
    let mut records = Vec::new();
    if f.has("--restart") && out.is_none() {
        return Err(CliError::Usage("--restart: starts the --out folder afresh; without --out there is nothing to restart (drop --restart)".into()));
    }
    // Held to the end of the command: a second generations run on this folder is refused.
    let mut _lock = None;
    if let Some(dir) = out {
        if !f.has("--print-plan") {
            check_out_dir("--out", dir, &["generations.json".into(), "generations.csv".into()])?;
            _lock = Some(lock_output("--out", std::path::Path::new(dir), true)?);
        }
        records = resume_generations(&plan, dir, f.has("--restart"))?;
    }
    let from_file = !records.is_empty();
    let from_out = records.len();
    let reused = add_reused(&mut records, reusable, ("chain(s)", "chains of this run"));
    // Nothing is run or written: each planned chain, and where it already is.
    if f.has("--print-plan") {
        print_plan_of(&plan, &records, records.len() - reused);
        return Ok(());
    }
    let quiet = f.has("--quiet");
    let backend = backend_of(&f)?;
    if let Some(dir) = out {
        check_resumed_engine(dir, &records[..from_out], &backend, "chains")?;
    }
    // Every check has passed (a refused command writes nothing): a resumed file holds this plan
    // from the start (as a study's): with more seeds or values it says so before its first new
    // chain ends. A new one is written at its first chain.
    let save = |g: &generations::GenerationsResult| -> Result<(), CliError> {
        let dir = out.expect("with --out");
        write_file(dir, "generations.json", &serde_json::to_string(g).unwrap())?;
        write_file(dir, "generations.csv", &generations::to_csv(g))
    };
    let run_one = |run: &study::PlannedRun, backend: experiment::Backend| -> study::RunRecord {
        let label = format!("a={} {} seed={}", run.settings["fresh"], run.settings["gen-sampler"], run.spec.seed);
        let mut last = String::new();
        let mut on_event = |e: generations::ChainEvent| {
            if quiet {
                return ControlFlow::Continue(());
            }
            match e {
                generations::ChainEvent::Run(Event::Note(n)) => eprintln!("[{label}] note: {n}"),
                generations::ChainEvent::Generation(c) => {
                    if let Some(g) = c.generations.last() {
                        let line = format!("[{label}] generation {:>3}: D = {:.4}  KL = {:.4}  ({:.0} s)", g.generation, g.chi2, g.kl, c.seconds);
                        if line != last {
                            eprintln!("{line}");
                            last = line;
                        }
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        };
        match block_on(generations::run_chain(&run.spec, backend, &mut on_event)) {
            Ok(c) => generations::record(run, Ok(&c)),
            Err(e) => generations::record(run, Err(e.to_string())),
        }
    };
    let progress = |done: &study::batch::Finished| {
        let rec = done.record;
        let status = rec.error.clone().map(|e| format!("STOPPED: {e}")).unwrap_or_else(|| "done".into());
        eprintln!(
            "[{}/{}] a={} {} seed={}: {status} ({:.0} s)",
            done.done, done.todo, rec.settings["fresh"], rec.settings["gen-sampler"], rec.seed, done.elapsed_s
        );
    };
    let work = |runs: &[&study::PlannedRun], backend: experiment::Backend, out: &mut dyn FnMut(study::RunRecord)| {
        for run in runs {
            out(run_one(run, backend.clone()));
        }
    };
    batch::BatchEnd {
        plan: &plan,
        aggregate: &generations::aggregate,
        save: out.map(|_| &save as &(dyn Fn(&generations::GenerationsResult) -> Result<(), CliError> + Sync)),
        save_first: from_file || reused > 0,
        progress: (!quiet).then_some(&progress as &(dyn Fn(&study::batch::Finished) + Sync)),
        summarize: (!quiet).then_some(&summarize_generations as &(dyn Fn(&generations::GenerationsResult) + Sync)),
        failed: &|g: &generations::GenerationsResult| (g.failed.len(), g.runs.len()),
        failed_words: ("chains", "stopped early"),
    }
    .run(records, jobs, backend, &study::batch::Work::each(&work))
}

/// `generations --out DIR` where DIR already holds generations.json: its finished chains that
/// this run still plans are kept (resume); a file that is not ours, or finished chains this run
/// would overwrite, are refused unless `--restart` (for our own file only).
pub(super) fn resume_generations(plan: &crate::study::Plan, dir: &str, restart: bool) -> Result<Vec<crate::study::RunRecord>, CliError> {
    let path = std::path::Path::new(dir).join("generations.json");
    // Read only a regular file (a FIFO there would block the read forever).
    check_output_kind("--out", &path)?;
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Vec::new()) };
    let not_ours = |why: String| {
        CliError::Usage(format!(
            "--out {dir}: {} is not a generations result of this lab ({why}); it is not overwritten: remove it or choose another folder",
            path.display()
        ))
    };
    let earlier: crate::generations::GenerationsResult = serde_json::from_str(&text).map_err(|e| not_ours(e.to_string()))?;
    if restart {
        return Ok(Vec::new());
    }
    let resumed = crate::generations::resumable(plan, &earlier).map_err(not_ours)?;
    if let Some(r) = resumed.dropped.first() {
        let what: Vec<String> = r.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return Err(CliError::Usage(format!(
            "--out {dir}: holds {} finished chain(s) this run does not plan (e.g. {} seed={}), which it would overwrite; \
             give --restart to start afresh, or choose another --out",
            resumed.dropped.len(),
            what.join(" "),
            r.seed
        )));
    }
    eprintln!("resuming {}: {} of {} chains already done", path.display(), resumed.kept.len(), plan.runs.len());
    Ok(resumed.kept)
}

/// D_N and its geometric account at a few N, mean ± std over seeds, per (a, sampler).
pub(super) fn summarize_generations(g: &crate::generations::GenerationsResult) {
    let n = g.base.recursion.as_ref().map(|r| r.generations).unwrap_or(0);
    let shown: Vec<usize> = [0, 1, 2, 5, 10, 20, 50, 100].into_iter().filter(|&i| i < n).chain([n]).collect();
    eprintln!("D_N = chi^2(p_hat_N || p_data), mean ± std over {} seed(s); [geometric account]", g.seeds);
    for c in &g.cells {
        let what: Vec<String> = c.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let f = |k: String| {
            c.metrics.get(&k).map(|m| match (m.mean, m.std) {
                (Some(a), Some(s)) => format!("{a:.3}±{s:.3}"),
                (Some(a), None) => format!("{a:.3}"),
                _ => "-".into(),
            })
        };
        let figs: Vec<String> =
            shown.iter().filter_map(|&i| Some(format!("N={i}: {} [{}]", f(format!("chi2@{i}"))?, f(format!("geometric@{i}")).unwrap_or_default()))).collect();
        eprintln!("  {}: {}", what.join(" "), figs.join("  "));
    }
    for f in crate::generations::findings(g) {
        eprintln!("finding: {f}");
    }
}
