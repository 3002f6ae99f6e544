// giftsim's interactive graph view: the anywidget front end of sim/viz/sigma_view.py.
//
// The graph (positions and friendships) arrives once, as binary buffers (`x`, `y` float32, `ids` and
// `edges` int32, changed together with `graph_key`); every frame only small per-user arrays (state, gifts
// sent and received, cascade size), the recent gifts and the ringed cascade, under a new `frame` number.
// sigma.js draws it with WebGL: zoom with the wheel, pan by dragging, hover a user for its details, click one
// to set `clicked` (Python then rings its cascade). Built into sim/viz/static/sigma_view.js by js/build.mjs.
//
// Two sigma renderers share one camera: below, the friendships (tens of thousands of edges, drawn again only
// when the camera moves); above, the users, redrawn every frame, with the recent gifts and the cascade's
// who-told-whom links on a 2D layer between. A step so redraws a few thousand dots, never the edges: on a
// machine without a GPU (software WebGL) the edges take about 0.3 s to draw. Every program is drawn without
// instancing (flat_program.js), which software WebGL runs several times faster.

import Graph from "graphology";
import Sigma from "sigma";
import { EdgeRectangleProgram, NodeCircleProgram } from "sigma/rendering";
import { createNodeBorderProgram } from "@sigma/node-border";
import { flatten } from "./flat_program.js";

// The users' dots (a ring around the chosen cascade's members), drawn without instancing (see flat_program.js).
const NodeRingProgram = flatten(createNodeBorderProgram({
  borders: [
    { size: { attribute: "ringSize", defaultValue: 0 }, color: { attribute: "ringColor", defaultValue: "#111111" } },
    { size: { fill: true }, color: { attribute: "color" } },
  ],
}));

const RING_COLOUR = "#111111";
const FRIEND_EDGE = "#e3e5ec"; // opaque: sigma blends premultiplied colours, so a faint rgba vanishes on white
const DEFER_EDGES = 20000; // above this many friendships, they are hidden while the camera moves
const LAYER = "position:absolute;inset:0";

/** A typed array over a binary trait (a DataView from the widget model, or nothing yet). */
function typed(value, Kind) {
  if (!value || !value.byteLength) return new Kind(0);
  const buf = value.buffer ? value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) : value;
  return new Kind(buf);
}

/** The users (positions only) and, apart, the same users with the friendships between them. */
function buildGraphs(model) {
  const x = typed(model.get("x"), Float32Array);
  const y = typed(model.get("y"), Float32Array);
  const edges = typed(model.get("edges"), Int32Array);
  const size = model.get("node_size");
  const users = new Graph({ type: "undirected" });
  const friends = new Graph({ type: "undirected", multi: true });
  for (let i = 0; i < x.length; i++) {
    users.addNode(i, { x: x[i], y: y[i], size, color: "#d4d4d4" });
    friends.addNode(i, { x: x[i], y: y[i], size: 0.01, color: FRIEND_EDGE }); // same frame as the users
  }
  for (let e = 0; e + 1 < edges.length; e += 2) {
    friends.addEdge(edges[e], edges[e + 1], { color: FRIEND_EDGE, size: 1 });
  }
  return { users, friends };
}

function hoverLines(view, slot) {
  const t = {
    user: view.ids[slot], state: view.stateNames[view.states[slot]] ?? "unknown",
    sent: view.sent[slot] ?? 0, received: view.received[slot] ?? 0, cascade: view.cascade[slot] ?? 0,
  };
  const lines = [
    `user ${t.user}`, `state: ${t.state}`, `gifts sent: ${t.sent}, received: ${t.received}`,
    t.cascade > 0 ? `cascade: ${t.cascade.toLocaleString("en")} users` : "cascade: none (not aware)",
  ];
  return { data: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, String(v)])), lines };
}

function element(tag, className, css) {
  const e = document.createElement(tag);
  e.className = className;
  e.style.cssText = css;
  return e;
}

