//! The JS-facing API of the wasm build: thin glue over the same core the CLI uses. The page
//! calls it from a Web Worker (www/worker.js) so training never blocks the page.

use crate::engine::gpu::GpuContext;
use crate::experiment::{self, Backend, Event};
use crate::metrics;
use crate::points::Points;
use crate::spec::{ExperimentSpec, SpecError, overrides};
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

/// The samplers the lab offers: `[{name, label, default_steps, stochastic}]`, in display order
/// (the page's labels come from here).
#[wasm_bindgen(js_name = samplerKinds)]
pub fn sampler_kinds() -> JsValue {
    let kinds: Vec<_> = crate::sample::SamplerKind::ALL
        .iter()
        .map(|k| serde_json::json!({"name": k.name(), "label": k.label(), "default_steps": k.default_steps(), "stochastic": k.is_stochastic()}))
        .collect();
    to_js(&kinds)
}

/// The spec of `[[name, value], ...]` (URL parameters or form fields, named as the CLI flags
/// are), or `{field, message, text}` for the first bad one.
fn spec_of_pairs(pairs_json: &str) -> Result<ExperimentSpec, JsValue> {
    let pairs: Vec<(String, String)> = serde_json::from_str(pairs_json).map_err(|e| JsValue::from_str(&format!("bad pairs: {e}")))?;
    overrides::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|e| spec_error(&e))
}

/// A spec's JSON as the page passes it back.
fn spec_of_json(spec_json: &str) -> Result<ExperimentSpec, JsValue> {
    serde_json::from_str(spec_json).map_err(|e| JsValue::from_str(&format!("bad spec: {e}")))
}

/// Builds a spec from `[[name, value], ...]` (URL parameters or form fields, named as the CLI
/// flags are); throws `{field, message}` on the first bad one.
#[wasm_bindgen(js_name = specFromPairs)]
pub fn spec_from_pairs(pairs_json: &str) -> Result<JsValue, JsValue> {
    spec_of_pairs(pairs_json).map(|s| to_js(&s))
}

/// The experiment of the form's `[[name, value]]` pairs as a self-contained PyTorch script
/// (`collapse-lab torch-script`): refused, naming the field, where the spec is.
#[wasm_bindgen(js_name = torchScript)]
pub fn torch_script(pairs_json: &str) -> Result<String, JsValue> {
    crate::export::torch_script(&spec_of_pairs(pairs_json)?).map_err(|e| spec_error(&e))
}

/// The canonical form of a spec (`ExperimentSpec::canonical`): the key a run is stored under,
/// so a run of the form and the same run from a file or the CLI share one key (and a shipped
/// run is the form's when their keys are equal).
#[wasm_bindgen(js_name = canonicalSpec)]
pub fn canonical_spec(spec_json: &str) -> Result<JsValue, JsValue> {
    Ok(to_js(&spec_of_json(spec_json)?.canonical()))
}

/// Attaches a CSV data set's points (`readDataCsv`'s, which the spec names by fingerprint only);
/// refused, naming `csv`, if they are not the file the spec names.
fn attach_data(spec: &mut ExperimentSpec, data: Option<Vec<f32>>) -> Result<(), JsValue> {
    if let (Some(c), Some(data)) = (spec.csv.as_mut().filter(|c| c.points.0.is_none()), data) {
        let dim = c.dim;
        c.attach(Points::new(dim, data)).map_err(|m| spec_error(&SpecError { field: "csv".into(), message: m }))?;
    }
    Ok(())
}

/// The engine a run of the page trains on, as the page chose it (www/gpu.js): with `use_gpu`
/// the WGSL engine through WebGPU (with `auto` too, only if a few timed steps show it faster
/// than the CPU engine for the spec), else the CPU engine (wasm SIMD); where WebGPU gives no
/// device, the CPU engine with a note. The exact score trains nothing: the CPU. Also the GPU
/// context, for the lost-device test hook.
async fn backend_of(use_gpu: bool, auto: bool, exact_score: bool, note: &mut dyn FnMut(String)) -> (Backend, Option<GpuContext>) {
    if !use_gpu || exact_score {
        return (Backend::Cpu, None);
    }
    match GpuContext::new().await {
        Ok(ctx) => (if auto { Backend::Auto(ctx.clone()) } else { Backend::Gpu(ctx.clone()) }, Some(ctx)),
        Err(why) => {
            note(format!("{why}; training on the CPU engine"));
            (Backend::Cpu, None)
        }
    }
}

