// reckon's review page: sorting and filtering of the lines table. The page is complete without
// this script (the table is then unsorted and unfiltered); nothing here fetches anything.
(function () {
  'use strict';
  var errors = [];
  window.addEventListener('error', function (e) { errors.push(String(e.message)); });

  var table = document.querySelector('table[data-sortable]');
  if (!table) { return; }
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var form = document.querySelector('form.filters');
  var shown = document.getElementById('shown');

  // A cell's sort key: data-v when present, else its text ("—" sorts as 0 in number columns).
  function key(row, i) {
    var cell = row.cells[i];
    var v = cell.getAttribute('data-v');
    return v !== null ? v : cell.textContent.trim().toLowerCase();
  }

  // Numbers compare as numbers for ordering only; the page never computes amounts.
  function sortBy(index, descending) {
    var numeric = heads[index].classList.contains('n');
    var rows = Array.prototype.slice.call(body.rows).map(function (row, at) {
      return { row: row, key: key(row, index), at: at };
    });
    rows.sort(function (a, b) {
      var d = numeric ? (parseFloat(a.key) || 0) - (parseFloat(b.key) || 0)
                      : a.key.localeCompare(b.key);
      if (descending) { d = -d; }
      return d !== 0 ? d : a.at - b.at;
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r.row); });
    body.appendChild(fragment);
    heads.forEach(function (th, i) {
      if (i === index) { th.setAttribute('aria-sort', descending ? 'descending' : 'ascending'); }
      else if (th.hasAttribute('aria-sort')) { th.setAttribute('aria-sort', 'none'); }
    });
  }

  heads.forEach(function (th, index) {
    var button = th.querySelector('button');
    if (!button) { return; }
    button.addEventListener('click', function () {
      sortBy(index, th.getAttribute('aria-sort') === 'ascending');
    });
  });

  // Filters: <select data-col=N> matches cell N's whole text; <input data-col=N> part of it;
  // <input data-search> matches the row's whole text. All case-insensitive.
  function applyFilters() {
    var controls = Array.prototype.slice.call(form.querySelectorAll('[data-col],[data-search]'));
    var visible = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var ok = controls.every(function (c) {
        var wanted = c.value.trim().toLowerCase();
        if (!wanted) { return true; }
        if (c.hasAttribute('data-search')) { return row.textContent.toLowerCase().indexOf(wanted) >= 0; }
        var have = row.cells[+c.getAttribute('data-col')].textContent.trim().toLowerCase();
        return c.tagName === 'SELECT' ? have === wanted : have.indexOf(wanted) >= 0;
      });
      row.hidden = !ok;
      if (ok) { visible += 1; }
    });
    shown.textContent = visible + ' of ' + body.rows.length + ' shown';
    return visible;
  }

  // Charts sit in closed <details> so 20,000 of them cost nothing until opened; printing and
  // the #charts fragment (used for the README screenshot) open them all.
  function openCharts(open) {
    Array.prototype.forEach.call(body.querySelectorAll('details'), function (d) { d.open = open; });
  }
  window.addEventListener('beforeprint', function () { openCharts(true); });
  if (location.hash === '#charts') { openCharts(true); }

  if (form) {
    var toggle = form.querySelector('[data-charts]');
    toggle.addEventListener('click', function () {
      var open = toggle.getAttribute('aria-pressed') !== 'true';
      openCharts(open);
      toggle.setAttribute('aria-pressed', String(open));
    });
    form.hidden = false;
    form.addEventListener('input', applyFilters);
    form.addEventListener('change', applyFilters);
    form.addEventListener('submit', function (e) { e.preventDefault(); });
    applyFilters();
  }

  // #selftest: the browser test's hook. Sorts by the column marked data-selftest, filters by
  // the search text in data-selftest-search, and writes what it saw into the DOM as JSON.
  if (location.hash === '#selftest') {
    var result = { rows: body.rows.length, errors: errors };
    var index = heads.findIndex(function (th) { return th.hasAttribute('data-selftest'); });
    var column = function () {
      return Array.prototype.map.call(body.rows, function (r) { return r.cells[index].textContent.trim(); });
    };
    result.before = column();
    heads[index].querySelector('button').click();
    result.ascending = column();
    heads[index].querySelector('button').click();
    result.descending = column();
    var search = form.querySelector('[data-search]');
    search.value = table.getAttribute('data-selftest-search') || '';
    search.dispatchEvent(new Event('input', { bubbles: true }));
    result.search = search.value;
    result.visible = Array.prototype.filter.call(body.rows, function (r) { return !r.hidden; }).length;
    result.shown = shown.textContent;
    var out = document.createElement('pre');
    out.id = 'selftest-result';
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
}());
