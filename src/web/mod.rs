//! The JS-facing API of the wasm build: thin glue over the same core the CLI uses. The page
//! calls it from a Web Worker (www/worker.js) so training never blocks the page.

use crate::engine::block_on;
use crate::experiment::{self, overrides, Event, ExperimentSpec, SpecError};
use crate::metrics;
use crate::points::Points;
use js_sys::{Float32Array, Function, Object, Reflect};
use serde::Serialize;
use std::ops::ControlFlow;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    // A Rust panic shows as a readable message in the page, not a blank.
    console_error_panic_hook::set_once();
}

fn to_js<T: Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap_or(JsValue::NULL)
}

/// `{field, message, text}` for the page to show next to the control.
fn spec_error(e: &SpecError) -> JsValue {
    let field = overrides::name_of(&e.field).unwrap_or(&e.field).to_string();
    to_js(&serde_json::json!({"field": field, "message": e.message, "text": e.to_string()}))
}

#[wasm_bindgen(js_name = defaultSpec)]
pub fn default_spec() -> JsValue {
    to_js(&ExperimentSpec::default())
}

/// The samplers the lab offers: `[{name, default_steps, stochastic}]`, in display order.
#[wasm_bindgen(js_name = samplerKinds)]
pub fn sampler_kinds() -> JsValue {
    let kinds: Vec<_> = crate::sample::SamplerKind::ALL
        .iter()
        .map(|k| serde_json::json!({"name": k.name(), "default_steps": k.default_steps(), "stochastic": k.is_stochastic()}))
        .collect();
    to_js(&kinds)
}

/// Builds a spec from `[[name, value], ...]` (URL parameters or form fields, named as the CLI
/// flags are); throws `{field, message}` on the first bad one.
#[wasm_bindgen(js_name = specFromPairs)]
pub fn spec_from_pairs(pairs_json: &str) -> Result<JsValue, JsValue> {
    let pairs: Vec<(String, String)> =
        serde_json::from_str(pairs_json).map_err(|e| JsValue::from_str(&format!("bad pairs: {e}")))?;
    experiment::overrides::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .map(|s| to_js(&s))
        .map_err(|e| spec_error(&e))
}

/// Runs one experiment on the CPU engine (wasm SIMD). `on_event` receives
/// `{kind: "phase", phase}` and `{kind: "progress", iter, total, loss, elapsed_s}`.
/// Returns `{result, samples: {name: Float32Array}, reference: Float32Array}`.
#[wasm_bindgen(js_name = runExperiment)]
pub fn run_experiment(spec_json: &str, on_event: Function) -> Result<JsValue, JsValue> {
    let spec = ExperimentSpec::from_json(spec_json).map_err(|e| spec_error(&e))?;
    let mut cb = |e: Event| {
        let v = match e {
            Event::Phase(p) => serde_json::json!({"kind": "phase", "phase": p}),
            Event::Training(p) => serde_json::json!({
                "kind": "progress", "iter": p.iter, "total": p.total, "loss": p.loss, "elapsed_s": p.elapsed_s
            }),
        };
        match on_event.call1(&JsValue::NULL, &to_js(&v)) {
            Ok(r) if r == JsValue::FALSE => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    };
    // The CPU engine's futures are ready at once; no await is needed.
    let result = block_on(experiment::run(&spec, &mut cb)).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let out = Object::new();
    let samples = Object::new();
    for (name, p) in &result.samples {
        Reflect::set(&samples, &name.into(), &Float32Array::from(p.data.as_slice()))?;
    }
    Reflect::set(&out, &"samples".into(), &samples)?;
    if let Some(r) = &result.reference {
        Reflect::set(&out, &"reference".into(), &Float32Array::from(r.data.as_slice()))?;
    }
    Reflect::set(&out, &"result".into(), &to_js(&result))?;
    let recordings = Object::new();
    for (name, r) in &result.recordings {
        Reflect::set(&recordings, &name.into(), &recording_js(r)?)?;
    }
    Reflect::set(&out, &"recordings".into(), &recordings)?;
    if let Some(t) = &result.truth {
        Reflect::set(&out, &"truth".into(), &recording_js(t)?)?;
    }
    Ok(out.into())
}

/// A recording as a plain object, its trajectories as a Float32Array.
fn recording_js(r: &crate::sample::Recording) -> Result<JsValue, JsValue> {
    let v = to_js(&serde_json::json!({
        "coordinate": r.coordinate, "lo": r.lo, "hi": r.hi, "bins": r.bins, "requested": r.requested,
        "times": r.times, "histograms": r.histograms, "outside": r.outside,
        "trajectory_times": r.trajectory_times, "trajectory_points": r.trajectory_points, "dim": r.dim,
    }));
    Reflect::set(&v, &"trajectories".into(), &Float32Array::from(r.trajectories.as_slice()))?;
    Ok(v)
}

/// TID(e) of two point sets given as flat row-major arrays (the same computation as
/// `collapse-lab tid`, for checking that the browser and native builds agree).
#[wasm_bindgen(js_name = tidCurve)]
pub fn tid_curve(train: &[f32], samples: &[f32], dim: usize, eps: &[f64]) -> Result<JsValue, JsValue> {
    if dim == 0 || train.len() % dim != 0 || samples.len() != train.len() {
        return Err(JsValue::from_str("train and samples must be flat arrays of one size, a multiple of dim"));
    }
    let t = Points::new(dim, train.to_vec());
    let s = Points::new(dim, samples.to_vec());
    Ok(to_js(&metrics::tid_curve(&t, &s, eps, None)))
}
