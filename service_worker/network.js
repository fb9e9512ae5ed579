// Every request the worker makes has a deadline. On one bar of signal a request can
// hang with no answer and no error for minutes: nothing (a tap, the outbox, the next
// sync) may wait on it that long.
"use strict";

const TendNetwork = (() => {
  // Long enough for a page, a write or a whole sync batch on a slow network.
  const DEADLINE_MS = 8000;

  // fetch(), aborted after DEADLINE_MS: the promise rejects then, and so does reading a
  // body that stalls half-way.
  function deadlineFetch(input, init = {}) {
    const controller = new AbortController();
    const late = new DOMException("No answer in time", "TimeoutError");
    setTimeout(() => controller.abort(late), DEADLINE_MS);
    return fetch(input, { ...init, signal: controller.signal });
  }

  function later(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  return { fetch: deadlineFetch, later };
})();
