(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('metric-tree-data').textContent);
  var svg = document.getElementById('tree');
  var SVG_NS = svg.namespaceURI;
  var wrap = document.getElementById('tree-wrap');
  var panel = document.getElementById('panel');
  var overview = document.getElementById('overview');
  var MOVED = parseFloat(document.getElementById('app').getAttribute('data-moved'));
  var withValues = !!data.has_values;
  var BOX_W = 200, BOX_H = withValues ? 62 : 40, GAP_X = 44, GAP_Y = 10, PAD = 14;
  var SPARK = {x: 136, y: 25, w: 56, h: 28};
  var LABEL_PX = 12.5, LABEL_MIN_PX = 9;
  var PERCENT = /(_rate|_ratio|_share|_growth|_ctr|_retention)$/;

  var byName = {}, order = {}, kids = {}, parentOf = {}, weightOf = {};
  data.nodes.forEach(function (n, i) { byName[n.name] = n; order[n.name] = i; });
  data.edges.forEach(function (e) {
    if (e.kind !== 'parent' || !byName[e.source] || !byName[e.target]) { return; }
    (kids[e.source] = kids[e.source] || []).push(e.target);
    parentOf[e.target] = e.source;
    weightOf[e.target] = isNum(e.weight) ? e.weight : null;
  });
  Object.keys(kids).forEach(function (name) { kids[name].sort(byDriver); });

  var state = {stakeholder: '', tier: '', show: '', q: '', ancestors: true, metric: '', grain: '', period: ''};

  // ---- the period picker: every complete period of every grain, measured by the export --------------
  var periodsEl = document.getElementById('metric-tree-periods');
  var PERIODS = periodsEl ? JSON.parse(periodsEl.textContent) : null;
  var applied = '';
  function periodList(grain) {
    return PERIODS && PERIODS.grains[grain] ? PERIODS.grains[grain].periods : [];
  }
  function findPeriod(grain, key) {
    return periodList(grain).filter(function (p) { return p.key === key; })[0] || null;
  }
  function chosenPeriod() {
    if (!PERIODS) { return null; }
    var grain = periodList(state.grain).length ? state.grain : PERIODS.default_grain;
    var list = periodList(grain);
    if (!list.length) { return null; }
    var fallback = grain === PERIODS.default_grain ? findPeriod(grain, PERIODS.default_key) : null;
    return {grain: grain, period: findPeriod(grain, state.period) || fallback || list[list.length - 1]};
  }
  // a node's sparkline: the grain's values over the window of periods up to this one (snapshot.py's series)
  function seriesOf(grain, name, key) {
    var all = PERIODS.grains[grain].series, end = all.starts.indexOf(key), first = end - data.anomaly_rule.window;
    var values = all.values[name] || [];
    var points = [];
    for (var i = first; i <= end; i++) {
      var value = i >= 0 && values[i] !== undefined ? values[i] : null;
      points.push({start: i >= 0 ? all.starts[i] : '', value: value});
    }
    return points;
  }
  function applyPeriod(grain, p) {
    data.nodes.forEach(function (n) {
      var fields = p.nodes[n.name] || {};
      PERIODS.fields.forEach(function (k) { n[k] = fields[k] === undefined ? null : fields[k]; });
      n.series = seriesOf(grain, n.name, p.key);
    });
    Object.keys(weightOf).forEach(function (name) {
      var w = p.weights[parentOf[name] + '>' + name];
      weightOf[name] = isNum(w) ? w : null;
    });
    Object.keys(kids).forEach(function (name) { kids[name].sort(byDriver); });
    var header = document.querySelector('body > header');
    if (header) { header.outerHTML = p.header_html; }
    document.getElementById('guardrails').innerHTML = p.guardrails_html;
  }
  function syncPeriod() {
    var chosen = chosenPeriod();
    if (!chosen) { return; }
    var key = chosen.grain + '/' + chosen.period.key;
    if (applied !== key) { applyPeriod(chosen.grain, chosen.period); applied = key; }
    var grainSelect = document.getElementById('f-grain'), periodSelect = document.getElementById('f-period');
    grainSelect.value = chosen.grain;
    periodSelect.innerHTML = '';
    periodList(chosen.grain).slice().reverse().forEach(function (p) {
      var option = document.createElement('option');
      option.value = p.key;
      option.textContent = p.label + ' vs ' + p.previous_label;
      periodSelect.appendChild(option);
    });
    periodSelect.value = chosen.period.key;
    var notice = document.getElementById('period-notice');
    notice.textContent = PERIODS.notice || '';
    notice.hidden = !PERIODS.notice || !!(state.grain || state.period);
  }
  var zoom = {mode: 'fit', scale: 1};
  var size = {w: 0, h: 0};

  // ---- formatting (mirrors live_metrics.formatting) ----------------------------------------------
  function isNum(v) { return typeof v === 'number' && isFinite(v); }
  function group(text) {
    var parts = text.split('.');
    parts[0] = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ',');
    return parts.join('.');
  }
  function fmt(v, name) {
    if (v === null || v === undefined) { return '—'; }
    if (!isNum(v)) { return String(v); }
    if (PERCENT.test(name || '')) { return (v * 100).toFixed(2) + '%'; }
    if (/_usd$/.test(name || '')) { return '$' + group(v.toFixed(2)); }
    if (v === Math.round(v) && Math.abs(v) < 1e15) { return group(String(v)); }
    if (Math.abs(v) >= 100) { return group(v.toFixed(1)); }
    if (Math.abs(v) >= 1) { return group(v.toFixed(2)); }
    return String(Number(v.toPrecision(4)));
  }
  function fmtChange(c) { return isNum(c) ? (c >= 0 ? '+' : '') + (c * 100).toFixed(1) + '%' : '—'; }
  // a rate's change in percentage points, any other metric's relative (formatting.format_metric_change)
  function fmtMetricChange(n) {
    return PERCENT.test(n.name || '') && isNum(n.value) && isNum(n.previous) ?
      fmtSigned(n.value - n.previous, n.name) : fmtChange(n.change);
  }
  function fmtSigned(v, name) {
    if (!isNum(v)) { return '—'; }
    var sign = v < 0 ? '-' : '+';
    return PERCENT.test(name || '') ? sign + (Math.abs(v) * 100).toFixed(2) + ' pp' : sign + fmt(Math.abs(v), name);
  }
  // formatting.format_share: a share outside 0-100 % is an offsetting part, said in words
  function fmtShare(s) {
    if (!isNum(s)) { return '—'; }
    if (s > 1 + 1e-9) { return 'more than all (offsetting)'; }
    if (s < -1e-9) { return 'against (offsetting)'; }
    return (Math.min(Math.max(s, 0), 1) * 100).toFixed(1) + '%';
  }
  function edgeText(w) {
    if (w > 1 + 1e-9 || w < -1e-9) { return 'offsetting'; }
    return w < 0.095 ? fmtShare(w) : Math.round(w * 100) + '%';
  }
  function changeText(n) {
    if (n.final === false) { return 'not final yet'; }
    return n.baseline === false ? 'no baseline' : fmtMetricChange(n);
  }
  function slug(text) { return String(text).replace(/[^A-Za-z0-9_-]+/g, '-'); }

  function byDriver(a, b) {
    var wa = weightOf[a], wb = weightOf[b];
    if ((wa === null) !== (wb === null)) { return wa === null ? 1 : -1; }
    if (wa !== null && Math.abs(wb) !== Math.abs(wa)) { return Math.abs(wb) - Math.abs(wa); }
    return order[a] - order[b];
  }

  // ---- DOM helpers: text always goes in as text nodes, never as markup ----------------------------
  function fill(node, attrs, children) {
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value !== null && value !== undefined && value !== false) { node.setAttribute(key, value); }
    });
    (children || []).forEach(function add(child) {
      if (child === null || child === undefined || child === false) { return; }
      if (Array.isArray(child)) { child.forEach(add); return; }
      node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
    });
    return node;
  }
  function s(tag, attrs, children) { return fill(document.createElementNS(SVG_NS, tag), attrs, children); }
  function h(tag, attrs, children) { return fill(document.createElement(tag), attrs, children); }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // ---- filters -------------------------------------------------------------------------------------
  function moved(n) { return n.baseline !== false && isNum(n.change) && Math.abs(n.change) >= MOVED; }
  function flagged(n) { return !!(n.anomaly && n.anomaly.flagged); }
  function haystack(n) {
    return [n.name, n.label, n.description, n.definition, n.owner, n.stakeholder, n.tier].join(' ').toLowerCase();
  }
  function matches(n) {
    if (state.stakeholder && n.stakeholder !== state.stakeholder) { return false; }
    if (state.tier && n.tier !== state.tier) { return false; }
    if (state.show === 'moved' && !moved(n)) { return false; }
    if (state.show === 'anomalies' && !flagged(n)) { return false; }
    if (state.show === 'breached' && n.status !== 'breached') { return false; }
    return !state.q || haystack(n).indexOf(state.q.toLowerCase()) >= 0;
  }
  function visibility() {
    var shown = {}, kept = {}, count = 0;
    data.nodes.forEach(function (n) { if (matches(n)) { shown[n.name] = true; count += 1; } });
    if (state.ancestors) {
      Object.keys(shown).forEach(function (name) {
        var up = parentOf[name], guard = 0;
        while (up && !shown[up] && guard++ < data.nodes.length) { kept[up] = true; up = parentOf[up]; }
      });
    }
    return {shown: shown, kept: kept, count: count};
  }

  // ---- layout: a tidy tree, left to right --------------------------------------------------------
  // Leaves take consecutive rows and a parent sits level with its first child (its biggest driver: children
  // are sorted by |weight|), so boxes in one column never overlap and the north star stays top left.
  // Visible nodes whose parent is hidden (or absent) start their own tree below.
  function layout(visible) {
    var pos = {}, row = 0, depthMax = 0;
    function place(name, depth) {
      pos[name] = null;
      var children = (kids[name] || []).filter(function (k) { return visible[k] && !(k in pos); });
      var x = PAD + depth * (BOX_W + GAP_X);
      depthMax = Math.max(depthMax, depth);
      children.forEach(function (k) { place(k, depth + 1); });
      if (!children.length) {
        pos[name] = {x: x, y: PAD + row * (BOX_H + GAP_Y)};
        row += 1;
      } else {
        pos[name] = {x: x, y: pos[children[0]].y};
      }
    }
    var roots = data.nodes.filter(function (n) { return visible[n.name] && !visible[parentOf[n.name]]; });
    roots.sort(function (a, b) { return (a.tier === 'north_star' ? -1 : 0) - (b.tier === 'north_star' ? -1 : 0); });
    roots.concat(data.nodes).forEach(function (n) {
      if (visible[n.name] && !(n.name in pos)) { if (row) { row += 0.5; } place(n.name, 0); }
    });
    var w = 2 * PAD + (depthMax + 1) * BOX_W + depthMax * GAP_X;
    return {pos: pos, w: w, h: 2 * PAD + row * (BOX_H + GAP_Y) - GAP_Y};
  }

  // ---- drawing -------------------------------------------------------------------------------------
  function sparkPoints(series, box) {
    var values = series.map(function (p) { return p.value; }).filter(isNum).concat(box.extra || []);
    var lo = Math.min.apply(null, values), hi = Math.max.apply(null, values);
    var span = hi - lo || Math.abs(hi) || 1, step = series.length > 1 ? box.w / (series.length - 1) : 0;
    function y(v) { return box.y + box.h - (v - lo) / span * box.h; }
    var points = series.map(function (p, i) {
      return isNum(p.value) ? {x: box.x + i * step, y: y(p.value), p: p} : null;
    });
    return {points: points, y: y, lo: lo, hi: hi};
  }
  function sparkPaths(points) {
    var runs = [], run = [];
    points.forEach(function (pt) {
      if (pt) { run.push(pt.x.toFixed(1) + ',' + pt.y.toFixed(1)); } else if (run.length) { runs.push(run); run = []; }
    });
    if (run.length) { runs.push(run); }
    return runs.map(function (r) { return s('polyline', {class: 'spark', points: r.join(' ')}); });
  }
  function sparkline(n) {
    var series = n.series || [];
    if (series.filter(function (p) { return isNum(p.value); }).length < 2) { return null; }
    var sp = sparkPoints(series, SPARK), last = sp.points[sp.points.length - 1];
    return s('g', {'aria-hidden': 'true'}, [sparkPaths(sp.points),
      last ? s('circle', {class: 'spark-dot', cx: last.x, cy: last.y, r: 2.2}) : null]);
  }
  function markers(n) {
    var out = [], x = BOX_W - 12;
    if (flagged(n)) {
      out.push(s('g', {class: 'marker'}, [s('title', {}, ['anomaly: outside the normal range']),
        s('circle', {class: 'marker-anomaly', cx: x, cy: 12, r: 7}),
        s('text', {class: 'marker-anomaly-text', x: x, y: 15.5, 'text-anchor': 'middle'}, ['!'])]));
      x -= 18;
    }
    if (n.target_status) {
      var on = n.target_status === 'on track';
      out.push(s('g', {class: 'marker'}, [s('title', {}, ['target ' + fmt(n.target, n.name) + ': ' + n.target_status]),
        s('circle', {class: 'marker-target ' + (on ? 'on' : 'off'), cx: x, cy: 12, r: 5.5}),
        s('circle', {class: 'marker-target ' + (on ? 'on' : 'off'), cx: x, cy: 12, r: 1.5})]));
      x -= 18;
    }
    return {els: out, room: x + 8 - 12};
  }
  function deltaLine(n) {
    var text = changeText(n), cls = 'delta';
    if (n.error) { return s('text', {class: 'delta worse', x: 12, y: 54}, ['error']); }
    if (n.baseline === false) { cls += ' nobase'; } else if (n.trend && !n.helper) { cls += ' ' + n.trend; }
    if (n.tier === 'guardrail' && n.threshold !== null && n.threshold !== undefined) {
      var bound = n.direction === 'decrease' ? 'max ' : 'min ';
      var limit = n.threshold === 'none' ? 'tracked' : bound + fmt(n.threshold, n.name);
      return s('text', {class: cls, x: 12, y: 54}, [text, s('tspan', {class: 'sub'}, ['  · ' + limit])]);
    }
    return s('text', {class: cls, x: 12, y: 54}, [text]);
  }
  function nodeClasses(n, kept) {
    var cls = ['node', 'tier-' + slug(n.tier), 'sh-' + slug(n.stakeholder)];
    if (n.helper) { cls.push('helper'); }
    if (n.tier === 'guardrail') { cls.push('st-' + slug(n.status || 'tracked')); }
    if (kept) { cls.push('kept'); }
    if (n.name === state.metric) { cls.push('selected'); }
    return cls.join(' ');
  }
  function ariaLabel(n, kept) {
    var parts = [n.label, n.tier];
    if (withValues) { parts.push(fmt(n.value, n.name), changeText(n)); }
    if (n.status) { parts.push(n.status); }
    if (flagged(n)) { parts.push('anomaly'); }
    if (kept) { parts.push('(ancestor of a match)'); }
    return parts.join(', ');
  }
  function drawNode(n, p, kept) {
    var mark = markers(n);
    var g = s('g', {class: nodeClasses(n, kept), transform: 'translate(' + p.x + ',' + p.y + ')', tabindex: 0,
      role: 'button', 'data-metric': n.name, 'aria-label': ariaLabel(n, kept)}, [
      s('title', {}, [n.label + ' (' + n.name + ')\n' + (n.definition || n.description || '')]),
      s('rect', {class: 'box', width: BOX_W, height: BOX_H, rx: 6}),
      s('rect', {class: 'stripe', x: 1, y: 1, width: 5, height: BOX_H - 2, rx: 2}),
      s('text', {class: 'label', x: 12, y: 17, 'data-room': mark.room}, [n.label])
    ]);
    if (withValues) {
      fill(g, {}, [s('text', {class: 'value', x: 12, y: 37}, [n.final === false ? '—' : fmt(n.value, n.name)]),
        deltaLine(n), sparkline(n)]);
    } else {
      fill(g, {}, [s('text', {class: 'sub', x: 12, y: 32}, [n.name])]);
    }
    return fill(g, {}, mark.els);
  }
  function drawEdge(pos, up, name) {
    var from = pos[up], to = pos[name], w = weightOf[name];
    var x1 = from.x + BOX_W, y1 = from.y + BOX_H / 2, x2 = to.x, y2 = to.y + BOX_H / 2, mx = (x1 + x2) / 2;
    var d = 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2;
    var cls = w === null ? 'edge context' : (w < 0 ? 'edge neg' : 'edge pos');
    var width = w === null ? 1.2 : 1.5 + 9 * Math.min(Math.abs(w), 1);
    var path = s('path', {class: cls, d: d, 'stroke-width': width.toFixed(2)});
    if (w === null) { return {path: path, label: null}; }
    var offsetting = w > 1 + 1e-9 || w < -1e-9;
    var tip = s('title', {}, [offsetting ?
      byName[name].label + (w < 0 ? ' moved against' : ' moved with, and by more than all of,') + ' the change of ' +
        byName[up].label + ': its other parts moved the other way (offsetting)' :
      byName[name].label + ': ' + fmtShare(w) + ' of the change of ' + byName[up].label]);
    var label = s('text', {class: 'edge-label' + (w < 0 ? ' neg' : ''), x: x2 - 4, y: y2 - 4 - width / 2,
      'text-anchor': 'end'}, [tip, edgeText(w)]);
    return {path: path, label: label};
  }
  // a long label gets a smaller font, never a cut: every word of it stays readable in its box
  function fitLabels() {
    Array.prototype.forEach.call(svg.querySelectorAll('.node .label'), function (t) {
      var room = parseFloat(t.getAttribute('data-room')), size = LABEL_PX;
      t.style.fontSize = '';
      while (size > LABEL_MIN_PX && t.getComputedTextLength() > room) {
        size -= 0.5;
        t.style.fontSize = size + 'px';
      }
      if (t.getComputedTextLength() > room) {
        t.setAttribute('textLength', room);
        t.setAttribute('lengthAdjust', 'spacingAndGlyphs');
      }
    });
  }
  function pathTo(name) {
    var on = {}, up = parentOf[name], guard = 0;
    while (up && guard++ < data.nodes.length) { on[up] = true; up = parentOf[up]; }
    return on;
  }
  function draw() {
    var vis = visibility(), visible = {};
    Object.keys(vis.shown).concat(Object.keys(vis.kept)).forEach(function (k) { visible[k] = true; });
    var lay = layout(visible), onPath = state.metric ? pathTo(state.metric) : {};
    clear(svg);
    var edges = s('g', {class: 'edges'}), boxes = s('g', {class: 'nodes'}), labels = s('g', {class: 'edge-labels'});
    Object.keys(lay.pos).forEach(function (name) {
      var up = parentOf[name];
      if (up && lay.pos[up]) {
        var edge = drawEdge(lay.pos, up, name);
        fill(edges, {}, [edge.path]);
        fill(labels, {}, [edge.label]);
      }
      var g = drawNode(byName[name], lay.pos[name], !!vis.kept[name]);
      if (onPath[name]) { g.classList.add('on-path'); }
      boxes.appendChild(g);
    });
    fill(svg, {viewBox: '0 0 ' + lay.w + ' ' + Math.max(lay.h, 1)}, [edges, boxes, labels]);
    size = {w: lay.w, h: Math.max(lay.h, 1)};
    fitLabels();
    applyZoom();
    document.getElementById('empty').hidden = vis.count > 0;
    var extra = Object.keys(vis.kept).length;
    document.getElementById('count').textContent = vis.count + ' of ' + data.nodes.length + ' metrics' +
      (extra ? ' (+' + extra + ' ancestors)' : '');
  }

  // ---- zoom ----------------------------------------------------------------------------------------
  function applyZoom() {
    var scale = zoom.mode === 'fit' ? Math.min(1, Math.max(0.5, (wrap.clientWidth - 4) / size.w)) : zoom.scale;
    zoom.scale = scale;
    svg.setAttribute('width', Math.round(size.w * scale));
    svg.setAttribute('height', Math.round(size.h * scale));
  }
  function setZoom(how) {
    if (how === 'fit') { zoom.mode = 'fit'; } else {
      zoom.mode = 'manual';
      zoom.scale = how === 'in' ? Math.min(2, zoom.scale * 1.2) : how === 'out' ? Math.max(0.3, zoom.scale / 1.2) : 1;
    }
    applyZoom();
    syncControls();
  }

  // ---- the detail panel ------------------------------------------------------------------------------
  function link(name) {
    var n = byName[name];
    if (!n) { return h('code', {}, [name]); }
    return h('a', {href: '#metric=' + encodeURIComponent(name), 'data-goto': name}, [n.label]);
  }
  function section(title, body) { return body ? [h('h3', {}, [title]), body] : null; }
  function kv(rows) {
    var shown = rows.filter(function (r) { return r[1] !== null && r[1] !== undefined && r[1] !== ''; });
    return h('table', {class: 'kv'}, shown.map(function (r) {
      return h('tr', {}, [h('th', {}, [r[0]]), h('td', {}, [r[1]])]);
    }));
  }
  function table(headers, numeric, rows) {
    return h('table', {class: 'parts'}, [h('thead', {}, [h('tr', {}, headers.map(function (x, i) {
      return h('th', {class: numeric[i] ? 'num' : null}, [x]);
    }))]), h('tbody', {}, rows.map(function (r) {
      return h('tr', {}, r.map(function (c, i) { return h('td', {class: numeric[i] ? 'num' : null}, [c]); }));
    }))]);
  }
  function badge(text) { return text ? h('span', {class: 'badge ' + slug(text)}, [text]) : null; }
  function bigSpark(n) {
    var series = n.series || [];
    if (series.filter(function (p) { return isNum(p.value); }).length < 2) { return null; }
    var a = n.anomaly, extra = [], W = 410, H = 130;
    if (a && isNum(a.low)) { extra.push(a.low, a.high); }
    if (isNum(n.target)) { extra.push(n.target); }
    var sp = sparkPoints(series, {x: 8, y: 10, w: W - 16, h: H - 34, extra: extra});
    var out = [];
    if (a && isNum(a.low)) {
      var top = sp.y(a.high), height = Math.max(1, sp.y(a.low) - top);
      out.push(s('rect', {class: 'band', x: 8, width: W - 16, y: top, height: height},
        [s('title', {}, ['normal range ' + fmt(a.low, n.name) + ' – ' + fmt(a.high, n.name)])]));
    }
    if (isNum(n.target)) {
      out.push(s('line', {class: 'target-line' + (n.target_status === 'off track' ? ' off' : ''), x1: 8, x2: W - 8,
        y1: sp.y(n.target), y2: sp.y(n.target)}, [s('title', {}, ['target ' + fmt(n.target, n.name)])]));
    }
    out.push(sparkPaths(sp.points));
    sp.points.forEach(function (pt) {
      if (!pt) { return; }
      var tip = s('title', {}, [pt.p.start + ': ' + fmt(pt.p.value, n.name)]);
      out.push(s('circle', {class: 'spark-dot', cx: pt.x, cy: pt.y, r: 3}, [tip]));
    });
    out.push(s('text', {class: 'axis', x: 8, y: H - 6}, [series[0].start]),
      s('text', {class: 'axis', x: W - 8, y: H - 6, 'text-anchor': 'end'}, [series[series.length - 1].start]),
      s('text', {class: 'axis', x: W / 2, y: H - 6, 'text-anchor': 'middle'},
        ['min ' + fmt(sp.lo, n.name) + ' · max ' + fmt(sp.hi, n.name)]));
    return s('svg', {class: 'bigspark', width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'trend of ' + n.label}, out);
  }
  function formula(n) {
    var dec = n.decomposition;
    if (dec && dec.identity) { return h('div', {class: 'formula'}, [dec.identity]); }
    var inputs = (n.inputs || []).map(link), measures = (n.input_measures || []).join(', ');
    if (!inputs.length && !measures) { return h('div', {class: 'muted'}, [n.type + ' metric (no metric inputs)']); }
    var list = [];
    inputs.forEach(function (a, i) { list.push(i ? ', ' : '', a); });
    var measureText = measures ? (inputs.length ? '; measures ' : 'measures ') + measures : '';
    return h('div', {}, [n.type + ' of ', list, measureText]);
  }
  function partsTable(n) {
    var dec = n.decomposition;
    if (!dec || !(dec.parts || []).length) { return null; }
    var rows = dec.parts.map(function (p) {
      return [link(p.metric), fmtSigned(p.contribution, n.name), fmtShare(p.share)];
    });
    var context = (dec.context || []).length ? h('p', {class: 'muted small'}, ['Context (not in the identity): ',
      dec.context.map(function (c, i) { return [i ? ', ' : '', link(c)]; })]) : null;
    return [table(['metric', 'contribution', 'share'], [false, true, true], rows), context];
  }
  function segmentsTable(n) {
    if (!(n.segments || []).length) { return null; }
    var headers = ['dimension', 'segment', 'previous', 'value', 'contribution', 'share'];
    return table(headers, [false, false, true, true, true, true], n.segments.map(function (r) {
        return [r.dimension_label || r.dimension, r.segment, fmt(r.previous, n.name), fmt(r.value, n.name),
          fmtSigned(r.contribution, n.name), fmtShare(r.share)];
      }));
  }
  function anomalyText(n) {
    var a = n.anomaly;
    if (!a) { return withValues ? (n.helper ? 'judged on its ratio' : 'not evaluated: not enough history') : null; }
    return [badge(a.flagged ? 'flagged' : 'normal'), ' normal range ' + fmt(a.low, n.name) + ' – ' +
      fmt(a.high, n.name) + ' (mean ' + fmt(a.mean, n.name) + ' ± ' + a.sigma + 'σ over ' + a.window + ' periods)'];
  }
  function valueRows(n) {
    if (!withValues) { return []; }
    var star = data.north_star;
    var value = n.final === false ? [fmt(n.value, n.name), h('span', {class: 'muted'}, [' so far: not final yet'])] :
      fmt(n.value, n.name);
    return [['value', value], ['previous', fmt(n.previous, n.name)],
      ['change', n.baseline === false ? h('span', {class: 'muted'}, ['no baseline']) :
        h('span', {class: n.trend || ''}, [fmtMetricChange(n) + (n.trend ? ' (' + n.trend + ')' : '')])],
      ['baseline', n.baseline === false ?
        h('div', {class: 'note'}, ['No baseline: ' + (n.baseline_note || 'not enough history')]) : null],
      ['target', isNum(n.target) ? [fmt(n.target, n.name), ' ', badge(n.target_status)] : null],
      ['anomaly', anomalyText(n)],
      ['adds to ' + star, isNum(n.north_star_contribution) && n.name !== star ?
        fmtSigned(n.north_star_contribution, star) : null],
      ['error', n.error]];
  }
  function guardrailRows(n) {
    if (n.tier !== 'guardrail') { return []; }
    var limit = n.threshold === 'none' ? 'none (tracked)' : fmt(n.threshold, n.name);
    return [['threshold', limit], ['status', badge(n.status)]];
  }
  function panelBody(n) {
    var children = (kids[n.name] || []).map(function (k, i) { return [i ? ', ' : '', link(k)]; });
    var dir = n.direction === 'decrease' ? '↓ lower is better' : '↑ higher is better';
    return [
      h('div', {class: 'panel-head'}, [
        h('div', {}, [h('h2', {id: 'panel-title', tabindex: -1}, [n.label]), h('code', {}, [n.name])]),
        h('button', {type: 'button', 'data-close': '1', 'aria-label': 'close details'}, ['× close'])]),
      h('div', {class: 'chips'}, [n.stakeholder, n.tier, n.type, dir, 'owner ' + n.owner].map(function (c) {
        return h('span', {class: 'chip'}, [c]);
      })),
      h('p', {}, [n.definition || n.description]),
      n.definition && n.description && n.definition !== n.description ?
        h('p', {class: 'muted small'}, [n.description]) : null,
      bigSpark(n),
      kv(valueRows(n).concat(guardrailRows(n))),
      section('Formula', formula(n)),
      section('What moved it', partsTable(n)),
      section('Top moving segments', segmentsTable(n)),
      section('In the tree', kv([['parent', parentOf[n.name] ? link(parentOf[n.name]) : 'none (a root)'],
        ['children', children.length ? children : 'none']]))
    ];
  }
  function showPanel(focus) {
    var n = byName[state.metric];
    panel.hidden = !n;
    overview.hidden = !!n;
    clear(panel);
    if (!n) { return; }
    fill(panel, {}, panelBody(n));
    document.getElementById('side').scrollTop = 0;
    if (focus) { document.getElementById('panel-title').focus(); }
  }
  function revealSelected() {
    var g = svg.querySelector('.node.selected');
    if (!g) { return; }
    var box = g.getBoundingClientRect(), view = wrap.getBoundingClientRect();
    if (box.top < view.top || box.bottom > view.bottom) { wrap.scrollTop += box.top - view.top - view.height / 3; }
    if (box.left < view.left || box.right > view.right) { wrap.scrollLeft += box.left - view.left - 40; }
  }
  function select(name, focus) {
    state.metric = byName[name] ? name : '';
    draw();
    showPanel(focus);
    revealSelected();
    writeHash();
  }

  // ---- URL state and controls --------------------------------------------------------------------
  function readParams(params) {
    ['metric', 'stakeholder', 'tier', 'show', 'q', 'grain', 'period'].forEach(function (key) {
      if (params.has(key)) { state[key] = params.get(key); }
    });
    if (params.has('ancestors')) { state.ancestors = params.get('ancestors') !== '0'; }
  }
  function writeHash() {
    var params = new URLSearchParams();
    ['metric', 'stakeholder', 'tier', 'show', 'q', 'grain', 'period'].forEach(function (key) {
      if (state[key]) { params.set(key, state[key]); }
    });
    if (!state.ancestors) { params.set('ancestors', '0'); }
    var hash = params.toString();
    if (location.hash.slice(1) !== hash) {
      try {
        history.replaceState(null, '', hash ? '#' + hash : location.pathname + location.search);
      } catch (err) { /* some browsers refuse history changes on file: pages; the URL then just does not follow */ }
    }
  }
  function syncControls() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-stakeholder]'), function (b) {
      b.classList.toggle('active', b.getAttribute('data-stakeholder') === state.stakeholder);
      b.setAttribute('aria-pressed', String(b.getAttribute('data-stakeholder') === state.stakeholder));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-zoom]'), function (b) {
      var how = b.getAttribute('data-zoom');
      var actual = zoom.mode !== 'fit' && zoom.scale === 1;
      b.classList.toggle('active', (how === 'fit' && zoom.mode === 'fit') || (how === '1' && actual));
    });
    document.getElementById('f-tier').value = state.tier;
    document.getElementById('f-show').value = state.show;
    if (document.getElementById('f-show').value !== state.show) { state.show = ''; }
    document.getElementById('f-q').value = state.q;
    document.getElementById('f-ancestors').checked = state.ancestors;
  }
  function update() { syncControls(); draw(); writeHash(); }
  function periodChanged() { syncPeriod(); syncControls(); draw(); showPanel(false); writeHash(); }
  function on(id, event, handler) { document.getElementById(id).addEventListener(event, handler); }

  function wire() {
    Array.prototype.forEach.call(document.querySelectorAll('[data-stakeholder]'), function (b) {
      b.addEventListener('click', function () { state.stakeholder = b.getAttribute('data-stakeholder'); update(); });
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-zoom]'), function (b) {
      b.addEventListener('click', function () { setZoom(b.getAttribute('data-zoom')); });
    });
    on('f-tier', 'change', function (e) { state.tier = e.target.value; update(); });
    on('f-show', 'change', function (e) { state.show = e.target.value; update(); });
    on('f-q', 'input', function (e) { state.q = e.target.value.trim(); draw(); writeHash(); });
    on('f-ancestors', 'change', function (e) { state.ancestors = e.target.checked; update(); });
    if (PERIODS && document.getElementById('f-grain')) {
      on('f-grain', 'change', function (e) { state.grain = e.target.value; state.period = ''; periodChanged(); });
      on('f-period', 'change', function (e) {
        state.grain = document.getElementById('f-grain').value;
        state.period = e.target.value;
        periodChanged();
      });
    }
    svg.addEventListener('click', function (e) {
      var g = e.target.closest('.node');
      if (g) { select(g.getAttribute('data-metric'), false); }
    });
    svg.addEventListener('keydown', function (e) {
      var g = e.target.closest('.node');
      if (!g || (e.key !== 'Enter' && e.key !== ' ')) { return; }
      e.preventDefault();
      select(g.getAttribute('data-metric'), true);
    });
    document.addEventListener('click', function (e) {
      var a = e.target.closest('[data-goto], [data-show], [data-close]');
      if (!a) { return; }
      e.preventDefault();
      if (a.hasAttribute('data-show')) { state.show = a.getAttribute('data-show'); update(); return; }
      select(a.getAttribute('data-goto') || '', a.hasAttribute('data-goto'));
    });
    document.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape' || !state.metric) { return; }
      var name = state.metric;
      select('', false);
      var g = svg.querySelector('.node[data-metric="' + CSS.escape(name) + '"]');
      if (g) { g.focus(); }
    });
    window.addEventListener('hashchange', function () {
      state = {stakeholder: '', tier: '', show: '', q: '', ancestors: true, metric: '', grain: '', period: ''};
      readParams(new URLSearchParams(location.hash.slice(1)));
      syncPeriod(); syncControls(); draw(); showPanel(false); revealSelected();
    });
    window.addEventListener('resize', function () { if (zoom.mode === 'fit') { applyZoom(); } });
  }

  readParams(new URLSearchParams(location.search.slice(1)));
  readParams(new URLSearchParams(location.hash.slice(1)));
  if (state.metric && !byName[state.metric]) { state.metric = ''; }
  wire();
  syncPeriod();
  syncControls();
  draw();
  showPanel(false);
  revealSelected();
})();
