//! `collapse-lab run`: one experiment (or a saved run sampled again), its JSON, files and table.

use super::{
    CliError, ControlFlow, Event, Points, backend_of, block_on, check_out_dir, check_out_file, emit, experiment, lock_output, note_unsampled_steps, overrides,
    read_limited, run_flags, same_file, set_threads, spec_from_flags, spec_usage, write_atomic, write_file,
};

pub(super) fn cmd_run(args: &[String]) -> Result<(), CliError> {
    let f = run_flags(args, &["--save-run", "--load-run", "--save-figures"], &["--print-spec"])?;
    let opened =
        match f.get("--load-run") {
            Some(path) => {
                if let Some((flag, _)) = f.pairs.iter().find(|(n, _)| {
                    (overrides::setting(&n[2..]).is_some() && n != "--eps") || ["--spec", "--preset", "--size", "--data-csv"].contains(&n.as_str())
                }) {
                    return Err(CliError::Usage(format!(
                        "{flag}: --load-run takes its spec from the saved run (its data too; only --eps, TID's radii, may be measured anew); drop {flag}"
                    )));
                }
                if f.given("--engine") {
                    return Err(CliError::Usage("--engine: a saved run's nets are sampled on the CPU engine (no training); drop --engine".into()));
                }
                let text =
                    read_limited(path, experiment::saved::MAX_BYTES as u64, "a saved run").map_err(|e| CliError::Usage(format!("--load-run {path}: {e}")))?;
                let opened = experiment::saved::open(&text).map_err(|e| CliError::Usage(format!("--load-run {path}: {e}")))?;
                if let Some(note) = &opened.note
                    && !f.has("--quiet")
                {
                    eprintln!("note: --load-run {path}: {note}");
                }
                Some(opened)
            }
            None => None,
        };
    // --load-run with --eps: the saved nets measured at other radii (Opened::remeasure).
    let remeasure = match (&opened, f.get("--eps")) {
        (Some(o), Some(list)) => {
            let mut spec = o.spec.clone();
            overrides::apply(&mut spec, "eps", list).map_err(|e| spec_usage(&e))?;
            spec.validate().map_err(|e| spec_usage(&e))?;
            Some(spec.metrics.eps)
        }
        _ => None,
    };
    let spec = match &opened {
        Some(o) => o.spec.clone(),
        None => {
            let spec = spec_from_flags(&f)?;
            note_unsampled_steps(&f, &spec.sampling.samplers, "--samplers");
            spec
        }
    };
    set_threads(&f)?;
    if f.has("--print-spec") {
        emit(&serde_json::to_string_pretty(&spec).unwrap());
        return Ok(());
    }
    spec.check_data().map_err(|e| spec_usage(&e))?;
    spec.check_single_run().map_err(|e| spec_usage(&e))?;
    let quiet = f.has("--quiet");
    let mut last_print = -1.0f64;
    let mut on_event = |e: Event| {
        if quiet {
            return ControlFlow::Continue(());
        }
        match e {
            Event::Phase(p) => eprintln!("[{p}]"),
            Event::Note(n) => eprintln!("note: {n}"),
            Event::Training(p) => {
                if p.elapsed_s - last_print >= 1.0 || p.iter == p.total {
                    last_print = p.elapsed_s;
                    let rate = p.iter as f64 / p.elapsed_s.max(1e-9);
                    let eta = (p.total - p.iter) as f64 / rate.max(1e-9);
                    eprintln!("  iter {:>7}/{}  loss {:.4}  {:.0} it/s  ETA {:.0}s", p.iter, p.total, p.loss, rate, eta);
                }
            }
        }
        ControlFlow::Continue(())
    };
    // Output folders are made and checked now, not after the run, with the files written there.
    let samplers: Vec<&str> = spec.sampling.samplers.iter().map(|k| k.name()).collect();
    if let Some(dir) = f.get("--samples-out") {
        let names: Vec<String> = samplers.iter().copied().chain(["train"]).map(|n| format!("{n}.csv")).collect();
        check_out_dir("--samples-out", dir, &names)?;
    }
    if let Some(dir) = f.get("--record-out") {
        let mut names = vec!["recording.json".to_string(), "truth.marginals.csv".to_string()];
        names.extend(samplers.iter().flat_map(|n| [format!("{n}.marginals.csv"), format!("{n}.trajectories.csv")]));
        check_out_dir("--record-out", dir, &names)?;
    }
    // One file named by both (`--save-run X --save-figures X`): the second write would replace
    // the first's file.
    if let (Some(run), Some(figures)) = (f.get("--save-run"), f.get("--save-figures"))
        && same_file(run, figures)
    {
        return Err(CliError::Usage(format!(
            "--save-figures {figures}: is the --save-run file too ({run}); the figures would replace the saved run: give each its own file"
        )));
    }
    if let Some(path) = f.get("--save-run") {
        if spec.sampling.exact_score {
            return Err(CliError::Usage("--save-run: the exact score has no trained net to save; its link reproduces it".into()));
        }
        check_out_file("--save-run", path)?;
    }
    if let Some(path) = f.get("--save-figures") {
        check_out_file("--save-figures", path)?;
    }
    // Held to the end of the command: a second run saving to this file is refused while it runs.
    let _lock = f.get("--save-run").map(|p| lock_output("--save-run", std::path::Path::new(p), false)).transpose()?;
    let _figures_lock = f.get("--save-figures").map(|p| lock_output("--save-figures", std::path::Path::new(p), false)).transpose()?;
    let result = match opened {
        Some(o) => block_on(async {
            match remeasure {
                Some(eps) => o.remeasure(eps, &mut on_event).await,
                None => o.reopen(&mut on_event).await,
            }
        })
        .map_err(|e| match e {
            experiment::reopen::ReopenError::Run(e) => CliError::Failed(e.to_string()),
            experiment::reopen::ReopenError::Differs(e) => CliError::Failed(format!("--load-run: {e}")),
        })?,
        None => block_on(experiment::run_with(&spec, backend_of(&f)?, None, &mut on_event)).map_err(|e| CliError::Failed(e.to_string()))?,
    };
    // The JSON first: if writing a file fails after all, the result is not lost.
    emit(&serde_json::to_string_pretty(&result).unwrap());
    if let Some(path) = f.get("--save-run") {
        let text = experiment::saved::save(&result).map_err(|e| CliError::Failed(format!("--save-run: {e}")))?;
        write_atomic(std::path::Path::new(path), text.as_bytes()).map_err(|e| CliError::Failed(format!("--save-run {path}: {e}")))?;
    }
    if let Some(path) = f.get("--save-figures") {
        let figures = experiment::figures::of(&result).map_err(|e| CliError::Failed(format!("--save-figures: {e}")))?;
        let text = serde_json::to_string(&figures).map_err(|e| CliError::Failed(format!("--save-figures: {e}")))?;
        write_atomic(std::path::Path::new(path), text.as_bytes()).map_err(|e| CliError::Failed(format!("--save-figures {path}: {e}")))?;
    }
    if let Some(dir) = f.get("--samples-out") {
        let mut files: Vec<(String, &Points)> = result.samples.iter().map(|(k, v)| (k.clone(), v)).collect();
        if let Some(r) = &result.reference {
            files.push(("train".into(), r));
        }
        for (name, p) in files {
            write_file(dir, &format!("{name}.csv"), &p.to_csv())?;
        }
    }
    if let Some(dir) = f.get("--record-out") {
        write_recordings(dir, &result)?;
    }
    if !quiet {
        summarize(&result);
    }
    Ok(())
}

