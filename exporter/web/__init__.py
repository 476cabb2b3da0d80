"""The HTTP surface: the routes (app), the server they run on (server), the web config of TLS,
basic auth and headers (webconfig, auth), content negotiation (negotiate), and every page a
person or a script reads: the landing page, /api/summary and the /api/* documents (query,
documents, catalog_api, spend_api)."""
