// The helper workers of a run's CPU engine: the run's worker (www/worker.js) makes them and hands
// them to the core (setShardHelpers in src/web/mod.rs). Every training step, each helper computes
// its fixed shards of the batch (shard i goes to helper i % (count + 1), 0 being the run's worker
// itself) with the step's parameters; the core sums all shards in shard order, so the result is
// bit for bit that of one worker. Plain postMessage, no SharedArrayBuffer: it works on any static
// host and inside an iframe, without COOP/COEP headers. A helper that fails hands its shards back
// to the run's worker (the core computes them itself, same numbers).
export function makePool(count, note) {
  const helpers = [];
  let active = 0;
  let shardsOf = [];
  let nParams = 0;
  let pending = null;
  let broken = null;
  const spawn = () => new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  // The answer of helper h to one message: {type: 'grads', grads, losses} or a failure.
  const ask = (w, msg, transfer = []) => new Promise((resolve, reject) => {
    w.onmessage = (ev) => (ev.data.type === 'grads' ? resolve(ev.data) : reject(new Error(ev.data.message || 'a helper worker failed')));
    w.onerror = (ev) => { ev.preventDefault(); reject(new Error(ev.message || 'a helper worker stopped')); };
    w.postMessage(msg, transfer);
  });
  return {
    count,
    // setup: the JSON of {net, batch, lo, hi, seed, shards, count} (count: helpers to use).
    init(setupJson, data) {
      if (broken) return false;
      const setup = JSON.parse(setupJson);
      try {
        while (helpers.length < setup.count) helpers.push(spawn());
      } catch (e) {
        broken = `this browser could not start helper workers (${e.message || e}); training runs in one worker`;
        note(broken);
        return false;
      }
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
      answers.forEach((a, h) => shardsOf[h].forEach((shard, k) => {
        out.push({ shard, grads: a.grads.subarray(k * nParams, (k + 1) * nParams), loss: a.losses[k] });
      }));
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
