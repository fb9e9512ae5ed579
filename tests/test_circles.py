"""The peer circle over HTTP, on SQLite and PostgreSQL: forming a circle by one-time
invitation, its size limit, leave/remove/block, care nudges (pushed once, rate-limited,
quiet or off when the person asks), debrief requests and answers, what a stranger and
a removed member can reach (nothing), export and account deletion."""
import re
import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.conftest import PASSWORD, Session
from tests.test_push_api import Phone
from tests.test_sync_api import Device
from webapp.extensions import db
from webapp.models import (
    CareNudge,
    Circle,
    CircleInvitation,
    CircleMember,
    DebriefRequest,
    ReminderSettings,
    User,
)
from webapp.services import circles

LINK = re.compile(r'id="new-link" type="text" readonly value="([^"]+)"')


def new_person(app, email):
    session = Session(app.test_client())
    assert session.register(email=email).status_code == 302
    return session


def start_circle(person, name="Tuesday peers", member_name="Sam"):
    response = person.post("/circles", {"name": name, "member_name": member_name})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def invitation_link(person, circle_id):
    person.fetch_token(f"/circles/{circle_id}")
    made = person.post(f"/circles/{circle_id}/invitations")
    assert made.headers["Location"] == f"/circles/{circle_id}#invite-title"
    page = person.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    return LINK.search(page).group(1).replace("http://localhost", "")


def join(person, link, name):
    person.fetch_token(link)
    return person.post(link, {"member_name": name})


def user_id(app, email):
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == email))


@pytest.fixture
def circle(app, member, other_member):
    """Sam's circle, with Alex in it by invitation: (circle id, Sam's id, Alex's id)."""
    circle_id = start_circle(member)
    assert join(other_member, invitation_link(member, circle_id), "Alex").status_code == 302
    return circle_id, user_id(app, "sam@example.org"), user_id(app, "alex@example.org")


@pytest.fixture
def stranger(app):
    return new_person(app, "jo@example.org")


def nudge(person, circle_id, recipient, message="thinking", nudge_id=None, htmx=True):
    person.fetch_token(f"/circles/{circle_id}")
    return person.post(f"/circles/{circle_id}/nudges", {
        "id": nudge_id or str(uuid.uuid4()), "recipient": recipient, "message": message,
    }, htmx=htmx)


# Forming a circle --------------------------------------------------------------------------


def test_both_people_see_who_is_in_the_circle(member, other_member, circle):
    circle_id, _, _ = circle
    for person in (member, other_member):
        page = person.client.get(f"/circles/{circle_id}").get_data(as_text=True)
        assert "Tuesday peers" in page and ">Sam" in page and ">Alex" in page
    listed = other_member.client.get("/circles").get_data(as_text=True)
    assert "Tuesday peers" in listed and "2 people" in listed


def test_a_new_circle_needs_a_name_and_the_makers_name(member):
    member.fetch_token("/circles")
    response = member.post("/circles", {"name": " ", "member_name": "x" * 41})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the circle a name" in page and "Keep your name to 40 characters." in page
    assert 'aria-invalid="true"' in page


def test_an_invitation_works_once(app, member, other_member, stranger):
    circle_id = start_circle(member)
    link = invitation_link(member, circle_id)
    assert join(other_member, link, "Alex").status_code == 302
    again = join(stranger, link, "Jo")
    assert again.status_code in (404, 409)
    assert "used already" in again.get_data(as_text=True)
    assert stranger.client.get(f"/circles/{circle_id}").status_code == 404


def test_a_forged_link_is_not_known(member, stranger):
    start_circle(member)
    response = stranger.client.get("/circles/join/" + "A" * 32)
    assert response.status_code == 404
    assert "not one Tend knows" in response.get_data(as_text=True)


def test_an_expired_invitation_says_so(app, member, stranger):
    link = invitation_link(member, start_circle(member))
    with app.app_context():
        db.session.execute(update(CircleInvitation).values(
            expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        db.session.commit()
    page = stranger.client.get(link)
    assert page.status_code == 404 and "expired" in page.get_data(as_text=True)
    assert join(stranger, link, "Jo").status_code in (404, 409)


def test_a_revoked_invitation_lets_no_one_in(app, member, stranger):
    circle_id = start_circle(member)
    link = invitation_link(member, circle_id)
    with app.app_context():
        invitation_id = db.session.scalar(select(CircleInvitation.id))
    member.fetch_token(f"/circles/{circle_id}")
    revoke = f"/circles/{circle_id}/invitations/{invitation_id}/revoke"
    assert member.post(revoke).status_code == 302
    response = join(stranger, link, "Jo")
    assert "taken back" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CircleMember)) == 1


