"""The admin API for utilities and aggregators: JSON over TLS, bearer tokens, audited.

``create_admin_app`` builds the quart app; ``routes`` is the route table the app and the
OpenAPI document are both made from; ``tokens`` issues and checks bearer tokens; ``cli``
is ``openderms admin ...``.
"""
