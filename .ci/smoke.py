"""Smoke requests against a running registry: the demo login reaches the clinician pages,
the admin and the API, and the paper's patients are there with computed outcomes."""

import http.cookiejar
import json
import re
import sys
import urllib.parse
import urllib.request

base = sys.argv[1].rstrip("/")
jar = http.cookiejar.CookieJar()
opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def get(path: str, headers: dict | None = None) -> str:
    request = urllib.request.Request(base + path, headers=headers or {})
    with opener.open(request, timeout=30) as response:
        return response.read().decode()


def post(path: str, data: bytes, headers: dict) -> str:
    request = urllib.request.Request(base + path, data=data, headers=headers)
    with opener.open(request, timeout=30) as response:
        return response.read().decode()


def fail(message: str) -> None:
    sys.exit(f"smoke: {message}")


login_page = get("/accounts/login/")
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
form = urllib.parse.urlencode({
    "csrfmiddlewaretoken": token, "username": "demo", "password": "demo-registry",
    "next": "/patients/",
}).encode()
page = post("/accounts/login/", form, {"Referer": base + "/accounts/login/"})
missing = [code for code in ("MMN-001", "IGM-001") if code not in page]
if missing:
    fail(f"the patient list after signing in lacks {missing}")

admin = get("/admin/patients/patient/?q=IGG-004")
if "IGG-004" not in admin:
    fail("the admin patient list lacks IGG-004")

reports = get("/reports/")
if "initial response dramatic in 3/6" not in reports:
    fail("the reports page does not reproduce Table 1's '3/6 dramatic'")

credentials = json.dumps({"username": "demo", "password": "demo-registry"}).encode()
api_token = json.loads(post("/api/v1/auth/token/", credentials,
                            {"Content-Type": "application/json"}))["token"]
auth = {"Authorization": f"Token {api_token}"}
patients = json.loads(get("/api/v1/patients/?diagnosis=mmn", auth))
if patients["count"] != 6:
    fail(f"the API lists {patients['count']} MMN patients, not 6")
first = patients["results"][0]
if not all(patient["affected_nerves"] for patient in patients["results"]):
    fail("the API lists MMN patients without their affected nerves (nested rows on SQLite)")
outcome = json.loads(get(f"/api/v1/patients/{first['id']}/outcome/", auth))
if outcome["stale"] or outcome["initial_response"] is None:
    fail(f"the outcome of {first['code']} was not computed: {outcome}")
print("smoke: demo login works; pages, admin, reports and API serve the paper's patients")