/// Runs one experiment. With `use_gpu`, training runs on the WGSL engine through WebGPU (with
/// `auto` too, only if a few timed steps show it faster than the CPU engine for this spec), and
/// falls back to the CPU engine (wasm SIMD) with a note if there is no adapter, the engine
/// cannot take the spec, or the device is lost. `data`: the points of a CSV data set's file
/// (the result then holds them as `data`, for saving and storing the run). `lose_gpu_after` > 0
/// destroys the device once training passes that iteration (to test the fallback). `on_event` receives
/// `{kind: "phase", phase}`, `{kind: "progress", iter, total, loss, elapsed_s}` and
/// `{kind: "note", text}`; returning false cancels.
/// Resolves to `{result, samples: {name: Float32Array}, reference, recordings, truth}`.
#[wasm_bindgen(js_name = runExperiment)]
pub async fn run_experiment(
    spec_json: String,
    on_event: Function,
    use_gpu: bool,
    lose_gpu_after: u32,
    auto: bool,
    saved: Option<String>,
    data: Option<Vec<f32>>,
) -> Result<JsValue, JsValue> {
    // A saved run (`saved`, the text of its file): its spec and nets, sampled and measured
    // again on the CPU without training, and checked against the file's figures.
    let opened = match saved {
        Some(text) => Some(experiment::saved::open(&text).map_err(|e| JsValue::from_str(&e))?),
        None => None,
    };
    let mut spec = match &opened {
        Some(o) => o.spec.clone(),
        None => ExperimentSpec::from_json(&spec_json).map_err(|e| spec_error(&e))?,
    };
    attach_data(&mut spec, data)?;
    let use_gpu = use_gpu && opened.is_none();
    let send = |v: serde_json::Value| on_event.call1(&JsValue::NULL, &to_js(&v));
    let (backend, ctx) = backend_of(use_gpu, auto, spec.sampling.exact_score, &mut |text| {
        let _ = send(serde_json::json!({"kind": "note", "text": text}));
    })
    .await;
    let mut lose = ctx.filter(|_| lose_gpu_after > 0);
    let mut cb = |e: Event| {
        // The test hook `lose-gpu-after`: the device is lost at that iteration.
        if let Event::Training(p) = &e
            && p.iter >= lose_gpu_after as u64
            && let Some(ctx) = lose.take()
        {
            ctx.lose();
        }
        match send(e.to_json()) {
            Ok(r) if r == JsValue::FALSE => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    };
    let result = match opened {
        Some(o) => o.reopen(&mut cb).await.map_err(|e| JsValue::from_str(&e.to_string()))?,
        None => experiment::run_with(&spec, backend, None, &mut cb).await.map_err(|e| JsValue::from_str(&e.to_string()))?,
    };
    let out = Object::new();
    let params = js_sys::Array::new();
    for p in &result.params {
        params.push(&Float32Array::from(p.as_slice()));
    }
    Reflect::set(&out, &"params".into(), &params)?;
    let kept = js_sys::Array::new();
    for (iter, nets) in &result.checkpoint_params {
        let c = Object::new();
        Reflect::set(&c, &"iter".into(), &JsValue::from(*iter as f64))?;
        let arr = js_sys::Array::new();
        for p in nets {
            arr.push(&Float32Array::from(p.as_slice()));
        }
        Reflect::set(&c, &"params".into(), &arr)?;
        kept.push(&c);
    }
    Reflect::set(&out, &"checkpointParams".into(), &kept)?;
    let samples = Object::new();
    for (name, p) in &result.samples {
        Reflect::set(&samples, &name.into(), &Float32Array::from(p.data.as_slice()))?;
    }
    Reflect::set(&out, &"samples".into(), &samples)?;
    if let Some(p) = result.spec.csv.as_ref().and_then(|c| c.points.0.as_ref()) {
        Reflect::set(&out, &"data".into(), &Float32Array::from(p.data.as_slice()))?;
    }
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

/// The events of a study run or a chain as `{kind: "progress", iter, total}`, `{kind: "phase",
/// phase}`, `{kind: "note", text}` and `{kind: "chain", chain}` for `on_event`; its returning
/// false cancels.
fn relay(on_event: &Function) -> impl FnMut(Event) -> ControlFlow<()> + '_ {
    move |e: Event| match on_event.call1(&JsValue::NULL, &to_js(&e.to_json())) {
        Ok(r) if r == JsValue::FALSE => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    }
}

/// The settings table (the same as the CLI flags and URL parameters), in order:
/// `[{name, field, kind, help, choices}]`; the page builds its choices and checks from it.
#[wasm_bindgen(js_name = settingsTable)]
pub fn settings_table() -> JsValue {
    let rows: Vec<_> = overrides::SETTINGS
        .iter()
        .map(|x| {
            serde_json::json!({"name": x.name, "field": x.field, "kind": x.kind, "help": x.help, "choices": (x.choices)(),
                "dataset": overrides::only_for(x.name)})
        })
        .collect();
    to_js(&rows)
}

/// The page's own parameters and the plan inputs of studies and generations (overrides::
/// PAGE_PARAMS, PLAN_PARAMS, SHARED_PAGE_PARAMS, PAGE_WORKERS_MAX): `{page: [name], plan:
/// [{name, of}], shared: [name], workers_max}`.
#[wasm_bindgen(js_name = pageParams)]
pub fn page_params() -> JsValue {
    let page: Vec<&str> = overrides::PAGE_PARAMS.iter().map(|p| p.0).collect();
    let plan: Vec<_> = overrides::PLAN_PARAMS.iter().map(|(n, of)| serde_json::json!({"name": n, "of": of})).collect();
    to_js(
        &serde_json::json!({"page": page, "plan": plan, "shared": overrides::SHARED_PAGE_PARAMS, "workers_max": overrides::PAGE_WORKERS_MAX, "together": crate::study::share::TOGETHER_DEFAULT, "together_max": crate::study::share::TOGETHER_MAX}),
    )
}

/// A saved run's file text from a run's result JSON, its nets' parameters (`out.params`) and,
/// for a CSV data set, the file's points (`out.data`).
#[wasm_bindgen(js_name = saveRun)]
pub fn save_run(result_json: &str, params: js_sys::Array, data: Option<Vec<f32>>, checkpoints: Option<js_sys::Array>) -> Result<String, JsValue> {
    let result: serde_json::Value = serde_json::from_str(result_json).map_err(|e| JsValue::from_str(&format!("bad result: {e}")))?;
    let params: Vec<Vec<f32>> = params.iter().map(|p| Float32Array::from(p).to_vec()).collect();
    // `checkpoints`: [{iter, params: [Float32Array per net]}] as a run's `out.checkpointParams`.
    let mut kept = Vec::new();
    for c in checkpoints.map(|a| a.to_vec()).unwrap_or_default() {
        let iter = Reflect::get(&c, &"iter".into())?.as_f64().ok_or_else(|| JsValue::from_str("checkpoint without iter"))? as u64;
        let nets: js_sys::Array = Reflect::get(&c, &"params".into())?.dyn_into()?;
        kept.push((iter, nets.iter().map(|p| Float32Array::from(p).to_vec()).collect()));
    }
    experiment::saved::save_parts(params, result, data, kept).map_err(|e| JsValue::from_str(&e))
}

/// A training set from a CSV file's text (the page's Load CSV, read in the worker): `{setting,
/// rows, dim, header, points}`, `setting` being the `csv` setting that names it
/// (`FINGERPRINT:ROWSxDIM`) and `points` the rows as a row-major Float32Array to pass to
/// `runExperiment`. `on_event` hears `{kind: "progress", iter, total}` (bytes parsed). Throws
/// `{field: "csv", message, text}` naming the line and column of a bad value.
#[wasm_bindgen(js_name = readDataCsv)]
pub fn read_data_csv(text: &str, on_event: &Function) -> Result<JsValue, JsValue> {
    let total = text.len().max(1);
    let progress = |done: usize| {
        let _ = on_event.call1(&JsValue::NULL, &to_js(&serde_json::json!({"kind": "progress", "iter": done, "total": total})));
    };
    let csv_error = |m: String| spec_error(&SpecError { field: "csv".into(), message: m });
    let (dim, values, info) = crate::points::read_csv_text(text, progress).map_err(csv_error)?;
    let set = crate::data::CsvSet::of_values(dim, &values);
    let points = set.points().map_err(csv_error)?;
    let out = to_js(&serde_json::json!({"setting": set.print(), "rows": set.rows, "dim": set.dim, "header": info.header}));
    Reflect::set(&out, &"points".into(), &Float32Array::from(points.data.as_slice()))?;
    Ok(out)
}

/// The gallery (src/spec/presets.rs): `[{id, figure, title, look, kind, quick, quick_note, paper,
/// shipped}]`, `quick` and `paper` being the URL queries of the two sizes, `shipped` whether the
/// paper size ships with the page already trained.
#[wasm_bindgen]
pub fn gallery() -> JsValue {
    use crate::spec::presets::{PRESETS, SHIPPED, Size};
    let rows: Vec<_> = PRESETS
        .iter()
        .map(|p| {
            serde_json::json!({"id": p.id, "figure": p.figure, "title": p.title, "look": p.look, "kind": p.kind,
                "quick": p.query(Size::Quick), "quick_note": p.quick_note, "paper": p.query(Size::Paper), "shipped": SHIPPED.contains(&p.id)})
        })
        .collect();
    to_js(&rows)
}

/// A helper worker of the page's CPU engine: computes chosen shards of every batch of one net's
/// training (engine::cpu::ShardSet), for the run's worker to sum in shard order.
#[wasm_bindgen]
pub struct ShardComputer {
    set: crate::engine::cpu::ShardSet,
}

#[wasm_bindgen]
impl ShardComputer {
    /// `setup`: `{net, batch, lo, hi, dist, seed}` as the run's worker sends it (`net` the net's
    /// config); `data` the training set's points, row after row, of the net's dimension.
    #[wasm_bindgen(constructor)]
    pub fn new(setup_json: &str, data: &[f32]) -> Result<ShardComputer, JsValue> {
        #[derive(serde::Deserialize)]
        struct Setup {
            net: crate::nn::ScoreNetConfig,
            batch: usize,
            lo: f32,
            hi: f32,
            #[serde(default)]
            dist: crate::diffusion::TimeDist,
            seed: u64,
        }
        let s: Setup = serde_json::from_str(setup_json).map_err(|e| JsValue::from_str(&format!("shard setup: {e}")))?;
        let net = crate::nn::ScoreNet::new(s.net);
        let dim = net.dim();
        if dim == 0 || data.is_empty() || !data.len().is_multiple_of(dim) || s.batch == 0 {
            return Err(JsValue::from_str("shard setup: no data, or data not of the net's dimension"));
        }
        let points = std::sync::Arc::new(Points::new(dim, data.to_vec()));
        let times = crate::diffusion::TimeRange { lo: s.lo, hi: s.hi, dist: s.dist };
        Ok(ShardComputer { set: crate::engine::cpu::ShardSet::new(net, points, s.batch, times, s.seed) })
    }

    /// The gradients of `shards` of batch `step` with `params`: `{grads: Float32Array (one
    /// block of n_params per shard, in the order asked), losses: Float64Array}`.
    pub fn grads(&mut self, params: &[f32], step: u32, shards: &[u32]) -> Result<JsValue, JsValue> {
        let n = params.len();
        let mut grads = Vec::with_capacity(n * shards.len());
        let mut losses = Vec::with_capacity(shards.len());
        for &i in shards {
            if i as usize >= self.set.shards() {
                return Err(JsValue::from_str(&format!("shard {i} of {}", self.set.shards())));
            }
            let g = self.set.grads(params, step, i as usize);
            grads.extend_from_slice(&g.grads);
            losses.push(g.loss);
        }
        let out = Object::new();
        Reflect::set(&out, &"grads".into(), &Float32Array::from(grads.as_slice()))?;
        Reflect::set(&out, &"losses".into(), &js_sys::Float64Array::from(losses.as_slice()))?;
        Ok(out.into())
    }
}

/// The page's pool of helper workers (www/pool.js): one protocol for training shards and
/// sampling blocks. `count` helpers; `INIT(setup, data) -> bool` sets them up (the setup JSON
/// says how many to use); `START(...)` hands them a step's work; `FINISH() -> Promise<[...]>`
/// gathers their answers.
struct JsPool {
    pool: JsValue,
    count: usize,
    start: &'static str,
    finish: &'static str,
}

/// A JS error's message, for a helper's failure note.
fn js_text(e: JsValue) -> String {
    e.as_string().or_else(|| js_sys::Error::from(e).message().as_string()).unwrap_or_else(|| "a helper worker failed".into())
}

impl JsPool {
    /// At most `most` of the pool's helpers set up with `init(setup(count), data)`; none where
    /// there is no pool, nothing to share, or the pool declines.
    fn open(
        pool: &JsValue,
        most: usize,
        names: (&str, &'static str, &'static str),
        setup: impl Fn(usize) -> serde_json::Value,
        data: &JsValue,
    ) -> Option<JsPool> {
        let count = (Reflect::get(pool, &"count".into()).ok()?.as_f64()? as usize).min(most);
        if count == 0 {
            return None;
        }
        let init: Function = Reflect::get(pool, &names.0.into()).ok()?.dyn_into().ok()?;
        let ok = init.call2(pool, &JsValue::from_str(&setup(count).to_string()), data).ok()?;
        ok.as_bool().unwrap_or(false).then(|| JsPool { pool: pool.clone(), count, start: names.1, finish: names.2 })
    }

    fn start(&self, args: &[JsValue]) {
        if let Ok(f) = Reflect::get(&self.pool, &self.start.into()).and_then(|f| f.dyn_into::<Function>()) {
            let _ = f.apply(&self.pool, &args.iter().collect::<js_sys::Array>());
        }
    }

    /// The helpers' answers, one item per shard or block.
    async fn finish(&self) -> Result<Vec<JsValue>, String> {
        let f: Function = Reflect::get(&self.pool, &self.finish.into()).and_then(|f| f.dyn_into()).map_err(js_text)?;
        let promise: js_sys::Promise = f.call0(&self.pool).map_err(js_text)?.dyn_into().map_err(|_| format!("{} gave no promise", self.finish))?;
        let got = wasm_bindgen_futures::JsFuture::from(promise).await.map_err(js_text)?;
        let arr: js_sys::Array = got.dyn_into().map_err(|_| "the helpers' answer is not a list".to_string())?;
        Ok(arr.iter().collect())
    }
}

/// The page's helper workers for this worker's CPU engines: `pool` is `{count, init(setup,
/// data) -> bool, start(params, step), finish() -> Promise<[{shard, grads, loss}]>}` (www/pool.js),
/// or null for none. Every CPU engine made afterwards in this worker splits its batches with them,
/// and every run sampled on the CPU its blocks (the pool's sample* methods).
#[wasm_bindgen(js_name = setShardHelpers)]
pub fn set_shard_helpers(pool: JsValue) {
    use crate::engine::cpu::{self, ShardSetup};
    // The same helpers sample blocks of the run's samplers.
    set_sample_helpers(&pool);
    if pool.is_null() || pool.is_undefined() {
        cpu::set_shard_helpers(None);
        return;
    }
    cpu::set_shard_helpers(Some(Box::new(move |s: &ShardSetup| {
        let setup = |count: usize| {
            serde_json::json!({"net": s.net.config, "batch": s.batch, "lo": s.times.lo, "hi": s.times.hi, "dist": s.times.dist,
                "seed": s.seed, "shards": s.shards, "count": count})
        };
        let data = Float32Array::from(s.data.data.as_slice());
        let pool = JsPool::open(&pool, s.shards.saturating_sub(1), ("init", "start", "finish"), setup, &data)?;
        Some(Box::new(JsHelpers(pool)) as Box<dyn cpu::ShardHelpers>)
    })));
}

/// Training's side of the pool: each helper computes its shards' gradients at a step.
struct JsHelpers(JsPool);

impl crate::engine::cpu::ShardHelpers for JsHelpers {
    fn count(&self) -> usize {
        self.0.count
    }

    fn start(&mut self, params: &[f32], step: u32) {
        self.0.start(&[Float32Array::from(params).into(), JsValue::from(step)]);
    }

    fn finish(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<crate::engine::cpu::ShardGrad>, String>> + '_>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for item in self.0.finish().await? {
                let num = |k: &str| Reflect::get(&item, &k.into()).ok().and_then(|v| v.as_f64());
                let grads: Float32Array =
                    Reflect::get(&item, &"grads".into()).map_err(js_text)?.dyn_into().map_err(|_| "grads are not a Float32Array".to_string())?;
                out.push(crate::engine::cpu::ShardGrad {
                    shard: num("shard").ok_or("a shard without its index")? as usize,
                    grads: grads.to_vec(),
                    loss: num("loss").ok_or("a shard without its loss")?,
                });
            }
            Ok(out)
        })
    }
}

