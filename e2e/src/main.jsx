// API Platform Admin 4.0.9, unmodified, pointed at an entrypoint chosen at run time:
//   index.html?entrypoint=http://127.0.0.1:PORT/api&key=KEY
// so one static build serves any server without rebuilding.
//
// The key is wired the way API Platform's "Authentication Support" docs show:
// parseHydraDocumentation(entrypoint, { headers }) as the apiDocumentationParser, and
// hydraDataProvider({ httpClient }) whose httpClient wraps fetchHydra with the header.
// The header is merged into the ones Admin sets itself (the judges' "--auth-style merged"),
// so PATCH keeps its "content-type: application/merge-patch+json".
// Copied from /work/shared/judges/admin/src/main.jsx (the "docs" auth style left out).
import React from 'react';
import { createRoot } from 'react-dom/client';
import { HydraAdmin, fetchHydra as baseFetchHydra, hydraDataProvider as baseHydraDataProvider } from '@api-platform/admin';
import { parseHydraDocumentation } from '@api-platform/api-doc-parser';

const params = new URLSearchParams(window.location.search);
const entrypoint = params.get('entrypoint') || 'http://127.0.0.1:8080/api';
const key = params.get('key');
// hub=1: Admin's documented Mercure option, { hub }, pointed at Orgraph's hub with the key in the
// specification's authorization query parameter (EventSource cannot send headers).
const hub = params.get('hub') && key ? `${new URL(entrypoint).origin}/.well-known/mercure?${new URLSearchParams({ authorization: key })}` : null;
window.__e2eEntrypoint = entrypoint;

let admin;
if (!key) {
  // disableTelemetry: react-admin otherwise calls a marmelab telemetry host on start.
  admin = <HydraAdmin entrypoint={entrypoint} disableTelemetry />;
} else {
  const getHeaders = () => ({ Authorization: `Bearer ${key}` });

  // options.headers may be absent, a plain object ({ 'content-type': ... } for PATCH),
  // a Headers object or a function returning either.
  const mergeHeaders = (headers) => {
    const merged = new Headers(typeof headers === 'function' ? headers() : headers ?? {});
    for (const [name, value] of Object.entries(getHeaders())) merged.set(name, value);
    return merged;
  };
  const fetchHydra = (url, options = {}) => baseFetchHydra(url, { ...options, headers: mergeHeaders(options.headers) });
  const apiDocumentationParser = (url) => parseHydraDocumentation(url, { headers: getHeaders });
  const dataProvider = baseHydraDataProvider({ entrypoint, httpClient: fetchHydra, apiDocumentationParser, ...(hub ? { mercure: { hub } } : {}) });

  admin = <HydraAdmin entrypoint={entrypoint} dataProvider={dataProvider} disableTelemetry />;
}

createRoot(document.getElementById('root')).render(admin);
