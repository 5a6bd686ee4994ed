// reckon's review page: renders the lines table from the page's data block a page of rows at a
// time, sorts and filters it, and draws a line's daily chart when it is opened. Hand-written,
// no library; nothing here fetches anything. Numbers are parsed only to order rows and place
// points on a chart: every figure shown is the exact text reckon wrote, or (money, see
// decode) what exact integer arithmetic gives, which reckon checked is its own figure.
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });
  var loaded = performance.now();

  var table = document.querySelector('table[data-rows]');
  if (!table) { return; }
  var data = JSON.parse(document.getElementById(table.getAttribute('data-rows')).textContent);
  var strings = data.s;
  var rows = withConstants(data);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var kinds = heads.map(function (th) { return th.getAttribute('data-k'); });
  var chartAt = kinds.indexOf('c');
  var billedAt = +table.getAttribute('data-billed');
  var currentAt = +table.getAttribute('data-current');
  var places = +(table.getAttribute('data-minor') || 2);
  var body = table.tBodies[0];
  var form = document.querySelector('form.filters');
  var shown = document.getElementById('shown');
  var pager = document.querySelector('nav.pager');
  var at = pager.querySelector('[data-at]');
  var MARKS = { '+': 'c', '~': 'u', '=': 'o', '!': 'a', '\u2717': 'a' };

  // A cell: an index into the strings, the text itself, null (—) or [main, sub].
  function text(c) { return c === null ? '\u2014' : typeof c === 'number' ? strings[c] : c; }
  function main(c) { return Array.isArray(c) ? text(c[0]) : text(c); }
  function sub(c) { return Array.isArray(c) ? text(c[1]) : ''; }

  // A column the same in every row is written once (data.k, by column): put it back.
  function withConstants(data) {
    var fixed = Object.keys(data.k || {}).map(Number).sort(function (a, b) { return a - b; });
    if (!fixed.length) { return data.r; }
    return data.r.map(function (r) {
      var full = r.slice();
      fixed.forEach(function (col) { full.splice(col, 0, data.k[col]); });
      return full;
    });
  }

  // --- typed columns, made text on first use ---------------------------------------------
  // 'q': a bare number, printed as JavaScript prints it (reckon writes one bare only where
  // that is its own text). '$': an amount in minor units (2710 is 27.10), null unknown.
  // 'r': the unit price (an index into the strings) from which revenue after and before are
  // computed with the line's quantities as exact integers, rounded half away from zero to the
  // minor unit, as reckon rounds (reckon wrote the price only where this gives its figures).
  // Text in any of them is shown as it is.
  // A decimal text as an integer and its scale: "-12.5" is -125 at scale 1. As a plain
  // number while every step stays a safe integer (exact), else as a BigInt.
  function exact(t, big) {
    var negative = t.charAt(0) === '-';
    var digits = negative ? t.slice(1) : t;
    var dot = digits.indexOf('.');
    var fraction = dot < 0 ? '' : digits.slice(dot + 1);
    var whole = (dot < 0 ? digits : digits.slice(0, dot)) + fraction;
    var n = big ? BigInt(whole) : Number(whole);
    return { n: negative ? -n : n, scale: fraction.length };
  }
  // Quantities and prices repeat down a book: each product is computed once.
  var products = Object.create(null);
  function minorOf(quantity, price) {
    var key = quantity + '*' + price;
    if (!(key in products)) {
      var small = minorIn(quantity, price, false);
      products[key] = small === null ? minorIn(quantity, price, true) : small;
    }
    return products[key];
  }
  // quantity × price rounded half away from zero to the minor unit; null when plain numbers
  // would leave the safe integers (then the caller asks again with BigInt).
  function minorIn(quantity, price, big) {
    var q = exact(quantity, big);
    var p = exact(price, big);
    var ten = big ? BigInt(10) : 10;
    var zero = big ? BigInt(0) : 0;
    var one = big ? BigInt(1) : 1;
    var power = function (k) { return big ? ten ** BigInt(k) : Math.pow(10, k); };
    var safe = function (x) { return big || Number.isSafeInteger(x); };
    var n = q.n * p.n;
    var scale = q.scale + p.scale;
    if (!safe(q.n) || !safe(p.n) || !safe(n)) { return null; }
    if (scale <= places) {
      var scaled = n * power(places - scale);
      return safe(scaled) ? scaled : null;
    }
    var divisor = power(scale - places);
    if (!safe(divisor)) { return null; }
    var remainder = n % divisor;
    var quotient = (n - remainder) / divisor;
    if (remainder < zero) { remainder = -remainder; }
    if ((big ? BigInt(2) : 2) * remainder >= divisor) { quotient += n < zero ? -one : one; }
    return quotient;
  }
  function amount(units) {
    var t = String(units);
    var negative = t.charAt(0) === '-';
    if (negative) { t = t.slice(1); }
    while (t.length <= places) { t = '0' + t; }
    var shown = places ? t.slice(0, t.length - places) + '.' + t.slice(t.length - places) : t;
    return (negative ? '-' : '') + shown;
  }
  function quantity(c) { return typeof c === 'number' ? String(c) : c; }
  function revenue(r, price) {
    var after = minorOf(quantity(r[billedAt]), price);
    var before = r[currentAt] === null ? 0 : minorOf(quantity(r[currentAt]), price);
    var same = String(after) === String(before);
    return same ? amount(after) : [amount(after), 'from ' + amount(before)];
  }
  function decode(kind, r, c) {
    if (kind === 'q') { return quantity(c); }
    if (c === null) { return 'unknown'; }
    if (typeof c !== 'number') { return c; }
    return kind === '$' ? amount(c) : revenue(r, strings[c]);
  }
  // Each typed cell is made text when first needed (a page of rows, a sort key), in place.
  var typed = kinds.map(function (k) {
    return k === 'q' || k === '$' || k === 'r' ? { kind: k, done: new Uint8Array(rows.length) } : null;
  });
  function cellAt(i, col) {
    var r = rows[i];
    var t = typed[col];
    if (t && !t.done[i]) {
      r[col] = decode(t.kind, r, r[col]);
      t.done[i] = 1;
    }
    return r[col];
  }
  kinds = kinds.map(function (k, col) { return typed[col] ? 'n' : k; });

  var state = { order: null, visible: null, page: 0, size: 100, open: {}, allOpen: false };
  state.order = rows.map(function (r, i) { return i; });
  state.visible = state.order;

  // Per-column caches, built on first use: sort keys and lower-case texts for filtering.
  var keys = {};
  var lower = {};
  var haystack = null;
  // A number column's key: the figure without a currency sign or code ("-€3.75" is -3.75);
  // "unknown" and "—" sort below every figure (ascending puts the lines missing a price or a
  // cost first, as the margin report does).
  function numberOf(t) {
    var n = parseFloat(t.replace(/[^0-9.\-]/g, ''));
    return isNaN(n) ? -Infinity : n;
  }
  function keyOf(col) {
    if (!keys[col]) {
      var numeric = kinds[col] === 'n';
      keys[col] = rows.map(function (r, i) {
        var t = main(cellAt(i, col));
        return numeric ? numberOf(t) : t.toLowerCase();
      });
    }
    return keys[col];
  }
  function lowerOf(col) {
    if (!lower[col]) {
      lower[col] = rows.map(function (r, i) {
        var c = cellAt(i, col);
        return (main(c) + ' ' + sub(c)).toLowerCase();
      });
    }
    return lower[col];
  }
  function haystackOf() {
    if (!haystack) {
      haystack = rows.map(function (r, i) {
        var parts = [];
        for (var col = 0; col < r.length; col++) {
          if (col !== chartAt) { parts.push(main(cellAt(i, col)), sub(cellAt(i, col))); }
        }
        return parts.join(' ').toLowerCase();
      });
    }
    return haystack;
  }

  // --- rows -------------------------------------------------------------------------------
  function cell(tag, className, main, sub) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    node.textContent = main;
    if (sub) {
      var span = document.createElement('span');
      span.className = 'sub';
      span.textContent = sub;
      node.appendChild(span);
    }
    return node;
  }

  function rowOf(i) {
    var r = rows[i];
    var tr = document.createElement('tr');
    for (var col = 0; col < r.length; col++) {
      var kind = kinds[col];
      var c = cellAt(i, col);
      if (kind === 'c') { tr.appendChild(chartCell(i, c)); continue; }
      // Names ('h', 't') may break anywhere when the window is narrow; numbers and marks not.
      var node = cell(kind === 'h' ? 'th' : 'td',
        kind === 'n' ? 'n' : kind === 'm' ? (MARKS[main(c).charAt(0)] || '') : 'w', main(c), sub(c));
      if (kind === 'h') { node.scope = 'row'; }
      tr.appendChild(node);
    }
    return tr;
  }

  function isOpen(i) { return state.allOpen !== Boolean(state.open[i]); }

  function render() {
    var total = state.visible.length;
    var pages = Math.max(1, Math.ceil(total / state.size));
    state.page = Math.max(0, Math.min(state.page, pages - 1));
    var from = state.page * state.size;
    var to = Math.min(total, from + state.size);
    var fragment = document.createDocumentFragment();
    for (var k = from; k < to; k++) {
      var i = state.visible[k];
      fragment.appendChild(rowOf(i));
      if (isOpen(i)) { fragment.appendChild(chartRow(i)); }
    }
    body.textContent = '';
    body.appendChild(fragment);
    shown.textContent = total + ' of ' + rows.length + ' shown';
    at.textContent = total ? 'page ' + (state.page + 1) + ' of ' + pages + ' (rows ' + (from + 1) +
      '\u2013' + to + ')' : 'no rows';
    pager.querySelector('[data-page="-1"]').disabled = state.page === 0;
    pager.querySelector('[data-page="1"]').disabled = state.page >= pages - 1;
  }

  // --- sorting and filtering --------------------------------------------------------------
  // Ties keep the plan's order, so a sort is stable whatever was sorted before.
  function sortBy(col, descending) {
    var key = keyOf(col);
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (a, b) {
      var x = key[a];
      var y = key[b];
      var d = x < y ? -1 : x > y ? 1 : 0;
      return (descending ? -d : d) || a - b;
    });
    state.order = order;
    heads.forEach(function (th, i) {
      if (i === col) { th.setAttribute('aria-sort', descending ? 'descending' : 'ascending'); }
      else if (th.hasAttribute('aria-sort')) { th.setAttribute('aria-sort', 'none'); }
    });
    applyFilters();
  }

  heads.forEach(function (th, col) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      sortBy(col, th.getAttribute('aria-sort') === 'ascending');
    });
  });

  // <select data-col=N> matches cell N's whole main text; <input data-col=N> part of its text;
  // <input data-search> part of the row's text. All case-insensitive.
  function applyFilters() {
    var wanted = Array.prototype.slice.call(form.querySelectorAll('[data-col],[data-search]'))
      .map(function (c) {
        return {
          col: c.hasAttribute('data-search') ? -1 : +c.getAttribute('data-col'),
          whole: c.tagName === 'SELECT',
          value: c.value.trim().toLowerCase()
        };
      })
      .filter(function (w) { return w.value; });
    var tests = wanted.map(function (w) {
      if (w.col < 0) {
        var hay = haystackOf();
        return function (i) { return hay[i].indexOf(w.value) >= 0; };
      }
      if (w.whole) {
        var col = w.col;
        return function (i) { return main(cellAt(i, col)).toLowerCase() === w.value; };
      }
      var texts = lowerOf(w.col);
      return function (i) { return texts[i].indexOf(w.value) >= 0; };
    });
    state.visible = tests.length ? state.order.filter(function (i) {
      return tests.every(function (t) { return t(i); });
    }) : state.order;
    state.page = 0;
    render();
    return state.visible.length;
  }

  // --- charts -----------------------------------------------------------------------------
  // The daily counts: runs "COUNT" or "COUNT*DAYS" separated by commas, one count per day.
  function daysOf(series) {
    var days = [];
    series.split(',').forEach(function (run) {
      var part = run.split('*');
      var n = part.length > 1 ? +part[1] : 1;
      for (var k = 0; k < n; k++) { days.push({ t: part[0], v: parseFloat(part[0]) }); }
    });
    return days;
  }

  function extremes(points) {
    var lo = points[0];
    var hi = points[0];
    points.forEach(function (p) {
      if (p.v < lo.v) { lo = p; }
      if (p.v > hi.v) { hi = p; }
    });
    return { lo: lo, hi: hi };
  }

  function chartCell(i, series) {
    var td = document.createElement('td');
    td.className = 'chart';
    if (series === null) { td.textContent = 'counts too large to chart'; return td; }
    var range = extremes(daysOf(series));
    var button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('data-chart', String(i));
    button.setAttribute('aria-expanded', String(isOpen(i)));
    button.textContent = (range.lo.t === range.hi.t ? range.lo.t : range.lo.t + '\u2013' + range.hi.t) +
      (isOpen(i) ? ' \u25B4' : ' \u25BE');
    button.title = 'daily count from lowest to highest; open the chart';
    td.appendChild(button);
    return td;
  }

  // The chart's box (viewBox units): the plot sits inside a frame with room for the labels,
  // and every line is drawn at least INSET inside the frame, so none touches or leaves it.
  var W = 640, H = 150, LEFT = 64, RIGHT = 12, TOP = 12, BOTTOM = 32, INSET = 4;
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attributes, content) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (a) { node.setAttribute(a, attributes[a]); });
    if (content !== undefined) { node.textContent = content; }
    return node;
  }

  function chartRow(i) {
    var tr = document.createElement('tr');
    tr.className = 'chart-row';
    var td = document.createElement('td');
    td.colSpan = heads.length;
    tr.appendChild(td);
    var series = rows[i][chartAt];
    if (series === null) { td.textContent = 'counts too large to chart'; return tr; }
    var days = daysOf(series);
    var billedText = main(cellAt(i, billedAt));
    var billed = { t: billedText, v: parseFloat(billedText) || 0 };
    var range = extremes(days.concat([billed]));
    var mean = days.reduce(function (s, d) { return s + d.v; }, 0) / days.length;
    var span = range.hi.v - range.lo.v;
    var top = TOP + INSET;
    var bottom = H - BOTTOM - INSET;
    var y = function (v) {
      var at = span > 0 ? top + (range.hi.v - v) / span * (bottom - top) : (top + bottom) / 2;
      return Math.round(at * 10) / 10;
    };
    var dx = (W - LEFT - RIGHT) / days.length;
    var x = function (k) { return Math.round((LEFT + k * dx) * 10) / 10; };
    // A step line: a horizontal run per count, a vertical step only where it changes.
    var d = 'M' + LEFT + ',' + y(days[0].v);
    for (var k = 1; k < days.length; k++) {
      if (days[k].v !== days[k - 1].v) { d += 'H' + x(k) + 'V' + y(days[k].v); }
    }
    d += 'H' + x(days.length);
    var right = W - RIGHT;
    var chart = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': 'daily usage from ' + table.getAttribute('data-first') + ' to ' +
        table.getAttribute('data-last') + ', lowest ' + range.lo.t + ', highest ' + range.hi.t +
        ', billed ' + billed.t });
    chart.appendChild(svg('rect', { class: 'frame', x: LEFT, y: TOP, width: right - LEFT, height: H - BOTTOM - TOP }));
    chart.appendChild(svg('path', { class: 'daily', d: d }));
    chart.appendChild(svg('path', { class: 'mean', d: 'M' + LEFT + ',' + y(mean) + 'H' + right }));
    chart.appendChild(svg('path', { class: 'billed', d: 'M' + LEFT + ',' + y(billed.v) + 'H' + right }));
    chart.appendChild(svg('text', { class: 'max', x: LEFT - 6, y: top, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, range.hi.t));
    chart.appendChild(svg('text', { class: 'min', x: LEFT - 6, y: bottom, 'text-anchor': 'end', 'dominant-baseline': 'middle' }, range.lo.t));
    chart.appendChild(svg('text', { class: 'first', x: LEFT, y: H - 10, 'text-anchor': 'start' }, table.getAttribute('data-first')));
    chart.appendChild(svg('text', { class: 'last', x: right, y: H - 10, 'text-anchor': 'end' }, table.getAttribute('data-last')));
    td.appendChild(chart);
    td.appendChild(cell('p', 'legend', 'solid: daily count (lowest ' + range.lo.t + ', highest ' +
      range.hi.t + ') \u00B7 dashed: daily average \u00B7 dotted: billed quantity ' + billed.t));
    return tr;
  }

  body.addEventListener('click', function (e) {
    var button = e.target.closest('button[data-chart]');
    if (!button) { return; }
    var i = +button.getAttribute('data-chart');
    state.open[i] = !state.open[i];
    var tr = button.closest('tr');
    var next = tr.nextElementSibling;
    if (next && next.className === 'chart-row') { body.removeChild(next); }
    if (isOpen(i)) { body.insertBefore(chartRow(i), tr.nextSibling); }
    tr.replaceChild(chartCell(i, rows[i][chartAt]), button.parentNode);
  });

  // --- controls ---------------------------------------------------------------------------
  var toggle = form.querySelector('[data-charts]');
  function openCharts(open) {
    state.allOpen = open;
    state.open = {};
    toggle.setAttribute('aria-pressed', String(open));
    toggle.textContent = open ? 'Close the charts' : 'Open the charts of this page';
    render();
  }
  toggle.addEventListener('click', function () { openCharts(!state.allOpen); });
  pager.addEventListener('click', function (e) {
    var step = e.target.getAttribute('data-page');
    if (step) { state.page += +step; render(); table.scrollIntoView(); }
  });
  pager.querySelector('[data-size]').addEventListener('change', function (e) {
    state.size = +e.target.value;
    state.page = 0;
    render();
  });
  form.addEventListener('input', applyFilters);
  form.addEventListener('change', applyFilters);
  form.addEventListener('submit', function (e) { e.preventDefault(); });

  form.hidden = false;
  table.hidden = false;
  pager.hidden = false;
  render();
  if (location.hash === '#charts') { openCharts(true); }
  document.body.getBoundingClientRect();
  var firstRender = performance.now();

  // #selftest: the browser test's hook. Sorts by the column marked data-selftest (or the one
  // named after a colon: #selftest:Margin), filters by the search text in data-selftest-search,
  // opens one chart, times each step with its layout (performance.now(), from navigation
  // start), and writes what it saw into the DOM as JSON.
  var hook = /^#selftest(?::(.+))?$/.exec(location.hash);
  if (!hook) { return; }
  var named = hook[1] ? decodeURIComponent(hook[1]) : null;
  var col = heads.findIndex(function (th) {
    return named ? th.textContent === named : th.hasAttribute('data-selftest');
  });
  var column = function () { return state.visible.map(function (i) { return main(cellAt(i, col)); }); };
  var onPage = function () {
    return Array.prototype.filter.call(body.rows, function (r) { return r.className !== 'chart-row'; })
      .map(function (r) { var c = r.cells[col].firstChild; return c ? c.textContent : ''; }); // the main text, not its sub line
  };
  var timed = function (step) {
    var start = performance.now();
    step();
    document.body.getBoundingClientRect();
    return performance.now() - start;
  };
  // Every cell of the first page as shown (main text, the line under it), before any sort:
  // the lines in plan order, for the test to hold against `reckon plan --format json`.
  var firstPage = Array.prototype.map.call(body.rows, function (r) {
    return Array.prototype.map.call(r.cells, function (c) {
      var text = c.firstChild && c.firstChild.nodeType === 3 ? c.firstChild.textContent : '';
      var under = c.querySelector('.sub');
      return [text, under ? under.textContent : ''];
    });
  });
  var result = { rows: rows.length, errors: errors, before: column(), firstPage: firstPage,
    heads: heads.map(function (th) { return th.textContent; }) };
  var width = function () {
    return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth };
  };
  result.width = width();
  var sort = timed(function () { heads[col].querySelector('button').click(); });
  result.ascending = column();
  result.page = onPage();
  pager.querySelector('[data-page="1"]').click();
  result.nextPage = onPage();
  pager.querySelector('[data-page="-1"]').click();
  result.descending = (function () {
    heads[col].querySelector('button').click();
    return column();
  }());
  var search = form.querySelector('[data-search]');
  search.value = table.getAttribute('data-selftest-search') || '';
  var filter = timed(function () { search.dispatchEvent(new Event('input', { bubbles: true })); });
  result.search = search.value;
  result.visible = state.visible.length;
  result.shown = shown.textContent;
  var opened = timed(function () { body.querySelector('button[data-chart]').click(); });
  var drawn = body.querySelector('tr.chart-row svg');
  result.chart = {
    viewBox: drawn.getAttribute('viewBox'),
    frame: ['x', 'y', 'width', 'height'].map(function (a) { return +drawn.querySelector('rect').getAttribute(a); }),
    paths: Array.prototype.map.call(drawn.querySelectorAll('path'), function (p) { return p.getAttribute('d'); }),
    labels: Array.prototype.map.call(drawn.querySelectorAll('text'), function (t) {
      return t.getAttribute('class') + ' ' + t.textContent;
    })
  };
  result.widthWithChart = width();
  result.timing = { loaded: loaded, firstRender: firstRender, sort: sort, filter: filter, chart: opened };
  var out = document.createElement('pre');
  out.id = 'selftest-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
}());
