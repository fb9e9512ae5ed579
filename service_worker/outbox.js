// The outbox: entries saved on the phone that the server has not acknowledged yet.
//
// One IndexedDB record per entry, holding the fields changed on the phone (all of them
// for an entry made offline), tagged with the user who made it. A record leaves only
// when the server has answered for exactly the version that was sent.
"use strict";

const TendOutbox = (() => {
  const DB_NAME = "tend";
  const ENTRIES = "outbox";
  const META = "meta";
  let opening = null;

  function database() {
    opening = opening || new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore(ENTRIES, { keyPath: "id" }).createIndex("user", "user");
        db.createObjectStore(META, { keyPath: "key" });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opening;
  }

  // Run `work(store)` in one transaction; resolves with its result once committed.
  async function withStore(name, mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(name, mode);
      let result;
      transaction.oncomplete = () => resolve(result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
      Promise.resolve(work(transaction.objectStore(name))).then((value) => { result = value; }, reject);
    });
  }

  function ask(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  // Keep `changes` to entry `id` for `user`, on top of what is already waiting for it.
  // Resolves with the record as it now stands, and the one it replaced (or undefined).
  function keep(user, kind, id, changes) {
    return withStore(ENTRIES, "readwrite", async (store) => {
      const old = await ask(store.get(id));
      const record = {
        id,
        kind,
        user: old ? old.user : user,
        entry: { ...(old ? old.entry : { id }), ...changes },
        status: "waiting",
        errors: {},
        keptAt: old ? old.keptAt : new Date().toISOString(),
      };
      store.put(record);
      return { record, earlier: old };
    });
  }

  function find(id) {
    return withStore(ENTRIES, "readonly", (store) => ask(store.get(id)));
  }

  function all(user) {
    return withStore(ENTRIES, "readonly", (store) => ask(store.index("user").getAll(user)));
  }

  // The server answered for `sent` (the entry as uploaded): drop the record, unless the
  // person changed the entry again meanwhile, in which case the newer version waits.
  // Resolves true when the record left the phone.
  function settle(sent, status, errors) {
    return withStore(ENTRIES, "readwrite", async (store) => {
      const record = await ask(store.get(sent.id));
      if (!record || record.entry.updated_at !== sent.updated_at) return false;
      if (status === "rejected") {
        store.put({ ...record, status, errors });
        return false;
      }
      store.delete(sent.id);
      return true;
    });
  }

  function discard(id) {
    return withStore(ENTRIES, "readwrite", (store) => { store.delete(id); });
  }

  // Everything kept for one person: their waiting entries and where their syncs ended.
  async function forget(user) {
    await withStore(ENTRIES, "readwrite", async (store) => {
      for (const key of await ask(store.index("user").getAllKeys(user))) store.delete(key);
    });
    await withStore(META, "readwrite", async (store) => {
      for (const key of [`cursor:${user}`, `synced:${user}`]) store.delete(key);
      const last = await ask(store.get("user"));
      if (last && last.value === user) store.delete("user");
    });
  }

  function getMeta(key) {
    return withStore(META, "readonly", async (store) => {
      const found = await ask(store.get(key));
      return found ? found.value : undefined;
    });
  }

  function setMeta(key, value) {
    return withStore(META, "readwrite", (store) => { store.put({ key, value }); });
  }

  return { keep, find, all, settle, discard, forget, getMeta, setMeta };
})();
