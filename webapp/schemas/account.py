"""Accounts: sign-in, registration, the profile, passwords, deleting the account and
passkeys."""
from zoneinfo import available_timezones

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from webapp.schemas.base import FormSchema, _required

TIMEZONES = frozenset(available_timezones())


MIN_PASSWORD = 10


class CredentialsSchema(FormSchema):
    """Email and password, shared by sign-in and registration."""

    email = fields.Email(
        required=True,
        validate=validate.Length(max=254, error="That email address is too long."),
        error_messages=_required("Enter your email address.")
        | {"invalid": "Enter an email address like name@example.org."},
    )
    password = fields.String(
        required=True, error_messages=_required("Enter your password.")
    )
    remember = fields.Boolean(load_default=False)

    @post_load
    def normalise_email(self, data, **kwargs):
        """Email addresses are compared without regard to case."""
        data["email"] = data["email"].lower()
        return data


class SignInSchema(CredentialsSchema):
    """The sign-in form."""

    next = fields.String(load_default=None)


class ProfileSchema(FormSchema):
    """What a user can say about themselves: a name to greet them by and their time zone."""

    display_name = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=80, error="Keep the name to 80 characters."),
    )
    timezone = fields.String(
        required=True,
        validate=validate.OneOf(TIMEZONES, error="Choose a time zone from the list."),
        error_messages=_required("Choose your time zone."),
    )


def _new_password():
    return fields.String(
        required=True,
        validate=validate.Length(
            min=MIN_PASSWORD,
            max=1024,
            error=f"Use at least {MIN_PASSWORD} characters (a short phrase works well).",
        ),
        error_messages=_required("Choose a password."),
    )


class RegisterSchema(CredentialsSchema, ProfileSchema):
    """The registration form."""

    password = _new_password()


class NewPasswordSchema(FormSchema):
    """A new password, however it is set (the admin command, the account page)."""

    password = _new_password()


class ChangePasswordSchema(NewPasswordSchema):
    """Changing one's password: the current one, then the new one twice."""

    verbatim = frozenset({"password", "current_password", "confirm"})
    current_password = fields.String(
        required=True, error_messages=_required("Enter your current password.")
    )
    confirm = fields.String(
        required=True, error_messages=_required("Enter the new password again.")
    )

    @validates_schema
    def validate_same(self, data, **kwargs):
        """Typed twice, the same both times."""
        if data.get("password") and data.get("confirm") and data["password"] != data["confirm"]:
            raise ValidationError("The two new passwords are not the same.", "confirm")


class DeleteAccountSchema(FormSchema):
    """Deleting the account: the password says it is really the person."""

    verbatim = frozenset({"password"})
    password = fields.String(required=True, error_messages=_required("Enter your password."))


PASSKEY_ANSWER = "Send the browser's answer as it gives it (credential.toJSON())."


class PasskeySignInSchema(Schema):
    """A browser's answer to a passkey challenge, as PublicKeyCredential.toJSON() gives it."""

    class Meta:
        unknown = RAISE

    credential = fields.Dict(
        required=True, error_messages=_required(PASSKEY_ANSWER) | {"invalid": PASSKEY_ANSWER}
    )


class PasskeySchema(PasskeySignInSchema):
    """A new passkey, and what to call it in the list."""

    name = fields.String(
        load_default="Passkey",
        validate=validate.Length(1, 80, error="Give the passkey a name of up to 80 characters."),
    )
