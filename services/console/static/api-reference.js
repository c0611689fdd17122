// The API reference page (/api): Swagger UI over the four services' OpenAPI documents,
// listed by the page in data-documents; a file of its own, as the console's CSP allows
// no inline script.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    urls: JSON.parse(root.dataset.documents),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout",
    supportedSubmitMethods: []  // a reference: requests are made with the console or a client, not here
  });
})();