def test_only_the_maker_of_a_link_or_of_the_circle_takes_it_back(app, member, other_member,
                                                                 circle):
    circle_id, _, _ = circle
    invitation_link(member, circle_id)
    with app.app_context():
        invitation_id = db.session.scalar(select(CircleInvitation.id).order_by(
            CircleInvitation.id.desc()))
    other_member.fetch_token(f"/circles/{circle_id}")
    path = f"/circles/{circle_id}/invitations/{invitation_id}/revoke"
    assert other_member.post(path).status_code == 404
    # the circle's maker may take back a link a member made
    invitation_link(other_member, circle_id)
    with app.app_context():
        alexs = db.session.scalar(select(CircleInvitation.id).order_by(
            CircleInvitation.id.desc()))
    member.fetch_token(f"/circles/{circle_id}")
    assert member.post(f"/circles/{circle_id}/invitations/{alexs}/revoke").status_code == 302


def test_a_circle_holds_at_most_twelve(app, member, stranger):
    circle_id = start_circle(member)
    link = invitation_link(member, circle_id)
    with app.app_context():
        for number in range(11):
            person = User(email=f"p{number}@example.org", password_hash="x")
            db.session.add(person)
            db.session.flush()
            db.session.add(CircleMember(circle_id=circle_id, user_id=person.id, name=f"P{number}"))
        db.session.commit()
    page = stranger.client.get(link)
    assert page.status_code == 404 and "12 people" in page.get_data(as_text=True)
    response = join(stranger, link, "Jo")
    assert response.status_code in (404, 409) and "12 people" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(CircleMember)
            .where(CircleMember.circle_id == circle_id)) == 12


