// Passkeys: "Add a passkey" on the account's passkeys page (templates/auth/passkeys.html)
// and "Sign in with a passkey" on the sign-in page. Each asks the server for a challenge,
// lets the browser answer it (navigator.credentials), and sends the answer back.
"use strict";

(() => {
  if (!window.PublicKeyCredential) {
    // The password keeps working; the passkeys page says why nothing can be added here.
    document.querySelector("[data-passkey-unsupported]")?.removeAttribute("hidden");
    document.querySelector("[data-add-passkey]")?.setAttribute("hidden", "");
    return;
  }

  // The server speaks base64url; the browser wants bytes, and gives bytes back.
  function bytes(text) {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(binary, (character) => character.charCodeAt(0)).buffer;
  }

  function text(buffer) {
    const binary = String.fromCharCode(...new Uint8Array(buffer));
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(options) {
    return {
      ...options,
      challenge: bytes(options.challenge),
      user: { ...options.user, id: bytes(options.user.id) },
      excludeCredentials: (options.excludeCredentials || []).map((item) => ({ ...item, id: bytes(item.id) })),
    };
  }

  function requestOptions(options) {
    return {
      ...options,
      challenge: bytes(options.challenge),
      allowCredentials: (options.allowCredentials || []).map((item) => ({ ...item, id: bytes(item.id) })),
    };
  }

  // The answer as the server reads it (what PublicKeyCredential.toJSON() gives, where it exists).
  function answer(credential) {
    if (credential.toJSON) return credential.toJSON();
    const response = credential.response;
    const fields = { clientDataJSON: text(response.clientDataJSON) };
    if (response.attestationObject) {
      fields.attestationObject = text(response.attestationObject);
      fields.transports = response.getTransports ? response.getTransports() : [];
    } else {
      fields.authenticatorData = text(response.authenticatorData);
      fields.signature = text(response.signature);
      fields.userHandle = response.userHandle ? text(response.userHandle) : null;
    }
    return {
      id: credential.id,
      rawId: text(credential.rawId),
      type: credential.type,
      response: fields,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment,
    };
  }

  async function post(url, body) {
    const token = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15000), // a stalled network must not hold the button
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.error || `${response.status}`), { status: response.status, said: data.error });
    return data;
  }

  // In words: the person cancelled, the server said no, or something else went wrong.
  function problem(error) {
    if (error.name === "NotAllowedError" || error.name === "AbortError") return "No passkey was used. You can try again.";
    if (error.name === "InvalidStateError") return "This phone already has a passkey for your account.";
    if (error.status === 429) return "That's a lot of tries in a short time. Please wait a minute.";
    if (error.said) return error.said;
    if (error.name === "TypeError") return "No connection right now. Try again when you're back online.";
    if (error.name === "TimeoutError") return "The connection is too slow right now. Try again in a moment.";
    return "That didn't work. Please try again, or use your password.";
  }

  async function addPasskey(box) {
    const say = box.querySelector("[data-passkey-message]");
    say.textContent = "Follow your phone's prompt…";
    const options = await post(box.dataset.optionsUrl, {});
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    const name = box.querySelector("#passkey-name").value.trim() || "Passkey";
    await post(box.dataset.addUrl, { credential: answer(credential), name });
    location.reload(); // the list shows the new passkey
  }

  async function signIn(box) {
    const say = box.querySelector("[data-passkey-message]");
    say.textContent = "";
    const options = await post(box.dataset.optionsUrl, {});
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    const { redirect } = await post(box.dataset.signInUrl, { credential: answer(credential) });
    location.assign(redirect);
  }

  function wire(box, button, work) {
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      button.disabled = true;
      try {
        await work(box);
      } catch (error) {
        box.querySelector("[data-passkey-message]").textContent = problem(error);
      } finally {
        button.disabled = false;
      }
    });
  }

  const adding = document.getElementById("passkeys");
  if (adding) wire(adding, adding.querySelector("[data-add-passkey]"), addPasskey);
  const signingIn = document.getElementById("passkey-sign-in");
  if (signingIn) {
    signingIn.hidden = false;
    wire(signingIn, signingIn.querySelector("[data-passkey-sign-in]"), signIn);
  }
})();
