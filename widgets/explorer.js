// Front-end of deepclust_lab.widgets.EmbeddingExplorer (an anywidget ES module).
//
// Plain DOM + SVG, no libraries and no network: it works as-is in JupyterLab,
// Notebook 7 and VS Code with no build step. Python owns the data; this file only draws it:
//   x, y            point coordinates (2-D view of the embedding)
//   labels          cluster id per point
//   cluster_colors  colour of each cluster (keys: the ids as text), computed in Python so
//                   that the explorer and the kit's plots colour a cluster alike
//   palette         the kit's palette (deepclust_lab.plotting.PALETTE), for any other id
//   true_labels     true class per point, or [] when unknown
//   images          bytes, one uint8 greyscale image per point (image_shape[0] * image_shape[1])
//   selected_cluster  the selection; Python derives selected_indices (rows of the data) from it
const SVG_NS = "http://www.w3.org/2000/svg";
const SIZE = { width: 640, height: 480, margin: 16 };
const POINT_RADIUS = 4; // in SVG units, large enough to see from the back of a room
const HOVER_RADIUS = 14; // in SVG units: how close the pointer must be to a point

function svgElement(tag, attrs) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

function htmlElement(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// Binary traits arrive as a DataView (ipywidgets 8); accept the other buffer types too.
function asBytes(value) {
  if (!value) return new Uint8Array(0);
  if (value instanceof Uint8Array) return value;
  if (value instanceof DataView) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value.buffer instanceof ArrayBuffer) return new Uint8Array(value.buffer);
  return new Uint8Array(0);
}

// Draw sample `index` as dark ink on white into a new <canvas>; null when there are no images.
function imageCanvas(model, index, scale) {
  const [rows, cols] = model.get("image_shape") || [0, 0];
  const bytes = asBytes(model.get("images"));
  const size = rows * cols;
  if (!size || bytes.length < (index + 1) * size) return null;
  const canvas = htmlElement("canvas", "dcl-image");
  canvas.width = cols;
  canvas.height = rows;
  canvas.style.width = `${cols * scale}px`;
  canvas.style.height = `${rows * scale}px`;
  const context = canvas.getContext("2d");
  const pixels = context.createImageData(cols, rows);
  for (let i = 0; i < size; i++) {
    const grey = 255 - bytes[index * size + i];
    pixels.data[4 * i] = grey;
    pixels.data[4 * i + 1] = grey;
    pixels.data[4 * i + 2] = grey;
    pixels.data[4 * i + 3] = 255;
  }
  context.putImageData(pixels, 0, 0);
  return canvas;
}

function colourOf(model, cluster) {
  const mapped = (model.get("cluster_colors") || {})[String(cluster)];
  if (mapped) return mapped;
  const palette = model.get("palette");
  if (!palette || palette.length === 0) return "#555";
  return palette[((cluster % palette.length) + palette.length) % palette.length];
}