def test_two_people_racing_for_the_last_place_one_gets_it(app, member):
    circle_id = start_circle(member)
    with app.app_context():
        for number in range(10):
            person = User(email=f"p{number}@example.org", password_hash="x")
            db.session.add(person)
            db.session.flush()
            db.session.add(CircleMember(circle_id=circle_id, user_id=person.id, name=f"P{number}"))
        racers = [User(email=f"racer{n}@example.org", password_hash="x") for n in range(2)]
        db.session.add_all(racers)
        db.session.commit()
        racer_ids = [racer.id for racer in racers]
    secrets = [invitation_link(member, circle_id).rsplit("/", 1)[1] for _ in range(2)]
    outcomes = []

    def attempt(index):
        with app.app_context():
            user = db.session.get(User, racer_ids[index])
            try:
                circles.join(user, secrets[index], f"R{index}", datetime.now(UTC))
                outcomes.append("in")
            except circles.Refused as refused:
                outcomes.append(refused.message)

    threads = [threading.Thread(target=attempt, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == sorted(["in", circles.CIRCLE_FULL])
    with app.app_context():
        assert db.session.scalar(
            select(func.count()).select_from(CircleMember)
            .where(CircleMember.circle_id == circle_id)) == 12


def test_a_person_can_be_in_several_circles(member, other_member, circle):
    second = start_circle(other_member, "Team B", "Alex")
    assert join(member, invitation_link(other_member, second), "Sam").status_code == 302
    page = member.client.get("/circles").get_data(as_text=True)
    assert "Tuesday peers" in page and "Team B" in page


def test_leaving_and_the_last_one_out(app, member, other_member, circle):
    circle_id, _, _ = circle
    other_member.fetch_token(f"/circles/{circle_id}")
    assert other_member.post(f"/circles/{circle_id}/leave").status_code == 302
    assert other_member.client.get(f"/circles/{circle_id}").status_code == 404
    member.fetch_token(f"/circles/{circle_id}")
    assert member.post(f"/circles/{circle_id}/leave").status_code == 302
    with app.app_context():
        assert db.session.get(Circle, circle_id) is None


def test_only_the_maker_removes_a_member(app, member, other_member, stranger, circle):
    circle_id, sam, alex = circle
    assert join(stranger, invitation_link(member, circle_id), "Jo").status_code == 302
    jo = user_id(app, "jo@example.org")
    other_member.fetch_token(f"/circles/{circle_id}")
    assert other_member.post(f"/circles/{circle_id}/members/{jo}/remove").status_code == 404
    member.fetch_token(f"/circles/{circle_id}")
    assert member.post(f"/circles/{circle_id}/members/{jo}/remove").status_code == 302
    assert stranger.client.get(f"/circles/{circle_id}").status_code == 404
    assert ">Jo" not in member.client.get(f"/circles/{circle_id}").get_data(as_text=True)


# Care nudges -------------------------------------------------------------------------------


def test_a_nudge_arrives_once_as_a_push_and_in_the_list(app, member, other_member, circle,
                                                        push_service):
    circle_id, sam, alex = circle
    phone = Phone(member.client, push_service)
    assert phone.subscribe().status_code in (200, 201)
    nudge_id = str(uuid.uuid4())
    first = nudge(other_member, circle_id, sam, "proud", nudge_id)
    assert first.status_code == 200 and "Proud of the work you do." in first.get_data(as_text=True)
    again = nudge(other_member, circle_id, sam, "proud", nudge_id)  # a retry of the same tap
    assert again.status_code == 200
    [received] = push_service.delivered(phone.browser)
    assert received.notification["title"] == "Alex sent you care"
    assert received.notification["body"] == "Proud of the work you do."
    assert received.notification["navigate"].endswith("/circles/nudges")
    listed = member.client.get("/circles/nudges").get_data(as_text=True)
    assert listed.count("Proud of the work you do.") == 1 and "From Alex" in listed
    with app.app_context():
        assert db.session.get(CareNudge, nudge_id).status == "sent"


def test_nudges_without_javascript(member, other_member, circle):
    circle_id, sam, _ = circle
    response = nudge(other_member, circle_id, sam, htmx=False)
    assert response.status_code == 302
    page = other_member.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sent." in page


def test_bad_nudges_are_refused_with_words(member, other_member, circle):
    circle_id, sam, alex = circle
    for values, words in [
        ({"message": "free text!"}, "Choose one of the nudges offered."),
        ({"recipient": "sam"}, "Choose whom to send it to."),
        ({"recipient": alex}, circles.NOT_A_MEMBER),  # to oneself
        ({"id": "not-a-uuid"}, "UUID"),
    ]:
        form = {"id": str(uuid.uuid4()), "recipient": sam, "message": "thinking"} | values
        other_member.fetch_token(f"/circles/{circle_id}")
        response = other_member.post(f"/circles/{circle_id}/nudges", form, htmx=True)
        assert response.status_code == 422, values
        assert words in response.get_data(as_text=True), values


def test_nudges_are_rate_limited(member, other_member, circle):
    circle_id, sam, _ = circle
    for _ in range(circles.NUDGES_TO_ONE_A_DAY):
        assert nudge(other_member, circle_id, sam).status_code == 200
    refused = nudge(other_member, circle_id, sam)
    assert refused.status_code == 422
    assert "there is always tomorrow" in refused.get_data(as_text=True)


def test_a_sender_has_a_days_limit_in_all(app, member, other_member, circle, monkeypatch):
    circle_id, sam, _ = circle
    monkeypatch.setattr(circles, "NUDGES_A_DAY", 2)
    monkeypatch.setattr(circles, "NUDGES_TO_ONE_A_DAY", 5)
    assert nudge(other_member, circle_id, sam).status_code == 200
    assert nudge(other_member, circle_id, sam).status_code == 200
    refused = nudge(other_member, circle_id, sam)
    assert refused.status_code == 422
    assert "sent 2 nudges today, as many as a day allows" in refused.get_data(as_text=True)


def test_nudges_turned_off_are_not_sent(member, other_member, circle):
    circle_id, sam, _ = circle
    member.fetch_token("/circles/settings")
    assert member.post("/circles/settings", {"nudges": "off"}).status_code == 302
    page = other_member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "Has care nudges turned off" in page
    refused = nudge(other_member, circle_id, sam)
    assert refused.status_code == 422 and circles.NUDGES_OFF in refused.get_data(as_text=True)


def test_a_bad_nudge_setting_is_refused(member):
    member.fetch_token("/circles/settings")
    response = member.post("/circles/settings", {"nudges": "loud"})
    assert response.status_code == 422
    assert "Choose one of the options." in response.get_data(as_text=True)


def test_quiet_hours_keep_a_nudge_in_the_list_without_a_push(app, member, other_member, circle,
                                                             push_service):
    circle_id, sam, _ = circle
    phone = Phone(member.client, push_service)
    phone.subscribe()
    now = datetime.now(UTC)
    with app.app_context():  # quiet from an hour ago to an hour from now, in Sam's UTC
        db.session.add(ReminderSettings(
            user_id=sam, quiet_start=(now - timedelta(hours=1)).time().replace(microsecond=0),
            quiet_end=(now + timedelta(hours=1)).time().replace(microsecond=0)))
        db.session.commit()
    member.fetch_token("/circles/settings")
    member.post("/circles/settings", {"nudges": "quiet"})
    assert nudge(other_member, circle_id, sam, "enough").status_code == 200
    assert push_service.delivered(phone.browser) == []
    assert "What you did today was enough." in member.client.get("/circles/nudges").get_data(
        as_text=True)


def test_a_blocked_member_disappears_and_reaches_no_one(app, member, other_member, circle,
                                                        push_service):
    circle_id, sam, alex = circle
    phone = Phone(member.client, push_service)
    phone.subscribe()
    member.fetch_token(f"/circles/{circle_id}")
    assert member.post(f"/circles/{circle_id}/members/{alex}/block").status_code == 302
    assert ">Alex" not in member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    sent = nudge(other_member, circle_id, sam, "here")
    assert sent.status_code == 200  # Alex is not told
    assert push_service.delivered(phone.browser) == []
    assert "I'm here if you want to talk." not in member.client.get("/circles/nudges").get_data(
        as_text=True)
    assert "Alex" in member.client.get("/circles/settings").get_data(as_text=True)


# Debrief requests --------------------------------------------------------------------------


def ask(person, circle_id, request_id=None):
    person.fetch_token(f"/circles/{circle_id}")
    return person.post(f"/circles/{circle_id}/debriefs", {"id": request_id or str(uuid.uuid4())})


def answer(person, circle_id, request_id, **values):
    person.fetch_token(f"/circles/{circle_id}")
    return person.post(f"/circles/debriefs/{request_id}/answer",
                       {"id": str(uuid.uuid4())} | values)


def test_a_debrief_request_is_answered_and_seen(app, member, other_member, circle,
                                                push_service):
    circle_id, sam, alex = circle
    alexs_phone = Phone(other_member.client, push_service)
    alexs_phone.subscribe()
    sams_phone = Phone(member.client, push_service)
    sams_phone.subscribe()
    request_id = str(uuid.uuid4())
    assert ask(member, circle_id, request_id).status_code == 302
    [asked] = push_service.delivered(alexs_phone.browser)
    assert asked.notification["title"] == "Sam asks: could someone debrief with me today?"
    assert answer(other_member, circle_id, request_id, talk_at="14:30").status_code == 302
    [answered] = push_service.delivered(sams_phone.browser)
    assert "Alex can talk at 2:30 PM" in answered.notification["body"]
    page = member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "Alex can talk at <strong>2:30 PM</strong>" in page
    member.fetch_token(f"/circles/{circle_id}")
    assert member.post(f"/circles/debriefs/{request_id}/close").status_code == 302
    assert answer(other_member, circle_id, request_id, not_today="1").status_code == 404
    assert "Alex can talk" not in member.client.get(f"/circles/{circle_id}").get_data(
        as_text=True)


def test_a_debrief_answer_needs_a_time_or_not_today(member, other_member, circle):
    circle_id, _, _ = circle
    request_id = str(uuid.uuid4())
    ask(member, circle_id, request_id)
    for values, words in [({}, "Give a time you can talk"),
                          ({"talk_at": "25:99"}, "Give a time, like 14:30.")]:
        response = answer(other_member, circle_id, request_id, **values)
        assert response.status_code == 422 and words in response.get_data(as_text=True)
    response = answer(other_member, circle_id, request_id, not_today="1")
    assert response.status_code == 302
    page = member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "Alex: not today, sending care" in page


def test_one_open_request_per_person_and_only_the_asker_closes_it(app, member, other_member,
                                                                  circle):
    circle_id, _, _ = circle
    request_id = str(uuid.uuid4())
    assert ask(member, circle_id, request_id).status_code == 302
    assert ask(member, circle_id, request_id).status_code == 302  # the same request, again
    second = ask(member, circle_id)
    assert second.status_code == 422 and "asked this circle already" in second.get_data(
        as_text=True)
    other_member.fetch_token(f"/circles/{circle_id}")
    assert other_member.post(f"/circles/debriefs/{request_id}/close").status_code == 404
    assert answer(member, circle_id, request_id, talk_at="10:00").status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DebriefRequest)) == 1


