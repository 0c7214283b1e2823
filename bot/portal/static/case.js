/* The case page's SMS length hint: characters and SMS parts of the reply as the worker gets it
   (with the organization's name in front), counted as bot/text/segments.py counts them. The character
   sets and limits come from the page (data-*), so the rule lives in one place. Without
   JavaScript the hint shows the figures of the text the page was sent with. */
(function () {
  "use strict";
  var box = document.getElementById("reply-body");
  var hint = document.getElementById("sms-hint");
  if (!box || !hint) { return; }
  var basic = hint.dataset.gsmBasic, extended = hint.dataset.gsmExtended, prefix = hint.dataset.prefix || "";
  var limits = JSON.parse(hint.dataset.limits);
  function parts(text) {
    if (!text) { return 0; }
    var gsm = true, widths = [];
    for (var ch of text) {
      if (basic.indexOf(ch) >= 0) { widths.push(1); }
      else if (extended.indexOf(ch) >= 0) { widths.push(2); }
      else { gsm = false; break; }
    }
    if (!gsm) { widths = Array.from(text, function (c) { return c.length; }); }
    var lim = gsm ? limits.gsm : limits.ucs2;
    var total = widths.reduce(function (a, b) { return a + b; }, 0);
    if (total <= lim[0]) { return 1; }
    var segments = 1, used = 0;
    widths.forEach(function (w) { if (used + w > lim[1]) { segments += 1; used = 0; } used += w; });
    return segments;
  }
  function update() {
    var text = box.value;
    hint.textContent = hint.dataset.template.replace("{chars}", Array.from(text).length)
      .replace("{parts}", text ? parts(prefix + text) : 0);
  }
  box.addEventListener("input", update);
  update();
}());
