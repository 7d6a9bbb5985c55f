"""API clients: other agencies' systems that call the exchange API (/api/v1/exchange) with an
OAuth 2.0 client-credentials token, within their authorisations."""
