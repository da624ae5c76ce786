/* Comments: post in place, keep the reader's draft, retry when the CMS is away.
 *
 * Progressive enhancement of the form in site/templates/comments.html, which
 * works without this script (the comments function then answers a "check your
 * comment" page and the reader posts in two steps).
 *
 * - The draft (name, email, reply-to, text) is kept in localStorage under
 *   "jamtail-comment-draft:<page id>" until the function answers 202, so a
 *   reload, a 503 or a lost connection never loses it.
 * - A form token (GET /api/comments/token) is fetched when the page loads; the
 *   function refuses tokens younger than min_seconds (bots post at once).
 * - 503 and network errors: retried after Retry-After (at most MAX_RETRIES
 *   times), and a "Try again" button; 429 and "too fast": wait, then retry.
 */
(function () {
  "use strict";
  var form = document.getElementById("comment-form");
  if (!form || !window.fetch || !window.JSON) return;

  var ENDPOINT = form.getAttribute("action") || "/api/comments";
  var MAX_RETRIES = 5;
  var FIELDS = ["author_name", "author_email", "body", "parent"];
  var key = "jamtail-comment-draft:" + form.getAttribute("data-page");
  var status = form.querySelector(".comment-status");
  var button = form.querySelector("button[type=submit]");
  var retries = 0;
  var timer = null;

  function field(name) { return form.elements.namedItem(name); }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  function saveDraft() {
    var store = storage();
    if (!store) return;
    var draft = {};
    FIELDS.forEach(function (name) { if (field(name)) draft[name] = field(name).value; });
    try { store.setItem(key, JSON.stringify(draft)); } catch (e) { /* full or disabled */ }
  }

  function restoreDraft() {
    var store = storage();
    var draft = null;
    try { draft = store && JSON.parse(store.getItem(key) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    FIELDS.forEach(function (name) {
      if (field(name) && typeof draft[name] === "string") field(name).value = draft[name];
    });
  }

  function clearDraft() {
    var store = storage();
    if (store) store.removeItem(key);
  }

  function say(message, retry) {
    status.textContent = message;
    if (retry) {
      var again = document.createElement("button");
      again.type = "button";
      again.className = "comment-retry";
      again.textContent = "Try again now";
      again.addEventListener("click", function () { retries = 0; submit(); });
      status.appendChild(document.createTextNode(" "));
      status.appendChild(again);
    }
  }

  function fetchToken() {
    return fetch(ENDPOINT + "/token", { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && data.token) field("form_token").value = data.token; })
      .catch(function () { /* the POST will say what is wrong */ });
  }

  function later(seconds, message) {
    clearTimeout(timer);
    var left = Math.max(1, Math.ceil(seconds));
    say(message.replace("{s}", left), true);
    timer = setTimeout(submit, left * 1000);
  }

  function payload() {
    var data = {};
    ["page", "form_token", "website", "return_to"].concat(FIELDS).forEach(function (name) {
      if (field(name)) data[name] = field(name).value;
    });
    return JSON.stringify(data);
  }

  function answered(response, data) {
    var retryAfter = Number(response.headers.get("Retry-After")) || 30;
    if (response.status === 202) {
      clearDraft();
      field("body").value = "";
      retries = 0;
      say(data.message || "Thank you! Your comment is awaiting moderation.");
      fetchToken();
      return;
    }
    if (response.status === 400 && data.code === "too_fast") {
      later(data.wait || retryAfter, "Posting in {s} s…");
      return;
    }
    if (response.status === 400 && data.code === "invalid_token") {
      fetchToken().then(function () { later(3, "Posting in {s} s…"); });
      return;
    }
    if (response.status === 429) {
      say((data.message || "Too many comments from you.") + " Your text is kept here.", true);
      return;
    }
    if (response.status === 503 && data.code === "outcome_unknown" && retries < MAX_RETRIES) {
      // Stored or not, the same token makes the retry the same comment: posted once.
      retries += 1;
      later(retryAfter, "We could not confirm that your comment was saved; sending it " +
        "again in {s} s (it cannot be posted twice).");
      return;
    }
    if (response.status >= 500) {
      unavailable(retryAfter, data.message);
      return;
    }
    var problems = data.fields ? Object.keys(data.fields).map(function (k) {
      return data.fields[k];
    }) : [];
    say([data.message || "The comment was not accepted."].concat(problems).join(". "));
  }

  function unavailable(seconds, message) {
    if (retries < MAX_RETRIES) {
      retries += 1;
      later(seconds, "Comments cannot be saved right now. Your text is kept in this " +
        "browser; trying again in {s} s.");
    } else {
      say((message || "Comments cannot be saved right now.") +
        " Your text is kept in this browser.", true);
    }
  }

  function submit() {
    clearTimeout(timer);
    saveDraft();
    button.disabled = true;
    say("Posting…");
    fetch(ENDPOINT, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: payload(),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          answered(response, data || {});
        });
      })
      .catch(function () { unavailable(10); })
      .then(function () { button.disabled = false; });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity || form.reportValidity()) { retries = 0; submit(); }
  });
  form.addEventListener("input", saveDraft);
  form.addEventListener("change", saveDraft);
  document.querySelectorAll("[data-reply-to]").forEach(function (link) {
    link.addEventListener("click", function () {
      if (field("parent")) field("parent").value = link.getAttribute("data-reply-to");
      saveDraft();
      setTimeout(function () { field("body").focus(); }, 0);
    });
  });
  restoreDraft();
  fetchToken();
})();
