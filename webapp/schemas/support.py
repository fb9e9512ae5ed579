"""The support page's numbers: where a person is, and their own lines."""
import re

from marshmallow import ValidationError, fields, validate, validates

from webapp.schemas.base import FormSchema, _required
from webapp.services.support import MAX_OWN_LINES, REGIONS

# What a phone number may be written with: digits, spaces, +, - and brackets.
PHONE_NUMBER = re.compile(r"[0-9 +()-]+")


class SupportLineSchema(FormSchema):
    """A line of a person's own on the support page: who it reaches, and how to call."""

    name = fields.String(
        required=True,
        validate=validate.Length(max=60, error="Keep the name to 60 characters."),
        error_messages=_required("Say who this reaches, e.g. \"My supervisor\"."),
    )
    number = fields.String(
        required=True,
        validate=validate.Length(max=30, error="Keep the number to 30 characters."),
        error_messages=_required("Add the number to call."),
    )
    note = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=80, error="Keep the note to 80 characters."),
    )

    @validates("number")
    def validate_number(self, value, **kwargs):
        """A number a phone can dial: digits and the usual separators, at least 3 digits."""
        if not PHONE_NUMBER.fullmatch(value) or len(re.findall("[0-9]", value)) < 3:
            raise ValidationError(
                "Write the number with digits, spaces, +, - and brackets only, "
                "e.g. +44 20 7946 0000."
            )


class SupportSettingsSchema(FormSchema):
    """Where a person is (for the built-in crisis lines), and their own lines."""

    region = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(REGIONS, error="Choose a place from the list."),
    )
    lines = fields.List(
        fields.Nested(SupportLineSchema),
        load_default=list,
        validate=validate.Length(
            max=MAX_OWN_LINES, error=f"Keep up to {MAX_OWN_LINES} lines of your own."
        ),
    )
