/* Search as you type, on top of forms that work without JavaScript.
 *
 * - The search page's form ([data-search-form]) asks /api/search for JSON
 *   after each pause in typing (debounced, earlier requests aborted) and shows
 *   the results in [data-search-results], the same markup the function
 *   renders. The address becomes /search/?q=..., so a reload or a shared
 *   link shows the same results.
 * - The header's search box ([data-site-search]) goes to that page.
 * Snippets arrive as HTML from the function: page text escaped, matches in
 * <mark>; everything else is set as text.
 */
(function () {
  "use strict";
  var ENDPOINT = "/api/search";
  var PAGE = "/search/";
  var DELAY = 200;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function humanDate(iso) {
    var d = new Date(iso + "T00:00:00Z");
    if (isNaN(d)) return iso;
    return d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
  }

  function params(form, page) {
    var data = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) data.append(name, value); });
    if (page > 1) data.set("page", String(page));
    return data;
  }

  function pager(data, go) {
    var nav = el("nav", { "class": "pagination", "aria-label": "Pagination" });
    nav.appendChild(el("p", { "class": "pagination-status" }, "Page " + data.page + " of " + data.pages));
    var list = el("ul");
    function item(label, number, rel) {
      var li = el("li");
      var a = el("a", { href: "?" + go(number).toString() }, label);
      if (rel) a.setAttribute("rel", rel);
      if (number === data.page && !rel) a.setAttribute("aria-current", "page");
      a.addEventListener("click", function (event) { event.preventDefault(); go(number, true); });
      li.appendChild(a);
      list.appendChild(li);
    }
    if (data.page > 1) item("← Previous", data.page - 1, "prev");
    for (var n = Math.max(1, data.page - 4); n <= Math.min(data.pages, data.page + 4); n++) item(String(n), n);
    if (data.page < data.pages) item("Next →", data.page + 1, "next");
    nav.appendChild(list);
    return nav;
  }

  function render(box, data, go) {
    box.replaceChildren();
    if (!data.terms.length) {
      box.appendChild(el("p", { "class": "search-status" }, "Type a word to search for."));
      return "";
    }
    var summary = data.total
      ? data.total + (data.total === 1 ? " result" : " results") + " for “" + data.query + "”"
      : "No results for “" + data.query + "”";
    box.appendChild(el("h2", { "class": "search-status" }, summary));
    if (data.results.length) {
      var list = el("ol", { "class": "search-hits", start: String((data.page - 1) * data.per_page + 1) });
      data.results.forEach(function (hit) {
        var li = el("li", { "class": "search-hit" });
        var h3 = el("h3");
        h3.appendChild(el("a", { href: hit.url }, hit.title));
        li.appendChild(h3);
        if (hit.section || hit.date) {
          var byline = el("p", { "class": "byline" }, hit.section);
          if (hit.section && hit.date) byline.appendChild(document.createTextNode(" · "));
          if (hit.date) byline.appendChild(el("time", { datetime: hit.date }, humanDate(hit.date)));
          li.appendChild(byline);
        }
        var snippet = el("p", { "class": "search-snippet" });
        snippet.innerHTML = hit.snippet; // escaped by the function; only <mark> is markup
        li.appendChild(snippet);
        list.appendChild(li);
      });
      box.appendChild(list);
    }
    if (data.pages > 1) box.appendChild(pager(data, go));
    return summary;
  }

  function enhanceSearchPage(form) {
    var box = document.querySelector("[data-search-results]");
    var status = document.querySelector("[data-search-status]");
    var input = form.querySelector("input[name=q]");
    if (!box || !input) return;
    var timer = null;
    var inflight = null;

    function show(message) {
      box.replaceChildren(el("p", { "class": "search-status search-error", role: "alert" }, message));
    }

    function run(page, moveFocus) {
      var query = params(form, page);
      var shown = query.toString();
      history.replaceState(null, "", PAGE + (shown ? "?" + shown : ""));
      if (inflight) inflight.abort();
      inflight = new AbortController();
      query.set("format", "json");
      fetch(ENDPOINT + "?" + query.toString(), { headers: { Accept: "application/json" }, signal: inflight.signal })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (answer) {
          if (!answer.ok) { show(answer.data.message || "Search failed."); return; }
          var summary = render(box, answer.data, function (number, navigate) {
            if (navigate) run(number, true);
            return params(form, number);
          });
          if (status) status.textContent = summary;
          if (moveFocus) {
            var heading = box.querySelector("h2, p");
            heading.setAttribute("tabindex", "-1");
            heading.focus();
          }
          // For tests and scripts: what the results on show answer.
          box.setAttribute("data-search-ready", answer.data.query);
          box.setAttribute("data-search-params", shown);
        })
        .catch(function (error) {
          if (error.name !== "AbortError") show("Search is unavailable right now. Please try again.");
        });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(function () { run(1, false); }, DELAY);
    }

    input.addEventListener("input", later);
    form.querySelectorAll("select").forEach(function (select) { select.addEventListener("change", later); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      run(1, false);
    });

    var start = new URLSearchParams(location.search);
    if (start.get("q")) {
      input.value = start.get("q");
      ["section", "tag"].forEach(function (name) {
        var select = form.querySelector("select[name=" + name + "]");
        if (select && start.get(name)) select.value = start.get(name);
      });
      run(Number(start.get("page")) || 1, false);
    }
  }

  function enhanceSiteSearch(form) {
    form.addEventListener("submit", function (event) {
      var q = form.querySelector("input[name=q]").value;
      var pageForm = document.querySelector("[data-search-form]");
      event.preventDefault();
      if (pageForm) {
        pageForm.querySelector("input[name=q]").value = q;
        pageForm.requestSubmit();
      } else {
        location.assign(PAGE + "?" + new URLSearchParams({ q: q }).toString());
      }
    });
  }

  document.querySelectorAll("[data-site-search]").forEach(enhanceSiteSearch);
  var pageForm = document.querySelector("[data-search-form]");
  if (pageForm) enhanceSearchPage(pageForm);
})();
