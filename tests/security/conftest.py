"""The portal's fixtures (organizations, staff, cases) for the tests that attack the portal."""

from tests.portal.conftest import mail, make_portal, portal  # noqa: F401
