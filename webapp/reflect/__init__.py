"""Reflect: the hub, "Stuck with a case?" (the four filter questions), reframe cards and
the weekly pulse."""
import itertools
import uuid

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from webapp.extensions import htmx
from webapp.forms import form_fields, identifiers_to_confirm, phone_stamp, write_time
from webapp.pages import personal_pages
from webapp.schemas.reflect import PULSE_ANSWER_PREFIX
from webapp.services.clock import utcnow
from webapp.services.guard import find_identifiers
from webapp.services.pulse import (
    AREA_MAX,
    AREA_SHORT,
    AREAS,
    SCALE,
    STATEMENTS,
    TREND_WEEKS,
    find_pulse,
    pulse_id_taken,
    this_weeks_pulse,
    week_of,
    week_words,
    weekly_pulse,
)
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
    now = write_time().isoformat()
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
    """One reflection, to read again, bring to supervision or delete."""
    return render_reflection_page(_own_reflection(entry_id))


def render_reflection_page(entry, bring=None):
    """A reflection's page; `bring` is its "Bring to supervision" form when a note
    from it was not saved (care.create_note), else the form starts afresh."""
    return render_template("reflect/reflection.html", entry=entry, WHOSE=WHOSE, bring=bring)


@bp.post("/reflections/<uuid:entry_id>/delete")
def delete_reflection(entry_id):
    """Delete a reflection (kept as a tombstone so other devices learn of it)."""
    entry = _own_reflection(entry_id)
    change_entry(current_user, "reflection", entry, {"deleted": True}, utcnow(), phone_stamp())
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
    result = change_entry(current_user, "reflection", entry, {"deleted": False}, utcnow(),
                          phone_stamp())
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
    now = write_time().isoformat()
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


# The short reflection a safety session's check-in offers
# (templates/checkins/_after_safety.html): the reframe cards for after one.
DEBRIEF_SITUATION = "safety"


@bp.app_template_global()
def debrief_url():
    """Where the offer of a debrief after a safety session leads (kept on the phone too)."""
    return url_for("reflect.reframes", situation=DEBRIEF_SITUATION)


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


# The weekly pulse ----------------------------------------------------------------------


@bp.get("/pulse")
def pulse():
    """This week's pulse to take (or to change, if taken), and the last weeks in words."""
    now = utcnow()
    return _pulse_page(_pulse_form(this_weeks_pulse(current_user, now), now), now)


@bp.post("/pulse")
def save_pulse():
    """Save this week's pulse: taken again in the same week, it changes that week's."""
    now = utcnow()
    submitted = _submitted_pulse(request.form)
    current = this_weeks_pulse(current_user, now)
    findings = identifiers_to_confirm(request.form, "note")
    if findings:
        return _pulse_refused(submitted, current, now, {}, findings)
    result = _write_pulse(submitted, current, now)
    if result.status == REJECTED:
        if result.errors == FOREIGN_ID_ERRORS:
            abort(404)
        return _pulse_refused(submitted, current, now, result.errors)
    if not htmx:
        flash("This week's pulse is saved. Thank you for checking in with yourself.")
        return redirect(url_for("reflect.pulse"))
    return render_template("reflect/_pulse_answer.html", saved=True,
                           form=_pulse_form(result.entry, now), **_trend(now))


@bp.post("/pulse/<uuid:entry_id>/delete")
def delete_pulse(entry_id):
    """Delete a pulse (kept as a tombstone so other devices learn of it); the page then
    starts afresh, since the form, the trend and "Bring to supervision" all change."""
    entry = find_pulse(current_user, entry_id)
    if entry is None or entry.deleted:
        abort(404)
    change_entry(current_user, "pulse", entry, {"deleted": True}, utcnow(), phone_stamp())
    flash("That week's pulse is deleted.")
    if htmx:
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url_for("reflect.pulse")
        return response
    return redirect(url_for("reflect.pulse"))


def _write_pulse(submitted, current, now):
    """Change the pulse the form names, or this week's if the form was a fresh one (a
    second tab, a page kept from before); else make this week's."""
    entry = find_pulse(current_user, submitted.get("id"))
    if entry is None and current is not None and _fresh_id(submitted.get("id")):
        entry = current
    if entry is not None:
        changes = {name: value for name, value in submitted.items() if name != "id"}
        return change_entry(current_user, "pulse", entry, changes | {"deleted": False}, now,
                            phone_stamp())
    stamp = (phone_stamp() or now).isoformat()
    return save_entry(current_user, "pulse", submitted | {"created_at": stamp,
                                                          "updated_at": stamp})


def _fresh_id(entry_id):
    """Whether this is a well-formed id that no entry has yet."""
    try:
        uuid.UUID(str(entry_id))
    except ValueError:
        return False
    return not pulse_id_taken(entry_id)


def _submitted_pulse(form):
    """The form's id, note and answers ("answers.<key>", as the outbox sends them too)."""
    names = ["id", "note", *(name for name in form if name.startswith(PULSE_ANSWER_PREFIX))]
    return form_fields(form, names)


def _pulse_form(entry, now, submitted=None, errors=None, findings=()):
    """What the pulse form shows: a stored pulse to change, or a fresh one; with the
    answers as typed, and what stopped them saving, after a refusal."""
    if entry is not None:
        shown = {f"{PULSE_ANSWER_PREFIX}{key}": value for key, value in entry.answers.items()}
        shown["note"] = entry.note
    else:
        shown = {}
    shown |= {name: value for name, value in (submitted or {}).items() if name != "id"}
    return {
        "entry": entry,
        "id": entry.id if entry is not None else uuid.uuid4(),
        "this_week": entry is not None and entry.week_start == week_of(now, current_user.timezone),
        "answers": {key: str(shown.get(f"{PULSE_ANSWER_PREFIX}{key}") or "")
                    for key in (statement.key for statement in STATEMENTS)},
        "note": shown.get("note") or "",
        "errors": errors or {},
        "findings": findings,
    }


def _pulse_refused(submitted, current, now, errors, findings=()):
    """Nothing saved: the form again as typed, with what to change next to each answer."""
    entry = find_pulse(current_user, submitted.get("id")) or current
    form = _pulse_form(entry, now, submitted, errors, findings)
    if htmx:
        return render_template("reflect/_pulse_answer.html", saved=False, form=form,
                               **_trend(now)), 422
    return _pulse_page(form, now), 422


def render_pulse_page(bring):
    """The pulse page as it first appears, but for its "Bring to supervision" form: a
    note from it that was not saved (care.create_note)."""
    now = utcnow()
    return _pulse_page(_pulse_form(this_weeks_pulse(current_user, now), now), now, bring)


def _pulse_page(form, now, bring=None):
    return render_template("reflect/pulse.html", form=form, bring=bring, **_trend(now))


def _trend(now):
    """The last weeks' scores for the trend's table, newest first, from the first week
    with a pulse (a list of weeks never taken would read like a reproach)."""
    weeks = weekly_pulse(current_user, TREND_WEEKS, now)
    taken = [index for index, week in enumerate(weeks) if week.taken]
    shown = weeks[taken[0]:] if taken else []
    return {"weeks": shown[::-1], "current_week": weeks[-1].week_start, "STATEMENTS": STATEMENTS,
            "SCALE": SCALE, "AREAS": AREAS, "AREA_SHORT": AREA_SHORT, "AREA_MAX": AREA_MAX,
            "week_words": week_words, "TREND_WEEKS": TREND_WEEKS}