/// A helper worker's share of a run's sampling: the run's model (rebuilt from its spec and the
/// nets' parameters), initial noise and recording plan; it samples the blocks it is asked for
/// (experiment::sampling::BlockJob), for the run's worker to put in place.
#[wasm_bindgen]
pub struct BlockSampler {
    job: crate::experiment::sampling::BlockJob,
}

#[wasm_bindgen]
impl BlockSampler {
    /// `setup`: `{spec, plan}` as the run's worker sends it; `params`: one Float32Array per net.
    #[wasm_bindgen(constructor)]
    pub fn new(setup_json: &str, params: js_sys::Array) -> Result<BlockSampler, JsValue> {
        #[derive(serde::Deserialize)]
        struct Setup {
            spec: ExperimentSpec,
            plan: crate::sample::RecordPlan,
        }
        let s: Setup = serde_json::from_str(setup_json).map_err(|e| JsValue::from_str(&format!("sampling setup: {e}")))?;
        let params: Vec<Vec<f32>> = params
            .iter()
            .map(|p| p.dyn_into::<Float32Array>().map(|a| a.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|_| JsValue::from_str("sampling setup: parameters are not Float32Arrays"))?;
        let job = crate::experiment::sampling::BlockJob::new(s.spec, &params, s.plan).map_err(|e| JsValue::from_str(&format!("sampling setup: {e}")))?;
        Ok(BlockSampler { job })
    }

    /// Blocks `blocks` of sampler `kind`'s run with noise stream `stream`: `[{block, points:
    /// Float32Array (the block's rows), record: the block's recording as JSON}]`.
    pub fn run(&self, kind: &str, stream: u32, blocks: &[u32]) -> Result<js_sys::Array, JsValue> {
        let kind = crate::sample::SamplerKind::parse(kind).ok_or_else(|| JsValue::from_str(&format!("unknown sampler {kind}")))?;
        let which: Vec<usize> = blocks.iter().map(|&b| b as usize).collect();
        let out = js_sys::Array::new();
        for o in self.job.run(kind, stream as u64, &which) {
            let item = Object::new();
            Reflect::set(&item, &"block".into(), &JsValue::from(o.block as u32))?;
            Reflect::set(&item, &"points".into(), &Float32Array::from(o.points.as_slice()))?;
            Reflect::set(&item, &"record".into(), &JsValue::from_str(&serde_json::to_string(&o.record).unwrap_or_default()))?;
            out.push(&item);
        }
        Ok(out)
    }
}

/// The sampling side of the same pool (`sampleInit(setup, params) -> bool, sampleStart(kind,
/// stream, blocks), sampleFinish() -> Promise<[{block, points, record}]>`, www/pool.js).
fn set_sample_helpers(pool: &JsValue) {
    use crate::experiment::sampling::{SampleSetup, set_block_helpers};
    if pool.is_null() || pool.is_undefined() {
        set_block_helpers(None);
        return;
    }
    let pool = pool.clone();
    set_block_helpers(Some(Box::new(move |s: &SampleSetup| {
        let blocks = s.spec.sampling.n_samples.div_ceil(crate::sample::BLOCK);
        let params: js_sys::Array = s.params.iter().map(|p| JsValue::from(Float32Array::from(p.as_slice()))).collect();
        let setup = |count: usize| serde_json::json!({"spec": s.spec, "plan": s.plan, "count": count});
        let pool = JsPool::open(&pool, blocks.saturating_sub(1), ("sampleInit", "sampleStart", "sampleFinish"), setup, &params)?;
        Some(Box::new(JsSamplers(pool)) as Box<dyn crate::sample::BlockHelpers>)
    })));
}

/// Sampling's side of the pool: each helper samples the blocks of a sampler it is handed.
struct JsSamplers(JsPool);

impl crate::sample::BlockHelpers for JsSamplers {
    fn count(&self) -> usize {
        self.0.count
    }

