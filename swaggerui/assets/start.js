// Starts Swagger UI on Orgraph's OpenAPI description. A file, not an inline
// script, so that the page's Content-Security-Policy can forbid inline code.
'use strict';

// The HTML explorer keeps the caller's key in this tab's session storage
// under this name; Swagger UI starts authorized with it when it is there,
// and a key entered in Swagger UI's Authorize dialog is kept there too.
const KEY = 'orgraph.apiKey';

window.addEventListener('DOMContentLoaded', () => {
  const ui = SwaggerUIBundle({
    url: '/api/docs.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    // BaseLayout: no top bar. Its box loads other documents, and its logo
    // is an SVG with an inline <style>, which the page's policy refuses.
    layout: 'BaseLayout',
    validatorUrl: null, // the online validator is another origin
    tryItOutEnabled: true,
    displayRequestDuration: true,
    persistAuthorization: false, // it would keep the key in local storage
    onComplete: () => {
      const key = sessionStorage.getItem(KEY);
      if (key) ui.preauthorizeApiKey('bearer', key);
    },
    requestInterceptor: (req) => {
      const auth = req.headers && (req.headers.Authorization || req.headers.authorization);
      const m = /^Bearer\s+(\S+)$/i.exec(auth || '');
      if (m) sessionStorage.setItem(KEY, m[1]);
      return req;
    },
  });
  window.ui = ui;
});
