//! A saved run: one JSON file with the spec, the trained parameters and the results, written by
//! `collapse-lab run --save-run FILE` and the page's "Save run", and opened by `run --load-run
//! FILE` and the page's "Open run". Opening samples and measures the saved nets again (no
//! training) and checks that this reproduces the file's figures, so a file from another version
//! or with edited numbers is refused, never half-applied.
//!
//! ```json
//! {"format": "collapse-lab-run", "version": 2, "lab": "0.1.0", "spec": {...},
//!  "params": [[f32, ...], ...], "result": {...the run's result JSON...}}
//! ```
//!
//! A run on a CSV file (the `csv` data set) also holds the file's points, `"data": [f32, ...]`
//! row-major, since its spec names the file only; opening checks them against its fingerprint.
//!
//! `"params_checksum"` ([`params_checksum`]) is the FNV-1a 64 of every net's parameters (and the
//! checkpoints' nets): a parameter edited after saving is refused by name, even where the nets
//! sampled again would give the file's figures within [`TOLERANCE`] (issue 55). A file saved
//! before the checksum (the shipped runs among them) opens with a note that its parameters are
//! checked by their figures only.

use super::result::{ExperimentResult, NetTraining, Pretrained};
use crate::engine::TrainReport;
use crate::spec::ExperimentSpec;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "collapse-lab-run";
/// 2: the stochastic samplers draw their noise from the counter-based generator
/// (`rng::counter::sampler_key`), so a version-1 file's sde, pc and ald figures cannot be
/// sampled again.
pub const VERSION: u32 = 2;
/// Relative agreement asked of a saved run sampled again (native and wasm builds differ by float
/// rounding, which can flip a neighbour count at a radius: 1e-3 tolerates that, not an edit).
pub const TOLERANCE: f64 = 1e-3;
/// Saved runs up to this size are opened (a 2 x 1000 net is ~12 MB of parameters as JSON).
pub const MAX_BYTES: usize = 256 << 20;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SavedRun {
    format: String,
    version: u32,
    /// The lab's version that wrote it (informative; the check is on the figures).
    lab: String,
    spec: ExperimentSpec,
    params: Vec<Vec<f32>>,
    result: serde_json::Value,
    /// The training set's points where the spec's data set is a CSV file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    data: Option<Vec<f32>>,
    /// The nets at each checkpoint of training (`training.checkpoints`): iteration, parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    checkpoints: Vec<(u64, Vec<Vec<f32>>)>,
    /// [`params_checksum`] of `params` and `checkpoints` (absent in files saved before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    params_checksum: Option<String>,
}