# Nothing else is shared --------------------------------------------------------------------


def circle_urls(circle_id, member_id, request_id, invitation_id):
    """Every circle route that names something of a circle, with the given ids."""
    return [
        ("GET", f"/circles/{circle_id}", {}),
        ("POST", f"/circles/{circle_id}/invitations", {}),
        ("POST", f"/circles/{circle_id}/invitations/{invitation_id}/revoke", {}),
        ("POST", f"/circles/{circle_id}/leave", {}),
        ("POST", f"/circles/{circle_id}/members/{member_id}/remove", {}),
        ("POST", f"/circles/{circle_id}/members/{member_id}/block", {}),
        ("POST", f"/circles/{circle_id}/nudges",
         {"id": str(uuid.uuid4()), "recipient": member_id, "message": "thinking"}),
        ("POST", f"/circles/{circle_id}/debriefs", {"id": str(uuid.uuid4())}),
        ("POST", f"/circles/debriefs/{request_id}/answer",
         {"id": str(uuid.uuid4()), "not_today": "1"}),
        ("POST", f"/circles/debriefs/{request_id}/close", {}),
        ("POST", f"/circles/blocked/{member_id}/unblock", {}),
    ]


def test_a_stranger_and_a_removed_member_get_404_everywhere(app, member, other_member,
                                                            stranger, circle):
    circle_id, sam, alex = circle
    request_id = str(uuid.uuid4())
    ask(member, circle_id, request_id)
    invitation_link(member, circle_id)
    with app.app_context():
        invitation_id = db.session.scalar(select(CircleInvitation.id))
    member.fetch_token(f"/circles/{circle_id}")
    member.post(f"/circles/{circle_id}/members/{alex}/remove")
    for outsider in (stranger, other_member):
        outsider.fetch_token("/circles")
        for method, url, form in circle_urls(circle_id, sam, request_id, invitation_id):
            form = form | {"csrf_token": outsider.token}
            response = outsider.client.open(url, method=method, data=form)
            assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    with app.app_context():  # and nothing changed
        assert db.session.scalar(select(func.count()).select_from(CareNudge)) == 0
        assert db.session.get(DebriefRequest, request_id).closed_at is None
        assert db.session.get(CircleMember, (circle_id, sam)) is not None


