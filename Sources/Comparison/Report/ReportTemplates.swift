/// The report page's templates (docs/DESIGN.md §10.3), kept as Swift string literals so that an
/// installed `lrp-compare` needs no resource bundle. Rendered with swift-mustache by
/// `ReportPage`: every `{{value}}` is HTML-escaped; only the constant style sheet and script
/// below are inserted raw (`{{{css}}}`, `{{{script}}}`).
enum ReportTemplates {
    /// `index.html`. One `<section class="image">` per image (all but the current one hidden),
    /// each with two depth controls: a range input whose stops are the `<datalist>` options
    /// (`data-key`, `data-label`, `data-src`), the label, and the shown map.
    static let page = #"""
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{{title}}</title>
    <style>
    {{{css}}}
    </style>
    </head>
    <body>
    <header>
    <h1>{{title}}</h1>
    <p class="meta">{{dataset}} · {{imageCount}} images · generated {{generated}}</p>
    {{#hasNotes}}<ul class="notes">{{#notes}}<li>{{.}}</li>{{/notes}}</ul>{{/hasNotes}}
    <nav><a href="#images">Images</a>{{#faithfulness}} · <a href="#faithfulness">Faithfulness</a>{{/faithfulness}}{{#averagePrecision}} · <a href="#average-precision">Average precision</a>{{/averagePrecision}}</nav>
    </header>
    <main>
    <section id="images" class="browser">
    <h2>Images</h2>
    {{#hasImages}}
    <div class="picker">
    <button type="button" id="previous-image" title="previous image">◀</button>
    <select id="image-picker" aria-label="image">
    {{#images}}<option value="{{index}}">{{index}}: {{className}} — {{name}}</option>
    {{/images}}</select>
    <button type="button" id="next-image" title="next image">▶</button>
    </div>
    {{/hasImages}}
    {{^hasImages}}<p>No images.</p>{{/hasImages}}
    {{#images}}
    <section class="image" id="image-{{index}}" data-index="{{index}}"{{^first}} hidden{{/first}}>
    <h3>{{index}}. {{name}} <span class="class">{{className}}</span></h3>
    <table class="scores">
    <thead><tr><th>model</th><th>score of {{className}}</th><th>top class</th><th>relevance</th></tr></thead>
    <tbody>
    {{#models}}<tr><td>{{model}}</td><td class="num">{{score}}</td><td>{{predicted}}</td><td>{{detail}}</td></tr>
    {{/models}}</tbody>
    </table>
    <figure class="panel"><img src="{{panel}}" alt="Figure-1 panel of {{name}}" loading="lazy"><figcaption>Figure-1 panel: CNN row, Fisher-vector row; input, fine map, coarse map, input with the coarse map as alpha channel.</figcaption></figure>
    <div class="depths">
    {{#controls}}
    <div class="depth" data-family="{{family}}" data-current="{{firstKey}}">
    <label for="{{family}}-slider-{{index}}">{{title}}: <output>{{firstLabel}}</output></label>
    <input type="range" id="{{family}}-slider-{{index}}" min="0" max="{{max}}" step="1" value="0" list="{{family}}-stops-{{index}}">
    <datalist id="{{family}}-stops-{{index}}">
    {{#stops}}<option value="{{position}}" data-key="{{key}}" data-label="{{label}}" data-src="{{file}}"></option>
    {{/stops}}</datalist>
    <div class="ends"><span>{{fineEnd}}</span><span>{{coarseEnd}}</span></div>
    <img class="map" src="{{firstFile}}" alt="{{title}} map of {{name}}" loading="lazy">
    </div>
    {{/controls}}
    </div>
    </section>
    {{/images}}
    </section>
    {{#faithfulness}}
    <section id="faithfulness">
    <h2>Faithfulness by region perturbation</h2>
    {{#hasFindings}}<ul class="findings">{{#findings}}<li>{{.}}</li>{{/findings}}</ul>{{/hasFindings}}
    {{#table}}{{> table}}{{/table}}
    <figure><img src="{{plot}}" alt="model score against perturbation step, one line per method"></figure>
    {{#hasFiles}}<p class="files">{{#files}}<a href="{{file}}">{{label}}</a> {{/files}}</p>{{/hasFiles}}
    </section>
    {{/faithfulness}}
    {{#averagePrecision}}
    <section id="average-precision">
    <h2>Average precision (Table 1)</h2>
    {{> table}}
    </section>
    {{/averagePrecision}}
    </main>
    <script>
    {{{script}}}
    </script>
    </body>
    </html>

    """#

    /// A `ReportTable`: caption, header row, rows (emphasized rows in bold).
    static let table = #"""
    <table class="data">
    <caption>{{caption}}</caption>
    <thead><tr>{{#header}}<th>{{.}}</th>{{/header}}</tr></thead>
    <tbody>
    {{#rows}}<tr{{#emphasized}} class="emphasized"{{/emphasized}}>{{#cells}}<td{{#numeric}} class="num"{{/numeric}}>{{text}}</td>{{/cells}}</tr>
    {{/rows}}</tbody>
    </table>
    """#

    static let css = #"""
    body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 0 1em 3em; color: #222; }
    h1 { font-size: 1.5em; margin-bottom: 0.2em; }
    .meta, .notes, figcaption { color: #555; font-size: 0.9em; }
    nav a { margin-right: 0.3em; }
    .picker { display: flex; gap: 0.5em; align-items: center; margin: 0.5em 0 1em; }
    .picker select { flex: 1; max-width: 40em; }
    .class { font-weight: normal; color: #a33; }
    table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
    th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.6em; text-align: left; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    caption { text-align: left; font-weight: bold; padding-bottom: 0.3em; }
    tr.emphasized td { font-weight: bold; }
    figure { margin: 0.5em 0; }
    figure img, img.map { max-width: 100%; height: auto; }
    .depths { display: flex; flex-wrap: wrap; gap: 2em; }
    .depth { flex: 1 1 320px; }
    .depth label { display: block; font-weight: bold; }
    .depth input[type=range] { width: 100%; }
    .ends { display: flex; justify-content: space-between; font-size: 0.8em; color: #555; }
    img.map { display: block; margin-top: 0.4em; image-rendering: pixelated; border: 1px solid #ccc; }
    """#

    /// The page's only script: the state (image, CNN cut-off, FV resolution) lives in the URL
    /// fragment `#image=I&k=K&fv=R`, so that every view can be linked (docs/DESIGN.md §10.3).
    static let script = #"""
    (function () {
      'use strict';
      var sections = Array.prototype.slice.call(document.querySelectorAll('section.image'));
      var picker = document.getElementById('image-picker');
      if (sections.length === 0) { return; }
      // The view: image index, and the depth key of each family ('cnn': a cut-off K as text,
      // 'fv': 'bin' or 'descriptor'); null = the family's first stop.
      var state = { image: 0, cnn: null, fv: null };

      // "#image=7&k=12&fv=bin" -> {image: "7", k: "12", fv: "bin"}; malformed parts are ignored.
      function parseFragment(hash) {
        var out = {};
        hash.replace(/^#/, '').split('&').forEach(function (part) {
          var eq = part.indexOf('=');
          if (eq > 0) {
            try { out[decodeURIComponent(part.slice(0, eq))] = decodeURIComponent(part.slice(eq + 1)); } catch (e) { /* bad escape */ }
          }
        });
        return out;
      }

      // The stops of a depth control, in slider order (from its <datalist>).
      function stops(control) {
        return Array.prototype.map.call(control.querySelectorAll('datalist option'), function (o) {
          return { key: o.getAttribute('data-key'), label: o.getAttribute('data-label'), src: o.getAttribute('data-src') };
        });
      }

      // The stop for a key: the same key, else for numbers (cut-offs) the nearest one
      // (the lower on a tie), else the first stop.
      function stopIndex(list, key) {
        if (key === null || key === undefined) { return 0; }
        for (var i = 0; i < list.length; i++) { if (list[i].key === key) { return i; } }
        var k = Number(key), best = 0, bestDistance = Infinity;
        if (key === '' || isNaN(k)) { return 0; }
        list.forEach(function (s, j) {
          var d = Math.abs(Number(s.key) - k);
          if (d < bestDistance) { best = j; bestDistance = d; }
        });
        return best;
      }

      // Shows stop i of a control. The value and src attributes are set, not only the
      // properties, so that the serialised DOM shows the current view as well.
      function showStop(control, i) {
        var list = stops(control), slider = control.querySelector('input[type=range]');
        var img = control.querySelector('img.map');
        slider.value = String(i);
        slider.setAttribute('value', String(i));
        control.querySelector('output').textContent = list[i].label;
        img.setAttribute('src', list[i].src);
        control.setAttribute('data-current', list[i].key);
        return list[i].key;
      }

      // Shows the current image and puts its sliders at the state's depths.
      function render() {
        sections.forEach(function (s, i) { s.hidden = (i !== state.image); });
        if (picker) { picker.value = String(state.image); }
        sections[state.image].querySelectorAll('.depth').forEach(function (control) {
          var family = control.getAttribute('data-family');
          state[family] = showStop(control, stopIndex(stops(control), state[family]));
        });
      }

      // Writes the state into the fragment without adding a history entry per slider step.
      function writeFragment() {
        var hash = '#image=' + state.image + '&k=' + encodeURIComponent(state.cnn || '') + '&fv=' + encodeURIComponent(state.fv || '');
        if (location.hash !== hash) { history.replaceState(null, '', hash); }
      }

      // Reads the fragment: image clamped to the images there are; unknown depths fall back.
      // A fragment without any of the keys (the page's own #faithfulness link) is an anchor,
      // not a view: the current view stays.
      function readFragment() {
        var f = parseFragment(location.hash);
        if (!('image' in f) && !('k' in f) && !('fv' in f)) { render(); return; }
        var image = parseInt(f.image, 10);
        state.image = isNaN(image) ? 0 : Math.min(Math.max(image, 0), sections.length - 1);
        state.cnn = ('k' in f) ? f.k : state.cnn;
        state.fv = ('fv' in f) ? f.fv : state.fv;
        render();
      }

      function pick(image) {
        state.image = (image + sections.length) % sections.length;
        render();
        writeFragment();
      }

      sections.forEach(function (section) {
        section.querySelectorAll('.depth').forEach(function (control) {
          control.querySelector('input[type=range]').addEventListener('input', function (event) {
            state[control.getAttribute('data-family')] = showStop(control, Number(event.target.value));
            writeFragment();
          });
        });
      });
      if (picker) { picker.addEventListener('change', function () { pick(Number(picker.value)); }); }
      var previous = document.getElementById('previous-image'), next = document.getElementById('next-image');
      if (previous) { previous.addEventListener('click', function () { pick(state.image - 1); }); }
      if (next) { next.addEventListener('click', function () { pick(state.image + 1); }); }
      window.addEventListener('hashchange', readFragment);
      readFragment();
    })();
    """#
}
