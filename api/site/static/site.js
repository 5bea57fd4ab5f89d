// The HNP search site's script: it makes the pages faster, never possible.
//
// * Suggestions as one types (ARIA 1.2 combobox over /api/suggest): debounced,
//   arrow keys to move, Enter to pick, Escape to close.  If /api/suggest is not
//   there or fails, the box is a plain search box.
// * On the search page, links and forms that lead to another search fetch the
//   server-rendered page and swap its <main> in, keeping the URL in sync with
//   history.pushState, so back/forward, bookmarks and sharing work as with
//   full page loads.  Any failure falls back to a normal page load.
// * Live results: on the search page, the results follow the words as they are
//   typed (debounced; `typing=1` tells the server the last word may be half-typed,
//   unless a space follows it).  The address shows the words without the flag, so
//   a reload or a shared link is the search as submitted with Enter.
"use strict";

(() => {
  document.documentElement.classList.add("js");

  const SUGGEST_URL = "/api/suggest";
  const SUGGEST_DELAY_MS = 150;
  const SUGGEST_MIN_CHARS = 2;
  const LIVE_DELAY_MS = 250;

  const announcer = () => document.getElementById("announcer");

  function announce(text) {
    const region = announcer();
    if (!region) return;
    // Emptying first makes screen readers speak the same text twice in a row.
    region.textContent = "";
    window.setTimeout(() => { region.textContent = text; }, 50);
  }

  // --- suggestions -----------------------------------------------------------------

  function setUpCombobox(input) {
    const list = input.parentElement.querySelector('[role="listbox"]');
    if (!list) return;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);

    let timer = 0;
    let controller = null;
    let options = [];
    let active = -1;

    function close() {
      list.hidden = true;
      list.replaceChildren();
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      options.forEach((option, i) => option.setAttribute("aria-selected", String(i === active)));
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function pick(text) {
      input.value = text;
      close();
      if (input.form) input.form.requestSubmit();
    }

    function show(texts) {
      close();
      if (!texts.length) return;
      options = texts.map((text, i) => {
        const option = document.createElement("li");
        option.id = `${list.id}-${i}`;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.textContent = text; // text, never HTML
        option.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
        option.addEventListener("click", () => pick(text));
        return option;
      });
      list.replaceChildren(...options);
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      announce(`${texts.length} gợi ý. Dùng phím mũi tên để chọn.`);
    }

    async function suggest() {
      const typed = input.value.trim();
      if (typed.length < SUGGEST_MIN_CHARS) { close(); return; }
      if (controller) controller.abort();
      controller = new AbortController();
      try {
        const response = await fetch(`${SUGGEST_URL}?q=${encodeURIComponent(typed)}`, {
          signal: controller.signal,
          headers: { Accept: "application/json" },
        });
        if (!response.ok) { close(); return; }
        const data = await response.json();
        if (input.value.trim() !== typed || document.activeElement !== input) return; // stale
        const texts = (Array.isArray(data.suggestions) ? data.suggestions : [])
          .map((s) => (typeof s === "string" ? s : s && (s.text || s.value)))
          .filter((s) => typeof s === "string" && s.trim());
        show([...new Set(texts)]);
      } catch (error) {
        if (error.name !== "AbortError") close();
      }
    }

    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(suggest, SUGGEST_DELAY_MS);
    });
    input.addEventListener("keydown", (event) => {
      const open = !list.hidden && options.length > 0;
      if (event.key === "ArrowDown" && open) {
        event.preventDefault();
        highlight((active + 1) % options.length);
      } else if (event.key === "ArrowUp" && open) {
        event.preventDefault();
        highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        pick(options[active].textContent);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", () => window.setTimeout(close, 0));
    input.form?.addEventListener("submit", () => {
      window.clearTimeout(timer);
      if (controller) controller.abort();
      close();
    });
  }

  // --- searching without reloading ----------------------------------------------------

  let navigation = null;
  let shown = location.pathname + location.search; // the state <main> shows now

  function enhanced(url) {
    return document.body.dataset.page === "search" && url.origin === location.origin && url.pathname === "/";
  }

  async function navigate(url, { push = true, scrollY = 0, focusResults = true, live = false } = {}) {
    const main = document.getElementById("main");
    const focusedId = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : "";
    if (navigation) navigation.abort();
    navigation = new AbortController();
    main.setAttribute("aria-busy", "true");
    let page;
    try {
      const response = await fetch(url, { signal: navigation.signal, headers: { Accept: "text/html" } });
      if (!(response.headers.get("Content-Type") || "").startsWith("text/html")) throw new Error("not a page");
      page = new DOMParser().parseFromString(await response.text(), "text/html");
      if (!page.querySelector("main")) throw new Error("no main");
    } catch (error) {
      if (error.name === "AbortError") return;
      location.assign(url.href); // the page works without the script: just load it
      return;
    }
    let address = url;
    if (live) {
      address = new URL(url.href);
      address.searchParams.delete("typing");
      history.replaceState({ scrollY: 0 }, "", address.href);
    } else if (push) {
      history.replaceState({ ...(history.state || {}), scrollY: window.scrollY }, "");
      history.pushState({ scrollY: 0 }, "", url.href);
    }
    shown = address.pathname + address.search;
    main.replaceChildren(...Array.from(page.querySelector("main").childNodes, (node) => document.importNode(node, true)));
    main.removeAttribute("aria-busy");
    document.title = page.title;
    document.body.dataset.page = page.body.dataset.page || "";
    syncSearchBox(page, address);
    enhance(main);

    const again = focusedId && document.getElementById(focusedId);
    if (again) {
      again.focus();
    } else if (focusResults) {
      const heading = main.querySelector("h1");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus({ preventScroll: true });
      }
    }
    window.scrollTo(0, scrollY);
    const summary = main.querySelector("#results-summary") || main.querySelector("h1");
    if (summary) announce(summary.textContent.trim());
  }

  function syncSearchBox(page, url) {
    // The header's box: the new words, and the filters it keeps as hidden fields.
    const form = document.getElementById("site-search");
    const fresh = page.getElementById("site-search");
    if (!form || !fresh) return;
    const input = form.querySelector('input[name="q"]');
    if (input && document.activeElement !== input) input.value = url.searchParams.get("q") || "";
    form.querySelectorAll('input[type="hidden"]').forEach((field) => field.remove());
    fresh.querySelectorAll('input[type="hidden"]').forEach((field) => form.append(document.importNode(field, true)));
  }

  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = event.target.closest("a[href]");
    if (!link || link.hasAttribute("download") || (link.target && link.target !== "_self")) return;
    const url = new URL(link.href, location.href);
    if (!enhanced(url) || url.hash) return;
    event.preventDefault();
    navigate(url);
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (event.defaultPrevented || (form.method || "get").toLowerCase() !== "get") return;
    const url = new URL(form.action, location.href);
    if (!enhanced(url)) return;
    event.preventDefault();
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") params.append(name, value);
    }
    url.search = params.toString();
    // A new search typed in the box keeps the focus there; anything else goes to the results.
    navigate(url, { focusResults: form.id !== "site-search" });
  });

  // Live results: the header's box on the search page.
  function setUpLiveResults(form) {
    const input = form && form.querySelector('input[name="q"]');
    if (!input || input.dataset.live) return;
    input.dataset.live = "1";
    let timer = 0;
    input.addEventListener("input", () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const url = new URL(form.action, location.href);
        if (!enhanced(url) || input.value.trim().length < SUGGEST_MIN_CHARS) return;
        const params = new URLSearchParams();
        for (const [name, value] of new FormData(form)) {
          if (name === "q") params.append(name, input.value); // as typed: a trailing space means a finished word
          else if (typeof value === "string" && value.trim() !== "") params.append(name, value);
        }
        params.append("typing", "1");
        url.search = params.toString();
        navigate(url, { live: true, focusResults: false });
      }, LIVE_DELAY_MS);
    });
    form.addEventListener("submit", () => window.clearTimeout(timer));
  }

  window.addEventListener("popstate", (event) => {
    const url = new URL(location.href);
    if (url.pathname + url.search === shown) return; // only the #fragment changed (the skip link)
    if (enhanced(url)) {
      navigate(url, { push: false, scrollY: (event.state && event.state.scrollY) || 0, focusResults: false });
    } else {
      location.reload();
    }
  });

  function enhance(root) {
    root.querySelectorAll("select[data-autosubmit]").forEach((select) => {
      select.addEventListener("change", () => select.form && select.form.requestSubmit());
    });
    root.querySelectorAll("input[data-suggest]").forEach(setUpCombobox);
  }

  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  enhance(document);
  setUpLiveResults(document.getElementById("site-search"));
})();