def test_a_member_sees_only_what_was_made_for_the_circle(app, member, other_member, circle):
    circle_id, _, _ = circle
    member.fetch_token("/")
    note_id = str(uuid.uuid4())
    member.check_in(tank=1, entry_id=note_id)
    member.post(f"/checkins/{note_id}/note", {"note": "Hard session with the twins"}, htmx=True)
    seen = "".join(
        other_member.client.get(path).get_data(as_text=True)
        for path in ("/circles", f"/circles/{circle_id}", "/circles/nudges", "/history",
                     "/insights")
    )
    assert "twins" not in seen
    assert other_member.client.get(f"/checkins/{note_id}").status_code == 404


# Export and deletion -----------------------------------------------------------------------


def test_the_export_holds_what_the_person_made_in_circles(member, other_member, circle):
    circle_id, sam, _ = circle
    nudge(other_member, circle_id, sam, "breathe")
    other_member.fetch_token("/account/data")
    document = other_member.client.get("/account/export.json").get_json()
    made = document["circles"]
    assert made["memberships"][0]["circle"] == "Tuesday peers"
    assert made["memberships"][0]["your_name"] == "Alex"
    assert made["nudges_sent"][0]["to"] == "Sam"
    assert made["nudges_sent"][0]["message"] == circles.NUDGES["breathe"]
    sams = member.client.get("/account/export.json").get_json()["circles"]
    assert sams["nudges_sent"] == [] and sams["memberships"][0]["made_it"] is True


