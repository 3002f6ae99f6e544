// giftsim's interactive graph view: the anywidget front end of sim/viz/sigma_view.py.
//
// The graph (positions and friendships) arrives once, as binary buffers (`x`, `y` float32, `ids` and
// `edges` int32, changed together with `graph_key`); every frame only small per-user arrays (state, gifts
// sent and received, cascade size), the recent gifts and the ringed cascade, under a new `frame` number.
// sigma.js draws it with WebGL: zoom with the wheel, pan by dragging, hover a user for its details, click one
// to set `clicked` (Python then rings its cascade). Built into sim/viz/static/sigma_view.js by js/build.mjs.

import Graph from "graphology";
import Sigma from "sigma";
import { createNodeBorderProgram } from "@sigma/node-border";

const NodeRingProgram = createNodeBorderProgram({
  borders: [
    { size: { attribute: "ringSize", defaultValue: 0 }, color: { attribute: "ringColor", defaultValue: "#111111" } },
    { size: { fill: true }, color: { attribute: "color" } },
  ],
});

const RING_COLOUR = "#111111";
const FRIEND_EDGE = "#e3e5ec"; // opaque: sigma blends premultiplied colours, so a faint rgba vanishes on white

/** A typed array over a binary trait (a DataView from the widget model, or nothing yet). */
function typed(value, Kind) {
  if (!value || !value.byteLength) return new Kind(0);
  const buf = value.buffer ? value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) : value;
  return new Kind(buf);
}

function buildGraph(model) {
  const x = typed(model.get("x"), Float32Array);
  const y = typed(model.get("y"), Float32Array);
  const edges = typed(model.get("edges"), Int32Array);
  const size = model.get("node_size");
  const graph = new Graph({ type: "mixed", multi: true, allowSelfLoops: false });
  for (let i = 0; i < x.length; i++) graph.addNode(i, { x: x[i], y: y[i], size, color: "#d4d4d4" });
  for (let e = 0; e + 1 < edges.length; e += 2) {
    graph.addUndirectedEdge(edges[e], edges[e + 1], { color: FRIEND_EDGE, size: 1, kind: "friend" });
  }
  return graph;
}

function hoverText(view, slot) {
  const id = view.ids[slot];
  const state = view.stateNames[view.states[slot]] ?? "unknown";
  const sent = view.sent[slot] ?? 0;
  const received = view.received[slot] ?? 0;
  const cascade = view.cascade[slot] ?? 0;
  const lines = [
    `user ${id}`, `state: ${state}`, `gifts sent: ${sent}, received: ${received}`,
    cascade > 0 ? `cascade: ${cascade.toLocaleString("en")} users` : "cascade: none (not aware)",
  ];
  return { id, state, sent, received, cascade, lines };
}

