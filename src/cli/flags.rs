//! The command line's flags: the flag/value pairs of a command, and what they make (the spec
//! of a run, a study's axes, jobs and threads, the engine), each refusal naming its flag.

use super::{CliError, ExperimentSpec, block_on, experiment, overrides};

/// The flags that may be given more than once.
pub(super) const REPEATABLE: &[&str] = &["--vary", "--reuse"];

/// Flag/value pairs; boolean flags get no value.
#[derive(Clone)]
pub(super) struct Flags {
    pub(super) pairs: Vec<(String, Option<String>)>,
}

impl Flags {
    pub(super) fn parse(args: &[String], booleans: &[&str], known: &[&str]) -> Result<Flags, CliError> {
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
                // `--flag` alone means true; a setting's `--flag=VALUE` is checked by the
                // setting's parser; a switch of the command line (`--quiet`, `--json`) takes
                // =true or =false, meaning what they say, and nothing else (issue 55).
                if let Some(v) = &inline
                    && overrides::setting(&name[2..]).is_none()
                    && v != "true"
                    && v != "false"
                {
                    return Err(CliError::Usage(format!("{name}={v}: {name} is a switch: give it bare, or {name}=true / {name}=false")));
                }
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
    pub(super) fn has(&self, name: &str) -> bool {
        self.pairs.iter().rev().find(|(n, _)| n == name).is_some_and(|(_, v)| v.as_deref() != Some("false"))
    }

    /// Whether a flag is given at all, whatever its value (a value flag's `false` is a value).
    pub(super) fn given(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n == name)
    }

    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }
}

pub(super) fn num<T: std::str::FromStr>(flag: &str, v: &str, what: &str) -> Result<T, CliError> {
    v.trim().parse::<T>().map_err(|_| CliError::Usage(format!("{flag}: expected {what}, got {v:?}")))
}

/// Largest spec file read (a spec is a few KB; this refuses /dev/zero and the like at once).
pub(super) const SPEC_MAX_BYTES: u64 = 1 << 20;

/// A text file of at most `limit` bytes. Only a regular file is read (a FIFO would block the
/// read forever: [`crate::output::check_input`]).
pub(super) fn read_limited(path: &str, limit: u64, what: &str) -> Result<String, String> {
    use std::io::Read;
    crate::output::check_input(std::path::Path::new(path))?;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {} KiB: not {what}", limit / 1024));
    }
    String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())
}

/// Run flags are the spec overrides (`--width` sets `width`) plus these.
pub(super) const RUN_ONLY_FLAGS: &[&str] = &["--spec", "--preset", "--size", "--data-csv", "--samples-out", "--record-out", "--threads", "--engine"];