    fn start(&mut self, kind: crate::sample::SamplerKind, stream: u64, blocks: usize) {
        self.0.start(&[JsValue::from_str(kind.name()), JsValue::from(stream as u32), JsValue::from(blocks as u32)]);
    }

    fn finish(&mut self) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Vec<crate::sample::BlockOut>, String>> + '_>> {
        Box::pin(async move {
            let mut out = Vec::new();
            for item in self.0.finish().await? {
                let block = Reflect::get(&item, &"block".into()).ok().and_then(|v| v.as_f64()).ok_or("a block without its index")? as usize;
                let points: Float32Array =
                    Reflect::get(&item, &"points".into()).map_err(js_text)?.dyn_into().map_err(|_| "points are not a Float32Array".to_string())?;
                let record = Reflect::get(&item, &"record".into()).ok().and_then(|r| r.as_string()).unwrap_or_else(|| "null".into());
                let record = serde_json::from_str(&record).map_err(|e| format!("block {block}'s recording: {e}"))?;
                out.push(crate::sample::BlockOut { block, points: points.to_vec(), record });
            }
            Ok(out)
        })
    }
}

/// The findings of a study JSON in words, computed from its numbers, each with whether it
/// leads ([{text, lead}], study::ranked).
#[wasm_bindgen(js_name = studyFindings)]
pub fn study_findings(study_json: &str) -> Result<JsValue, JsValue> {
    let s: crate::study::StudyResult = serde_json::from_str(study_json).map_err(|e| JsValue::from_str(&format!("bad study: {e}")))?;
    Ok(to_js(&crate::study::ranked(&s)))
}

