"""The OpenAPI description of the sync API, generated from the schemas the API itself uses."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, url_for

from webapp.schemas.sync import (
    EntryObject,
    ErrorSchema,
    FieldErrorsSchema,
    SyncRequestSchema,
    SyncResponseSchema,
    SyncSessionSchema,
    TooManyEntriesSchema,
)

DESCRIPTION = (
    "How a phone keeps entries made offline and delivers them, exactly once, when it is "
    "back online. Each entry has a client-made id; sending it again changes nothing, and "
    "of two versions the later updated_at wins. Every error is JSON; an expired session "
    "gets 401, never a redirect."
)


OTHER_ENTRY = (
    "An object that is no valid entry of any kind is taken too: its result is 'rejected' "
    "with field errors, and the rest of the batch is still saved."
)


def build_openapi():
    """The OpenAPI 3 document describing the session and sync endpoints, as a dict."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Tend sync API",
        version="1",
        openapi_version="3.0.3",
        plugins=[plugin],
        info={"description": DESCRIPTION},
    )
    plugin.converter.add_attribute_function(entry_object_properties)
    spec.components.security_scheme(
        "session",
        {"type": "apiKey", "in": "cookie", "name": current_app.config["SESSION_COOKIE_NAME"]},
    )
    spec.path(path=url_for("sync.session"), operations={"get": _session_operation()})
    spec.path(path=url_for("sync.sync"), operations={"post": _sync_operation()})
    return spec.to_dict()


def entry_object_properties(self, field, **kwargs):
    """Describe a batch's entry by the schemas (one per kind) it is checked with when saved.

    Any other object is taken into the batch too, and refused on its own (its result says
    why), so the batch's other entries are still saved: the description says so.
    """
    if isinstance(field, EntryObject):
        kinds = [self.resolve_nested_schema(schema) for schema in field.entry_schemas]
        return {"anyOf": [*kinds, {"type": "object", "description": OTHER_ENTRY}]}
    return {}


def _session_operation():
    return {
        "summary": "Who is signed in, and a CSRF token to sync with",
        "security": [{"session": []}],
        "responses": {
            "200": _json("The signed-in user's tag, a CSRF token and the batch limit.",
                         SyncSessionSchema),
            "401": _json("Nobody is signed in (or the session expired).", ErrorSchema),
        },
    }


def _sync_operation():
    limits = current_app.config
    return {
        "summary": "Deliver a batch of entries and receive the user's changes since a cursor",
        "description": (
            f"At most {limits['SYNC_MAX_BATCH']} entries per batch and "
            f"{limits['SYNC_MAX_CHANGES']} changes per answer (more=true: sync again). "
            "The whole batch is saved in one transaction; each entry gets its own result, "
            "in order. An entry the server already has may be sent with only its changed "
            "fields and updated_at."
        ),
        "security": [{"session": []}],
        "parameters": [
            {
                "in": "header",
                "name": "X-CSRFToken",
                "required": True,
                "schema": {"type": "string"},
                "description": "The csrf_token from GET /api/v1/session.",
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SyncRequestSchema}},
        },
        "responses": {
            "200": _json("One result per entry, and the changes after the cursor.",
                         SyncResponseSchema),
            "400": _json("Not JSON, or no valid CSRF token; nothing was saved.", ErrorSchema),
            "401": _json("Nobody is signed in (or the session expired).", ErrorSchema),
            "409": _json("The entries belong to another user of this phone; nothing was "
                         "saved.", ErrorSchema),
            "413": _json("Too many entries in one batch; nothing was saved.",
                         TooManyEntriesSchema),
            "422": _json("The request has the wrong shape; nothing was saved.",
                         FieldErrorsSchema),
            "429": _json("Too many syncs in a short time; nothing was saved. Try again "
                         "after the Retry-After header's seconds.", ErrorSchema)
            | {"headers": {"Retry-After": {"schema": {"type": "integer"}}}},
        },
    }


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}
