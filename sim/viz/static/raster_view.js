// The explorer's whole-graph view (sim/viz/raster_widget.py, an anywidget): shows the server's picture of a
// window of the layout. The wheel zooms about the cursor, dragging pans, a double-click shows the whole graph;
// each change asks the server for the new window (one request at a time, the latest wins) while the current
// picture is moved and scaled to preview it. The pointer's position is sent (at most every 60 ms) and the
// server answers with the user under it, shown in a tooltip. Hand-written, no dependencies.

const HOVER_MS = 60;
const DRAG_MS = 80;
const STUCK_MS = 8000;

function isWindow(v) {
  return Array.isArray(v) && v.length === 4;
}

function sameWindow(a, b) {
  return isWindow(a) && isWindow(b) && a.every((x, i) => x === b[i]);
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "giftsim-raster";
  root.style.cssText = "position:relative;width:100%;max-width:960px;aspect-ratio:1/1;overflow:hidden;" +
    "cursor:grab;user-select:none;touch-action:none;background:#fff;border:1px solid #e0e0e0";
  const img = document.createElement("img");
  img.className = "giftsim-raster-image";
  img.alt = "the social graph, every user";
  img.draggable = false;
  img.style.cssText = "position:absolute;left:0;top:0;width:100%;height:100%;transform-origin:0 0";
  const tip = document.createElement("div");
  tip.className = "giftsim-hover";
  tip.style.cssText = "position:absolute;display:none;pointer-events:none;z-index:2;background:rgba(255,255,255,.95);" +
    "border:1px solid #888;border-radius:4px;padding:4px 8px;font:12px/1.4 sans-serif;white-space:nowrap";
  root.append(img, tip);
  el.append(root);

  let shown = null; // window of the picture on screen
  let target = null; // window on screen now (the picture moved and scaled to it until the server's arrives)
  let queued = null; // a request waiting for the answer to the one in flight
  let busy = false;
  let stuck = null;
  let url = null;
  let loading = null;
  let drag = null;
  let mouse = null;
  let lastHover = 0;
  let hoverTimer = null;

  const current = () => [target, shown, model.get("viewport")].find(isWindow);

  function attrs() {
    root.dataset.viewport = JSON.stringify(model.get("viewport"));
    root.dataset.usersDrawn = String(model.get("users_drawn"));
    root.dataset.nUsers = String(model.get("n_users"));
    root.dataset.renderMs = String(model.get("render_ms"));
  }

  function preview() {
    if (!isWindow(shown) || !isWindow(target)) {
      img.style.transform = "";
      return;
    }
    const w = root.clientWidth;
    const h = root.clientHeight;
    const tw = target[1] - target[0];
    const th = target[3] - target[2];
    const k = (shown[1] - shown[0]) / tw;
    const dx = ((shown[0] - target[0]) / tw) * w;
    const dy = ((target[3] - shown[3]) / th) * h;
    img.style.transform = `translate(${dx}px, ${dy}px) scale(${k})`;
  }

  function showImage() {
    attrs();
    const bytes = model.get("image");
    if (!bytes || bytes.byteLength === 0) return;
    const next = URL.createObjectURL(new Blob([bytes], { type: "image/webp" }));
    const win = model.get("viewport").slice();
    if (loading) URL.revokeObjectURL(loading);
    loading = next;
    img.onload = () => {
      if (url && url !== next) URL.revokeObjectURL(url);
      url = next;
      loading = null;
      shown = win;
      preview();
      root.dataset.shown = JSON.stringify(win);
    };
    img.src = next;
  }

  function send(v) {
    busy = true;
    queued = null;
    model.set("viewport", v);
    model.save_changes();
    clearTimeout(stuck);
    stuck = setTimeout(answered, STUCK_MS);
  }

  function ask(v) {
    target = isWindow(v) ? v : null;
    preview();
    if (sameWindow(v, model.get("viewport"))) return; // nothing to ask
    if (busy) queued = v;
    else send(v);
  }

  function answered() {
    clearTimeout(stuck);
    busy = false;
    if (queued) {
      send(queued);
    } else if (!drag) {
      target = model.get("viewport").slice();
      preview();
    }
    attrs();
  }

  function toLayout(e, v) {
    const r = root.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width;
    const fy = (e.clientY - r.top) / r.height;
    return [v[0] + fx * (v[1] - v[0]), v[3] - fy * (v[3] - v[2])];
  }

  function placeTip() {
    if (!mouse || tip.style.display === "none") return;
    const r = root.getBoundingClientRect();
    let x = mouse.clientX - r.left + 14;
    let y = mouse.clientY - r.top + 14;
    if (x + tip.offsetWidth > r.width) x = Math.max(0, x - tip.offsetWidth - 28);
    if (y + tip.offsetHeight > r.height) y = Math.max(0, y - tip.offsetHeight - 28);
    tip.style.left = `${x}px`;
    tip.style.top = `${y}px`;
  }

  function showTip() {
    const d = model.get("details") || {};
    if (d.user === undefined || drag) {
      tip.style.display = "none";
      delete tip.dataset.user;
      return;
    }
    const lines = [`user ${d.user}`, `state: ${d.state}`];
    if (d.sent !== undefined) lines.push(`gifts sent: ${d.sent}, received: ${d.received}`);
    if (d.cascade !== undefined) {
      lines.push(d.cascade ? `cascade: ${d.cascade} user${d.cascade === 1 ? "" : "s"}` : "cascade: none (not aware)");
    }
    tip.replaceChildren(...lines.map((text) => Object.assign(document.createElement("div"), { textContent: text })));
    tip.dataset.user = String(d.user);
    tip.style.display = "block";
    placeTip();
  }

  function hoverAt(e) {
    const v = current();
    if (!v) return;
    lastHover = performance.now();
    model.set("hover", toLayout(e, v));
    model.save_changes();
  }

  function onWheel(e) {
    e.preventDefault();
    const v = current();
    if (!v) return;
    const [x, y] = toLayout(e, v);
    const f = Math.exp(-e.deltaY * 0.0015);
    ask([x + (v[0] - x) / f, x + (v[1] - x) / f, y + (v[2] - y) / f, y + (v[3] - y) / f]);
  }

  function onDown(e) {
    if (e.button !== 0) return;
    const v = current();
    if (!v) return;
    drag = { x: e.clientX, y: e.clientY, v: v.slice(), t: 0, moved: false };
    root.setPointerCapture(e.pointerId);
    root.style.cursor = "grabbing";
  }

  function onMove(e) {
    mouse = e;
    if (drag) {
      const r = root.getBoundingClientRect();
      const v = drag.v;
      const dx = ((e.clientX - drag.x) / r.width) * (v[1] - v[0]);
      const dy = ((e.clientY - drag.y) / r.height) * (v[3] - v[2]);
      if (!drag.moved && Math.abs(e.clientX - drag.x) + Math.abs(e.clientY - drag.y) < 3) return;
      drag.moved = true;
      showTip();
      const now = performance.now();
      const next = [v[0] - dx, v[1] - dx, v[2] + dy, v[3] + dy];
      if (now - drag.t > DRAG_MS) {
        drag.t = now;
        ask(next);
      } else {
        target = next;
        preview();
      }
      return;
    }
    placeTip();
    clearTimeout(hoverTimer);
    const wait = HOVER_MS - (performance.now() - lastHover);
    if (wait <= 0) hoverAt(e);
    else hoverTimer = setTimeout(() => hoverAt(e), wait);
  }

  function onUp(e) {
    if (!drag) return;
    const moved = drag.moved;
    drag = null;
    root.style.cursor = "grab";
    if (root.hasPointerCapture(e.pointerId)) root.releasePointerCapture(e.pointerId);
    if (moved && target) ask(target);
  }

  function onLeave() {
    clearTimeout(hoverTimer);
    mouse = null;
    tip.style.display = "none";
    delete tip.dataset.user;
    model.set("hover", []);
    model.save_changes();
  }

  function onResize() {
    const size = [Math.round(root.clientWidth), Math.round(root.clientHeight)];
    const old = model.get("size") || [];
    if (size[0] > 0 && size[1] > 0 && (size[0] !== old[0] || size[1] !== old[1])) {
      model.set("size", size);
      model.save_changes();
    }
  }

  const onDouble = (e) => {
    e.preventDefault();
    ask([]);
  };
  root.addEventListener("wheel", onWheel, { passive: false });
  root.addEventListener("pointerdown", onDown);
  root.addEventListener("pointermove", onMove);
  root.addEventListener("pointerup", onUp);
  root.addEventListener("pointercancel", onUp);
  root.addEventListener("pointerleave", onLeave);
  root.addEventListener("dblclick", onDouble);
  const resize = new ResizeObserver(onResize);
  resize.observe(root);
  model.on("change:image", showImage);
  model.on("change:answered", answered);
  model.on("change:viewport", attrs);
  model.on("change:details", showTip);
  showImage();
  onResize();

  return () => {
    resize.disconnect();
    clearTimeout(stuck);
    clearTimeout(hoverTimer);
    model.off("change:image", showImage);
    model.off("change:answered", answered);
    model.off("change:viewport", attrs);
    model.off("change:details", showTip);
    if (url) URL.revokeObjectURL(url);
    if (loading) URL.revokeObjectURL(loading);
  };
}

export default { render };
