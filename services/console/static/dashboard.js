/* 首页's map and charts: the page carries its data as JSON (the server put every word in
   it); this script only draws, with ECharts 4.9 and the package's own Shanxi map. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("dashboard-data").textContent);
  var bar = document.querySelector(".progress-bar");
  if (bar) { bar.style.width = bar.getAttribute("data-progress") + "%"; }
  var charts = [];

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element);
    chart.setOption(option);
    charts.push(chart);
  }

  // Base names are what applicants typed: escaped before the tooltip's HTML holds them.
  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // Stacked bars: a month's bar is the whole count then, each kind or status a part of it.
  function bars(series, stack) {
    return series.map(function (s) { return { name: s.name, type: "bar", stack: stack, barMaxWidth: 48, data: s.data,
               itemStyle: { color: s.color } }; });
  }

  function overTime(id, series) {
    draw(id, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 40, right: 16, top: 48, bottom: 32 },
      xAxis: { type: "category", data: data.months },
      yAxis: { type: "value", minInterval: 1 },
      series: bars(series, id)
    });
  }

  overTime("kinds-chart", data.kinds);
  overTime("statuses-chart", data.statuses);

  fetch("/static/vendor/shanxi.json", { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (geo) {
      echarts.registerMap("shanxi", geo);
      var most = Math.max.apply(null, data.map.map(function (c) { return c.value; }).concat([1]));
      draw("map", {
        tooltip: {
          formatter: function (p) {
            var names = (p.data && p.data.names) || [];
            return escape(p.name) + "：" + (p.value || 0) + " 家" +
              (names.length ? "<br>" + names.map(escape).join("<br>") : "");
          }
        },
        visualMap: { min: 0, max: most, left: 8, bottom: 8, text: ["多", "少"], calculable: false,
                     inRange: { color: ["#eaf1fb", "#1d4f91"] } },
        series: [{ type: "map", map: "shanxi", roam: false, label: { show: true, fontSize: 11 },
                   data: data.map }]
      });
    });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
