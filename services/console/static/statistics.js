/* 统计's charts: the page carries each chart's categories and series as JSON (every word
   and figure from the services); this script only draws bars with ECharts 4.9. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("statistics-data").textContent);
  var colours = ["#1d4f91", "#5b8fd1", "#9cc3f5", "#1a7f37", "#d4a72c"];

  function bars(id, chart) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var drawn = echarts.init(element);
    drawn.setOption({
      color: colours,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0, type: "scroll" },
      grid: { left: 56, right: 16, top: 48, bottom: 56 },
      xAxis: { type: "category", data: chart.categories, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value" },
      // money arrives as the services' decimal strings; ECharts reads them to draw
      series: chart.series.map(function (s) { return { name: s.name, type: "bar", barMaxWidth: 40, data: s.data }; })
    });
    window.addEventListener("resize", function () { drawn.resize(); });
  }

  bars("counties-chart", data.counties);
  bars("figures-by-kind-chart", data.figures_by_kind);
  bars("figures-by-city-chart", data.figures_by_city);
  bars("funds-by-source-chart", data.funds_by_source);
  bars("funds-by-city-chart", data.funds_by_city);
  bars("funds-by-year-chart", data.funds_by_year);
}());
