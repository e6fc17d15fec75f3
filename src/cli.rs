//! The native command line: `collapse-lab [run] [flags]`, `collapse-lab tid`, `collapse-lab bench`.
//! Progress goes to stderr, one JSON object to stdout. Usage errors exit 2, failures exit 1.

/// `print!` for the commands' output that ends the program quietly (exit 0) when stdout is
/// closed, as in `collapse-lab gallery | head -1`, instead of panicking on the broken pipe.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        if let Err(e) = write!(o, $($t)*).and_then(|_| o.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
        }
    }};
}

/// `println!` likewise.
macro_rules! outln {
    () => { out!("\n") };
    ($($t:tt)*) => { out!("{}\n", format_args!($($t)*)) };
}

use crate::engine::block_on;
use crate::experiment::{self, overrides, Event, ExperimentSpec};
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
  collapse-lab study --collect DIR [--out FILE]
  collapse-lab generations [RUN FLAGS] [--fresh A1,A2,..] [--sampler S1,..] [--generations N]
                          [--gen-size M] [--warm-start] [--seeds K] [--jobs J] [--out DIR]
  collapse-lab hermite [--mu M] [--max-degree P] [--nodes N]
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
                          that this gives the file's figures, and print the result
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
  --slurm DIR             do not run: write DIR/plan.json, DIR/runs/I.json (one spec per run)
                          and DIR/study.sbatch, a job array whose task I runs
                          `collapse-lab run --spec DIR/runs/I.json > DIR/results/I.json`;
                          prints the sbatch command for the runs without a result
  --slurm-opts \"OPTS\"     #SBATCH options, e.g. \"--partition=gpu --gres=gpu:1 --time=2:00:00\"
  --engine E              with --slurm: the tasks' engine (default auto)
  --submit                with --slurm: run that sbatch command (errors from sbatch reported)
  --collect DIR           read DIR/results, aggregate exactly as a local study, list missing
                          and failed runs (exit 1 if any, with the resubmit command)

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
                          DIR/generations.csv (one row per chain and generation)