/// Marginals and trajectories of every sampler, and the true noised data's marginals.
pub(super) fn write_recordings(dir: &str, r: &experiment::ExperimentResult) -> Result<(), CliError> {
    let json = serde_json::json!({"truth": r.truth, "samplers": r.recordings});
    write_file(dir, "recording.json", &serde_json::to_string(&json).unwrap())?;
    if let Some(t) = &r.truth {
        write_file(dir, "truth.marginals.csv", &t.marginals_csv())?;
    }
    for (name, rec) in &r.recordings {
        write_file(dir, &format!("{name}.marginals.csv"), &rec.marginals_csv())?;
        write_file(dir, &format!("{name}.trajectories.csv"), &rec.trajectories_csv())?;
    }
    Ok(())
}

/// A short human-readable table on stderr, next to the JSON on stdout.
pub(super) fn summarize(r: &experiment::ExperimentResult) {
    let fmt = |v: Option<f64>| v.map(|x| format!("{x:+.3}")).unwrap_or_else(|| "undef".into());
    eprintln!("TID(e) = alpha(train) - alpha(samples); > 0 means more locally concentrated than the data");
    let mut header = format!("{:>8}", "e");
    for name in r.tid.keys() {
        header += &format!(" {name:>16}");
    }
    eprintln!("{header} {:>16}", "data vs data");
    for (i, e) in r.spec.metrics.eps.iter().enumerate() {
        let mut line = format!("{e:>8}");
        let cell =
            |t: &crate::metrics::reference::TidEntry| format!("{} ±{}", fmt(t.point.tid), t.tid_std.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".into()));
        for v in r.tid.values() {
            line += &format!(" {:>16}", cell(&v[i]));
        }
        line += &format!(" {:>16}", cell(&r.tid_null[i]));
        eprintln!("{line}");
    }
    if r.checkpoints.is_empty() {
        return;
    }
    // Along training: TID at the radius nearest 0.02 (the findings' radius) per checkpoint.
    let eps = &r.spec.metrics.eps;
    let i = (0..eps.len()).min_by(|&a, &b| (eps[a].ln() - 0.02f64.ln()).abs().total_cmp(&(eps[b].ln() - 0.02f64.ln()).abs())).unwrap_or(0);
    eprintln!("Along training (checkpoints): TID({}) per sampler", eps[i]);
    let mut header = format!("{:>8} {:>10}", "iter", "loss");
    for name in r.tid.keys() {
        header += &format!(" {name:>16}");
    }
    eprintln!("{header}");
    let final_loss = r.training.as_ref().and_then(|t| t.losses.last().map(|l| l.1));
    let rows = r.checkpoints.iter().map(|c| (c.iter, c.loss, &c.tid)).chain([(r.spec.training.iters, final_loss, &r.tid)]);
    for (iter, loss, tid) in rows {
        let mut line = format!("{iter:>8} {:>10}", loss.map(|l| format!("{l:.4}")).unwrap_or_else(|| "-".into()));
        for name in r.tid.keys() {
            let t = tid.get(name).and_then(|v| v.get(i));
            line += &format!(
                " {:>16}",
                t.map(|t| format!("{} ±{}", fmt(t.point.tid), t.tid_std.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".into())))
                    .unwrap_or_else(|| "-".into())
            );
        }
        eprintln!("{line}");
    }
}
