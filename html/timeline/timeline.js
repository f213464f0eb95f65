// The timeline page's plot and per-op table (twolayer_tools/timeline.py writes the page and its data).
// Every time arrives formatted and every axis computed (timeline_model.axes): this only draws.
(function () {
  "use strict";
  var T = JSON.parse(document.getElementById("timeline-data").textContent);
  var COLORS = {numpy: "#1f77b4", torch: "#d62728"};
  var FADED = {numpy: "rgba(31,119,180,0.45)", torch: "rgba(214,39,40,0.45)"};

  function day(d) { return Date.parse(d + "T00:00:00Z"); }
  function triangle(up) {
    return function (ctx, x, y, radius) {
      var h = radius * 1.6;
      ctx.moveTo(x - h, up ? y + h : y - h);
      ctx.lineTo(x + h, up ? y + h : y - h);
      ctx.lineTo(x, up ? y - h : y + h);
      ctx.closePath();
    };
  }
  $.each(T.ops, function (_, op) { $("#op").append($("<option>").val(op.name).text(op.name)); });
  function key() { return $("#op").val() + "|" + $("#dtype").val() + "|" + $("#threads").val(); }
  function median(p) {
    return p.text + (p.unstable ? " ?" : "") + (p.clipped ? " (off the axis, " + p.clipped + ")" : "");
  }

  function draw() {
    var k = key(), series = [], rows = [], axis = T.axes[k];
    var op = T.ops.filter(function (o) { return o.name == $("#op").val(); })[0];
    $("#line-text").text(op.line);
    $.each(T.lines, function (line, rels) {
      var groups = {stable: [], faded: [], above: [], below: []};
      $.each(rels, function (_, r) {
        var p = r.points[k];
        if (!p) return;
        var m = {xy: [day(r.date), p.y], line: line, r: r, p: p};
        groups[!p.unstable ? "stable" : (p.clipped || "faded")].push(m);
        rows.push(m);
      });
      function xy(ms) { return ms.map(function (m) { return m.xy; }); }
      series.push({label: line, color: COLORS[line], data: xy(groups.stable), lines: {show: true},
                   points: {show: true, fill: true, fillColor: COLORS[line]}, meta: groups.stable});
      series.push({color: FADED[line], data: xy(groups.faded), meta: groups.faded,
                   points: {show: true, fill: true, fillColor: "#fff", radius: 5}});
      series.push({color: FADED[line], data: xy(groups.above), meta: groups.above,
                   points: {show: true, fill: true, fillColor: "#fff", radius: 4, symbol: triangle(true)}});
      series.push({color: FADED[line], data: xy(groups.below), meta: groups.below,
                   points: {show: true, fill: true, fillColor: "#fff", radius: 4, symbol: triangle(false)}});
    });
    var yaxis = {transform: function (v) { return Math.log(v); }, inverseTransform: function (v) { return Math.exp(v); }};
    if (axis) $.extend(yaxis, {min: axis.min, max: axis.max, ticks: axis.ticks});
    window.timelinePlot = $.plot("#plot", series, {
      xaxis: {mode: "time", timeformat: "%Y-%m", minTickSize: [3, "month"]}, yaxis: yaxis,
      grid: {hoverable: true}, legend: {container: $("#legend"), noColumns: 2}});
    var t = $("#points").empty();
    t.append("<tr><th>release</th><th>date</th><th>median</th><th>IQR</th><th>commit</th><th>BLAS</th>" +
             "<th>OpenMP</th><th>step</th></tr>");
    $.each(rows, function (_, m) {
      var r = m.r, p = m.p, step = "";
      var s = T.steps.filter(function (s) { return s.line == m.line && s.to == r.release && s.key == k; })[0];
      if (s) step = s.change + (s.why_not ? " (not claimed: " + s.why_not + ")" : "");
      $("<tr>").toggleClass("unstable", p.unstable).append(
        $("<td>").text(m.line + " " + r.release), $("<td>").text(r.date), $("<td>").text(median(p)),
        $("<td>").text(p.low + " – " + p.high), $("<td>").text(p.commit.slice(0, 8)),
        $("<td>").text(r.blas), $("<td>").text(r.openmp), $("<td>").text(step)).appendTo(t);
    });
  }

  $("#plot").bind("plothover", function (ev, pos, item) {
    if (!item || !item.series.meta || !item.series.meta[item.dataIndex]) { $("#tip").hide(); return; }
    var m = item.series.meta[item.dataIndex], r = m.r, p = m.p;
    $("#tip").html("").append($("<b>").text(m.line + " " + r.release), $("<br>"),
      $("<span>").text(r.date + ": " + median(p) + (p.unstable ? " unstable: " + p.why_unstable : "")), $("<br>"),
      $("<span>").text("IQR " + p.low + " – " + p.high + "; commit " + p.commit.slice(0, 8)), $("<br>"),
      $("<span>").text("BLAS " + r.blas + "; OpenMP " + r.openmp))
      .css({left: item.pageX + 12, top: item.pageY + 12}).show();
  });
  $("#op, #dtype, #threads").change(draw);
  draw();
})();
