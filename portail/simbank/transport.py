"""How the simulated bank calls the merchant server to server: a form POST
with a short timeout. The tests replace `post` so the call goes through
Django's test client instead of the network."""

import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 10  # seconds: the parent waits on the bank's page meanwhile


def post(url: str, data: dict[str, str], timeout: float = TIMEOUT) -> tuple[int, bytes]:
    """(HTTP status, body) of a form POST to `url`."""
    request = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (a signed URL of the merchant)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
