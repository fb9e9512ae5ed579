"""Reflect: the hub, "Stuck with a case?" (the four filter questions) and reframe cards."""
import itertools
import uuid

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm
from webapp.pages import personal_pages
from webapp.services.clock import utcnow
from webapp.services.guard import find_identifiers
from webapp.services.reflect import (
    ANSWER_LENGTH,
    MAX_PROBLEMS,
    NEXT_STEP_LENGTH,
    WHOSE,
    find_reflection,
    helpful_counts,
    ordered_cards,
    recent_reflections,
)
from webapp.services.reframes import CARDS, SITUATIONS
from webapp.services.sync import FOREIGN_ID_ERRORS, REJECTED, change_entry, save_entry

bp = personal_pages(Blueprint("reflect", __name__, url_prefix="/reflect"))

# The answers the reflection form repeats, once per problem, in the schema's order.
PROBLEM_FIELDS = ("problem", "whose", "currency", "cultures")
# Those a person types freely, which the identifier guard reads before saving.
TYPED_PROBLEM_FIELDS = ("problem", "currency", "cultures")


@bp.get("")
def hub():
    """The reflect tools, and the person's own reflections, newest first."""
    return render_template("reflect/hub.html", reflections=recent_reflections(current_user),
                           WHOSE=WHOSE)


# "Stuck with a case?" ------------------------------------------------------------------


@bp.get("/stuck")
def stuck():
    """The four filter questions, ready to answer."""
    return _stuck_page(new_id=uuid.uuid4(), rows=[], next_step=None, errors={})


@bp.post("/stuck")
def save_reflection():
    """Save a reflection; text that may identify a client is pointed out first."""
    rows = _typed_rows(request.form)
    payload = _submitted_reflection(request.form)
    # Nothing is saved on a refusal, so the form comes back with a fresh id, as it starts.
    typed = dict(rows=rows, next_step=payload.get("next_step"), new_id=uuid.uuid4())
    findings = identifiers_to_confirm(
        request.form, *(f"{name}[]" for name in TYPED_PROBLEM_FIELDS), "next_step"
    )
    if findings:
        return _stuck_page(errors={}, findings=_findings_by_field(rows, typed["next_step"]),
                           **typed), 422
    now = utcnow().isoformat()
    result = save_entry(current_user, "reflection",
                        payload | {"created_at": now, "updated_at": now})
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        return _stuck_page(errors=result.errors, **typed), 422
    if htmx:
        return render_template("reflect/_saved.html", entry=result.entry)
    flash("Reflection saved. It's here whenever you want to read it again.")
    return redirect(url_for("reflect.reflection", entry_id=result.entry.id))


@bp.get("/reflections/<uuid:entry_id>")
def reflection(entry_id):
    """One reflection, to read again or delete."""
    return render_template("reflect/reflection.html", entry=_own_reflection(entry_id),
                           WHOSE=WHOSE)


@bp.post("/reflections/<uuid:entry_id>/delete")
def delete_reflection(entry_id):
    """Delete a reflection (kept as a tombstone so other devices learn of it)."""
    entry = _own_reflection(entry_id)
    change_entry(current_user, "reflection", entry, {"deleted": True}, utcnow())
    if htmx:
        return render_template("reflect/_deleted.html", entry=entry)
    flash("Reflection deleted.")
    return redirect(url_for("reflect.hub"))


@bp.post("/reflections/<uuid:entry_id>/restore")
def restore_reflection(entry_id):
    """Undo a delete."""
    entry = find_reflection(current_user, entry_id)
    if entry is None:
        abort(404)
    result = change_entry(current_user, "reflection", entry, {"deleted": False}, utcnow())
    if htmx:
        return render_template("reflect/_reflection.html", entry=result.entry, WHOSE=WHOSE)
    return redirect(url_for("reflect.reflection", entry_id=entry.id))