/// The checksum of a saved run's nets: FNV-1a 64 (as the CSV fingerprint, `data::csv_set`) over
/// the count of nets, each net's parameter count and every f32's bits (all little-endian), then
/// each checkpoint's iteration and nets alike; `"fnv1a64:"` and 16 hex digits. JSON keeps an
/// f32's shortest form, which reads back to the same bits, so a file as saved always matches.
pub fn params_checksum(params: &[Vec<f32>], checkpoints: &[(u64, Vec<Vec<f32>>)]) -> String {
    fn eat(h: &mut u64, bytes: &[u8]) {
        for &b in bytes {
            *h ^= b as u64;
            *h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn nets(h: &mut u64, nets: &[Vec<f32>]) {
        eat(h, &(nets.len() as u64).to_le_bytes());
        for net in nets {
            eat(h, &(net.len() as u64).to_le_bytes());
            for x in net {
                eat(h, &x.to_bits().to_le_bytes());
            }
        }
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    nets(&mut h, params);
    for (iter, p) in checkpoints {
        eat(&mut h, &iter.to_le_bytes());
        nets(&mut h, p);
    }
    format!("fnv1a64:{h:016x}")
}

/// The JSON of a saved run of `r` (which must have trained nets: not the exact score).
pub fn save(r: &ExperimentResult) -> Result<String, String> {
    let result = serde_json::to_value(r).map_err(|e| e.to_string())?;
    let data = r.spec.csv.as_ref().and_then(|c| c.points.0.as_ref()).map(|p| p.data.clone());
    save_parts(r.params.clone(), result, data, r.checkpoint_params.clone())
}

/// The same from a result's JSON, its nets' parameters and, for a CSV data set, the file's
/// points, and the nets at each checkpoint (the page holds them apart).
pub fn save_parts(params: Vec<Vec<f32>>, result: serde_json::Value, data: Option<Vec<f32>>, checkpoints: Vec<(u64, Vec<Vec<f32>>)>) -> Result<String, String> {
    if params.is_empty() {
        return Err("this run has no trained net to save (the exact score needs none: its link reproduces it)".into());
    }
    let spec: ExperimentSpec = serde_json::from_value(result.get("spec").cloned().unwrap_or_default()).map_err(|e| format!("result.spec: {e}"))?;
    if let Some(c) = &spec.csv {
        let rows = data.as_ref().map_or(0, |d| d.len() / c.dim.max(1));
        if rows != c.rows {
            return Err(format!("this run trained on a CSV file of {} rows; its points are needed to save it ({rows} given)", c.rows));
        }
    }
    let data = if spec.csv.is_some() { data } else { None };
    let kept: Vec<u64> = checkpoints.iter().map(|c| c.0).collect();
    if kept != spec.training.checkpoints {
        return Err(format!("this run measured checkpoints {:?}; their nets are needed to save it (given at {kept:?})", spec.training.checkpoints));
    }
    let params_checksum = Some(params_checksum(&params, &checkpoints));
    let saved =
        SavedRun { format: FORMAT.into(), version: VERSION, lab: env!("CARGO_PKG_VERSION").into(), spec, params, result, data, checkpoints, params_checksum };
    serde_json::to_string(&saved).map_err(|e| e.to_string())
}

/// A saved run opened: its spec, its nets, and its results as the file has them.
pub struct Opened {
    pub spec: ExperimentSpec,
    pub pretrained: Pretrained,
    pub result: serde_json::Value,
    /// A remark on how far the file could be checked (a file saved before the parameters'
    /// checksum), for the reader.
    pub note: Option<String>,
}

/// Reads a saved run's JSON: the format and version, a valid spec, and figures of the right
/// shape (the parameters' count is checked against the spec when the run starts).
pub fn open(text: &str) -> Result<Opened, String> {
    if text.len() > MAX_BYTES {
        return Err(format!("{} MB is more than a saved run can be ({} MB)", text.len() >> 20, MAX_BYTES >> 20));
    }
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match v.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => return Err(format!("format {other:?} is not a saved run ({FORMAT:?})")),
        None => {
            return Err(format!(
                "no \"format\": not a saved run (those start {{\"format\": \"{FORMAT}\"}}; a results JSON of a study or generations opens with \"Open results\")"
            ));
        }
    }
    match v.get("version").and_then(|x| x.as_u64()) {
        Some(x) if x == VERSION as u64 => {}
        Some(x) => return Err(format!("version {x}: this lab opens saved runs of version {VERSION}")),
        None => return Err("no \"version\": not a saved run".into()),
    }
    drop(v);
    // From the text again, not the Value: a key given twice is refused, a type error named.
    let mut s: SavedRun = crate::spec::parse_object(text, "a saved run").map_err(|e| format!("bad saved run: {e}"))?;
    s.spec.validate().map_err(|e| format!("its spec: {e}"))?;
    match (&mut s.spec.csv, s.data.take()) {
        (Some(c), Some(data)) => {
            if data.len() != c.rows * c.dim {
                return Err(format!("data: {} values, but its spec's CSV file has {} rows x {}", data.len(), c.rows, c.dim));
            }
            c.attach(crate::points::Points::new(c.dim, data)).map_err(|e| format!("data: {e}"))?;
        }
        (Some(_), None) => return Err("data: its spec trains on a CSV file, but the file's points are missing".into()),
        (None, Some(_)) => return Err("data: points of a CSV file, but its spec's data set is not csv".into()),
        (None, None) => {}
    }
    super::train::check_params(&s.spec, &s.params).map_err(|e| e.to_string())?;
    let note = match &s.params_checksum {
        Some(saved) => {
            let now = params_checksum(&s.params, &s.checkpoints);
            if *saved != now {
                return Err(format!(
                    "params_checksum: the nets' parameters are not those the file was saved with (checksum {now}, the file says {saved}): edited or damaged after saving; not opened"
                ));
            }
            None
        }
        None => {
            Some("this saved run has no params_checksum (saved before it was written): its nets are checked by the figures they give again only".to_string())
        }
    };
    let training: Option<TrainReport> = match s.result.get("training") {
        None | Some(serde_json::Value::Null) => None,
        Some(t) => Some(serde_json::from_value(t.clone()).map_err(|e| format!("result.training: {e}"))?),
    };
    let training_nets: Vec<NetTraining> = match s.result.get("training_nets") {
        None => Vec::new(),
        Some(t) => serde_json::from_value(t.clone()).map_err(|e| format!("result.training_nets: {e}"))?,
    };
    let engine = s.result.get("engine").and_then(|e| e.as_str()).unwrap_or("an unnamed engine").to_string();
    let snapshots = s.checkpoints;
    Ok(Opened { spec: s.spec, pretrained: Pretrained { params: s.params, training, training_nets, engine, snapshots, shared: None }, result: s.result, note })
}

/// Whether the run's figures as sampled again match the file's: every TID (and its spread) of
/// every sampler and of the data floor, and the marginal accuracies. A figure matches to
/// relative `tol`, or within what float rounding can move it between builds (native FMA against
/// wasm SIMD): a sample that moves by 1e-6 can flip a neighbour count at a radius, which moves
/// TID by far less than a quarter of its spread over reference draws (`tid_std`), and a bin of
/// a marginal histogram, which moves marginal accuracy by at most 1/N per flip (4/N allowed).
/// An edited figure (the tests add 0.5) is still caught. Where the saved run sampled on a GPU,
/// sampling again on the CPU differs by float rounding all along the paths, so only the samplers
/// and radii are compared then.
pub fn check(file: &serde_json::Value, again: &ExperimentResult, tol: f64) -> Result<(), String> {
    let again = serde_json::to_value(again).map_err(|e| e.to_string())?;
    let gpu_sampled = file.get("sampling_engine").and_then(|e| e.as_str()).is_some_and(|e| e.starts_with("gpu"));
    let same = |a: &serde_json::Value, b: &serde_json::Value, allowance: f64| match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => (x - y).abs() <= (tol * x.abs().max(y.abs()).max(1e-12)).max(allowance),
        _ => a.is_null() && b.is_null(),
    };
    let n = file["spec"]["sampling"]["n_samples"].as_f64().unwrap_or(f64::INFINITY).max(1.0);
    let spread = |entry: &serde_json::Value| 0.25 * entry["tid_std"].as_f64().unwrap_or(0.0);
    let samplers = |v: &serde_json::Value| -> Vec<String> { v.get("tid").and_then(|t| t.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default() };
    if samplers(file) != samplers(&again) {
        return Err(format!("the file has TID for {:?} but its spec gives {:?}", samplers(file), samplers(&again)));
    }
    // The k x e grid (`metrics.k_grid`): the same samplers, k and radii, then its values below.
    let grids =
        |v: &serde_json::Value| -> Vec<String> { v.get("tid_grid").and_then(|t| t.as_object()).map(|o| o.keys().cloned().collect()).unwrap_or_default() };
    if grids(file) != grids(&again) {
        return Err(format!(
            "the file has a k x e grid of TID for {:?} but its spec (metrics.k_grid {}) gives {:?}: the file was edited or made by another version",
            grids(file),
            file["spec"]["metrics"]["k_grid"],
            grids(&again)
        ));
    }
    for name in grids(file) {
        for key in ["k", "eps"] {
            let (a, b) = (&file["tid_grid"][&name][key], &again["tid_grid"][&name][key]);
            if a != b {
                return Err(format!(
                    "tid_grid.{name}.{key} is {a} in the file but {b} when its nets are sampled again: the file was edited or made by another version"
                ));
            }
        }
    }
    if gpu_sampled {
        return Ok(());
    }
    let mut paths: Vec<(String, serde_json::Value, serde_json::Value, f64)> = Vec::new();
    for name in samplers(file) {
        let (a, b) = (&file["tid"][&name], &again["tid"][&name]);
        for i in 0..a.as_array().map_or(0, Vec::len).max(b.as_array().map_or(0, Vec::len)) {
            for k in ["eps", "tid", "tid_std"] {
                let allowance = if k == "eps" { 0.0 } else { spread(&a[i]) };
                paths.push((format!("tid.{name}[{i}].{k}"), a[i][k].clone(), b[i][k].clone(), allowance));
            }
        }
        let (a, b) = (file["marginal_accuracy"][&name].clone(), again["marginal_accuracy"][&name].clone());
        paths.push((format!("marginal_accuracy.{name}"), a, b, 4.0 / n));
    }
    // The k x e grid's values, each within a quarter of its spread (as TID's).
    let grid_paths = |at: &str, a: &serde_json::Value, b: &serde_json::Value, paths: &mut Vec<(String, serde_json::Value, serde_json::Value, f64)>| {
        for name in grids(file) {
            let (x, y) = (&a["tid_grid"][&name], &b["tid_grid"][&name]);
            for (i, row) in x["tid"].as_array().into_iter().flatten().enumerate() {
                for j in 0..row.as_array().map_or(0, Vec::len) {
                    let allowance = 0.25 * x["tid_std"][i][j].as_f64().unwrap_or(0.0);
                    paths.push((format!("{at}tid_grid.{name}.tid[{i}][{j}]"), x["tid"][i][j].clone(), y["tid"][i][j].clone(), allowance));
                }
            }
        }
    };
    grid_paths("", file, &again, &mut paths);
    let kept = |v: &serde_json::Value| v.get("checkpoints").and_then(|c| c.as_array()).map_or(0, Vec::len);
    if kept(file) != kept(&again) {
        return Err(format!("the file measured {} checkpoints but its nets give {}", kept(file), kept(&again)));
    }
    for c in 0..kept(file) {
        let (a, b) = (&file["checkpoints"][c], &again["checkpoints"][c]);
        paths.push((format!("checkpoints[{c}].iter"), a["iter"].clone(), b["iter"].clone(), 0.0));
        for name in samplers(file) {
            for i in 0..a["tid"][&name].as_array().map_or(0, Vec::len) {
                let (x, y) = (&a["tid"][&name][i], &b["tid"][&name][i]);
                paths.push((format!("checkpoints[{c}].tid.{name}[{i}].tid"), x["tid"].clone(), y["tid"].clone(), spread(x)));
            }
            let (x, y) = (a["marginal_accuracy"][&name].clone(), b["marginal_accuracy"][&name].clone());
            paths.push((format!("checkpoints[{c}].marginal_accuracy.{name}"), x, y, 4.0 / n));
        }
        // Its k x e grid, as the final nets'.
        grid_paths(&format!("checkpoints[{c}]."), a, b, &mut paths);
    }
    for i in 0..file["tid_null"].as_array().map_or(0, Vec::len) {
        let entry = &file["tid_null"][i];
        paths.push((format!("tid_null[{i}].tid"), entry["tid"].clone(), again["tid_null"][i]["tid"].clone(), spread(entry)));
    }
    for (path, a, b, allowance) in paths {
        if !same(&a, &b, allowance) {
            return Err(format!("{path} is {a} in the file but {b} when its nets are sampled again: the file was edited or made by another version"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::block_on;
    use crate::sample::SamplerKind;
    use std::ops::ControlFlow;

    /// A saved run with a k x e grid (and checkpoints, each with its grid) measured again at
    /// other radii: every grid is cut to the radii both have for the check, and the new result's
    /// grids hold the new radii (issue 55 #4: it failed for every such run).
    #[test]
    fn a_k_by_e_grid_is_measured_again_at_other_radii() {
        let mut spec = ExperimentSpec::default();
        spec.model.width = 16;
        spec.training.iters = 40;
        spec.training.batch = 128;
        spec.training.report_every = 20;
        spec.training.checkpoints = vec![20];
        spec.sampling.samplers = vec![SamplerKind::Ode];
        spec.sampling.steps = [(SamplerKind::Ode, 20)].into();
        spec.sampling.n_samples = 300;
        spec.metrics.k_grid = vec![10, 300];
        spec.metrics.eps = vec![0.1, 0.2, 0.5];
        let r = block_on(super::super::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
        let text = save(&r).unwrap();
        let again = block_on(open(&text).unwrap().remeasure(vec![0.2, 0.3], &mut |_| ControlFlow::Continue(()))).map_err(|e| e.to_string()).unwrap();
        for g in again.tid_grid.values().chain(again.checkpoints.iter().flat_map(|c| c.tid_grid.values())) {
            assert_eq!((g.k.clone(), g.eps.clone()), (vec![10, 300], vec![0.2, 0.3]));
            assert!(g.tid.iter().chain(&g.tid_std).all(|row| row.len() == 2));
        }
        assert_eq!(again.checkpoints.len(), 1);
        // At the radius both have, the file's grid.
        assert_eq!(again.tid_grid["ode"].tid[0][0], r.tid_grid["ode"].tid[0][1]);
    }

    /// The k x e grid is checked as every other figure (issue 41 #6): an edited value, an
    /// edited `metrics.k_grid` and a dropped grid are refused by name.
    #[test]
    fn an_edited_k_by_e_grid_or_k_grid_is_refused() {
        let mut spec = ExperimentSpec::default();
        spec.model.width = 16;
        spec.training.iters = 40;
        spec.training.batch = 128;
        spec.training.report_every = 20;
        spec.sampling.samplers = vec![SamplerKind::Ode];
        spec.sampling.steps = [(SamplerKind::Ode, 20)].into();
        spec.sampling.n_samples = 300;
        spec.metrics.k_grid = vec![10, 300];
        spec.metrics.eps = vec![0.1, 0.2, 0.5];
        let r = block_on(super::super::run(&spec, &mut |_| ControlFlow::Continue(()))).unwrap();
        let text = save(&r).unwrap();
        let reopen = |t: &str| block_on(open(t).unwrap().reopen(&mut |_| ControlFlow::Continue(()))).map(|_| ()).map_err(|e| e.to_string());
        reopen(&text).unwrap();
        let edited = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
            f(&mut v);
            reopen(&v.to_string()).unwrap_err()
        };
        let e = edited(&|v| {
            // Beyond what rounding could move it (a quarter of its spread over reference draws).
            let sd = v["result"]["tid_grid"]["ode"]["tid_std"][0][2].as_f64().unwrap();
            let cell = &mut v["result"]["tid_grid"]["ode"]["tid"][0][2];
            *cell = (cell.as_f64().unwrap() + 0.5 + sd).into();
        });
        assert!(e.starts_with("tid_grid.ode.tid[0][2] is"), "{e}");
        let e = edited(&|v| {
            v["spec"]["metrics"]["k_grid"] = serde_json::json!([10, 200]);
            v["result"]["spec"]["metrics"]["k_grid"] = serde_json::json!([10, 200]);
        });
        assert!(e.starts_with("tid_grid.") && e.contains(".k is [10,300] in the file but [10,200]"), "{e}");
        let e = edited(&|v| {
            v["result"].as_object_mut().unwrap().remove("tid_grid");
        });
        assert!(e.contains("k x e grid") && e.contains("metrics.k_grid"), "{e}");
    }
}
