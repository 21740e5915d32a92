"""flask-smorest's Api, made to document and send every error as application/problem+json, and to serve
Swagger UI (/docs) from the swagger-ui-bundle package: no CDN, so the docs work offline."""

from __future__ import annotations

import functools
import http

import flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from api.errors import PROBLEM, answer_http_exception, problem_types
from api.schemas import ProblemSchema

# Swagger UI's own files that /docs loads (name -> mimetype); nothing else of the package is served
SWAGGER_UI_ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}
INIT_SCRIPT = "kb-docs.js"  # starts Swagger UI: a served file, so the page runs no inline script
INIT_JS = """// Swagger UI over kb's OpenAPI document (its URL is the container's data-spec)
window.addEventListener("load", function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: root.dataset.spec, domNode: root, deepLinking: true, validatorUrl: null});
});
"""
# Scripts only from the page's own origin, none inline; Swagger UI sets inline styles and data: images
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body>
<div id="swagger-ui" data-spec="{spec}"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""


class ProblemApi(Api):
    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        return answer_http_exception(error)

    def _register_responses(self):
        """Like flask-smorest's, but error responses are documented as problem+json, with the problem types
        each status comes with."""
        types = problem_types()
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                named = sorted(uri for uri, statuses in types.items() if status in statuses)
                if named:
                    response["description"] += f" (problem type: {', '.join(named)})"
            prepare_response(response, self.spec, PROBLEM)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)

    def _register_swagger_ui_rule(self, blueprint):
        """/docs and the files it loads, all from this app (flask-smorest's own page takes them from a URL)."""
        path = self.config.get("OPENAPI_SWAGGER_UI_PATH")
        if path is None:
            return
        path = "/" + path.strip("/")
        blueprint.add_url_rule(path, endpoint="openapi_swagger_ui", view_func=self._openapi_swagger_ui)
        blueprint.add_url_rule(f"{path}/<string:name>", endpoint="swagger_ui_asset", view_func=self._swagger_ui_asset)

    def _openapi_swagger_ui(self):
        docs = self._make_doc_blueprint_name()

        def asset(name: str) -> str:
            return flask.url_for(f"{docs}.swagger_ui_asset", name=name)

        page = PAGE.format(title=escape(self.spec.title), css=asset("swagger-ui.css"),
                           icon=asset("favicon-32x32.png"), bundle=asset("swagger-ui-bundle.js"),
                           init=asset(INIT_SCRIPT), spec=escape(flask.url_for(f"{docs}.openapi_json")))
        response = flask.current_app.response_class(page, mimetype="text/html")
        response.headers["Content-Security-Policy"] = DOCS_CSP
        return response

    def _swagger_ui_asset(self, name: str):
        if name == INIT_SCRIPT:
            data, mimetype = INIT_JS.encode(), "text/javascript"
        elif name in SWAGGER_UI_ASSETS:
            data, mimetype = _packaged(name), SWAGGER_UI_ASSETS[name]
        else:
            flask.abort(404)
        response = flask.current_app.response_class(data, mimetype=mimetype)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        response.add_etag()  # of the bytes: the same in every worker; no Range requests (so no 416)
        return response.make_conditional(flask.request)


@functools.cache
def _packaged(name: str) -> bytes:
    return (swagger_ui_path / name).read_bytes()
