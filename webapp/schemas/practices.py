"""A person's own practices, as they name them."""
from marshmallow import ValidationError, fields, validates

from webapp.schemas.base import FormSchema, _required

PRACTICE_NAME_LENGTH = 80


class PracticeSchema(FormSchema):
    """A practice as the person names it, when adding or changing it."""

    name = fields.String(
        required=True, error_messages=_required("Give the practice a name.")
    )
    micro = fields.Boolean(load_default=False)

    @validates("name")
    def validate_name(self, value, **kwargs):
        """Names are short enough to sit on a button."""
        if len(value) > PRACTICE_NAME_LENGTH:
            raise ValidationError(
                f"Keep the name to {PRACTICE_NAME_LENGTH} characters (this one has {len(value)})."
            )