HERMITE FLAGS (the see-saw of appendix G.3, Prop. 1)
  --mu M                  mixture mean (default 1)
  --max-degree P          largest Hermite degree (default 15)
  --nodes N               Gauss-Hermite nodes (default 150, at most 150)
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
        Some(other) if !other.starts_with("--") => Err(CliError::Usage(format!(
            "unknown command {other:?}; use run, study, generations, tid, hermite, gallery, torch-script, bench or help"
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
            // A flag given twice would silently keep one of its values; only --vary repeats.
            if name != "--vary" && pairs.iter().any(|(n, _): &(String, Option<String>)| *n == name) {
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
            experiment::spec::parse_object::<ExperimentSpec>(&text, "a spec").map_err(|e| CliError::Usage(format!("--spec {path}: {e}")))?
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
fn spec_usage(e: &crate::experiment::SpecError) -> CliError {
    let flag = overrides::name_of(&e.field).map(|f| format!(" (--{f})")).unwrap_or_default();
    CliError::Usage(format!("{}{flag}: {}", e.field, e.message))
}

/// The spec of gallery preset `id` at `size` (default quick), for `run --preset` (a run preset
/// only: a study's or generations run's axes are not run flags).
fn preset_spec(id: &str, size: Option<&str>) -> Result<ExperimentSpec, CliError> {
    use crate::experiment::presets::{self, Kind, Size};
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

/// Parses run flags plus `extra` (value flags of one command).
fn run_flags(args: &[String], extra: &[&str]) -> Result<Flags, CliError> {
    let known: Vec<String> = overrides::names().iter().map(|n| format!("--{n}")).collect();
    let known: Vec<&str> =
        known.iter().map(String::as_str).chain(RUN_ONLY_FLAGS.iter().copied()).chain(extra.iter().copied()).collect();
    let booleans: Vec<String> =
        overrides::SETTINGS.iter().filter(|x| x.kind == overrides::Kind::Bool).map(|x| format!("--{}", x.name)).collect();
    let booleans: Vec<&str> = booleans.iter().map(String::as_str).chain(["--quiet", "--print-spec", "--submit", "--restart"]).collect();
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

fn cmd_run(args: &[String]) -> Result<(), CliError> {
    let f = run_flags(args, &["--save-run", "--load-run"])?;
    let opened = match f.get("--load-run") {
        Some(path) => {
            if let Some((flag, _)) = f
                .pairs
                .iter()
                .find(|(n, _)| overrides::setting(&n[2..]).is_some() || ["--spec", "--preset", "--size", "--data-csv"].contains(&n.as_str()))
            {
                return Err(CliError::Usage(format!("{flag}: --load-run takes its spec from the saved run (its data too); drop {flag}")));
            }
            if f.has("--engine") {
                return Err(CliError::Usage("--engine: a saved run's nets are sampled on the CPU engine (no training); drop --engine".into()));
            }
            let text = read_limited(path, experiment::saved::MAX_BYTES as u64, "a saved run").map_err(|e| CliError::Usage(format!("--load-run {path}: {e}")))?;
            Some(experiment::saved::open(&text).map_err(|e| CliError::Usage(format!("--load-run {path}: {e}")))?)
        }
        None => None,
    };
    let spec = match &opened {
        Some(o) => o.spec.clone(),
        None => spec_from_flags(&f)?,
    };
    set_threads(&f)?;
    if f.has("--print-spec") {
        emit(&serde_json::to_string_pretty(&spec).unwrap());
        return Ok(());
    }
    spec.check_data().map_err(|e| spec_usage(&e))?;
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
                    eprintln!(
                        "  iter {:>7}/{}  loss {:.4}  {:.0} it/s  ETA {:.0}s",
                        p.iter, p.total, p.loss, rate, eta
                    );
                }
            }
        }
        ControlFlow::Continue(())
    };
    // Output folders are made and checked now, not after the run.
    for flag in ["--samples-out", "--record-out"] {
        if let Some(dir) = f.get(flag) {
            check_out_dir(flag, dir)?;
        }
    }
    if let Some(path) = f.get("--save-run") {
        if spec.sampling.exact_score {
            return Err(CliError::Usage("--save-run: the exact score has no trained net to save; its link reproduces it".into()));
        }
        check_out_file("--save-run", path)?;
    }
    let (backend, pretrained, file_result) = match opened {
        // A saved run's nets are sampled on the CPU: no training, so no engine to choose.
        Some(o) => (experiment::Backend::Cpu, Some(o.pretrained), Some(o.result)),
        None => (backend_of(&f)?, None, None),
    };
    let result = block_on(experiment::run_with(&spec, backend, pretrained, &mut on_event))
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if let Some(file) = &file_result {
        experiment::saved::check(file, &result, experiment::saved::TOLERANCE).map_err(|e| CliError::Failed(format!("--load-run: {e}")))?;
    }
    // The JSON first: if writing a file fails after all, the result is not lost.
    emit(&serde_json::to_string_pretty(&result).unwrap());
    if let Some(path) = f.get("--save-run") {
        let text = experiment::saved::save(&result).map_err(|e| CliError::Failed(format!("--save-run: {e}")))?;
        write_atomic(std::path::Path::new(path), text.as_bytes()).map_err(|e| CliError::Failed(format!("--save-run {path}: {e}")))?;
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

/// Creates `dir` and checks a file can be written there (an empty name, a regular file, /proc
/// ... fail here, before any work).
fn check_out_dir(flag: &str, dir: &str) -> Result<(), CliError> {
    if dir.trim().is_empty() {
        return Err(CliError::Usage(format!("{flag}: needs a folder name")));
    }
    std::fs::create_dir_all(dir).map_err(|e| CliError::Usage(format!("{flag} {dir}: cannot create this folder: {e}")))?;
    let probe = std::path::Path::new(dir).join(".collapse-lab-write-check");
    std::fs::write(&probe, b"").map_err(|e| CliError::Usage(format!("{flag} {dir}: cannot write here: {e}")))?;
    let _ = std::fs::remove_file(probe);
    Ok(())
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
    Ok(())
}

/// Prints `text` to stdout; a reader that has gone (a closed pipe) is not an error.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

fn cmd_study(args: &[String]) -> Result<(), CliError> {
    use crate::study;
    let f = run_flags(args, &["--vary", "--seeds", "--jobs", "--out", "--slurm", "--slurm-opts", "--collect", "--restart"])?;
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
        for flag in ["--slurm-opts", "--submit"] {
            if f.has(flag) {
                return Err(CliError::Usage(format!("{flag} goes with --slurm DIR")));
            }
        }
    }
    let base = spec_from_flags(&f)?;
    set_threads(&f)?;
    let axes = vary_axes(&f)?;
    let seeds: usize = f.get("--seeds").map(|v| num("--seeds", v, "an integer")).transpose()?.unwrap_or(3);
    let jobs = jobs_of(&f)?;
    let plan = study::plan(&base, axes, seeds).map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
    if let Some(dir) = f.get("--slurm") {
        return write_slurm(&plan, std::path::Path::new(dir), &f);
    }
    let out = f.get("--out").map(std::path::PathBuf::from);
    let mut records = Vec::new();
    if let Some(path) = &out {
        check_out_file("--out", &path.to_string_lossy())?;
        if path.exists() && std::fs::metadata(path).is_ok_and(|m| m.len() > 0) && !(f.has("--restart") && is_study_file(path)) {
            let text = std::fs::read_to_string(path).map_err(|e| CliError::Usage(format!("--out {}: {e}", path.display())))?;
            let earlier: study::StudyResult = serde_json::from_str(&text).map_err(|e| {
                CliError::Usage(format!("--out {}: not a study of this lab ({e}); remove it or choose another file", path.display()))
            })?;
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
        } else {
            // Fail now, not after hours of training, if the file cannot be written.
            save_study(path, &study::aggregate(&plan, &records))?;
        }
    }
    let quiet = f.has("--quiet");
    let backend = backend_of(&f)?;
    let on_finished = |done: study::batch::Finished| -> Result<(), String> {
        let rec = done.record;
        if !quiet {
            let what: Vec<String> = rec.settings.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let status = rec.error.clone().map(|e| format!("FAILED: {e}")).unwrap_or_else(|| "done".into());
            eprintln!("[{}/{}] {} seed={}: {status}  ({:.0} s, ETA {:.0} s)", done.done, done.todo, what.join(" "), rec.seed, done.elapsed_s, done.eta_s());
        }
        match &out {
            Some(path) => save_study(path, &study::aggregate(&plan, done.records)).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    };
    let (records, save_error) = study::batch::run(&plan, records, jobs, backend, &study::batch::run_experiment, &on_finished);
    let result = study::aggregate(&plan, &records);
    if !quiet {
        summarize_study(&result);
    }
    emit(&serde_json::to_string_pretty(&result).unwrap());
    if let Some(m) = save_error {
        return Err(CliError::Failed(m));
    }
    if !result.failed.is_empty() {
        return Err(CliError::Failed(format!("{} of {} runs failed (their errors are in the JSON)", result.failed.len(), result.runs.len())));
    }
    Ok(())
}

fn cmd_generations(args: &[String]) -> Result<(), CliError> {
    use crate::{generations, study};
    let f = run_flags(args, &["--fresh", "--sampler", "--vary", "--seeds", "--jobs", "--out", "--restart"])?;
    for flag in ["--samples-out", "--record-out", "--print-spec", "--gen-sampler"] {
        if f.pairs.iter().any(|(n, _)| n == flag) {
            let why = if flag == "--gen-sampler" { "use --sampler LIST" } else { "a generations run writes its JSON and CSV with --out DIR" };
            return Err(CliError::Usage(format!("{flag}: {why}")));
        }
    }
    if f.has("--data-size") {
        return Err(CliError::Usage("--data-size: a generations run trains every generation on --gen-size points; set that instead".into()));
    }
    let list = |flag: &str, default: &str| -> Vec<String> {
        f.get(flag).unwrap_or(default).split(',').map(|v| v.trim().to_string()).collect()
    };
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
    let jobs = jobs_of(&f)?;
    let out = f.get("--out");
    let mut records = Vec::new();
    if let Some(dir) = out {
        check_out_dir("--out", dir)?;
        records = resume_generations(&plan, dir, f.has("--restart"))?;
    }
    let quiet = f.has("--quiet");
    let backend = backend_of(&f)?;
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
    let on_finished = |done: study::batch::Finished| -> Result<(), String> {
        let rec = done.record;
        if !quiet {
            let status = rec.error.clone().map(|e| format!("STOPPED: {e}")).unwrap_or_else(|| "done".into());
            eprintln!("[{}/{}] a={} {} seed={}: {status} ({:.0} s)", done.done, done.todo, rec.settings["fresh"], rec.settings["gen-sampler"], rec.seed, done.elapsed_s);
        }
        let Some(dir) = out else { return Ok(()) };
        let g = generations::aggregate(&plan, done.records);
        let write = |name: &str, text: &str| write_file(dir, name, text).map_err(|e| e.to_string());
        write("generations.json", &serde_json::to_string(&g).unwrap())?;
        write("generations.csv", &generations::to_csv(&g))
    };
    let (records, save_error) = study::batch::run(&plan, records, jobs, backend, &run_one, &on_finished);
    let result = generations::aggregate(&plan, &records);
    emit(&serde_json::to_string_pretty(&result).unwrap());
    if !quiet {
        summarize_generations(&result);
    }
    if let Some(m) = save_error {
        return Err(CliError::Failed(m));
    }
    if !result.failed.is_empty() {
        return Err(CliError::Failed(format!("{} of {} chains stopped early (their errors are in the JSON)", result.failed.len(), result.runs.len())));
    }
    Ok(())
}

/// `generations --out DIR` where DIR already holds generations.json: its finished chains that
/// this run still plans are kept (resume); a file that is not ours, or finished chains this run
/// would overwrite, are refused unless `--restart` (for our own file only).
fn resume_generations(plan: &crate::study::Plan, dir: &str, restart: bool) -> Result<Vec<crate::study::RunRecord>, CliError> {
    let path = std::path::Path::new(dir).join("generations.json");
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(Vec::new()) };
    let not_ours = |why: String| {
        CliError::Usage(format!("--out {dir}: {} is not a generations result of this lab ({why}); it is not overwritten: remove it or choose another folder", path.display()))
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
fn summarize_generations(g: &crate::generations::GenerationsResult) {
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
        let figs: Vec<String> = shown
            .iter()
            .filter_map(|&i| Some(format!("N={i}: {} [{}]", f(format!("chi2@{i}"))?, f(format!("geometric@{i}")).unwrap_or_default())))
            .collect();
        eprintln!("  {}: {}", what.join(" "), figs.join("  "));
    }
}

/// `study --slurm DIR`: the job-array folder, and the sbatch command for the runs without a
/// result (run it with --submit).
fn write_slurm(plan: &crate::study::Plan, dir: &std::path::Path, f: &Flags) -> Result<(), CliError> {
    use crate::study::slurm;
    if dir.as_os_str().is_empty() {
        return Err(CliError::Usage("--slurm: needs a folder name".into()));
    }
    let opts = slurm::parse_opts(f.get("--slurm-opts").unwrap_or("")).map_err(|e| CliError::Usage(format!("--slurm-opts: {e}")))?;
    let engine = f.get("--engine").unwrap_or("auto");
    if !["cpu", "gpu", "auto"].contains(&engine) {
        return Err(CliError::Usage(format!("--engine: expected cpu, gpu or auto, got {engine:?}")));
    }
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
        eprintln!("wrote {total} runs ({} without a result) to {d}; submit them with:\n  {command}\nthen, when squeue shows them gone: collapse-lab study --collect {d}", w.missing.len());
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
fn collect_study(dir: &std::path::Path, out: Option<&str>, restart: bool, quiet: bool) -> Result<(), CliError> {
    // --out is checked before anything is read or moved: a file that is not a study of this
    // lab is never overwritten, nor a study of another plan unless --restart says so.
    if let Some(path) = out {
        check_out_file("--out", path)?;
        let plan_path = dir.join("plan.json");
        let plan: Option<crate::study::Plan> = std::fs::read_to_string(&plan_path).ok().and_then(|t| serde_json::from_str(&t).ok());
        check_study_out(std::path::Path::new(path), plan.as_ref(), restart)?;
    }
    let (_, result, rejected) = crate::study::slurm::collect(dir).map_err(|e| CliError::Usage(format!("--collect: {e}")))?;
    for r in &rejected {
        eprintln!("  run {}: results/{}.json is {}; moved to {} (a resubmission redoes it)", r.index, r.index, r.why, r.moved_to.display());
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
fn is_study_file(path: &std::path::Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| serde_json::from_str::<crate::study::StudyResult>(&t).is_ok())
}

/// `--out FILE` of `study --collect`: FILE may be absent, or a study of this lab of the same
/// plan (base, axes, seeds); another study only with `--restart`; anything else never.
fn check_study_out(path: &std::path::Path, plan: Option<&crate::study::Plan>, restart: bool) -> Result<(), CliError> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(()) };
    if text.trim().is_empty() {
        return Ok(());
    }
    let earlier: crate::study::StudyResult = serde_json::from_str(&text).map_err(|_| {
        CliError::Usage(format!("--out {}: exists and is not a study of this lab; it is not overwritten: remove it or choose another file", path.display()))
    })?;
    let same = plan.is_some_and(|p| p.base == earlier.base && p.axes == earlier.axes && p.seeds == earlier.seeds);
    if !same && !restart {
        return Err(CliError::Usage(format!(
            "--out {}: holds another study (its base, axes or seeds differ); give --restart to replace it, or choose another file",
            path.display()
        )));
    }
    Ok(())
}

fn save_study(path: &std::path::Path, s: &crate::study::StudyResult) -> Result<(), CliError> {
    write_atomic(path, serde_json::to_string(s).unwrap().as_bytes()).map_err(|e| CliError::Failed(format!("--out {}: {e}", path.display())))
}

/// Mean ± std of the main figures per cell, on stderr.
fn summarize_study(s: &crate::study::StudyResult) {
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
    for f in crate::study::findings(s) {
        eprintln!("finding: {f}");
    }
}

/// `torch-script [RUN FLAGS] [--out FILE.py]`: the experiment as a PyTorch script.
fn cmd_torch_script(args: &[String]) -> Result<(), CliError> {
    let f = run_flags(args, &["--out"])?;
    for flag in ["--samples-out", "--record-out", "--threads", "--engine", "--print-spec"] {
        if f.has(flag) {
            return Err(CliError::Usage(format!("{flag}: torch-script writes a script and runs nothing; drop {flag}")));
        }
    }
    let spec = spec_from_flags(&f)?;
    let script = crate::export::torch_script(&spec).map_err(|e| spec_usage(&e))?;
    match f.get("--out") {
        Some(path) => {
            check_out_file("--out", path)?;
            write_atomic(std::path::Path::new(path), script.as_bytes()).map_err(|e| CliError::Failed(format!("--out {path}: {e}")))?;
            if !f.has("--quiet") {
                eprintln!("wrote {path}: run it with `python3 {path}` (PyTorch needed; --help lists its options)");
            }
        }
        None => out!("{script}"),
    }
    Ok(())
}

/// `gallery [--size quick|paper]`: every preset of the page's gallery with its command line.
fn cmd_gallery(args: &[String]) -> Result<(), CliError> {
    use crate::experiment::presets::{Size, PRESETS};
    let f = Flags::parse(args, &["--shipped"], &["--size", "--shipped", "--command"])?;
    if let Some(id) = f.get("--command") {
        // One preset's command (scripts/make-gallery-runs.sh runs it for the shipped files).
        let size = match f.get("--size") {
            None => Size::Paper,
            Some(v) => Size::parse(v).ok_or_else(|| CliError::Usage(format!("--size: expected quick or paper, got {v:?}")))?,
        };
        let p = crate::experiment::presets::preset(id)
            .ok_or_else(|| CliError::Usage(format!("--command: unknown preset {id:?}; `collapse-lab gallery` lists them")))?;
        outln!("{}", p.command(size).map_err(|e| CliError::Failed(e.to_string()))?);
        return Ok(());
    }
    if f.has("--shipped") {
        // The presets whose paper runs ship with the page (scripts/make-gallery-runs.sh reads this).
        crate::experiment::presets::SHIPPED.iter().for_each(|id| outln!("{id}"));
        return Ok(());
    }
    let size = match f.get("--size") {
        None => Size::Paper,
        Some(v) => Size::parse(v).ok_or_else(|| CliError::Usage(format!("--size: expected quick or paper, got {v:?}")))?,
    };
    for p in PRESETS {
        let cmd = p.command(size).map_err(|e| CliError::Failed(e.to_string()))?;
        outln!("# {} {}: {}\n#   {}\n#   page: ?{}\n{cmd}\n", p.id, p.figure, p.title, p.look, p.query(size));
    }
    Ok(())
}

fn cmd_hermite(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &[], &["--mu", "--max-degree", "--nodes"])?;
    let mu: f64 = f.get("--mu").map(|v| num("--mu", v, "a number")).transpose()?.unwrap_or(1.0);
    let p: usize = f.get("--max-degree").map(|v| num("--max-degree", v, "an integer")).transpose()?.unwrap_or(15);
    let nodes: usize = f.get("--nodes").map(|v| num("--nodes", v, "an integer")).transpose()?.unwrap_or(150);
    let r = crate::diagnostics::hermite::seesaw(mu, p, nodes).map_err(|m| CliError::Usage(format!("--{m}")))?;
    emit(&serde_json::to_string_pretty(&r).unwrap());
    Ok(())
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

/// Marginals and trajectories of every sampler, and the true noised data's marginals.
fn write_recordings(dir: &str, r: &experiment::ExperimentResult) -> Result<(), CliError> {
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
fn summarize(r: &experiment::ExperimentResult) {
    let fmt = |v: Option<f64>| v.map(|x| format!("{x:+.3}")).unwrap_or_else(|| "undef".into());
    eprintln!("TID(e) = alpha(train) - alpha(samples); > 0 means more locally concentrated than the data");
    let mut header = format!("{:>8}", "e");
    for name in r.tid.keys() {
        header += &format!(" {name:>16}");
    }
    eprintln!("{header} {:>16}", "data vs data");
    for (i, e) in r.spec.metrics.eps.iter().enumerate() {
        let mut line = format!("{e:>8}");
        let cell = |t: &experiment::TidEntry| {
            format!("{} ±{}", fmt(t.point.tid), t.tid_std.map(|s| format!("{s:.3}")).unwrap_or_else(|| "-".into()))
        };
        for v in r.tid.values() {
            line += &format!(" {:>16}", cell(&v[i]));
        }
        line += &format!(" {:>16}", cell(&r.tid_null[i]));
        eprintln!("{line}");
    }
}

fn cmd_tid(args: &[String]) -> Result<(), CliError> {
    let f = Flags::parse(args, &[], &["--train", "--samples", "--eps", "--k", "--seed", "--threads", "--survival-eps"])?;
    set_threads(&f)?;
    let read = |flag: &str| -> Result<(String, usize, Vec<f64>, crate::points::CsvInfo), CliError> {
        let path = f.get(flag).ok_or_else(|| CliError::Usage(format!("tid needs {flag} FILE.csv")))?;
        let (dim, values, info) = crate::points::read_csv_file(path).map_err(|e| CliError::Usage(format!("{flag} {path}: {e}")))?;
        Ok((path.to_string(), dim, values, info))
    };
    let (train_path, train_dim, train_v, train_info) = read("--train")?;
    let (samples_path, samples_dim, samples_v, samples_info) = read("--samples")?;
    if train_dim != samples_dim {
        return Err(CliError::Usage(format!(
            "--train has {train_dim} columns but --samples has {samples_dim}; both must have the same dimension"
        )));
    }
    let defaults = ExperimentSpec::default().metrics;
    let eps = match f.get("--eps") {
        Some(v) => overrides::list_f64("eps", v).map_err(|e| CliError::Usage(format!("--{e}")))?,
        None => defaults.eps,
    };
    let seed: u64 = f.get("--seed").map(|v| num("--seed", v, "an integer")).transpose()?.unwrap_or(0);
    let k: Option<usize> = f.get("--k").map(|v| num("--k", v, "an integer")).transpose()?;
    let survival_eps: f64 =
        f.get("--survival-eps").map(|v| num("--survival-eps", v, "a number")).transpose()?.unwrap_or(defaults.survival_eps);
    let c = metrics::compare::compare(train_dim, &train_v, &samples_v, &eps, k, seed, survival_eps).map_err(|(field, m)| {
        CliError::Usage(if field == "data" { m } else { format!("--{field}: {m}") })
    })?;
    let mut out = serde_json::to_value(&c).unwrap();
    out["train"] = serde_json::json!({"path": train_path, "points": c.train_points, "dim": c.dim, "header": train_info.header});
    out["samples"] = serde_json::json!({"path": samples_path, "points": c.samples_points, "dim": c.dim, "header": samples_info.header});
    emit(&serde_json::to_string_pretty(&out).unwrap());
    Ok(())
}
