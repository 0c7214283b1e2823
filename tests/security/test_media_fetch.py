"""Evidence media (issue 22, items 9 and 12): fetched only from this account's media on Twilio's API,
never with the credentials anywhere else, nor through a redirect off Twilio's media hosts; kept
only as re-encoded images without their metadata; deleted at Twilio once fetched."""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.cases.models import ReportMedia
from tests.reports.chat import file_report
from tests.support.images import GPS, MODEL, phone_photo
from tests.support.services import free_port, wait_until

WORKER = "+15195550166"


class Elsewhere:
    """A server that is not Twilio (inside the network, or the attacker's): records what reaches it."""

    def __init__(self):
        self.requests: list[dict[str, str]] = []
        self._server = make_server("127.0.0.1", free_port(), self._wsgi, threaded=True)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def _wsgi(self, environ, start_response):
        self.requests.append(dict(Request(environ).headers))
        return Response(phone_photo(), mimetype="image/jpeg")(environ, start_response)

    def close(self) -> None:
        self._server.shutdown()


@pytest.fixture
def elsewhere():
    server = Elsewhere()
    yield server
    server.close()


def _media(bot) -> list[ReportMedia]:
    with bot.runtime.db.session() as session:
        return session.scalars(select(ReportMedia)).all()


def test_a_photos_gps_and_device_metadata_are_not_kept(make_bot, database_url, twilio):
    bot = make_bot(database_url)
    url = twilio.add_media("photo", phone_photo((120, 80)), "image/jpeg")
    file_report(bot, WORKER, "es", media=[(url, "image/jpeg")])
    [media] = _media(bot)
    with bot.runtime.db.session() as session:
        kept = bot.runtime.envelope.get_bytes(session, media, "data_enc")
    image = Image.open(io.BytesIO(kept))
    assert media.status == "stored" and image.size == (120, 80)
    assert dict(image.getexif()) == {} and image.getexif().get_ifd(0x8825) == {}
    assert MODEL.encode() not in kept and str(GPS[2][0]).encode() not in kept
    # Fetched: Twilio's copy of the item is deleted.
    media_sid = url.rsplit("/", 1)[1]
    wait_until(
        lambda: any(d.media_sid == media_sid and d.status_code == 204 for d in twilio.deletions),
        10,
        "the media's DELETE",
    )


@pytest.mark.parametrize(
    "content, claimed",
    [
        (b"%PDF-1.4 a contract with the worker's name", "application/pdf"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "image/jpeg"),
        (phone_photo(fmt="TIFF"), "image/jpeg"),  # an image, of a type outside the allow-list
    ],
)
def test_media_outside_the_allowed_image_types_is_refused(
    make_bot, sqlite_url, twilio, content, claimed
):
    bot = make_bot(sqlite_url)
    url = twilio.add_media("doc", content, claimed)
    file_report(bot, WORKER, "es", media=[(url, claimed)])
    [media] = _media(bot)
    assert (media.status, media.data_enc, media.url_enc) == ("failed", None, None)


def test_media_urls_off_twilio_are_never_fetched(make_bot, sqlite_url, twilio, elsewhere):
    bot = make_bot(sqlite_url)
    theirs = twilio.add_media("theirs", phone_photo(), "image/jpeg").replace(
        twilio.account_sid, "AC" + "9" * 32
    )  # another account's media on Twilio
    urls = [
        f"{elsewhere.url}/2010-04-01/Accounts/{twilio.account_sid}/Messages/MM1/Media/ME1",
        f"{twilio.url}/webhooks/../_control/messages",
        theirs,
    ]
    file_report(bot, WORKER, "es", media=[(url, "image/jpeg") for url in urls])
    assert [m.status for m in _media(bot)] == ["failed"] * 3
    assert elsewhere.requests == []  # no request, so no credentials, left for another host


def test_a_redirect_off_twilios_media_hosts_is_not_followed(
    make_bot, sqlite_url, twilio, elsewhere
):
    bot = make_bot(sqlite_url)
    url = twilio.add_media("moved", phone_photo(), "image/jpeg")
    twilio.redirect_media(url, f"{elsewhere.url}/latest/meta-data/iam")
    file_report(bot, WORKER, "es", media=[(url, "image/jpeg")])
    assert [m.status for m in _media(bot)] == ["failed"]
    assert elsewhere.requests == []


def test_a_plain_http_media_url_is_refused_in_front_of_twilios_real_api(
    make_bot, sqlite_url, twilio
):
    from bot.channels.twilio.gateway import check_media_url
    from bot.errors import SendError

    settings = make_bot(sqlite_url).runtime.settings.twilio.model_copy(
        update={"api_base_url": None}
    )
    path = f"/2010-04-01/Accounts/{settings.account_sid}/Messages/MM1/Media/ME1"
    assert check_media_url(f"https://api.twilio.com{path}", settings) == ("MM1", "ME1")
    for bad in (
        f"http://api.twilio.com{path}",
        f"https://api.twilio.com.evil.example{path}",
        f"https://api.twilio.com{path}?x=1",
        f"https://user@api.twilio.com:8443{path}",
    ):
        with pytest.raises(SendError):
            check_media_url(bad, settings)
