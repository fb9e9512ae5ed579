"""Security headers, and templates that keep to the strict CSP."""
import hashlib
import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize("path", ["/sign-in", "/register", "/support", "/nowhere"])
def test_every_page_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    policy = headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would be meaningless


@pytest.mark.parametrize("path", ["/sw.js", "/static/icons/tend.svg"])
def test_the_worker_and_svg_carry_the_policy_too(client, path):
    with client.get(path) as response:
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_hsts_over_https(client):
    response = client.get("/sign-in", base_url="https://tend.example")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached(member):
    assert member.client.get("/history").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_inline_script_or_style(template):
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text), "style attribute"
    assert not re.search(r"\son[a-z]+=", text), "inline event handler"
    assert "hx-on" not in text


def test_htmx_is_configured_to_inject_no_styles_and_evaluate_nothing(client):
    page = client.get("/sign-in").get_data(as_text=True)
    config = re.search(r"name=\"htmx-config\" content='([^']+)'", page).group(1)
    assert '"includeIndicatorStyles":false' in config
    assert '"allowEval":false' in config
    assert '"historyCacheSize":0' in config


def test_vendored_htmx_is_the_pinned_version():
    vendor = TEMPLATES.parent / "static" / "vendor" / "htmx"
    script = (vendor / "htmx-2.0.11.min.js").read_bytes()
    assert b'version:"2.0.11"' in script
    assert hashlib.sha256(script).hexdigest() in (vendor / "README.md").read_text()
    assert "Zero-Clause BSD" in (vendor / "LICENSE").read_text()
