// The page's one way to start a Web Worker running the core (www/worker.js): a run's worker, a
// batch's workers (www/batch.js), a run's CPU helpers (www/pool.js) and the worker that reads a
// CSV file (www/datafiles.js) all start here, so the worker's URL and options are written once.
// The URL is relative to this module, which sits beside worker.js: it holds at any path a
// published copy of the page is served from (scripts/publish.sh).
export function spawnWorker() {
  return new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
}
