"""Security headers on every response."""
from flask import request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# What a browser applies a policy to: pages, SVG opened on its own, and the service
# worker, which takes its policy from its own script. A page's scripts, stylesheets,
# pictures and JSON need none, and the page-only headers below mean nothing on them
# either: sent with every file, they would weigh on a slow first visit.
ACTIVE_TYPES = frozenset({"text/html", "image/svg+xml"})
WORKER_SCRIPT = "/sw.js"


def register_security_headers(app):
    """Add the CSP and friends to every response."""

    @app.after_request
    def add_security_headers(response):
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype in ACTIVE_TYPES or request.path == WORKER_SCRIPT:
            headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if response.mimetype == "text/html":
            headers.setdefault("X-Frame-Options", "DENY")
            headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
            headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if response.mimetype == "text/html":
            # Personal pages must not be kept in shared or back-button caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
