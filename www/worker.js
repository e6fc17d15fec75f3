// Runs experiments off the page's main thread. Cancel = the page terminates this worker. The
// page decides the engine (www/gpu.js) and says so in useGpu and auto, for a single run, a
// study's runs and a generations run's chains alike. A study's page sends one job at a time
// ({studyGroup}: groups of planned runs that share training; on WebGPU the groups' nets train
// side by side); the worker answers with each run's record
// as it finishes, then {type: 'groupDone'}. A generations run sends one chain ({chainRun}); the
// worker answers with its record. Then the worker waits for the next.
import init, { runExperiment, runStudyGroup, runChain, compareCsv, readDataCsv, setShardHelpers, ShardComputer, BlockSampler } from '../collapse-lab.js';
import { makePool } from './pool.js';

const ready = init();
// As a helper of another run's worker: the shards of one net's batches, and blocks of its
// sampler runs (www/pool.js).
let shardSet = null;
let blockSampler = null;

function errorText(err) {
  return typeof err === 'string' ? err : (err && (err.text || err.message)) || String(err);
}

self.onmessage = async (ev) => {
  try {
    await ready;
    if (ev.data.shardInit) {
      if (shardSet) shardSet.free();
      shardSet = new ShardComputer(ev.data.shardInit.setup, ev.data.shardInit.data);
      return;
    }
    if (ev.data.shardStep) {
      const m = ev.data.shardStep;
      const r = shardSet.grads(m.params, m.step, Uint32Array.from(m.shards));
      self.postMessage({ type: 'grads', grads: r.grads, losses: r.losses }, [r.grads.buffer]);
      return;
    }
    if (ev.data.sampleInit) {
      if (blockSampler) blockSampler.free();
      blockSampler = null;
      blockSampler = new BlockSampler(ev.data.sampleInit.setup, ev.data.sampleInit.params);
      return;
    }
    if (ev.data.sampleRun) {
      const m = ev.data.sampleRun;
      if (!blockSampler) throw new Error('sampling setup failed in this helper');
      const blocks = blockSampler.run(m.kind, m.stream, Uint32Array.from(m.blocks));
      self.postMessage(
        { type: 'blocks', blocks },
        blocks.map((b) => b.points.buffer),
      );
      return;
    }
    if (ev.data.compare) {
      // Your own samples: the files are read and parsed here, off the page's thread.
      const c = ev.data.compare;
      const [train, samples] = [await c.train.text(), await c.samples.text()];
      const out = compareCsv(train, samples, c.eps, c.k, c.seed, c.survivalEps, (e) => {
        self.postMessage({ type: 'event', event: e });
        return true;
      });
      self.postMessage({ type: 'compared', out }, [out.train.buffer, out.samples.buffer]);
      return;
    }
    if (ev.data.readCsv) {
      // The csv data set's file: read and parsed here; its points go back to the page, which
      // sends them with every run on it.
      const text = await ev.data.readCsv.text();
      const out = readDataCsv(text, (e) => {
        self.postMessage({ type: 'event', event: e });
        return true;
      });
      self.postMessage({ type: 'csv', out }, [out.points.buffer]);
      return;
    }
    if (ev.data.chainRun) {
      const record = await runChain(
        ev.data.chainRun,
        (e) => {
          if (e.kind !== 'note') self.postMessage({ type: 'event', event: e });
          return true;
        },
        !!ev.data.useGpu,
        !!ev.data.auto,
      );
      self.postMessage({ type: 'record', record });
      return;
    }
    if (ev.data.studyGroup) {
      await runStudyGroup(
        ev.data.studyGroup,
        (e) => {
          if (e.kind === 'progress') self.postMessage({ type: 'event', event: e });
          else if (e.kind === 'record') self.postMessage({ type: 'record', record: e.record });
          return true;
        },
        ev.data.data,
        !!ev.data.useGpu,
        !!ev.data.auto,
      );
      self.postMessage({ type: 'groupDone' });
      return;
    }
    // Training on several workers: this one and workers - 1 helpers (same numbers as one).
    const note = (text) => self.postMessage({ type: 'event', event: { kind: 'note', text } });
    setShardHelpers(ev.data.workers > 1 ? makePool(ev.data.workers - 1, note) : null);
    const out = await runExperiment(
      ev.data.spec,
      (e) => {
        self.postMessage({ type: 'event', event: e });
        return true;
      },
      ev.data.useGpu,
      ev.data.loseGpuAfter || 0,
      !!ev.data.auto,
      ev.data.saved,
      ev.data.data,
    );
    const arrays = [
      ...Object.values(out.samples),
      out.reference,
      out.data,
      ...(out.params || []),
      ...(out.checkpointParams || []).flatMap((c) => c.params),
      ...Object.values(out.recordings || {}).map((r) => r.trajectories),
    ];
    const buffers = arrays.filter(Boolean).map((a) => a.buffer);
    self.postMessage({ type: 'done', out }, buffers);
  } catch (err) {
    self.postMessage({ type: 'error', message: errorText(err) });
  }
};