def test_deleting_an_account_takes_its_circle_things_and_tells_no_one(
        app, member, other_member, circle):
    circle_id, sam, alex = circle
    nudge(other_member, circle_id, sam, "here")
    ask(other_member, circle_id)
    other_member.fetch_token("/account/delete")
    assert other_member.post("/account/delete", {"password": PASSWORD}).status_code == 200
    page = member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert ">Alex" not in page and "deleted" not in page.lower()
    with app.app_context():
        for model, column in ((CircleMember, CircleMember.user_id),
                              (CareNudge, CareNudge.sender_id),
                              (DebriefRequest, DebriefRequest.asker_id)):
            assert db.session.scalar(
                select(func.count()).select_from(model).where(column == alex)) == 0


def test_a_circle_left_empty_by_a_deleted_account_goes(app, member):
    circle_id = start_circle(member)
    member.fetch_token("/account/delete")
    assert member.post("/account/delete", {"password": PASSWORD}).status_code == 200
    with app.app_context():
        assert db.session.get(Circle, circle_id) is None


def test_answers_keep_their_time_of_day(app, member, other_member, circle):
    circle_id, _, _ = circle
    request_id = str(uuid.uuid4())
    ask(member, circle_id, request_id)
    answer(other_member, circle_id, request_id, talk_at="09:05")
    with app.app_context():
        sams = db.session.get(User, user_id(app, "sam@example.org"))
        [given] = circles.answers_to(db.session.get(DebriefRequest, request_id), sams)
        assert given[0].talk_at == time(9, 5)


def test_after_a_safety_session_the_card_offers_the_circle_and_asks_nothing(app, member, circle):
    circle_id, _, _ = circle
    response, entry_id = member.check_in(tank=2)
    card = member.post(f"/checkins/{entry_id}/safety", {"safety_session": "1"}, htmx=True)
    assert 'href="/circles/debrief"' in card.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DebriefRequest)) == 0
    answer = member.client.get("/circles/debrief")
    assert answer.headers["Location"] == f"/circles/{circle_id}#debrief-title"


def test_with_no_circle_the_offer_leads_to_starting_one(stranger):
    assert stranger.client.get("/circles/debrief").headers["Location"] == "/circles"
    page = stranger.client.get("/circles").get_data(as_text=True)
    assert "You're not in a circle yet" in page.replace("&#39;", "'")


# Sent from the phone's outbox --------------------------------------------------------------


def test_a_nudge_kept_offline_arrives_once_through_the_sync_api(app, member, other_member,
                                                                circle, push_service):
    circle_id, sam, _ = circle
    sams_phone = Phone(member.client, push_service)
    sams_phone.subscribe()
    alexs_phone = Device(other_member.client)
    kept = {"kind": "care_nudge", "id": str(uuid.uuid4()), "circle": str(circle_id),
            "recipient": str(sam), "message": "not_alone", "created_at": "2026-12-07T10:00:00Z",
            "updated_at": "2026-12-07T10:00:00Z", "deleted": False}
    checkin = {"kind": "checkin", "id": str(uuid.uuid4()), "tank": 4,
               "created_at": "2026-12-07T10:00:00+00:00", "updated_at": "2026-12-07T10:00:00+00:00"}
    first = alexs_phone.sync(kept, checkin)
    assert [result["status"] for result in first["results"]] == ["created", "created"]
    again = alexs_phone.sync(kept)  # the answer was lost on the way: the outbox sends again
    assert again["results"] == [{"id": kept["id"], "status": "created"}]
    [received] = push_service.delivered(sams_phone.browser)
    assert received.notification["body"] == "You're not alone in this."
    assert [entry["id"] for entry in first["changes"]] == [checkin["id"]]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CareNudge)) == 1


