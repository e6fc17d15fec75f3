//! The native command line: `collapse-lab [run] [flags]`, `collapse-lab tid`, `collapse-lab bench`;
//! one file per command (run.rs, study.rs, generations.rs, tid.rs, gallery.rs, hermite.rs,
//! torch_script.rs), the flags, the shared checks and the file writing here.
//! Progress goes to stderr, one JSON object to stdout. Usage errors exit 2, failures exit 1.

/// `print!` for the commands' output: it ends the program quietly (exit 0) when stdout is
/// closed, as in `collapse-lab gallery | head -1`, and with an error (exit 1) on any other
/// failed write, a full disk say ([`crate::output::stdout_failed`]).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        if let Err(e) = write!(o, $($t)*).and_then(|_| o.flush()) {
            $crate::output::stdout_failed(e);
        }
    }};
}

/// `println!` likewise.
macro_rules! outln {
    () => { out!("\n") };
    ($($t:tt)*) => { out!("{}\n", format_args!($($t)*)) };
}

mod batch;
mod generations;
mod gallery;
mod hermite;
mod run;
mod study;
mod tid;
mod torch_script;
mod verdicts;

use generations::cmd_generations;
use gallery::cmd_gallery;
use hermite::cmd_hermite;
use run::cmd_run;
use study::cmd_study;
use tid::cmd_tid;
use torch_script::cmd_torch_script;
use verdicts::cmd_verdicts;

use crate::engine::block_on;
use crate::experiment::{self, Event};
use crate::spec::{overrides, ExperimentSpec};
use crate::metrics;
use crate::points::Points;
use std::ops::ControlFlow;

const USAGE: &str = "\
collapse-lab: train diffusion score nets on synthetic data and measure collapse errors (TID)

