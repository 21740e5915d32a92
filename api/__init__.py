"""The HTTP API: a Flask app made by ``create_app``, a thin layer over kb's KnowledgeBase."""

from __future__ import annotations

from typing import Any

from flask import Flask

from kb.config import Settings

OPENAPI = {
    "API_TITLE": "kb: terms of Chinese government work reports",
    "API_VERSION": "1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",  # served with its files from swagger-ui-bundle (api.openapi), no CDN
}
MAX_BODY_BYTES = 1024 * 1024


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Make the app. Settings come from the environment (KB_CORPUS_DIR, KB_DATA_DIR, KB_DATABASE_URL)
    unless ``test_config`` gives ``KB_SETTINGS``. The KB is loaded here, so a preloading server loads it
    (and jieba's dictionary) once, before it forks its workers."""
    from api import auth, editors, errors, fastlink, http, links, metrics, observe, pages, state, views
    from api.openapi import ProblemApi

    app = Flask(__name__)
    app.config.from_mapping(OPENAPI, MAX_CONTENT_LENGTH=MAX_BODY_BYTES, KB_SETTINGS=None)
    if test_config:
        app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # Chinese as is, never \u escapes
    app.json.sort_keys = False
    app.logger.setLevel("INFO")  # every write is logged with its token's name
    settings = app.config["KB_SETTINGS"] or Settings.from_env()
    errors.register(app)
    api = ProblemApi(app)
    api.spec.components.security_scheme("bearerAuth", auth.SCHEME["bearerAuth"])
    api.register_blueprint(views.blp)
    api.register_blueprint(editors.blp)
    api.register_blueprint(links.blp)
    pages.init(app, settings)  # pages for people, with the editors' session: not in the OpenAPI document
    http.init(app)
    app.wsgi_app = fastlink.FastLink(app, app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    # outermost: the request id and the metrics cover every answer, the fast paths' too (/metrics: not in OpenAPI)
    app.wsgi_app = observe.Observed(app.wsgi_app, metrics.Metrics(app))
    state.init(app, settings)
    return app