/// The findings of a generations JSON in words, computed from its chains (generations::findings).
#[wasm_bindgen(js_name = generationsFindings)]
pub fn generations_findings(json: &str) -> Result<JsValue, JsValue> {
    let g: crate::generations::GenerationsResult = serde_json::from_str(json).map_err(|e| JsValue::from_str(&format!("bad generations result: {e}")))?;
    Ok(to_js(&crate::generations::findings(&g)))
}

/// The TID radius a generations JSON's charts and findings use by default (generations::tid_radius).
#[wasm_bindgen(js_name = generationsRadius)]
pub fn generations_radius(json: &str) -> Result<JsValue, JsValue> {
    let g: crate::generations::GenerationsResult = serde_json::from_str(json).map_err(|e| JsValue::from_str(&format!("bad generations result: {e}")))?;
    Ok(to_js(&crate::generations::tid_radius(&g)))
}

/// The radius a run's panels name (metrics::tid::headline_radius, as the verdicts and a study's
/// findings choose): `eps` the run's radii, `neighbours` the training set's neighbours per
/// point at each (NaN where not known); the radius, or null without radii.
#[wasm_bindgen(js_name = headlineRadius)]
pub fn headline_radius(eps: Vec<f64>, neighbours: Vec<f64>) -> Option<f64> {
    let radii: Vec<(f64, Option<f64>)> = eps.iter().enumerate().map(|(i, &e)| (e, neighbours.get(i).copied().filter(|n| !n.is_nan()))).collect();
    crate::metrics::tid::headline_radius(&radii).map(|i| radii[i].0)
}

