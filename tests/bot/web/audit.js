// Loaded by the audit harness page (same origin as the page under test, so no CSP exception).
(function () {
  function luminance(rgb) {
    var c = rgb.map(function (v) {
      v = v / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }
  function parse(color) {
    var m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    var p = m[1].split(',').map(function (x) { return parseFloat(x); });
    return { rgb: p.slice(0, 3), alpha: p.length > 3 ? p[3] : 1 };
  }
  function background(win, el) {
    while (el) {
      var c = parse(win.getComputedStyle(el).backgroundColor);
      if (c && c.alpha > 0.5) return c.rgb;
      el = el.parentElement;
    }
    return [255, 255, 255];
  }
  function ratio(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  var frame = document.getElementById('page');
  frame.addEventListener('load', function () {
    var doc = frame.contentDocument, win = frame.contentWindow;
    var out = {
      scrollWidth: doc.documentElement.scrollWidth,
      viewport: win.innerWidth,
      lang: doc.documentElement.getAttribute('lang'),
      title: doc.title,
      h1: doc.querySelectorAll('h1').length,
      imagesWithoutAlt: doc.querySelectorAll('img:not([alt])').length,
      unlabelled: [],
      lowContrast: [],
      minContrast: 99
    };
    doc.querySelectorAll('input, select, textarea').forEach(function (input) {
      if (input.type === 'hidden') return;
      var labelled = (input.id && doc.querySelector('label[for="' + input.id + '"]')) ||
        input.closest('label') || input.getAttribute('aria-label');
      if (!labelled) out.unlabelled.push(input.name || input.outerHTML.slice(0, 60));
    });
    doc.querySelectorAll('p, li, td, th, dd, dt, h1, h2, h3, a, span, label, button, time').forEach(function (el) {
      if (!el.textContent.trim() || el.getClientRects().length === 0) return;
      var style = win.getComputedStyle(el);
      var fg = parse(style.color);
      if (!fg) return;
      var r = ratio(fg.rgb, background(win, el));
      if (r < out.minContrast) out.minContrast = Math.round(r * 100) / 100;
      if (r < 4.5) out.lowContrast.push(el.tagName + ':' + el.textContent.trim().slice(0, 40) + ':' + r.toFixed(2));
    });
    var pre = document.createElement('pre');
    pre.id = 'audit';
    pre.textContent = JSON.stringify(out);
    document.body.appendChild(pre);
  });
})();
