// The identifier guard on the phone. A write is answered from the phone before the
// server sees it, so the server could not ask about a client's name in it in time. The
// worker reads the text with the server's own rules (webapp/services/guard.py, kept
// from /guard.json): a write that may identify a client waits for the server, which
// asks the person; any other is answered at once.
"use strict";

const TendGuard = (() => {
  // A whole date or moment: what date fields and the worker's stamps hold, not typing.
  const WHEN = /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/;
  let rules = null;

  async function load() {
    if (rules) return rules;
    const text = await TendCaching.shellText(self.TEND.guardUrl);
    if (text === null) return null;
    const { patterns, notNames, longPast } = JSON.parse(text);
    const compiled = {};
    for (const [kind, [source, flags]] of Object.entries(patterns)) {
      compiled[kind] = new RegExp(source, `${flags}g`);
    }
    rules = { ...compiled, notNames: new Set(notNames), longPast };
    return rules;
  }

  // Whether the text in `changes` (an entry's, in the sync API's terms) may identify a
  // client. Also true while the phone has no rules yet: the server then decides.
  async function mayIdentify(changes) {
    const texts = textsIn(changes);
    if (texts.length === 0) return false;
    const known = await load().catch(() => null);
    return !known || texts.some((text) => identifies(known, text));
  }

  function textsIn(value, key = "") {
    if (typeof value === "string") return key.endsWith("_at") || WHEN.test(value) ? [] : [value];
    if (value && typeof value === "object") {
      return Object.entries(value).flatMap(([name, inner]) => textsIn(inner, name));
    }
    return [];
  }

  // find_identifiers(text) != [] (guard.py), read as a yes or no.
  function identifies(r, text) {
    const all = (pattern, within = text) => [...within.matchAll(pattern)];
    const named = all(r.name).some(([, name]) =>
      !r.notNames.has(name.toLowerCase()) && /\p{Lu}/u.test(name[0]));
    const recorded = all(r.record).some(([, number]) => /\d/.test(number));
    const born = text.search(r.birth) >= 0;
    const birthDate = all(r.date).some(([date]) =>
      born || all(r.year, date).some(([year]) => Number(year) < r.longPast));
    // A phone number inside an email, a record number or a birth date is already found.
    return named || all(r.email).length > 0 || recorded || birthDate || all(r.phone).length > 0;
  }

  return { mayIdentify };
})();
