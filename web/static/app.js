// yicha: conveniences only. Every flow works without this script.
(function () {
  "use strict";
  function debounce(fn, ms) {
    var t;
    return function () { var a = arguments, self = this; clearTimeout(t); t = setTimeout(function () { fn.apply(self, a); }, ms); };
  }
  function setupSuggest(input) {
    var list = document.getElementById(input.id + "-suggestions");
    if (!list) { return; }
    var items = [], active = -1, last = "";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-expanded", "false");
    function close() { list.hidden = true; list.innerHTML = ""; items = []; active = -1; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
    // The listbox's children are the options themselves (WAI-ARIA
    // combobox): no links inside, a click or Enter goes where one leads.
    function show(suggestions) {
      list.innerHTML = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      items = suggestions.map(function (s, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-href", s.id ? "/policies/" + encodeURIComponent(s.id) : "/search?q=" + encodeURIComponent(s.text));
        li.textContent = s.text;
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { window.location = li.getAttribute("data-href"); });
        list.appendChild(li);
        return li;
      });
      list.hidden = items.length === 0;
      input.setAttribute("aria-expanded", items.length ? "true" : "false");
    }
    function move(d) {
      if (!items.length) { return; }
      if (active >= 0) { items[active].setAttribute("aria-selected", "false"); }
      active = (active + d + items.length) % items.length;
      items[active].setAttribute("aria-selected", "true");
      input.setAttribute("aria-activedescendant", items[active].id);
    }
    var fetchSuggest = debounce(function () {
      var q = input.value.trim();
      if (!q || q === last) { if (!q) { close(); } return; }
      last = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (d) { if (input.value.trim() === q) { show(d.suggestions || []); } })
        .catch(close);
    }, 150);
    input.addEventListener("input", function () { last = last === input.value.trim() ? last : ""; fetchSuggest(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { move(1); e.preventDefault(); }
      else if (e.key === "ArrowUp") { move(-1); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); window.location = items[active].getAttribute("data-href"); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 200); });
    // Enter on an active option goes to it (keydown above); the form must
    // not also be submitted, or two navigations race.
    if (input.form) {
      input.form.addEventListener("submit", function (e) { if (active >= 0) { e.preventDefault(); } });
    }
  }
  // The eligibility builder of the entry form: choosing a row's field
  // offers that field's operators and values at once (without script,
  // the form's 更新 button does it).
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) { e.setAttribute(k, attrs[k]); }
    if (text) { e.textContent = text; }
    return e;
  }
  function setupCondField(sel) {
    var li = sel.closest("li.cond");
    var op = li && li.querySelector("select[name$='.op']");
    var slot = li && li.querySelector(".values-slot");
    if (!op || !slot) { return; }
    var name = sel.name.replace(/\.field$/, ""), id = sel.id.replace(/-field$/, "");
    sel.addEventListener("change", function () {
      var chosen = sel.options[sel.selectedIndex];
      var kind = chosen.getAttribute("data-kind") || "";
      for (var i = 0; i < op.options.length; i++) {
        var o = op.options[i], kinds = o.getAttribute("data-kinds");
        var on = !kinds || !kind || (" " + kinds + " ").indexOf(" " + kind + " ") >= 0;
        o.hidden = !on; o.disabled = !on;
        if (!on && o.selected) { op.value = ""; }
      }
      var typed = slot.querySelector("input[name$='.text']");
      var text = el("input", { id: id + "-text", name: name + ".text", value: typed ? typed.value : "" });
      slot.textContent = "";
      if (kind === "" || kind === "number") {
        var unit = chosen.getAttribute("data-unit");
        var box = el("div", { "class": "field" });
        box.appendChild(el("label", { "for": id + "-text" }, kind ? "值（" + unit + "）" : "值（多个值用“、”隔开）"));
        if (kind) { text.setAttribute("inputmode", "numeric"); }
        box.appendChild(text);
        slot.appendChild(box);
        return;
      }
      var set = el("fieldset", { "class": "field checks values" });
      set.appendChild(el("legend", {}, "值（可多选）"));
      chosen.getAttribute("data-options").split("|").forEach(function (v) {
        var label = el("label", { "class": "check" });
        label.appendChild(el("input", { type: "checkbox", name: name + ".value", value: v }));
        label.appendChild(document.createTextNode(" " + v));
        set.appendChild(label);
      });
      set.appendChild(el("label", { "for": id + "-text" }, "其他值"));
      set.appendChild(text);
      slot.appendChild(set);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < inputs.length; i++) { setupSuggest(inputs[i]); }
    var fields = document.querySelectorAll("select[data-cond-field]");
    for (var j = 0; j < fields.length; j++) { setupCondField(fields[j]); }
    // 办事清单: copy the list's link, print the list.
    document.querySelectorAll("button[data-copy]").forEach(function (b) {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) { return; }
      b.hidden = false;
      b.addEventListener("click", function () {
        var text = el.textContent.trim();
        var done = function () { b.textContent = "已复制"; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(done, function () { selectText(el); });
        } else {
          selectText(el);
          try { if (document.execCommand("copy")) { done(); } } catch (e) { /* the text stays selected */ }
        }
      });
    });
    document.querySelectorAll("form.vote").forEach(setupVote);
    document.querySelectorAll("button[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });
  });
  // A vote posts in the background and the thanks shows in place, so the
  // page, and where the person is on it, stay; on any failure the form is
  // posted as without script.
  function setupVote(form) {
    if (!window.fetch || !window.URLSearchParams) { return; }
    var status = document.getElementById("vote-status");
    form.addEventListener("submit", function (e) {
      if (!status) { return; }
      e.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      var b = e.submitter;
      if (b && b.name) { data.append(b.name, b.value); }
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (x) { x.disabled = true; });
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, d: d }; }); })
        .then(function (res) {
          var msg = res.ok ? res.d.message : res.d.error && res.d.error.message;
          if (!msg) { throw new Error("no message"); }
          status.textContent = msg;
          form.remove();
          var title = document.getElementById("report-title");
          if (res.ok && res.d.report && title) { title.focus(); }
        })
        .catch(function () {
          buttons.forEach(function (x) { x.disabled = false; });
          if (b && b.name) {
            var h = document.createElement("input");
            h.type = "hidden"; h.name = b.name; h.value = b.value;
            form.appendChild(h);
          }
          form.submit();
        });
    });
  }
  function selectText(el) {
    var r = document.createRange();
    r.selectNodeContents(el);
    var s = window.getSelection();
    s.removeAllRanges();
    s.addRange(r);
  }
})();