def _stuck_page(errors, findings=None, **typed):
    """The reflection form (the whole page, or just the form for htmx)."""
    template = "reflect/_stuck_form.html" if htmx else "reflect/stuck.html"
    return render_template(template, errors=errors, findings=findings or {}, WHOSE=WHOSE,
                           MAX_PROBLEMS=MAX_PROBLEMS, ANSWER_LENGTH=ANSWER_LENGTH,
                           NEXT_STEP_LENGTH=NEXT_STEP_LENGTH, **typed)


def _submitted_reflection(form):
    """The form's answers as the reflection schema reads them: the repeated ones as
    lists under their "[]" names, as the outbox reads them too."""
    return form_fields(form, ("id", "next_step")) | {
        f"{name}[]": form.getlist(f"{name}[]") for name in PROBLEM_FIELDS
    }


def _typed_rows(form):
    """The problems as typed, one dict per row of the form, to show them again; the
    blank rows at the end are left out, so the form opens just the rows in use."""
    columns = [form.getlist(f"{name}[]") for name in PROBLEM_FIELDS]
    rows = [dict(zip(PROBLEM_FIELDS, row, strict=True))
            for row in itertools.zip_longest(*columns, fillvalue="")][:MAX_PROBLEMS]
    while rows and not any(value.strip() for value in rows[-1].values()):
        rows.pop()
    return rows


def _findings_by_field(rows, next_step):
    """Where each guard finding is, by field id ("problem-0", "next_step"), to show the
    note next to the field that holds it."""
    located = {
        f"{name}-{index}": find_identifiers(row[name])
        for index, row in enumerate(rows)
        for name in TYPED_PROBLEM_FIELDS
    }
    located["next_step"] = find_identifiers(next_step)
    return {field: found for field, found in located.items() if found}


def _own_reflection(entry_id):
    """The user's live reflection, or 404 for anything missing, deleted or not theirs."""
    entry = find_reflection(current_user, entry_id)
    if entry is None or entry.deleted:
        abort(404)
    return entry


# Reframe cards -------------------------------------------------------------------------


@bp.get("/reframes")
@bp.get("/reframes/<key>")
def reframes(key=None):
    """One reframe card (the first, without a key), with its neighbours to tap through."""
    return _card_page(key, errors={})


@bp.post("/reframes/<key>/helped")
def mark_helpful(key):
    """"This helped": one more mark for the card, so it comes earlier next time."""
    if key not in CARDS:
        abort(404)
    now = utcnow().isoformat()
    payload = form_fields(request.form, ("id",)) | {
        "card": key, "created_at": now, "updated_at": now
    }
    result = save_entry(current_user, "reframe_mark", payload)
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        if htmx:
            return render_template("reflect/_helped.html", errors=result.errors), 422
        return _card_page(key, errors=result.errors), 422
    if htmx:
        return render_template("reflect/_helped.html", errors={},
                               count=helpful_counts(current_user)[key])
    flash("Marked as helpful. It will come earlier next time.")
    return redirect(_card_url(key, _situation()))


def _card_page(key, errors):
    """A card among those of the chosen situation, in the user's order."""
    situation = _situation()
    if key is not None:
        if key not in CARDS:
            abort(404)
        if situation not in (None, CARDS[key].situation):
            situation = None  # a card is never hidden by a filter it does not belong to
    keys = [card.key for card in ordered_cards(current_user, situation)]
    key = key or keys[0]
    position = keys.index(key)
    neighbours = {
        "previous": keys[position - 1] if position > 0 else None,
        "next": keys[position + 1] if position + 1 < len(keys) else None,
    }
    return render_template(
        "reflect/reframes.html",
        card=CARDS[key],
        position=position + 1,
        total=len(keys),
        situation=situation,
        SITUATIONS=SITUATIONS,
        links={name: _card_url(other, situation) for name, other in neighbours.items() if other},
        count=helpful_counts(current_user).get(key, 0),
        new_id=uuid.uuid4(),
        errors=errors,
    )


def _situation():
    """The situation the cards are filtered by, if a known one was asked for."""
    situation = request.args.get("situation")
    return situation if situation in SITUATIONS else None


def _card_url(key, situation):
    return url_for("reflect.reframes", key=key, situation=situation)