USAGE
  collapse-lab [run] [FLAGS]      run one experiment (defaults: the paper's chessboard setting)
  collapse-lab tid --train A.csv --samples B.csv [--eps E1,E2,..] [--k K] [--seed S] [--survival-eps E]
  collapse-lab bench [--steps N] [--tid-n N] [--threads T]
  collapse-lab study [RUN FLAGS] --vary NAME=v1,v2,.. [--vary ..] [--seeds K] [--jobs J] [--out FILE]
  collapse-lab study [RUN FLAGS] --vary .. --slurm DIR [--slurm-opts \"OPTS\"] [--submit]
  collapse-lab study --collect DIR [--out FILE] [--restart]
  collapse-lab generations [RUN FLAGS] [--fresh A1,A2,..] [--sampler S1,..] [--generations N]
                          [--gen-size M] [--warm-start] [--seeds K] [--jobs J] [--out DIR]
                          [--restart]
  collapse-lab hermite [--mu M] [--max-degree P] [--nodes N]
  collapse-lab verdicts [--runs DIR] [--json]  what reproduces: a verdict per claim of both
                          papers, computed from the shipped runs (default www/runs)
  collapse-lab gallery [--size quick|paper]   the page's gallery: each figure's command line
  collapse-lab gallery --shipped              the presets whose paper run ships with the page
  collapse-lab gallery --command ID [--size S]  one preset's command (paper size by default)
  collapse-lab torch-script [RUN FLAGS] [--out FILE.py]   the run as a self-contained PyTorch
                          script (data, net, training, samplers, TID) to check the lab outside it
  collapse-lab help

RUN FLAGS (each overrides --spec)
  --spec FILE.json        experiment spec (see README); flags below override its fields
  --preset ID [--size S]  start from a run preset of the gallery (size quick, the default, or
                          paper); flags below override it
  --data-csv FILE         train on the rows of a CSV file (one point per row): the csv data
                          set, named in the spec by the file's fingerprint, rows and dimension
";

/// The help after the settings of the table (run-only flags and the other commands).
const USAGE_TAIL: &str = "  --samples-out DIR       write DIR/<sampler>.csv and DIR/train.csv
  --record-out DIR        write DIR/recording.json, DIR/<sampler>.marginals.csv (also truth),
                          DIR/<sampler>.trajectories.csv
  --threads T             worker threads (default: all cores)
  --engine E              cpu (default), gpu: the WGSL engine through Vulkan (falls back to cpu
                          with a note where there is no adapter), or auto: time a few steps on
                          both and train on the faster (both timings in the result's
                          engine_choice)
  --save-run FILE         also write FILE: the spec, the trained parameters and the results
                          (opens in the page with Open run, or with --load-run)
  --load-run FILE         sample and measure a saved run's nets again (no training), check
                          that this gives the file's figures, and print the result; with
                          --eps, TID at those radii (checked at the radii both have; with
                          --save-run, the file again with the new radii)
  --save-figures FILE     also write FILE: the samples and recordings the page draws, with
                          the result (no nets); the gallery ships one beside each saved run
                          so its link shows the figures at once
  --print-spec            print the resolved spec as JSON and exit
  --quiet                 no progress on stderr
  (booleans also take =true / =false: --diagnostics=false)

STUDY FLAGS (besides every run flag, which sets the base experiment)
  --vary NAME=v1,v2,...   an axis: any run setting and its values (several --vary form a grid);
                          values holding commas are separated by ';' (--vary eps=0.01,0.1;0.05)
  --seeds K               runs per cell, seeds base..base+K-1 (default 3)
  --jobs J                runs at a time (default: one per core)
  --out FILE              write the study JSON here after every run; given an existing study
                          file, runs it already holds are skipped (resume), matched by their
                          spec and seed whatever the order of the axes; a file holding finished
                          runs this study does not plan is refused
  --restart               with --out: start that study file afresh (its runs are discarded)
  --reuse FILE            take the finished runs of another study file that are runs of this
                          study (the same spec and seed: the same run, or one that sampled
                          more samplers, narrowed to this study's), instead of training
                          them again; repeatable (the split study's quick plain runs are the
                          see-saw's)
  --print-plan            run and write nothing: print every planned run (index, cell, seed,
                          settings, spec) as JSON, with where it already is (\"done\": \"out\"
                          for --out, \"reuse\" for a --reuse file, null: still to run)
  --slurm DIR             do not run: write DIR/plan.json, DIR/runs/I.json (one spec per run)
                          and DIR/study.sbatch, a job array whose task I runs
                          `collapse-lab run --spec DIR/runs/I.json > DIR/results/I.json`;
                          prints the sbatch command for the runs without a result
  --slurm-opts \"OPTS\"     #SBATCH options, e.g. \"--partition=gpu --gres=gpu:1 --time=2:00:00\"
  --engine E              with --slurm: the tasks' engine (default auto)
  --submit                with --slurm: run that sbatch command (errors from sbatch reported)
  --collect DIR           read DIR/results, aggregate exactly as a local study, list missing
                          and failed runs (exit 1 if any, with the resubmit command); a
                          result that is not its planned run's is moved to I.json.rejected
                          and redone on a resubmission; with --out FILE, FILE must be absent
                          or a study of this plan (another study: --restart)

GENERATIONS FLAGS (recursive training, SPEC 10; besides every run flag, which sets each net)
  --fresh LIST            fresh-data fractions a, one chain each (default 0.1,0.5,0.9)
  --sampler LIST          the sampler(s) drawing each generation's samples (default sde)
  --generations N         generations after generation 0 (default 20; at most 100)
  --gen-size M            training-set size of every generation = samples drawn per
                          generation (default 10000)
  --warm-start            generation i+1 starts from generation i's weights (default: afresh)
  --hist-bins B           bins per axis of the chi^2/KL histogram (default 20)
  --hist-floor F          data bins with less mass are merged into one rest bin; every
                          denominator is at least F (default 0.001)
  --shown S               samples per generation kept in the JSON for plots (default 500)
  --seeds K               chains per (a, sampler), seeds base..base+K-1 (default 1)
  --jobs J                chains at a time (default: one per core, at most the chains)
  --vary NAME=v1,..       further axes, as in a study
  --out DIR               write DIR/generations.json (after every chain) and
                          DIR/generations.csv (one row per chain and generation); run again,
                          it resumes: finished chains still planned are kept, and chains of
                          other settings are refused
  --restart               with --out: start that folder's generations afresh
  --reuse FILE            take the finished chains of another generations.json that are
                          chains of this run (the same spec and seed) instead of running them
                          again; repeatable (the ODE-vs-SDE figure's SDE chains are Fig. 1's)
  --print-plan            run and write nothing: print every planned chain as JSON, as a
                          study's --print-plan does

HERMITE FLAGS (the see-saw of appendix G.3, Prop. 1)
  --mu M                  mixture mean (default 1)
  --max-degree P          largest Hermite degree (default 15)
  --nodes N               Gauss-Hermite nodes (default 150, at most 150)

EXIT CODES (every command)
  0                       done (a closed stdout, as in `| head`, counts as done)
  2                       refused before any work: a flag, value, file or output path, named
                          in one `error:` line; a flag given twice (only --vary and
                          --reuse repeat)
  1                       failed during the work: a diverged run, a study or generations run
                          with failed or missing runs, a write after the run (the JSON is
                          printed first); files are written whole or not at all
";

enum CliError {
    Usage(String),
    Failed(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(m) | CliError::Failed(m) => f.write_str(m),
        }
    }
}

/// `collapse-lab CMD --help`: that command's usage lines and flags, cut from the one help text
/// (whose run flags come from the settings table), so it cannot go stale.
fn command_help(cmd: &str) -> String {
    let full = format!("{USAGE}{}{USAGE_TAIL}", overrides::help_lines());
    let usage: Vec<&str> = full
        .lines()
        .skip_while(|l| *l != "USAGE")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect();
    // A usage entry is its line and the indented lines that continue it.
    let mut mine = Vec::new();
    let mut on = false;
    for l in usage {
        if let Some(rest) = l.trim_start().strip_prefix("collapse-lab ") {
            on = rest.starts_with(cmd) || (cmd == "run" && rest.starts_with('['));
        }
        if on {
            mine.push(l);
        }
    }
    let section = |title: &str| -> String {
        let mut out = String::new();
        let mut on = false;
        for l in full.lines() {
            if !l.starts_with(' ') && !l.is_empty() {
                on = l.starts_with(title);
            }
            if on {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    };
    let flags = match cmd {
        "run" => section("RUN FLAGS"),
        "study" => section("STUDY FLAGS") + "\n  (every run flag sets the base experiment: collapse-lab run --help)\n",
        "generations" => section("GENERATIONS FLAGS") + "\n  (every run flag sets each generation's net: collapse-lab run --help)\n",
        "hermite" => section("HERMITE FLAGS"),
        "torch-script" => "  (every run flag sets the experiment: collapse-lab run --help)\n".into(),
        _ => String::new(),
    };
    format!("USAGE\n{}\n{}", mine.join("\n") + "\n", flags)
}

pub fn main(args: Vec<String>) -> i32 {
    let cmd = args.first().map(String::as_str).filter(|c| !c.starts_with('-')).unwrap_or("run");
    if cmd != "bench" && cmd != "help" && args.iter().skip(usize::from(args.first().is_some_and(|c| !c.starts_with('-')))).any(|a| a == "--help" || a == "-h") {
        out!("{}", command_help(cmd));
        return 0;
    }
    let result = match args.first().map(String::as_str) {
        Some("help") | Some("--help") | Some("-h") => {
            out!("{USAGE}{}{USAGE_TAIL}", overrides::help_lines());
            Ok(())
        }
        Some("tid") => cmd_tid(&args[1..]),
        Some("bench") => crate::bench::main(&args[1..]).map_err(CliError::Usage),
        Some("run") => cmd_run(&args[1..]),
        Some("study") => cmd_study(&args[1..]),
        Some("generations") => cmd_generations(&args[1..]),
        Some("hermite") => cmd_hermite(&args[1..]),
        Some("gallery") => cmd_gallery(&args[1..]),
        Some("torch-script") => cmd_torch_script(&args[1..]),
        Some("verdicts") => cmd_verdicts(&args[1..]),
        Some(other) if !other.starts_with("--") => Err(CliError::Usage(format!(
            "unknown command {other:?}; use run, study, generations, tid, hermite, gallery, verdicts, torch-script, bench or help"
        ))),
        _ => cmd_run(&args),
    };
    match result {
        Ok(()) => 0,
        Err(CliError::Usage(m)) => {
            eprintln!("error: {m}");
            eprintln!("(collapse-lab help lists the flags)");
            2
        }
        Err(CliError::Failed(m)) => {
            eprintln!("error: {m}");
            1
        }
    }
}

/// `--reuse FILE` (repeatable, study and generations): the finished runs `kept` finds in each
/// file for this plan (the same spec and seed: the same run, bit for bit on the engine its
/// record names) join `records` where not there yet, instead of running again. `what` names
/// them in the message ("run(s)", "runs of this study"). Returns how many were taken.
fn reuse_files(
    f: &Flags,
    records: &mut Vec<crate::study::RunRecord>,
    what: (&str, &str),
    kept: impl Fn(&str) -> Result<Vec<crate::study::RunRecord>, String>,
) -> Result<usize, CliError> {
    let mut reused = 0;
    for (_, file) in f.pairs.iter().filter(|(n, _)| n == "--reuse") {
        let file = file.as_deref().unwrap_or("");
        let text = std::fs::read_to_string(file).map_err(|e| CliError::Usage(format!("--reuse {file}: {e}")))?;
        let mut n = 0;
        for mut r in kept(&text).map_err(|e| CliError::Usage(format!("--reuse {file}: {e}")))? {
            if !records.iter().any(|k| k.index == r.index) {
                reused_from(&mut r, file);
                records.push(r);
                n += 1;
            }
        }
        eprintln!("reusing {n} finished {} of {file}: the same spec and seed as {}", what.0, what.1);
        reused += n;
    }
    Ok(reused)
}

/// A run taken from `file`: its notes of shared training name runs of that file, not of this
/// study (whose run of the same index may be another run).
fn reused_from(r: &mut crate::study::RunRecord, file: &str) {
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
fn print_plan_of(plan: &crate::study::Plan, records: &[crate::study::RunRecord], resumed: usize) {
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

/// The flags that may be given more than once.
const REPEATABLE: &[&str] = &["--vary", "--reuse"];

/// Flag/value pairs; boolean flags get no value.
#[derive(Clone)]
struct Flags {
    pairs: Vec<(String, Option<String>)>,
}

impl Flags {
    fn parse(args: &[String], booleans: &[&str], known: &[&str]) -> Result<Flags, CliError> {
        let mut pairs = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (a.clone(), None),
            };
            if !name.starts_with("--") {
                return Err(CliError::Usage(format!("unexpected argument {a:?}")));
            }
            // A flag given twice would silently keep one of its values; only --vary and --reuse
            // repeat (each occurrence is one more axis, one more file).
            if !REPEATABLE.contains(&name.as_str()) && pairs.iter().any(|(n, _): &(String, Option<String>)| *n == name) {
                return Err(CliError::Usage(format!("{name} is given twice; give it once")));
            }
            if booleans.contains(&name.as_str()) {
                // `--flag` alone means true; `--flag=VALUE` is checked by the setting's parser.
                pairs.push((name, inline));
                continue;
            }
            if !known.contains(&name.as_str()) {
                return Err(CliError::Usage(format!("unknown flag {name}")));
            }
            let value = match inline {
                Some(v) => v,
                None => it.next().cloned().ok_or_else(|| CliError::Usage(format!("{name} needs a value")))?,
            };
            pairs.push((name, Some(value)));
        }
        Ok(Flags { pairs })
    }

    /// A CLI-only boolean (`--quiet`, `--print-spec`): present and not `=false`.
    fn has(&self, name: &str) -> bool {
        self.pairs.iter().rev().find(|(n, _)| n == name).is_some_and(|(_, v)| v.as_deref() != Some("false"))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }
}


fn num<T: std::str::FromStr>(flag: &str, v: &str, what: &str) -> Result<T, CliError> {
    v.trim().parse::<T>().map_err(|_| CliError::Usage(format!("{flag}: expected {what}, got {v:?}")))
}

/// Largest spec file read (a spec is a few KB; this refuses /dev/zero and the like at once).
const SPEC_MAX_BYTES: u64 = 1 << 20;

/// A text file of at most `limit` bytes.
fn read_limited(path: &str, limit: u64, what: &str) -> Result<String, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {} KiB: not {what}", limit / 1024));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// Run flags are the spec overrides (`--width` sets `width`) plus these.
const RUN_ONLY_FLAGS: &[&str] = &["--spec", "--preset", "--size", "--data-csv", "--samples-out", "--record-out", "--threads", "--engine"];

fn spec_from_flags(f: &Flags) -> Result<ExperimentSpec, CliError> {
    let mut s = match (f.get("--spec"), f.get("--preset")) {
        (Some(_), Some(_)) => {
            return Err(CliError::Usage("--preset: the preset gives the spec; drop --spec (flags still override it)".into()))
        }
        (None, Some(id)) => preset_spec(id, f.get("--size"))?,
        (_, None) if f.get("--size").is_some() => {
            return Err(CliError::Usage("--size: picks the size of a --preset; give --preset ID".into()))
        }
        (Some(path), None) => {
            let text = read_limited(path, SPEC_MAX_BYTES, "a spec file").map_err(|e| CliError::Usage(format!("--spec {path}: {e}")))?;
            crate::spec::parse_object::<ExperimentSpec>(&text, "a spec").map_err(|e| CliError::Usage(format!("--spec {path}: {e}")))?
        }
        (None, None) => ExperimentSpec::default(),
    };
    for (name, value) in &f.pairs {
        let key = &name[2..];
        if overrides::setting(key).is_some() {
            overrides::apply(&mut s, key, value.as_deref().unwrap_or(""))
                .map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
        }
    }
    if let Some(path) = f.get("--data-csv") {
        if let Some(d) = f.get("--dataset").filter(|d| d.trim() != "csv") {
            return Err(CliError::Usage(format!("--data-csv: trains on the file's rows, but --dataset is {d}; drop --dataset")));
        }
        attach_csv(&mut s, path)?;
    }
    let given: Vec<&str> = f.pairs.iter().map(|(n, _)| &n[2..]).collect();
    overrides::check_given(&s, &given).map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
    // A study's base may lack what its axes give every run (`--dataset painted --vary
    // painted=...`): study::plan checks each run's spec whole, so the base is not held to it.
    let varied: Vec<&str> = f.pairs.iter().filter(|(n, _)| n == "--vary").filter_map(|(_, v)| v.as_deref()?.split_once('=')).map(|(n, _)| n.trim()).collect();
    match s.validate() {
        Err(e) if varied.iter().any(|&a| a == e.field || overrides::name_of(&e.field) == Some(a)) => {}
        other => other.map_err(|e| spec_usage(&e))?,
    }
    Ok(s)
}

/// `--data-csv FILE`: the csv data set of the file's rows. A spec that already names a file
/// (`--csv`, or `csv` in a --spec JSON) takes only that file.
fn attach_csv(s: &mut ExperimentSpec, path: &str) -> Result<(), CliError> {
    use crate::data::{CsvSet, Dataset};
    let (dim, values, _) = crate::points::read_csv_file(path).map_err(|e| CliError::Usage(format!("--data-csv {path}: {e}")))?;
    let read = CsvSet::of_values(dim, &values);
    s.dataset = Dataset::Csv;
    match &mut s.csv {
        Some(named) => {
            let points = read.points.0.map(|p| (*p).clone()).expect("attached");
            named.attach(points).map_err(|e| CliError::Usage(format!("--data-csv {path}: {e}")))?
        }
        None => s.csv = Some(read),
    }
    Ok(())
}

/// A spec field out of range, with the flag that sets it: `model.width (--width): ...`.
fn spec_usage(e: &crate::spec::SpecError) -> CliError {
    let flag = overrides::name_of(&e.field).map(|f| format!(" (--{f})")).unwrap_or_default();
    CliError::Usage(format!("{}{flag}: {}", e.field, e.message))
}

/// The spec of gallery preset `id` at `size` (default quick), for `run --preset` (a run preset
/// only: a study's or generations run's axes are not run flags).
fn preset_spec(id: &str, size: Option<&str>) -> Result<ExperimentSpec, CliError> {
    use crate::spec::presets::{self, Kind, Size};
    let p = presets::preset(id).ok_or_else(|| {
        let ids: Vec<&str> = presets::PRESETS.iter().filter(|p| p.kind == Kind::Run).map(|p| p.id).collect();
        CliError::Usage(format!("--preset: no preset {id:?}; the run presets are {}", ids.join(", ")))
    })?;
    let size = match size {
        None => Size::Quick,
        Some(v) => Size::parse(v).ok_or_else(|| CliError::Usage(format!("--size: expected quick or paper, got {v:?}")))?,
    };
    if p.kind != Kind::Run {
        let cmd = p.command(size).map_err(|e| CliError::Failed(e.to_string()))?;
        return Err(CliError::Usage(format!("--preset {id}: not a single run; its command is: {cmd}")));
    }
    p.spec(size).map_err(|e| CliError::Failed(e.to_string()))
}

/// The `--vary NAME=v1,v2` axes of a study (or of a generations run's further axes).
fn vary_axes(f: &Flags) -> Result<Vec<crate::study::Axis>, CliError> {
    f.pairs
        .iter()
        .filter(|(n, _)| n == "--vary")
        .map(|(_, v)| crate::study::Axis::parse(v.as_deref().unwrap_or("")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))
}

/// `--jobs J`: runs at a time, default one per core.
fn jobs_of(f: &Flags) -> Result<usize, CliError> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let jobs: usize = f.get("--jobs").map(|v| num("--jobs", v, "an integer")).transpose()?.unwrap_or(cores);
    if !(1..=256).contains(&jobs) {
        return Err(CliError::Usage(format!("--jobs: must be in 1..=256, got {jobs}")));
    }
    Ok(jobs)
}

fn set_threads(f: &Flags) -> Result<(), CliError> {
    if let Some(v) = f.get("--threads") {
        let t: usize = num("--threads", v, "an integer")?;
        if !(1..=256).contains(&t) {
            return Err(CliError::Usage(format!("--threads: must be in 1..=256, got {t}")));
        }
        crate::parallel::set_threads(t);
    }
    Ok(())
}

/// Parses run flags plus one command's own: `extra` value flags and `switches` (boolean flags;
/// another command's is refused as unknown, not ignored).
fn run_flags(args: &[String], extra: &[&str], switches: &[&str]) -> Result<Flags, CliError> {
    let known: Vec<String> = overrides::names().iter().map(|n| format!("--{n}")).collect();
    let known: Vec<&str> =
        known.iter().map(String::as_str).chain(RUN_ONLY_FLAGS.iter().copied()).chain(extra.iter().copied()).collect();
    let booleans: Vec<String> =
        overrides::SETTINGS.iter().filter(|x| x.kind == overrides::Kind::Bool).map(|x| format!("--{}", x.name)).collect();
    let booleans: Vec<&str> = booleans.iter().map(String::as_str).chain(["--quiet"]).chain(switches.iter().copied()).collect();
    Flags::parse(args, &booleans, &known)
}

fn backend_of(f: &Flags) -> Result<experiment::Backend, CliError> {
    let engine = f.get("--engine").unwrap_or("cpu");
    if !["cpu", "gpu", "auto"].contains(&engine) {
        return Err(CliError::Usage(format!("--engine: expected cpu, gpu or auto, got {engine:?}")));
    }
    if engine == "cpu" {
        return Ok(experiment::Backend::Cpu);
    }
    Ok(match block_on(crate::engine::gpu::GpuContext::new()) {
        Ok(ctx) => {
            if ctx.software && engine == "gpu" {
                eprintln!(
                    "note: the GPU adapter is {}, a software (CPU) implementation: expect training far slower than the CPU engine",
                    ctx.adapter
                );
            }
            if engine == "auto" { experiment::Backend::Auto(ctx) } else { experiment::Backend::Gpu(ctx) }
        }
        Err(why) => {
            eprintln!("note: {why}; training on the CPU engine");
            experiment::Backend::Cpu
        }
    })
}

/// Checks, before any work and without writing anything that stays, that files can be written
/// in `dir`: in it where it exists (an empty name, a regular file, /proc ... fail here), else in
/// the nearest folder above it that exists (the folder itself is made at the first write).
fn check_out_dir(flag: &str, dir: &str) -> Result<(), CliError> {
    if dir.trim().is_empty() {
        return Err(CliError::Usage(format!("{flag}: needs a folder name")));
    }
    let path = std::path::Path::new(dir);
    if path.exists() && !path.is_dir() {
        return Err(CliError::Usage(format!("{flag} {dir}: cannot create this folder: a file of that name is there")));
    }
    let mut at = path;
    while !at.exists() {
        at = match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => std::path::Path::new("."),
        };
    }
    let what = if at == path { "cannot write here" } else { "cannot create this folder" };
    if !at.is_dir() {
        return Err(CliError::Usage(format!("{flag} {dir}: {what}: {} is not a folder", at.display())));
    }
    let probe = at.join(format!(".collapse-lab-write-check.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| CliError::Usage(format!("{flag} {dir}: {what}: {e}")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// An exclusive hold on an output (a `study --out` file, a `generations --out` folder, a
/// `--save-run` file) for the life of the command: a lock file beside it holding this process's
/// id, removed when the command ends. A second command on the same output is refused (exit 2)
/// while the first runs; a lock left by a process that is gone (killed) is taken over.
struct OutputLock(std::path::PathBuf);

impl Drop for OutputLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// The lock file of `target`: `.NAME.collapse-lab-lock` beside a file, inside a folder.
fn lock_path(target: &std::path::Path, folder: bool) -> std::path::PathBuf {
    if folder {
        return target.join(".collapse-lab-lock");
    }
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    target.with_file_name(format!(".{name}.collapse-lab-lock"))
}

fn lock_output(flag: &str, target: &std::path::Path, folder: bool) -> Result<OutputLock, CliError> {
    use std::io::Write;
    if folder {
        std::fs::create_dir_all(target).map_err(|e| CliError::Usage(format!("{flag} {}: cannot create this folder: {e}", target.display())))?;
    }
    let lock = lock_path(target, folder);
    for _ in 0..3 {
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&lock) {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                clean_stale_temporaries(target, folder);
                return Ok(OutputLock(lock));
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = std::fs::read_to_string(&lock).ok().and_then(|t| t.trim().parse::<u32>().ok());
                let alive = holder.is_some_and(|pid| std::path::Path::new("/proc").join(pid.to_string()).exists());
                if alive {
                    return Err(CliError::Usage(format!(
                        "{flag} {}: another collapse-lab (pid {}) is writing it (lock {}); wait for it to end, or choose another {}",
                        target.display(),
                        holder.unwrap_or(0),
                        lock.display(),
                        if folder { "folder" } else { "file" }
                    )));
                }
                // Stale: its process is gone (killed before it could remove the lock).
                eprintln!("note: {} was left by a process that is gone (pid {}); taking it over", lock.display(), holder.map(|p| p.to_string()).unwrap_or_else(|| "unreadable".into()));
                let _ = std::fs::remove_file(&lock);
            }
            Err(e) => return Err(CliError::Usage(format!("{flag} {}: cannot lock it ({}): {e}", target.display(), lock.display()))),
        }
    }
    Err(CliError::Usage(format!("{flag} {}: could not take its lock {}", target.display(), lock.display())))
}

/// The temporary files a killed writer of this output left (`.NAME.PID.tmp`, [`write_atomic`]'s,
/// beside the file or inside the folder), removed once its lock is held: only the lock's holder
/// writes there, so any such file is a dead writer's (issue 41 #15).
fn clean_stale_temporaries(target: &std::path::Path, folder: bool) {
    let (dir, only) = if folder {
        (target.to_path_buf(), None)
    } else {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")).to_path_buf();
        (dir, target.file_name().map(|n| n.to_string_lossy().into_owned()))
    };
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for e in entries.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        let Some(middle) = f.strip_prefix('.').and_then(|m| m.strip_suffix(".tmp")) else { continue };
        let Some((name, pid)) = middle.rsplit_once('.') else { continue };
        if pid.parse::<u32>().is_ok() && only.as_deref().is_none_or(|o| o == name) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Checks before any work that `path` can be written (its folder exists, it is not a folder).
fn check_out_file(flag: &str, path: &str) -> Result<(), CliError> {
    let p = std::path::Path::new(path);
    if path.trim().is_empty() || p.is_dir() {
        return Err(CliError::Usage(format!("{flag}: needs a file name, got {path:?}")));
    }
    let existed = p.exists();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(p)
        .map_err(|e| CliError::Usage(format!("{flag} {path}: cannot write here: {e}")))?;
    if !existed {
        let _ = std::fs::remove_file(p);
    }
    // The file is written whole through a temporary file beside it, then renamed
    // (write_atomic): that needs the folder writable too, not only the file.
    let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
    let probe = dir.join(format!(".collapse-lab-write-check.{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| {
        CliError::Usage(format!("{flag} {path}: its folder {} takes no new file (making one there failed: {e}); choose a file in a folder you can write", dir.display()))
    })?;
    let _ = std::fs::remove_file(probe);
    Ok(())
}

/// Prints `text` to stdout; a reader that has gone (a closed pipe) is not an error.
fn emit(text: &str) {
    out!("{text}\n");
}

/// Writes `dir/name`, creating `dir` if needed.
fn write_file(dir: &str, name: &str, text: &str) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| CliError::Failed(format!("{dir}: {e}")))?;
    let path = std::path::Path::new(dir).join(name);
    write_atomic(&path, text.as_bytes()).map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))
}

/// Writes a file whole or not at all: into a temporary file in the same folder, flushed to disk,
/// then renamed over `path`. A kill at any moment leaves the old file or the new one, never a
/// cut-short one (`--load-run F --save-run F` keeps F until the new F is complete).
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        kill_hook(&name);
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A test hook for the worst moment of a kill: with `COLLAPSE_LAB_KILL_AT_WRITE=NAME:N` the
/// process aborts at its N-th write of a file named NAME, after the temporary file is complete
/// and before the rename (tests/bad_input.rs kills `--save-run`, `study --out` and
/// `generations --out` there and finds the earlier file whole).
fn kill_hook(name: &str) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static WRITES: AtomicUsize = AtomicUsize::new(0);
    let Ok(v) = std::env::var("COLLAPSE_LAB_KILL_AT_WRITE") else { return };
    let Some((target, n)) = v.rsplit_once(':') else { return };
    if target == name && n.parse::<usize>().is_ok_and(|n| WRITES.fetch_add(1, Ordering::SeqCst) + 1 == n) {
        std::process::abort();
    }
}