function render({ model, el }) {
  el.classList.add("giftsim-sigma");
  const box = element("div", "giftsim-sigma-canvas",
    `position:relative;width:100%;height:${model.get("height")}px;background:#fff;overflow:hidden`);
  const under = element("div", "giftsim-sigma-friends", `${LAYER};pointer-events:none`);
  const over = element("div", "giftsim-sigma-users", LAYER);
  const tip = element("div", "giftsim-hover", "position:absolute;display:none;pointer-events:none;z-index:10;"
    + "background:rgba(255,255,255,.95);border:1px solid #999;border-radius:4px;padding:4px 6px;"
    + "font:12px/1.35 sans-serif;white-space:nowrap");
  const reset = element("button", "giftsim-sigma-reset", "position:absolute;right:6px;top:6px;z-index:10;"
    + "font:11px sans-serif;padding:2px 6px;background:#fff;border:1px solid #bbb;border-radius:3px;cursor:pointer");
  reset.textContent = "reset view";
  reset.title = "Zoom and pan back to the whole graph (the wheel zooms, dragging pans)";
  box.append(under, over, tip, reset);
  el.replaceChildren(box);

  const view = {
    ids: new Int32Array(0), states: new Uint8Array(0), sent: new Int32Array(0), received: new Int32Array(0),
    cascade: new Int32Array(0), ring: new Set(), palette: model.get("palette"),
    stateNames: model.get("state_names"), hovered: null, gifts: [], giftOutcomes: new Uint8Array(0), tree: [],
  };
  let users = new Graph();
  let sigma = null; // the users, on top: events and camera
  let friends = null; // the friendships, below, following sigma's camera
  let settle = null;

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

  // The recent gifts and the cascade's who-told-whom links: on a 2D layer between the friendships and the
  // users, drawn after each render of the users.
  function drawLinks() {
    const ctx = sigma && sigma.getCanvases()["giftsim-links"]?.getContext("2d");
    if (!ctx) return;
    const { width, height } = sigma.getDimensions();
    ctx.clearRect(0, 0, width, height);
    const n = users.order;
    const at = (slot) => sigma.framedGraphToViewport(sigma.getNodeDisplayData(slot));
    const stroke = (pairs, colourOf, lineWidth) => {
      const byColour = new Map();
      pairs.forEach(([a, b], i) => {
        if (a < 0 || b < 0 || a >= n || b >= n || a === b) return;
        const c = colourOf(i);
        if (!byColour.has(c)) byColour.set(c, []);
        byColour.get(c).push(a, b);
      });
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
    const giftPalette = model.get("gift_palette");
    stroke(view.gifts, (i) => giftPalette[view.giftOutcomes[i]] ?? "#f77f00", 1.6);
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
    view.gifts = Array.from(view.giftOutcomes, (_, g) => [gifts[2 * g], gifts[2 * g + 1]]);
    view.tree = Array.from(ring, (member, i) => [parent[i], member]);
    view.ring = new Set(ring);
    el.dataset.ringed = String(view.ring.size);
    el.dataset.chosen = String(model.get("clicked"));
    el.dataset.gifts = String(view.gifts.length);
    if (sigma) {
      const changed = []; // only the users whose colour or ring changed are sent to the GPU again
      for (let i = 0; i < users.order; i++) {
        if (view.states[i] !== before.states[i] || view.ring.has(i) !== before.ring.has(i)) changed.push(i);
      }
      sigma.refresh({ partialGraph: { nodes: changed }, skipIndexation: true }); // draws now, then the links
      el.dataset.drawMs = (performance.now() - arrived).toFixed(1);
      el.dataset.frame = String(model.get("frame"));
    }
    if (view.hovered !== null) showTip(view.hovered, null);
  }

  function showTip(slot, event) {
    if (slot >= view.ids.length) return;
    const { data, lines } = hoverLines(view, slot);
    tip.replaceChildren(...lines.map((line, i) => {
      const d = document.createElement("div");
      d.textContent = line;
      if (i === 0) d.style.fontWeight = "600";
      return d;
    }));
    Object.assign(tip.dataset, data);
    if (event) {
      tip.style.left = `${event.x + 14}px`;
      tip.style.top = `${event.y + 14}px`;
    }
    tip.style.display = "block";
  }

  /** The friendships follow the users' camera; many of them wait until it stops moving. */
  function follow(state) {
    if (!friends) return;
    if (friends.getGraph().size <= DEFER_EDGES) {
      friends.getCamera().setState(state);
      return;
    }
    under.style.visibility = "hidden";
    clearTimeout(settle);
    settle = setTimeout(() => {
      friends.getCamera().setState(sigma.getCamera().getState());
      under.style.visibility = "visible";
    }, 150);
  }

  function kill() {
    clearTimeout(settle);
    if (sigma) sigma.kill();
    if (friends) friends.kill();
    sigma = friends = null;
  }

  function build() {
    kill();
    view.ids = typed(model.get("ids"), Int32Array);
    const graphs = buildGraphs(model);
    users = graphs.users;
    view.states = new Uint8Array(0); // every user is drawn afresh
    view.ring = new Set();
    const common = { allowInvalidContainer: true, renderLabels: false, enableEdgeEvents: false,
      minCameraRatio: 0.02, maxCameraRatio: 4 };
    friends = new Sigma(graphs.friends, under, { ...common, enableCameraInteraction: false,
      nodeProgramClasses: { circle: flatten(NodeCircleProgram) }, edgeProgramClasses: { line: flatten(EdgeRectangleProgram) } });
    sigma = new Sigma(users, over, { ...common, defaultNodeType: "ring", nodeProgramClasses: { ring: NodeRingProgram },
      nodeReducer });
    sigma.createCanvasContext("giftsim-links", { afterLayer: "edges", style: { pointerEvents: "none" } });
    sigma.resize(true);
    sigma.on("afterRender", drawLinks);
    sigma.getCamera().on("updated", follow);
    sigma.on("enterNode", ({ node, event }) => { view.hovered = Number(node); showTip(Number(node), event); });
    sigma.on("leaveNode", () => { view.hovered = null; tip.style.display = "none"; });
    sigma.on("clickNode", ({ node }) => {
      model.set("clicked", view.ids[Number(node)]);
      model.save_changes();
    });
    el.dataset.nodes = String(users.order);
    el.dataset.edges = String(graphs.friends.size);
    sigma.refresh();
    applyFrame();
  }

  /** Client (page) coordinates of a user's dot, or null if the user is not drawn (for tests and tools). */
  el.giftsimPosition = (user) => {
    const slot = view.ids.indexOf(user);
    if (slot < 0 || !sigma) return null;
    const p = sigma.framedGraphToViewport(sigma.getNodeDisplayData(slot));
    const r = box.getBoundingClientRect();
    return { x: r.left + p.x, y: r.top + p.y };
  };

  build();
  reset.addEventListener("click", () => sigma && sigma.getCamera().animatedReset({ duration: 300 }));
  const resize = new ResizeObserver(() => { // a new size needs only a new draw
    for (const s of [friends, sigma]) if (s) { s.resize(); s.scheduleRender(); }
  });
  resize.observe(box);
  model.on("change:graph_key", build);
  model.on("change:frame", applyFrame);
  return () => {
    resize.disconnect();
    model.off("change:graph_key", build);
    model.off("change:frame", applyFrame);
    kill();
  };
}

export default { render };