function render({ model, el }) {
  el.classList.add("giftsim-sigma");
  const box = document.createElement("div");
  box.className = "giftsim-sigma-canvas";
  box.style.cssText = `position:relative;width:100%;height:${model.get("height")}px;background:#fff;overflow:hidden`;
  const tip = document.createElement("div");
  tip.className = "giftsim-hover";
  tip.style.cssText = "position:absolute;display:none;pointer-events:none;z-index:10;background:rgba(255,255,255,.95);"
    + "border:1px solid #999;border-radius:4px;padding:4px 6px;font:12px/1.35 sans-serif;white-space:nowrap";
  const reset = document.createElement("button");
  reset.className = "giftsim-sigma-reset";
  reset.textContent = "reset view";
  reset.title = "Zoom and pan back to the whole graph (wheel zooms, drag pans)";
  reset.style.cssText = "position:absolute;right:6px;top:6px;z-index:10;font:11px sans-serif;padding:2px 6px;"
    + "background:#fff;border:1px solid #bbb;border-radius:3px;cursor:pointer";
  el.replaceChildren(box);
  box.append(tip, reset);

  const view = {
    ids: new Int32Array(0), states: new Uint8Array(0), sent: new Int32Array(0), received: new Int32Array(0),
    cascade: new Int32Array(0), ring: new Set(), palette: [], stateNames: [], hovered: null,
    gifts: [], giftOutcomes: new Uint8Array(0), giftPalette: [], tree: [],
  };
  let graph = new Graph({ type: "mixed", multi: true });
  let sigma = null;

  const nodeReducer = (node, data) => {
    const slot = Number(node);
    const out = { ...data, color: view.palette[view.states[slot]] ?? data.color };
    if (view.ring.has(slot)) {
      out.ringSize = 0.45;
      out.ringColor = RING_COLOUR;
      out.size = data.size * 2.2;
    }
    return out;
  };

  // The recent gifts and the cascade's who-told-whom links change every frame: drawn on a 2D canvas between
  // the friendships and the users after each render, so that the graph sigma indexes never changes.
  function drawLinks() {
    const ctx = sigma && sigma.getCanvases()["giftsim-links"]?.getContext("2d");
    if (!ctx) return;
    const { width, height } = sigma.getDimensions();
    ctx.clearRect(0, 0, width, height);
    const n = graph.order;
    const at = (slot) => sigma.framedGraphToViewport(sigma.getNodeDisplayData(slot));
    const stroke = (pairs, colourOf, lineWidth) => {
      const byColour = new Map();
      for (let i = 0; i < pairs.length; i++) {
        const [a, b] = pairs[i];
        if (a < 0 || b < 0 || a >= n || b >= n || a === b) continue;
        const c = colourOf(i);
        if (!byColour.has(c)) byColour.set(c, []);
        byColour.get(c).push(a, b);
      }
      ctx.lineWidth = lineWidth;
      for (const [colour, ends] of byColour) {
        ctx.strokeStyle = colour;
        ctx.beginPath();
        for (let k = 0; k < ends.length; k += 2) {
          const p = at(ends[k]), q = at(ends[k + 1]);
          ctx.moveTo(p.x, p.y);
          ctx.lineTo(q.x, q.y);
        }
        ctx.stroke();
      }
    };
    stroke(view.gifts, (i) => view.giftPalette[view.giftOutcomes[i]] ?? "#f77f00", 1.6);
    stroke(view.tree, () => RING_COLOUR, 1.8);
  }

  function applyFrame() {
    const arrived = performance.now();
    const before = { states: view.states, ring: view.ring };
    view.states = typed(model.get("states"), Uint8Array);
    view.sent = typed(model.get("sent"), Int32Array);
    view.received = typed(model.get("received"), Int32Array);
    view.cascade = typed(model.get("cascade_size"), Int32Array);
    const ring = typed(model.get("ring"), Int32Array);
    const parent = typed(model.get("ring_parent"), Int32Array);
    const gifts = typed(model.get("gifts"), Int32Array);
    view.giftOutcomes = typed(model.get("gift_outcomes"), Uint8Array);
    view.giftPalette = model.get("gift_palette");
    view.gifts = Array.from({ length: view.giftOutcomes.length }, (_, g) => [gifts[2 * g], gifts[2 * g + 1]]);
    view.tree = Array.from(ring, (member, i) => [parent[i], member]);
    view.ring = new Set(ring);
    el.dataset.ringed = String(view.ring.size);
    el.dataset.chosen = String(model.get("clicked"));
    el.dataset.gifts = String(view.gifts.length);
    if (sigma) {
      // only the users whose colour or ring changed are sent to the GPU again
      const changed = [];
      for (let i = 0; i < graph.order; i++) {
        if (view.states[i] !== before.states[i] || view.ring.has(i) !== before.ring.has(i)) changed.push(i);
      }
      sigma.refresh({ partialGraph: { nodes: changed }, skipIndexation: true }); // draws now, calls drawLinks
      el.dataset.drawMs = (performance.now() - arrived).toFixed(1);
      el.dataset.frame = String(model.get("frame"));
    }
    if (view.hovered !== null) showTip(view.hovered, null);
  }

  function showTip(slot, event) {
    if (slot >= view.ids.length) return;
    const t = hoverText(view, slot);
    tip.replaceChildren(...t.lines.map((line, i) => {
      const d = document.createElement("div");
      d.textContent = line;
      if (i === 0) d.style.fontWeight = "600";
      return d;
    }));
    Object.assign(tip.dataset, { user: String(t.id), state: t.state, sent: String(t.sent),
      received: String(t.received), cascade: String(t.cascade) });
    if (event) {
      tip.style.left = `${event.x + 14}px`;
      tip.style.top = `${event.y + 14}px`;
    }
    tip.style.display = "block";
  }

  function buildSigma() {
    if (sigma) sigma.kill();
    view.ids = typed(model.get("ids"), Int32Array);
    graph = buildGraph(model);
    view.states = new Uint8Array(0);  // every user is drawn afresh
    view.ring = new Set();
    sigma = new Sigma(graph, box, {
      allowInvalidContainer: true, renderLabels: false, enableEdgeEvents: false,
      defaultNodeType: "ring", nodeProgramClasses: { ring: NodeRingProgram }, nodeReducer,
      hideEdgesOnMove: graph.size > 50000, minCameraRatio: 0.02, maxCameraRatio: 4,
    });
    sigma.createCanvasContext("giftsim-links", { afterLayer: "edges", style: { pointerEvents: "none" } });
    sigma.resize(true);
    sigma.on("afterRender", drawLinks);
    sigma.on("enterNode", ({ node, event }) => { view.hovered = Number(node); showTip(Number(node), event); });
    sigma.on("leaveNode", () => { view.hovered = null; tip.style.display = "none"; });
    sigma.on("clickNode", ({ node }) => {
      model.set("clicked", view.ids[Number(node)]);
      model.save_changes();
    });
    el.dataset.nodes = String(graph.order);
    el.dataset.edges = String(graph.size);
    sigma.refresh();
    applyFrame();
  }

  /** Client (page) coordinates of a user's dot, or null if the user is not drawn (for tests and tools). */
  el.giftsimPosition = (user) => {
    const slot = view.ids.indexOf(user);
    if (slot < 0 || !sigma) return null;
    const a = graph.getNodeAttributes(slot);
    const p = sigma.graphToViewport({ x: a.x, y: a.y });
    const r = box.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  };

  view.palette = model.get("palette");
  view.stateNames = model.get("state_names");
  buildSigma();
  reset.addEventListener("click", () => sigma && sigma.getCamera().animatedReset({ duration: 300 }));
  const resize = new ResizeObserver(() => { if (sigma) { sigma.resize(); sigma.refresh(); } });
  resize.observe(box);
  model.on("change:graph_key", buildSigma);
  model.on("change:frame", applyFrame);
  return () => {
    resize.disconnect();
    model.off("change:graph_key", buildSigma);
    model.off("change:frame", applyFrame);
    if (sigma) sigma.kill();
    sigma = null;
  };
}

export default { render };
