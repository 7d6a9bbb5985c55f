"""The development e-ID provider: a real OpenID Connect provider with synthetic personas, served
under /dev-eid/ while ``DEV_EID_PROVIDER`` (MOTCUA_DEV_EID) is on, as Singapore's MockPass
stands in for Singpass. VNeID has no public developer interface; motcua's relying party talks
to this provider over HTTP exactly as it would to a real one. Every route answers 404 when the
setting is off.

Protocol (OpenID Connect Core 1.0 and Discovery 1.0, OAuth 2.0 with PKCE, RFC 7636)::

    GET      /dev-eid/.well-known/openid-configuration   discovery
    GET      /dev-eid/authorize    the persona chooser; POST: the choice (CSRF, rate-limited)
    POST     /dev-eid/token        authorization_code grant (CSRF-exempt, rate-limited)
    GET|POST /dev-eid/userinfo     Bearer access token
    GET      /dev-eid/jwks         the ES256 signing key

- Issuer: ``settings.PUBLIC_URL + "/dev-eid"``.
- Authorization: response_type ``code`` only, response_mode ``query``; ``scope`` must contain
  ``openid``; ``state`` and ``nonce`` are required; PKCE ``S256`` is required (``plain`` or no
  challenge is refused). ``prompt=none`` answers ``login_required`` (the chooser always needs
  the user); ``prompt=login`` is always honoured, the provider keeps no login session. The
  authorization response carries ``iss`` (RFC 9207) besides ``code`` and ``state``.
- ``acr_values``: the minimum level the relying party asks for; the lowest level among the
  known values listed counts, unknown values are ignored. The chooser offers only personas of
  that level or higher (step-up: send ``acr_values=urn:vneid:level2``).
- Codes are single-use and live 60 seconds. Redeeming a code a second time is refused with
  ``invalid_grant`` and revokes the access token issued for it (RFC 6749 §4.1.2). A code is
  spent by the first redemption attempt of its client, even one that fails (a wrong
  ``code_verifier``), so that a stolen code cannot be tried against many verifiers.
- Token endpoint client authentication: ``client_secret_basic`` or ``client_secret_post``.
  Access tokens are opaque (stored hashed) and live 10 minutes; ID tokens live 5 minutes.

Assurance levels (Decree 69/2024), as ``acr`` values:

- ``urn:vneid:level1``: a self-registered account, checked against the population database;
- ``urn:vneid:level2``: identity verified in person (portrait and fingerprints).

ID token (ES256, header ``kid`` = the key's RFC 7638 thumbprint, published at /jwks): ``iss``,
``sub``, ``aud`` (the client_id), ``exp``, ``iat``, ``auth_time``, ``nonce``, ``acr``, ``amr``
(RFC 8176: ``["pwd"]`` for level 1, ``["pwd", "otp", "mfa"]`` for level 2), ``at_hash``.

Userinfo claims, by granted scope (other scopes are ignored):

- ``openid``: ``sub``, stable per person: the hex SHA-256 of "motcua-dev-eid:" + CCCD number,
  first 32 characters (the same on every deployment, so tests can name it);
- ``profile``: ``name``, ``birthdate`` (YYYY-MM-DD), ``gender`` (``"female"`` / ``"male"``);
- ``address``: ``address`` = ``{"formatted": ..., "country": "VN"}`` (the permanent address);
- ``phone``: ``phone_number`` (E.164, ``+84...``), ``phone_number_verified`` (absent for a
  persona without a phone);
- ``vn_eid``: ``vn_id_number`` (12-digit CCCD), ``vn_eid_level`` (1 or 2), and for a minor
  ``guardian`` = ``{"id_number", "name", "relationship"}`` (``"mother"``, ``"father"`` or
  ``"guardian"``);
- ``vn_organisation``: for a persona acting for a business, ``vn_organisation`` =
  ``{"tax_code", "name", "role"}`` with role ``"legal_representative"`` or
  ``"authorised_employee"``; an employee's object adds ``"authorisation": {"scope": <text>,
  "valid_until": "YYYY-MM-DD"}``.

Personas live in ``motcua/identity/data/personas.yaml`` (the people of the national database
simulator). Clients come from ``settings.DEV_EID_CLIENTS`` (see `clients`).
"""
