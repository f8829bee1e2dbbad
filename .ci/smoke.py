"""Smoke request against a running registry: log in as the demo user, see the demo patients."""

import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path: str) -> str:
    with opener.open(base + path, timeout=30) as response:
        return response.read().decode()


login_page = get("/admin/login/")
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
form = urllib.parse.urlencode({
    "csrfmiddlewaretoken": token, "username": "demo", "password": "demo-registry",
    "next": "/admin/patients/patient/",
}).encode()
request = urllib.request.Request(base + "/admin/login/", data=form,
                                 headers={"Referer": base + "/admin/login/"})
with opener.open(request, timeout=30) as response:
    page = response.read().decode()
missing = [code for code in ("MMN-001", "IGM-013", "IGG-004") if code not in page]
if missing:
    sys.exit(f"smoke: the admin patient list lacks {missing}")
print("smoke: demo login works and the admin lists the paper's patients")
