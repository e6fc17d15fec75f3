// Finished runs, studies and generations kept in this browser (IndexedDB) under what defines
// them (a run's spec; a study's settings, axes and seeds; a generations run's settings, lists and
// seeds), so reopening a link shows them at once (with a button to run again). The newest MAX
// are kept; where IndexedDB is unavailable (some private windows) nothing is stored and the
// page runs as before.
const DB = 'collapse-lab';
const STORE = 'runs';
const MAX = 20;
// The database's version: 2 emptied the runs stored before the samplers drew their noise from
// the counter-based generator (their stochastic samples would not come again on Re-run).
const VERSION = 2;

// A store that does not answer within this time counts as unavailable: the page never waits
// on it (another tab's open transaction or a browser busy with a closing page can hold it up).
const WAIT_MS = 3000;

function answered(promise) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => {
      console.warn('collapse-lab: the browser store did not answer in time');
      resolve(null);
    }, WAIT_MS);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function open() {
  return answered(
    new Promise((resolve) => {
      let req;
      try {
        req = indexedDB.open(DB, VERSION);
      } catch {
        return resolve(null);
      }
      req.onupgradeneeded = () => {
        const db = req.result;
        if (db.objectStoreNames.contains(STORE)) db.deleteObjectStore(STORE);
        db.createObjectStore(STORE);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    }),
  );
}

const done = (tx) =>
  new Promise((resolve) => {
    tx.oncomplete = () => resolve(true);
    tx.onerror = tx.onabort = () => resolve(false);
  });

// The key of a single run (its spec, the core's object) or of a study or generations run
// ({kind, ...its inputs}).
export const key = (what) => JSON.stringify(what);

// The stored entry {saved, out} under this key, or null.
export async function load(k) {
  const db = await open();
  if (!db) return null;
  return answered(
    new Promise((resolve) => {
      const req = db.transaction(STORE).objectStore(STORE).get(k);
      req.onsuccess = () => resolve(req.result || null);
      req.onerror = () => resolve(null);
    }),
  );
}

// Keeps `out` (a finished run, study or generations result) under key `k`; drops the oldest
// beyond MAX. Resolves to whether it was stored.
export async function save(k, out) {
  const db = await open();
  if (!db) return false;
  const tx = db.transaction(STORE, 'readwrite');
  const store = tx.objectStore(STORE);
  store.put({ saved: new Date().toISOString(), out }, k);
  const all = store.getAll();
  const keys = store.getAllKeys();
  keys.onsuccess = () => {
    const rows = keys.result.map((k, i) => [k, all.result[i].saved]).sort((a, b) => (a[1] < b[1] ? 1 : -1));
    for (const [k] of rows.slice(MAX)) store.delete(k);
  };
  return done(tx);
}

// Empties the store (the page's "Forget stored runs").
export async function clear() {
  const db = await open();
  if (!db) return false;
  const tx = db.transaction(STORE, 'readwrite');
  tx.objectStore(STORE).clear();
  return done(tx);
}