/// Neighbours per training point below which TID at a radius is noise (metrics::tid).
#[wasm_bindgen(js_name = tidFewNeighbours)]
pub fn tid_few_neighbours() -> f64 {
    crate::metrics::tid::FEW_NEIGHBOURS
}

/// The TID radius a study's charts and findings use by default (study::tid_radius, or null),
/// and the data's neighbours per point at each radius: `{radius, neighbours: {e: n}}`.
#[wasm_bindgen(js_name = studyRadius)]
pub fn study_radius(study_json: &str) -> Result<JsValue, JsValue> {
    let s: crate::study::StudyResult = serde_json::from_str(study_json).map_err(|e| JsValue::from_str(&format!("bad study: {e}")))?;
    Ok(to_js(&serde_json::json!({"radius": crate::study::tid_radius(&s), "neighbours": crate::study::data_neighbours_by_radius(&s)})))
}

/// The guided path through the papers (presets::PATH): `[{title, text, look, presets: [id]}]`.
#[wasm_bindgen(js_name = galleryPath)]
pub fn gallery_path() -> JsValue {
    to_js(&crate::spec::presets::PATH)
}

/// A spec's settings as `[[name, value]]` text that `specFromPairs` reads back into the same
/// spec (every setting in force; with `changed`, only those that differ from the defaults).
#[wasm_bindgen(js_name = settingsOf)]
pub fn settings_of(spec_json: &str, changed: bool) -> Result<JsValue, JsValue> {
    let spec = spec_of_json(spec_json)?;
    Ok(to_js(&if changed { overrides::print_changed(&spec) } else { overrides::print(&spec) }))
}

fn study_plan_of(pairs_json: &str, axes_json: &str, seeds: usize) -> Result<crate::study::Plan, JsValue> {
    let base = spec_of_pairs(pairs_json)?;
    let axes: Vec<String> = serde_json::from_str(axes_json).map_err(|e| JsValue::from_str(&format!("bad axes: {e}")))?;
    let axes = axes.iter().map(|a| crate::study::Axis::parse(a)).collect::<Result<Vec<_>, _>>().map_err(|e| spec_error(&e))?;
    crate::study::plan(&base, axes, seeds).map_err(|e| spec_error(&e))
}

/// Plans a study exactly as `collapse-lab study` does: the base from `[[name, value], ...]`,
/// axes as `["width=16,64", ...]`, `seeds` runs per cell. Throws `{field, message, text}`.
/// Resolves to `{base, axes, seeds, cells, runs: [{index, cell, seed_index, settings, spec}]}`.
#[wasm_bindgen(js_name = studyPlan)]
pub fn study_plan(pairs_json: &str, axes_json: &str, seeds: usize) -> Result<JsValue, JsValue> {
    Ok(to_js(&study_plan_of(pairs_json, axes_json, seeds)?))
}

/// Aggregates the run records present (`[record, ...]` as `runStudyRun` returns them) into the
/// study JSON of the CLI: cells with mean, std and per-seed values of every figure.
#[wasm_bindgen(js_name = studyAggregate)]
pub fn study_aggregate(pairs_json: &str, axes_json: &str, seeds: usize, records_json: &str) -> Result<JsValue, JsValue> {
    let plan = study_plan_of(pairs_json, axes_json, seeds)?;
    let records: Vec<crate::study::RunRecord> = serde_json::from_str(records_json).map_err(|e| JsValue::from_str(&format!("bad run records: {e}")))?;
    Ok(to_js(&crate::study::aggregate(&plan, &records)))
}

