"""Drives a running Chuishao with real Open311 clients from the Python package index.

Usage: python clients.py BASE_URL API_KEY
  BASE_URL  e.g. http://127.0.0.1:8080/open311/v2
  API_KEY   an integrator's API token (chuishao users create-token integrator)

`georeport` is exercised in JSON and XML; `three` in JSON, including POST. `three` 0.8.0 is
Python 2 code: its JSON path needs only `itertools.ifilter`, which we provide as the builtin
`filter` before importing it (its XML path indexes `dict.keys()` and cannot run on Python 3).
`three` also posts a `media` file (multipart), which must come back as a cleaned JPEG.
"""

import io
import itertools
import struct
import sys
import urllib.request
import zlib

from georeport import GeoReport

itertools.ifilter = filter  # three 0.8.0 imports this Python 2 name
from three import Three  # noqa: E402

checks = 0


def tiny_png(width=8, height=6):
    """A grey PNG written by hand (no imaging library needed)."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x80\x80\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def check(cond, what):
    global checks
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    checks += 1


def main(base, key):
    # georeport, JSON
    g = GeoReport(base, api_key=key)
    services = g.get_service_list()
    check(isinstance(services, list) and len(services) > 50, "georeport json: services list")
    codes = {s["service_code"] for s in services}
    check("E0101" in codes, "georeport json: E0101 offered")
    d = g.get_service_definition("E0101")
    check(d["service_code"] == "E0101" and d["attributes"][0]["code"] == "HAZARD", "georeport json: definition")
    reqs = g.get_service_requests(service_code="E0101", status="open")
    check(isinstance(reqs, list), "georeport json: requests list")
    check(all(r["service_code"] == "E0101" and r["status"] == "open" for r in reqs), "georeport json: filters hold")
    if reqs:
        one = g.get_service_request(reqs[0]["service_request_id"])
        check(one["service_request_id"] == reqs[0]["service_request_id"], "georeport json: one request")

    # georeport, XML
    gx = GeoReport(base, api_key=key, output_format="xml")
    xs = gx.get_service_list()
    check(isinstance(xs, list) and any(s["service_code"] == "E0101" for s in xs), "georeport xml: services")
    xd = gx.get_service_definition("E0101")
    check(xd["service_code"] == "E0101", "georeport xml: definition")
    attrs = xd["attributes"]["attribute"]
    check([a["code"] for a in attrs] == ["HAZARD", "LANDMARK"], "georeport xml: attributes")

    # three, JSON, including POST
    t = Three(base + "/", api_key=key, format="json")
    ts = t.services()
    check(any(s["service_code"] == "E0101" for s in ts), "three: services")
    check(t.services("E0101")["service_code"] == "E0101", "three: definition")
    created = t.post("E0101", address="樱花园社区东门", description="垃圾桶满溢 (three)", lat="39.974", long="116.396",
                     **{"attribute[HAZARD]": "no"})
    check(t.post_response.status_code == 201, f"three: POST status {t.post_response.status_code} {created}")
    check(isinstance(created, list) and len(created) == 1, "three: POST answers a one-element array")
    sid = created[0]["service_request_id"]
    got = t.request(sid)
    check(got[0]["service_request_id"] == sid and got[0]["description"] == "垃圾桶满溢 (three)", "three: the new request")
    check(got[0]["status"] == "open" and got[0]["service_code"] == "E0101", "three: status and service")
    listed = t.requests("E0101")
    check(any(r["service_request_id"] == sid for r in listed), "three: listed by service code")
    check(t.token(sid)[0]["service_request_id"] == sid, "three: token")
    refused = Three(base + "/", api_key="csk_wrong", format="json").post("E0101", address="x", description="y")
    check(isinstance(refused, list) and refused[0]["code"] == 403, f"three: bad key refused {refused}")
    bad = t.post("Z9999", address="x", description="y")
    check(bad[0]["code"] == 400, "three: unknown service refused")

    # three, POST with a media file: cleaned, stored, served back as media_url
    photo = t.post("E0101", description="井盖缺失 (three, photo)", lat="39.974", long="116.396",
                   media=io.BytesIO(tiny_png()))
    check(t.post_response.status_code == 201, f"three: POST with media {t.post_response.status_code} {photo}")
    media_url = t.request(photo[0]["service_request_id"])[0]["media_url"]
    origin = base.rsplit("/open311/", 1)[0]
    check(media_url.startswith(origin + "/photos/"), f"three: media_url is our cleaned photo {media_url}")
    with urllib.request.urlopen(media_url) as r:
        check(r.headers["Content-Type"] == "image/jpeg" and r.read(3) == b"\xff\xd8\xff", "three: photo is a JPEG")
    evil = t.post("E0101", description="x", lat="39.974", long="116.396", media=io.BytesIO(b"<script>alert(1)</script>"))
    check(isinstance(evil, list) and evil[0]["code"] == 400, f"three: a script as media refused {evil}")

    # georeport sees the request three filed, in both formats
    check(g.get_service_request(sid)["service_request_id"] == sid, "georeport json: sees three's request")
    check(gx.get_service_request(sid)["service_request_id"] == sid, "georeport xml: sees three's request")
    print(f"open311 clients: {checks} checks passed (georeport json+xml, three json)")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
