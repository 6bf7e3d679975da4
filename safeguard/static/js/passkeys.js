// Passkeys (WebAuthn): add one on the sign-in security page, and use one as the second sign-in step. The server
// (safeguard/auth/passkeys.py) gives the options as JSON and checks the answer; binary fields travel as base64url.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "That did not work. Please try again.");
        return data;
      });
    });
  }

  function credentialJson(credential) {
    var r = credential.response, json = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(), response: { clientDataJSON: toText(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      json.response.attestationObject = toText(r.attestationObject);
      json.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(r.authenticatorData);
      json.response.signature = toText(r.signature);
      if (r.userHandle) json.response.userHandle = toText(r.userHandle);
    }
    return json;
  }

  function wire(box, button, ceremony) {
    if (!box || !button) return;
    var error = box.querySelector(".passkey-error");
    if (!window.PublicKeyCredential) {
      button.disabled = true;
      error.textContent = "This browser cannot use passkeys.";
      return;
    }
    button.addEventListener("click", function () {
      error.textContent = "";
      button.disabled = true;
      post(box.dataset.optionsUrl)
        .then(ceremony)
        .then(function (body) { return post(box.dataset.url, body); })
        .then(function (data) { window.location.assign(data.redirect); })
        .catch(function (failure) {
          error.textContent = failure && failure.name === "NotAllowedError" ? "The passkey was not used." : String(failure.message || failure);
          button.disabled = false;
        });
    });
  }

  var add = document.querySelector(".passkey-add");
  wire(add, document.getElementById("passkey-add-button"), function (options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return navigator.credentials.create({ publicKey: options }).then(function (credential) {
      return { credential: credentialJson(credential), name: document.getElementById("passkey-name").value };
    });
  });

  var signIn = document.querySelector(".passkey-sign-in");
  wire(signIn, document.getElementById("passkey-sign-in-button"), function (options) {
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return navigator.credentials.get({ publicKey: options }).then(function (credential) {
      return { credential: credentialJson(credential) };
    });
  });
})();