def test_circle_messages_the_server_cannot_take_are_refused_one_by_one(member, other_member,
                                                                       stranger, circle):
    circle_id, sam, _ = circle
    request_id = str(uuid.uuid4())
    ask(member, circle_id, request_id)
    base = {"id": str(uuid.uuid4()), "created_at": None, "updated_at": None}
    jos_phone = Device(stranger.client)
    answer = jos_phone.sync(
        base | {"kind": "care_nudge", "circle": circle_id, "recipient": sam, "message": "proud"},
        base | {"kind": "care_nudge", "circle": circle_id, "recipient": sam, "message": 7},
        base | {"kind": "debrief_answer", "request": request_id, "not_today": True},
        base | {"kind": "debrief_answer", "request": "nope", "talk_at": "14:00"},
        base | {"kind": "care_nudge", "circle": circle_id, "recipient": sam,
                "message": "proud", "deleted": True},
    )
    statuses = [result["status"] for result in answer["results"]]
    assert statuses == ["rejected"] * 5
    errors = [result["errors"] for result in answer["results"]]
    assert errors[0] == circles.NO_SUCH_CIRCLE and errors[2] == circles.NO_SUCH_REQUEST
    assert "message" in errors[1] and "request" in errors[3] and "deleted" in errors[4]
    alexs = Device(other_member.client).sync(
        base | {"kind": "debrief_answer", "request": request_id, "talk_at": "16:15"})
    assert alexs["results"][0]["status"] == "created"
    page = member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "Alex can talk at <strong>4:15 PM</strong>" in page


def test_a_blocked_members_answers_and_requests_are_hidden_too(member, other_member, circle):
    circle_id, sam, alex = circle
    request_id = str(uuid.uuid4())
    ask(member, circle_id, request_id)
    answer(other_member, circle_id, request_id, talk_at="11:00")
    ask(other_member, circle_id)
    member.fetch_token(f"/circles/{circle_id}")
    member.post(f"/circles/{circle_id}/members/{alex}/block")
    page = member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "11:00 AM" not in page and "Alex" not in page
    assert "No answers yet" in page


def test_care_from_someone_who_left_stays_in_the_list(member, other_member, circle):
    circle_id, sam, _ = circle
    nudge(other_member, circle_id, sam, "thinking")
    other_member.fetch_token(f"/circles/{circle_id}")
    other_member.post(f"/circles/{circle_id}/leave")
    listed = member.client.get("/circles/nudges").get_data(as_text=True)
    assert "Thinking of you today." in listed and "Someone who has left the circle" in listed


def test_a_page_kept_by_the_service_worker_does_not_mark_care_as_seen(member, other_member,
                                                                      circle):
    circle_id, sam, _ = circle
    nudge(other_member, circle_id, sam, "thinking")
    kept = member.client.get("/circles/nudges", headers={"X-Tend-Keep": "1"})
    assert "Thinking of you today." in kept.get_data(as_text=True)
    assert "(1 new)" in member.client.get("/circles").get_data(as_text=True)
    member.client.get("/circles/nudges")
    assert "new)" not in member.client.get("/circles").get_data(as_text=True)


def test_a_member_following_a_spent_link_to_their_circle_just_lands_in_it(member, other_member,
                                                                          circle):
    circle_id, _, _ = circle
    link = invitation_link(member, circle_id)
    member.fetch_token(f"/circles/{circle_id}")
    assert other_member.client.get(link).headers["Location"] == f"/circles/{circle_id}"


def test_a_new_link_is_shown_once_and_a_reload_makes_no_other(app, member):
    circle_id = start_circle(member)
    member.fetch_token(f"/circles/{circle_id}")
    member.post(f"/circles/{circle_id}/invitations")
    kept = member.client.get(f"/circles/{circle_id}", headers={"X-Tend-Keep": "1"})
    assert "new-link" not in kept.get_data(as_text=True)  # the worker's copy does not take it
    assert "new-link" in member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    assert "new-link" not in member.client.get(f"/circles/{circle_id}").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CircleInvitation)) == 1


def test_a_page_kept_by_the_service_worker_leaves_the_message_for_the_person(member):
    member.fetch_token("/circles")
    created = member.post("/circles", {"name": "Peers", "member_name": "Sam"})
    kept = member.client.get("/history", headers={"X-Tend-Keep": "1"})
    assert "Peers is ready" not in kept.get_data(as_text=True)
    assert "Peers is ready" in member.client.get(created.headers["Location"]).get_data(
        as_text=True)