/// The runs of a study's plan in jobs of groups that share training, in the order the CLI's
/// batch starts them (`study::share::jobs`): `[[[index, ...], ...], ...]`, the indices into
/// `plan.runs`. `together` > 1 (the page's WebGPU engine): up to that many nets of groups with
/// one training shape train side by side in a job; 1: a job is one group.
#[wasm_bindgen(js_name = studyGroups)]
pub fn study_groups(pairs_json: &str, axes_json: &str, seeds: usize, together: usize) -> Result<JsValue, JsValue> {
    let plan = study_plan_of(pairs_json, axes_json, seeds)?;
    let all: Vec<usize> = (0..plan.runs.len()).collect();
    Ok(to_js(&crate::study::share::jobs(&plan, &all, together.clamp(1, crate::study::share::TOGETHER_MAX))))
}

/// Runs one job of a study's planned runs (`[[{index, cell, seed_index, settings, spec}, ...],
/// ...]`, the groups of a job of `studyGroups`), as the CLI's study does: each group's first run
/// trains on the engine the page chose (`use_gpu`, `auto`: as for `runExperiment`; on WebGPU
/// the groups' nets side by side), the others sample its nets. Each run's record (figures,
/// result, or error) goes to `on_event` as `{kind: "record", record}` when it finishes, between
/// the run's own events, group by group; resolves when the job is done. `data`: a CSV data set's
/// points, as for `runExperiment`.
#[wasm_bindgen(js_name = runStudyGroup)]
pub async fn run_study_group(job_json: String, on_event: Function, data: Option<Vec<f32>>, use_gpu: bool, auto: bool) -> Result<(), JsValue> {
    let mut groups: Vec<Vec<crate::study::PlannedRun>> = serde_json::from_str(&job_json).map_err(|e| JsValue::from_str(&format!("bad planned runs: {e}")))?;
    if groups.is_empty() || groups.iter().any(|g| g.is_empty()) {
        return Err(JsValue::from_str("bad planned runs: a job or group is empty"));
    }
    for run in groups.iter_mut().flatten() {
        attach_data(&mut run.spec, data.clone())?;
    }
    let mut cb = relay(&on_event);
    let (backend, _) = backend_of(use_gpu, auto, groups[0][0].spec.sampling.exact_score, &mut |text| {
        let _ = cb(Event::Note(&text));
    })
    .await;
    let refs: Vec<Vec<&crate::study::PlannedRun>> = groups.iter().map(|g| g.iter().collect()).collect();
    let send = |rec: crate::study::RunRecord| {
        let _ = on_event.call1(&JsValue::NULL, &to_js(&serde_json::json!({"kind": "record", "record": rec})));
    };
    let mut on_record = send;
    crate::study::share::run_together(&refs, backend, &mut cb, &mut on_record).await;
    Ok(())
}

/// The Hermite see-saw of appendix G.3 (as `collapse-lab hermite`).
#[wasm_bindgen(js_name = hermiteSeesaw)]
pub fn hermite_seesaw(mu: f64, max_degree: usize) -> Result<JsValue, JsValue> {
    crate::diagnostics::hermite::seesaw(mu, max_degree, 150).map(|r| to_js(&r)).map_err(|m| JsValue::from_str(&m))
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
    if dim == 0 || !train.len().is_multiple_of(dim) || samples.len() != train.len() {
        return Err(JsValue::from_str("train and samples must be flat arrays of one size, a multiple of dim"));
    }
    let t = Points::new(dim, train.to_vec());
    let s = Points::new(dim, samples.to_vec());
    Ok(to_js(&metrics::tid_curve(&t, &s, eps, None)))
}

/// Your own samples: the texts of two CSV files (training set, model samples) compared as
/// `collapse-lab tid` compares them (src/metrics/compare.rs). `eps` as the setting is written
/// ("0.01,0.02"), `k` 0 for Hill's k = N. `on_event` hears `{kind: "phase", phase}` and
/// `{kind: "progress", iter, total}` (lines parsed). Throws `{field, message, text}` naming the
/// file, line and column of a bad value. Resolves to `{compared, train, samples}`, the points
/// compared (up to 20,000 rows each) as row-major Float32Arrays for the plots.
#[wasm_bindgen(js_name = compareCsv)]
pub fn compare_csv(train_text: &str, samples_text: &str, eps: &str, k: usize, seed: u32, survival_eps: f64, on_event: &Function) -> Result<JsValue, JsValue> {
    let err = |field: &str, m: String| to_js(&serde_json::json!({"field": field, "message": m, "text": format!("{field}: {m}")}));
    let send = |v: serde_json::Value| {
        let _ = on_event.call1(&JsValue::NULL, &to_js(&v));
    };
    let eps = overrides::list_f64("eps", eps).map_err(|e| spec_error(&e))?;
    let mut parsed = Vec::new();
    for (field, text) in [("train", train_text), ("samples", samples_text)] {
        send(serde_json::json!({"kind": "phase", "phase": format!("reading the {field} file")}));
        let total = text.len().max(1);
        let progress = |done: usize| send(serde_json::json!({"kind": "progress", "iter": done, "total": total}));
        parsed.push(crate::points::read_csv_text(text, progress).map_err(|m| err(field, m))?);
    }
    let (train, samples) = (&parsed[0], &parsed[1]);
    if train.0 != samples.0 {
        return Err(err("samples", format!("{} columns, but the training set has {}; both must have the same dimension", samples.0, train.0)));
    }
    send(serde_json::json!({"kind": "phase", "phase": "counting neighbours"}));
    let k = (k > 0).then_some(k);
    let c = metrics::compare::compare(train.0, &train.1, &samples.1, &eps, k, seed as u64, survival_eps).map_err(|(f, m)| err(&f, m))?;
    let out = Object::new();
    Reflect::set(&out, &"compared".into(), &to_js(&c))?;
    let head = |v: &[f64], dim: usize| Float32Array::from(v[..v.len().min(20_000 * dim)].iter().map(|&x| x as f32).collect::<Vec<_>>().as_slice());
    Reflect::set(&out, &"train".into(), &head(&train.1, train.0))?;
    Reflect::set(&out, &"samples".into(), &head(&samples.1, samples.0))?;
    Ok(out.into())
}

