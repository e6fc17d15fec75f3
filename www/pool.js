// The helper workers of a run's CPU engine: the run's worker (www/worker.js) makes them and hands
// them to the core (setShardHelpers in src/web/mod.rs). Every training step, each helper computes
// its fixed shards of the batch (shard i goes to helper i % (count + 1), 0 being the run's worker
// itself) with the step's parameters; the core sums all shards in shard order, so the result is
// bit for bit that of one worker. Plain postMessage, no SharedArrayBuffer: it works on any static
// host and inside an iframe, without COOP/COEP headers. A helper that fails hands its shards back
// to the run's worker (the core computes them itself, same numbers). The same helpers sample
// fixed blocks of each sampler run (sampleInit/sampleStart/sampleFinish; src/sample/mod.rs,
// run_spread): every block's noise depends on its index alone, so the samples are those of one
// worker too.
import { spawnWorker } from './workers.js';
export function makePool(count, note) {
  const helpers = [];
  let active = 0;
  let shardsOf = [];
  let nParams = 0;
  let pending = null;
  let broken = null;
  const spawn = spawnWorker;
  // The answer of helper h to one message: {type: 'grads', grads, losses} or a failure.
  const ask = (w, msg, transfer = []) =>
    new Promise((resolve, reject) => {
      w.onmessage = (ev) => (['grads', 'blocks'].includes(ev.data.type) ? resolve(ev.data) : reject(new Error(ev.data.message || 'a helper worker failed')));
      w.onerror = (ev) => {
        ev.preventDefault();
        reject(new Error(ev.message || 'a helper worker stopped'));
      };
      w.postMessage(msg, transfer);
    });
  // Sampling: helper h samples the blocks b with b % (sampling + 1) === h + 1 of each sampler run.
  let sampling = 0;
  let sampled = null;
  // Starts the first n helpers (false if the browser cannot).
  const ensure = (n) => {
    if (broken) return false;
    try {
      while (helpers.length < n) helpers.push(spawn());
      return true;
    } catch (e) {
      broken = `this browser could not start helper workers (${e.message || e}); the run uses one worker`;
      note(broken);
      return false;
    }
  };
  // Started now, not when first needed: a helper takes a moment to load the core, which it
  // does while the run's worker generates data or trains (measured on the landing run: the ODE,
  // the first sampler, gained nothing from a helper started at its first block).
  ensure(count);
  return {
    count,
    // setup: the JSON of {spec, plan, count}; params: one Float32Array per net (copied, not
    // moved: the run's worker keeps its own).
    sampleInit(setupJson, params) {
      const setup = JSON.parse(setupJson);
      if (!ensure(setup.count)) return false;
      sampling = setup.count;
      for (let h = 0; h < sampling; h++) helpers[h].postMessage({ sampleInit: { setup: setupJson, params } });
      return true;
    },
    sampleStart(kind, stream, blocks) {
      sampled = Promise.all(
        helpers.slice(0, sampling).map((w, h) => {
          const mine = [...Array(blocks).keys()].filter((b) => b % (sampling + 1) === h + 1);
          return ask(w, { sampleRun: { kind, stream, blocks: mine } });
        }),
      );
    },
    async sampleFinish() {
      const answers = await sampled;
      return answers.flatMap((a) => a.blocks);
    },
    // setup: the JSON of {net, batch, lo, hi, seed, shards, count} (count: helpers to use).
    init(setupJson, data) {
      const setup = JSON.parse(setupJson);
      if (!ensure(setup.count)) return false;
      active = setup.count;
      shardsOf = helpers.slice(0, active).map((_, h) => [...Array(setup.shards).keys()].filter((i) => i % (active + 1) === h + 1));
      for (let h = 0; h < active; h++) helpers[h].postMessage({ shardInit: { setup: setupJson, data } });
      return true;
    },
    start(params, step) {
      nParams = params.length;
      pending = Promise.all(helpers.slice(0, active).map((w, h) => ask(w, { shardStep: { params, step, shards: shardsOf[h] } })));
    },
    async finish() {
      const answers = await pending;
      const out = [];
      answers.forEach((a, h) =>
        shardsOf[h].forEach((shard, k) => {
          out.push({ shard, grads: a.grads.subarray(k * nParams, (k + 1) * nParams), loss: a.losses[k] });
        }),
      );
      return out;
    },
  };
}

// How many workers a run uses: the page's setting (workers=N), else one per core the browser
// reports, at most 8 (a batch of 2000 has 4 shards of 500 rows; more workers than shards idle).
export function workersWanted(setting) {
  const n = Number(setting);
  if (setting !== undefined && setting !== null && String(setting).trim() !== '') return n;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, 8));
}
