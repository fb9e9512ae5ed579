"""The account page: a name to be greeted by, a time zone, signing out."""
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import User


def test_settings_show_the_current_values(member):
    page = member.client.get("/account").get_data(as_text=True)
    assert "sam@example.org" in page
    assert '<option value="UTC" selected>' in page


def test_changing_name_and_time_zone(app, member):
    member.fetch_token("/account")
    response = member.post("/account", {"display_name": "Sam R.", "timezone": "Europe/London"})
    assert response.status_code == 302
    assert "Saved." in member.client.get("/account").get_data(as_text=True)
    with app.app_context():
        user = db.session.scalar(select(User))
    assert (user.display_name, user.timezone) == ("Sam R.", "Europe/London")


def test_a_bad_time_zone_is_refused_next_to_the_field(app, member):
    member.fetch_token("/account")
    response = member.post("/account", {"display_name": "", "timezone": "Europe/Atlantis"})
    assert response.status_code == 422
    assert 'id="timezone-error">Choose a time zone from the list.' in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.scalar(select(User)).timezone == "UTC"


def test_settings_need_sign_in(client):
    assert client.get("/account").status_code == 302


def test_support_page_is_open_to_everyone_with_the_configured_numbers(app, client):
    page = client.get("/support").get_data(as_text=True)
    assert 'href="tel:988"' in page and 'href="sms:988"' in page and 'href="tel:911"' in page
    app.config["CRISIS_CALL"] = "116 123"
    try:
        page = client.get("/support").get_data(as_text=True)
        assert "Call 116 123" in page and 'href="tel:116123"' in page
    finally:
        app.config["CRISIS_CALL"] = "988"


def test_every_page_links_to_support(member, client):
    for session, path in [(client, "/sign-in"), (client, "/register"), (member.client, "/"),
                          (member.client, "/history"), (member.client, "/account")]:
        assert 'href="/support">Need support now?</a>' in session.get(path).get_data(as_text=True)
