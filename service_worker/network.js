// Every request the worker makes has a deadline. On one bar of signal a request can
// hang with no answer and no error for minutes: nothing (a tap, the outbox, the next
// sync) may wait on it that long.
"use strict";

const TendNetwork = (() => {
  // Pages and writes sent as they are; one sync request carries up to a batch.
  const DEADLINE_MS = 8000;

  // fetch(), aborted after `ms`: the promise rejects then, and so does reading a body
  // that stalls half-way.
  function fetchWithin(ms, input, init = {}) {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new DOMException("No answer in time", "TimeoutError")), ms);
    return fetch(input, { ...init, signal: controller.signal });
  }

  function later(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  return { DEADLINE_MS, fetchWithin, later };
})();