function render({ model, el }) {
  const root = htmlElement("div", "dcl-explorer");
  const title = htmlElement("div", "dcl-title");
  const body = htmlElement("div", "dcl-body");
  const plot = htmlElement("div", "dcl-plot");
  const legend = htmlElement("div", "dcl-legend");
  const tooltip = htmlElement("div", "dcl-tooltip");
  const grid = htmlElement("div", "dcl-grid");
  tooltip.hidden = true;
  const svg = svgElement("svg", {
    viewBox: `0 0 ${SIZE.width} ${SIZE.height}`,
    class: "dcl-scatter",
    role: "img",
  });
  plot.append(svg, tooltip);
  body.append(plot, legend);
  root.append(title, body, grid);
  el.appendChild(root);

  let screen = []; // [sx, sy] per point in SVG units
  let circles = [];

  function toScreen() {
    const xs = model.get("x");
    const ys = model.get("y");
    const n = Math.min(xs.length, ys.length);
    let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
    for (let i = 0; i < n; i++) {
      x0 = Math.min(x0, xs[i]);
      x1 = Math.max(x1, xs[i]);
      y0 = Math.min(y0, ys[i]);
      y1 = Math.max(y1, ys[i]);
    }
    const m = SIZE.margin;
    const sx = (SIZE.width - 2 * m) / (x1 - x0 || 1);
    const sy = (SIZE.height - 2 * m) / (y1 - y0 || 1);
    screen = [];
    for (let i = 0; i < n; i++) {
      screen.push([m + (xs[i] - x0) * sx, SIZE.height - m - (ys[i] - y0) * sy]);
    }
  }

  function drawPoints() {
    toScreen();
    svg.replaceChildren();
    svg.appendChild(svgElement("rect", {
      x: 0, y: 0, width: SIZE.width, height: SIZE.height, class: "dcl-background",
    }));
    const labels = model.get("labels");
    const group = svgElement("g", { class: "dcl-points" });
    circles = screen.map(([cx, cy], i) => {
      const circle = svgElement("circle", {
        cx: cx.toFixed(1), cy: cy.toFixed(1), r: POINT_RADIUS, fill: colourOf(model, labels[i]),
        "data-index": i, "data-cluster": labels[i],
      });
      group.appendChild(circle);
      return circle;
    });
    svg.appendChild(group);
    const ring = svgElement("circle", {
      r: POINT_RADIUS + 3, class: "dcl-hover-ring", visibility: "hidden",
    });
    svg.appendChild(ring);
  }

  function clusterCounts() {
    const counts = new Map();
    for (const label of model.get("labels")) counts.set(label, (counts.get(label) || 0) + 1);
    return [...counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  function drawLegend() {
    legend.replaceChildren(htmlElement("div", "dcl-legend-title", "Clusters (click)"));
    for (const [cluster, count] of clusterCounts()) {
      const item = htmlElement("button", "dcl-legend-item");
      item.type = "button";
      item.dataset.cluster = String(cluster);
      const swatch = htmlElement("span", "dcl-swatch");
      swatch.style.background = colourOf(model, cluster);
      item.append(swatch, htmlElement("span", "dcl-legend-text", `${cluster}  (${count})`));
      item.addEventListener("click", () => toggleCluster(cluster));
      legend.appendChild(item);
    }
  }

  function toggleCluster(cluster) {
    const current = model.get("selected_cluster");
    model.set("selected_cluster", current === cluster ? null : cluster);
    model.save_changes();
  }

  function drawSelection() {
    const selected = model.get("selected_cluster");
    const labels = model.get("labels");
    circles.forEach((circle, i) => {
      circle.classList.toggle("dcl-dim", selected !== null && labels[i] !== selected);
    });
    for (const item of legend.querySelectorAll(".dcl-legend-item")) {
      item.classList.toggle("dcl-active", selected !== null && Number(item.dataset.cluster) === selected);
    }
    drawGrid();
  }

  function drawGrid() {
    grid.replaceChildren();
    const selected = model.get("selected_cluster");
    if (selected === null) {
      grid.appendChild(htmlElement("div", "dcl-hint", "Hover a point to see its image; click a point or a legend entry to see the members of its cluster."));
      return;
    }
    // positions of the shown points in the cluster (selected_indices holds the original rows)
    const labels = model.get("labels");
    const members = [];
    labels.forEach((label, i) => { if (label === selected) members.push(i); });
    const shown = members.slice(0, model.get("max_grid"));
    const truth = model.get("true_labels");
    let heading = `Cluster ${selected}: ${members.length} samples`;
    if (shown.length < members.length) heading += ` (showing ${shown.length})`;
    if (truth.length) {
      const counts = new Map();
      for (const i of members) counts.set(truth[i], (counts.get(truth[i]) || 0) + 1);
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3);
      heading += ` · true labels: ${top.map(([label, c]) => `${label} ×${c}`).join(", ")}`;
    }
    grid.appendChild(htmlElement("div", "dcl-grid-title", heading));
    const cells = htmlElement("div", "dcl-grid-cells");
    const scale = Math.max(1, Math.round(32 / ((model.get("image_shape") || [8])[0] || 8)));
    for (const i of shown) {
      const cell = htmlElement("div", "dcl-grid-cell");
      cell.title = truth.length ? `sample ${i}, label ${truth[i]}` : `sample ${i}`;
      const canvas = imageCanvas(model, i, scale);
      cell.appendChild(canvas || htmlElement("span", "dcl-grid-index", String(i)));
      cells.appendChild(cell);
    }
    grid.appendChild(cells);
  }

  function nearest(event) {
    const matrix = svg.getScreenCTM();
    if (!matrix || screen.length === 0) return -1;
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
    let best = -1;
    let bestDistance = HOVER_RADIUS * HOVER_RADIUS;
    for (let i = 0; i < screen.length; i++) {
      const dx = screen[i][0] - point.x;
      const dy = screen[i][1] - point.y;
      const distance = dx * dx + dy * dy;
      if (distance <= bestDistance) {
        best = i;
        bestDistance = distance;
      }
    }
    return best;
  }

  let hovered = -1;
  function showTooltip(index, event) {
    const ring = svg.querySelector(".dcl-hover-ring");
    if (index < 0) {
      tooltip.hidden = true;
      if (ring) ring.setAttribute("visibility", "hidden");
      hovered = -1;
      return;
    }
    if (index !== hovered) {
      hovered = index;
      const labels = model.get("labels");
      const truth = model.get("true_labels");
      const shape = model.get("image_shape") || [8, 8];
      tooltip.replaceChildren();
      const canvas = imageCanvas(model, index, Math.max(2, Math.round(96 / (shape[0] || 8))));
      if (canvas) tooltip.appendChild(canvas);
      const text = truth.length ? `label ${truth[index]} · cluster ${labels[index]}` : `cluster ${labels[index]}`;
      tooltip.appendChild(htmlElement("div", "dcl-tooltip-label", text));
      tooltip.appendChild(htmlElement("div", "dcl-tooltip-index", `sample #${index}`));
      if (ring) {
        ring.setAttribute("cx", screen[index][0].toFixed(1));
        ring.setAttribute("cy", screen[index][1].toFixed(1));
        ring.setAttribute("visibility", "visible");
      }
    }
    tooltip.hidden = false;
    const box = plot.getBoundingClientRect();
    const left = event.clientX - box.left + 14;
    const top = event.clientY - box.top + 14;
    tooltip.style.left = `${Math.min(left, Math.max(0, box.width - 130))}px`;
    tooltip.style.top = `${Math.min(top, Math.max(0, box.height - 150))}px`;
  }

  svg.addEventListener("mousemove", (event) => showTooltip(nearest(event), event));
  svg.addEventListener("mouseleave", () => showTooltip(-1));
  svg.addEventListener("click", (event) => {
    const index = nearest(event);
    if (index >= 0) toggleCluster(model.get("labels")[index]);
  });

  function drawAll() {
    title.textContent = model.get("title");
    title.hidden = !model.get("title");
    hovered = -1;
    tooltip.hidden = true;
    drawPoints();
    drawLegend();
    drawSelection();
  }

  const redrawAll = () => drawAll();
  const redrawSelection = () => drawSelection();
  const events = ["x", "y", "labels", "palette", "cluster_colors", "title", "images",
    "image_shape", "true_labels"];
  for (const name of events) model.on(`change:${name}`, redrawAll);
  model.on("change:selected_cluster", redrawSelection);
  drawAll();
  return () => {
    for (const name of events) model.off(`change:${name}`, redrawAll);
    model.off("change:selected_cluster", redrawSelection);
  };
}

export default { render };