pub(super) fn spec_from_flags(f: &Flags) -> Result<ExperimentSpec, CliError> {
    let mut s = match (f.get("--spec"), f.get("--preset")) {
        (Some(_), Some(_)) => return Err(CliError::Usage("--preset: the preset gives the spec; drop --spec (flags still override it)".into())),
        (None, Some(id)) => preset_spec(id, f.get("--size"))?,
        (_, None) if f.get("--size").is_some() => return Err(CliError::Usage("--size: picks the size of a --preset; give --preset ID".into())),
        (Some(path), None) => {
            let text = read_limited(path, SPEC_MAX_BYTES, "a spec file").map_err(|e| CliError::Usage(format!("--spec {path}: {e}")))?;
            crate::spec::parse_object::<ExperimentSpec>(&text, "a spec").map_err(|e| CliError::Usage(format!("--spec {path}: {e}")))?
        }
        (None, None) => ExperimentSpec::default(),
    };
    for (name, value) in &f.pairs {
        let key = &name[2..];
        if overrides::setting(key).is_some() {
            overrides::apply(&mut s, key, value.as_deref().unwrap_or("")).map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))?;
        }
    }
    // With a budget of evaluations every sampler's steps follow from it: steps given beside it
    // would be dropped without a word (issue 55).
    if f.given("--steps")
        && let Some(budget) = s.sampling.nfe
    {
        let from = if f.given("--nfe") { format!("--nfe {budget}") } else { format!("the spec's nfe ({budget})") };
        return Err(CliError::Usage(format!(
            "--steps: {from} sets every sampler's steps from the budget, so --steps would be ignored; drop --steps, or drop the budget (--nfe none)"
        )));
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

/// `--steps NAME=N,..` sets the steps of samplers that sample: steps of a sampler the run does
/// not sample are ignored, and said so in a note naming them and the flag that lists the
/// samplers (`sampled_by`), before any work (issue 55: they were dropped without a word). A
/// note, not a refusal: a gallery preset's command gives the steps of its size to a size that
/// samples fewer samplers (fig5-density's quick run: `--samplers ode ... --steps sde=500`).
pub(super) fn note_unsampled_steps(f: &Flags, sampled: &[crate::sample::SamplerKind], sampled_by: &str) {
    let Some(list) = f.get("--steps") else { return };
    let ignored: Vec<&str> = list
        .split(',')
        .filter(|part| part.split_once('=').and_then(|(k, _)| crate::sample::SamplerKind::parse(k.trim())).is_some_and(|k| !sampled.contains(&k)))
        .map(str::trim)
        .collect();
    if ignored.is_empty() || f.has("--quiet") {
        return;
    }
    let names: Vec<&str> = sampled.iter().map(|k| k.name()).collect();
    let which: Vec<&str> = ignored.iter().filter_map(|p| p.split_once('=')).map(|(k, _)| k.trim()).collect();
    eprintln!(
        "note: --steps {}: {} not sampled ({sampled_by} gives {}), so these steps are ignored; drop them from --steps, or add {} to {sampled_by}",
        ignored.join(","),
        if which.len() == 1 { format!("{} is", which[0]) } else { format!("{} are", which.join(", ")) },
        names.join(","),
        which.join(",")
    );
}

/// The samplers named by the values of the axes `names` (`--vary samplers=ode;heun,sde`).
pub(super) fn axis_samplers(axes: &[crate::study::Axis], names: &[&str]) -> Vec<crate::sample::SamplerKind> {
    axes.iter()
        .filter(|a| names.contains(&a.name.as_str()))
        .flat_map(|a| a.values.iter())
        .flat_map(|v| v.split([',', ';']))
        .filter_map(|x| crate::sample::SamplerKind::parse(x.trim()))
        .collect()
}

/// `--data-csv FILE`: the csv data set of the file's rows. A spec that already names a file
/// (`--csv`, or `csv` in a --spec JSON) takes only that file.
pub(super) fn attach_csv(s: &mut ExperimentSpec, path: &str) -> Result<(), CliError> {
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
pub(super) fn spec_usage(e: &crate::spec::SpecError) -> CliError {
    let flag = overrides::name_of(&e.field).map(|f| format!(" (--{f})")).unwrap_or_default();
    CliError::Usage(format!("{}{flag}: {}", e.field, e.message))
}

/// The spec of gallery preset `id` at `size` (default quick), for `run --preset` (a run preset
/// only: a study's or generations run's axes are not run flags).
pub(super) fn preset_spec(id: &str, size: Option<&str>) -> Result<ExperimentSpec, CliError> {
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
pub(super) fn vary_axes(f: &Flags) -> Result<Vec<crate::study::Axis>, CliError> {
    f.pairs
        .iter()
        .filter(|(n, _)| n == "--vary")
        .map(|(_, v)| crate::study::Axis::parse(v.as_deref().unwrap_or("")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| CliError::Usage(format!("--{}: {}", e.field, e.message)))
}

/// `--jobs J`: runs at a time, default one per core.
pub(super) fn jobs_of(f: &Flags) -> Result<usize, CliError> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let jobs: usize = f.get("--jobs").map(|v| num("--jobs", v, "an integer")).transpose()?.unwrap_or(cores);
    if !(1..=256).contains(&jobs) {
        return Err(CliError::Usage(format!("--jobs: must be in 1..=256, got {jobs}")));
    }
    Ok(jobs)
}

pub(super) fn set_threads(f: &Flags) -> Result<(), CliError> {
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
pub(super) fn run_flags(args: &[String], extra: &[&str], switches: &[&str]) -> Result<Flags, CliError> {
    let known: Vec<String> = overrides::names().iter().map(|n| format!("--{n}")).collect();
    let known: Vec<&str> = known.iter().map(String::as_str).chain(RUN_ONLY_FLAGS.iter().copied()).chain(extra.iter().copied()).collect();
    let booleans: Vec<String> = overrides::SETTINGS.iter().filter(|x| x.kind == overrides::Kind::Bool).map(|x| format!("--{}", x.name)).collect();
    let booleans: Vec<&str> = booleans.iter().map(String::as_str).chain(["--quiet"]).chain(switches.iter().copied()).collect();
    let f = Flags::parse(args, &booleans, &known)?;
    // The engine's name is checked with the other flags, whatever the command goes on to do
    // (`run --print-spec --engine tpu` was accepted: issue 55).
    engine_of(&f, "cpu")?;
    Ok(f)
}

/// `--engine E` (cpu, gpu or auto), or `default` where it is not given.
pub(super) fn engine_of<'a>(f: &'a Flags, default: &'a str) -> Result<&'a str, CliError> {
    let engine = f.get("--engine").unwrap_or(default);
    if !["cpu", "gpu", "auto"].contains(&engine) {
        return Err(CliError::Usage(format!("--engine: expected cpu, gpu or auto, got {engine:?}")));
    }
    Ok(engine)
}

pub(super) fn backend_of(f: &Flags) -> Result<experiment::Backend, CliError> {
    let engine = engine_of(f, "cpu")?;
    if engine == "cpu" {
        return Ok(experiment::Backend::Cpu);
    }
    Ok(match block_on(crate::engine::gpu::GpuContext::new()) {
        Ok(ctx) => {
            if ctx.software && engine == "gpu" {
                eprintln!("note: the GPU adapter is {}, a software (CPU) implementation: expect training far slower than the CPU engine", ctx.adapter);
            }
            if engine == "auto" { experiment::Backend::Auto(ctx) } else { experiment::Backend::Gpu(ctx) }
        }
        Err(why) => {
            eprintln!("note: {why}; training on the CPU engine");
            experiment::Backend::Cpu
        }
    })
}