/// The chains of a generations run, planned as `collapse-lab generations` plans them: the base
/// from `[[name, value], ...]` (with its recursion settings), `fresh` and `samplers` as lists
/// (`["0.1", "0.5"]`, `["sde"]`), `seeds` chains each. Throws `{field, message, text}`.
fn generations_plan_of(pairs_json: &str, fresh_json: &str, samplers_json: &str, seeds: usize) -> Result<crate::study::Plan, JsValue> {
    let bad = |what: &str, e: serde_json::Error| JsValue::from_str(&format!("bad {what}: {e}"));
    let mut base = spec_of_pairs(pairs_json)?;
    let fresh: Vec<String> = serde_json::from_str(fresh_json).map_err(|e| bad("fresh", e))?;
    let samplers: Vec<String> = serde_json::from_str(samplers_json).map_err(|e| bad("samplers", e))?;
    if base.recursion.is_none() {
        base.recursion = Some(Default::default());
    }
    base.validate().map_err(|e| spec_error(&e))?;
    crate::generations::plan(&base, &fresh, &samplers, Vec::new(), seeds).map_err(|e| spec_error(&e))
}

/// Plans a generations run (see `generations_plan_of`): `{base, axes, seeds, cells, runs}`.
#[wasm_bindgen(js_name = generationsPlan)]
pub fn generations_plan(pairs_json: &str, fresh_json: &str, samplers_json: &str, seeds: usize) -> Result<JsValue, JsValue> {
    Ok(to_js(&generations_plan_of(pairs_json, fresh_json, samplers_json, seeds)?))
}

/// Aggregates chain records (as `runChain` resolves them) into the JSON of `collapse-lab
/// generations`: `{base, axes, seeds, runs, cells, missing, failed}`.
#[wasm_bindgen(js_name = generationsAggregate)]
pub fn generations_aggregate(pairs_json: &str, fresh_json: &str, samplers_json: &str, seeds: usize, records_json: &str) -> Result<JsValue, JsValue> {
    let plan = generations_plan_of(pairs_json, fresh_json, samplers_json, seeds)?;
    let records: Vec<crate::study::RunRecord> = serde_json::from_str(records_json).map_err(|e| JsValue::from_str(&format!("bad chain records: {e}")))?;
    Ok(to_js(&crate::generations::aggregate(&plan, &records)))
}

/// The record of a chain cancelled part-way: its planned run and the last chain it reported
/// (`{kind: "chain", chain}` events), so the generations done are kept; `why` (if not empty)
/// becomes its error.
#[wasm_bindgen(js_name = chainRecord)]
pub fn chain_record(run_json: &str, chain_json: &str, why: &str) -> Result<JsValue, JsValue> {
    let run: crate::study::PlannedRun = serde_json::from_str(run_json).map_err(|e| JsValue::from_str(&format!("bad planned run: {e}")))?;
    let mut chain: crate::generations::ChainResult = serde_json::from_str(chain_json).map_err(|e| JsValue::from_str(&format!("bad chain: {e}")))?;
    if !why.is_empty() {
        chain.error.get_or_insert_with(|| why.to_string());
    }
    Ok(to_js(&crate::generations::record(&run, Ok(&chain))))
}

/// Runs one chain of recursive training (a planned run of `generationsPlan`) on the engine the
/// page chose (`use_gpu`, `auto`: as for `runExperiment`) and resolves to its record. `on_event` receives `{kind: "progress", iter, total}` within the
/// current generation, `{kind: "phase", phase}`, `{kind: "note", text}` and, after every
/// generation, `{kind: "chain", chain}` with everything done so far; returning false cancels.
#[wasm_bindgen(js_name = runChain)]
pub async fn run_chain(run_json: String, on_event: Function, use_gpu: bool, auto: bool) -> Result<JsValue, JsValue> {
    let run: crate::study::PlannedRun = serde_json::from_str(&run_json).map_err(|e| JsValue::from_str(&format!("bad planned run: {e}")))?;
    let mut cb = |e: crate::generations::ChainEvent| match on_event.call1(&JsValue::NULL, &to_js(&e.to_json())) {
        Ok(r) if r == JsValue::FALSE => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    };
    let (backend, _) = backend_of(use_gpu, auto, run.spec.sampling.exact_score, &mut |text| {
        let _ = cb(crate::generations::ChainEvent::Run(Event::Note(&text)));
    })
    .await;
    let outcome = crate::generations::run_chain(&run.spec, backend, &mut cb).await;
    let rec = match &outcome {
        Ok(c) => crate::generations::record(&run, Ok(c)),
        Err(e) => crate::generations::record(&run, Err(e.to_string())),
    };
    Ok(to_js(&rec))
}
