//! The native command line: `collapse-lab [run] [flags]`, `collapse-lab tid`, `collapse-lab bench`;
//! one file per command (run.rs, study.rs, generations.rs, tid.rs, gallery.rs, hermite.rs,
//! torch_script.rs, verdicts.rs), the router and the usage here; the flags in flags.rs, what a
//! command writes (checks, locks, atomic files, stdout) in outputs.rs, the end that study and
//! generations share (resume from other files, the plan, the batch) in batch.rs.
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
mod flags;
mod gallery;
mod generations;
mod hermite;
mod outputs;
mod run;
mod study;
mod tid;
mod torch_script;
mod verdicts;

use batch::{add_reused, check_resumed_engine, print_plan_of, read_reuse_files, reuse_files};
use flags::*;
use gallery::cmd_gallery;
use generations::cmd_generations;
use hermite::cmd_hermite;
use outputs::*;
use run::cmd_run;
use study::cmd_study;
use tid::cmd_tid;
use torch_script::cmd_torch_script;
use verdicts::cmd_verdicts;

use crate::engine::block_on;
use crate::experiment::{self, Event};
use crate::metrics;
use crate::points::Points;
use crate::spec::{ExperimentSpec, overrides};
use std::ops::ControlFlow;

const USAGE: &str = "\
collapse-lab: train diffusion score nets on synthetic data and measure collapse errors (TID)

USAGE
  collapse-lab [run] [FLAGS]      run one experiment (defaults: the paper's chessboard setting)
  collapse-lab tid --train A.csv --samples B.csv [--eps E1,E2,..] [--k K] [--seed S] [--survival-eps E]
  collapse-lab bench [--steps N] [--tid-n N] [--threads T]
  collapse-lab study [RUN FLAGS] --vary NAME=v1,v2,.. [--vary ..] [--seeds K] [--jobs J] [--out FILE]
                    [--together N]
  collapse-lab study [RUN FLAGS] --vary .. --slurm DIR [--slurm-opts \"OPTS\"] [--submit]
  collapse-lab study --collect DIR [--out FILE] [--restart]
  collapse-lab generations [RUN FLAGS] [--fresh A1,A2,..] [--sampler S1,..] [--generations N]
                          [--gen-size M] [--warm-start] [--seeds K] [--jobs J] [--out DIR]
                          [--restart]
  collapse-lab hermite [--mu M] [--max-degree P] [--nodes N]
  collapse-lab verdicts [--runs DIR] [--json]  what reproduces: a verdict per claim of the
                          papers and the review's questions, computed from the shipped runs
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
  --together N            on the GPU engine: up to N nets of runs with one training length
                          train side by side, one submission per block of steps for all (the
                          same nets as alone; default 8, 1: each run's alone; the CPU engine
                          ignores it)
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
                          prints the sbatch command for the runs without a result (nothing
                          runs here: --jobs, --together, --out, --reuse, --restart are refused)
  --slurm-opts \"OPTS\"     #SBATCH options, e.g. \"--partition=gpu --gres=gpu:1 --time=2:00:00\"
  --engine E              with --slurm: the tasks' engine (default auto)
  --submit                with --slurm: run that sbatch command (errors from sbatch reported)
  --collect DIR           read DIR/results, aggregate exactly as a local study, list missing
                          and failed runs (exit 1 if any, with the resubmit command); a
                          result that is not its planned run's is moved to I.json.rejected
                          and redone on a resubmission; with --out FILE, FILE must be absent
                          or a study of this plan, merged into as a resume does (its finished
                          runs kept, the collected ones added; another study: --restart)

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

VERDICTS FLAGS (what reproduces, src/verdicts/)
  --runs DIR              the shipped files to read (default www/runs); a missing or damaged
                          shipped file is an error naming it (exit 1)
  --json                  every row as JSON (the page's copy of the verdicts): id, group
                          (paper, workshop, recursive, review, lab), place, quote, the paper's
                          setting and the lab's, outcome, statistic, tests (per place: the
                          differences per seed, their mean, 95 % t interval, seeds above and
                          below), gates, excluded runs with the reason, settle, rule, links,
                          and evidence (each file's runs counted, with its provenance)
  Outcomes: reproduced (every test's interval above 0), partly (some), not reproduced (none
  above, some below), inconclusive (no test decided, or every run failed a gate: `settle`
  says what would decide it), not tested (no run holds the figures, saying which).
  Gates, per run: it finished; the data-vs-data floor at the radius is stable; the
  deterministic samplers compared converged; the stochastic reference lies in the
  data-vs-data band with a marginal accuracy within 0.15 of fresh data's.

EXIT CODES (every command)
  0                       done (a closed stdout, as in `| head`, counts as done)
  2                       refused before any work: a flag, value, file or output path, named
                          in one `error:` line; a flag given twice (only --vary and
                          --reuse repeat); a switch with a value other than =true / =false;
                          an output that is neither a regular file, a folder where one is
                          wanted, nor a new path (a device node, FIFO, socket, link loop); an
                          input that is not a regular file (a FIFO, a device: never waited on)
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
    let usage: Vec<&str> = full.lines().skip_while(|l| *l != "USAGE").skip(1).take_while(|l| !l.is_empty()).collect();
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
        "verdicts" => section("VERDICTS FLAGS"),
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
