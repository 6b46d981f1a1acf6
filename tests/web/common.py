"""What every browser scenario shares: the service's address and the screenshot directory
from the command line, the demo logins, the API client, axe-core at both widths, logging in,
and a browser launched from Debian's chromium that gathers Content-Security-Policy
violations. A scenario (tests/web/<name>.py, listed in tests/api/web_browser.rs) imports
this module, runs its checks inside `with browser_page() as (browser, context, page):` and
calls `finish()` last, which prints the "ok" the Rust test waits for.
"""

import contextlib
import email
import email.policy
import json
import os
import re
import sys
import time
import urllib.request
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

BASE = sys.argv[1].rstrip("/")
SHOTS = Path(sys.argv[2])
SHOTS.mkdir(parents=True, exist_ok=True)

# The demo campus's logins (src/demo/campus.json).
DIRECTOR = ("directeur@demo.plateaux.test", "demo-directeur-2027")
MACHINING_MANAGER = ("responsable.usinage@demo.plateaux.test", "demo-usinage-2027")
ROBOTICS_MANAGER = ("responsable.robotique@demo.plateaux.test", "demo-robotique-2027")
TEACHER = ("enseignant.soudage@demo.plateaux.test", "demo-soudage-2027")
FIGEAC_TEACHER = ("enseignante.figeac@demo.plateaux.test", "demo-enseignante-2027")
COMPANY = ("contact@usinages-cele.demo.plateaux.test", "demo-usinages-cele-2027")
OTHER_COMPANY = ("contact@stratiforme.demo.plateaux.test", "demo-stratiforme-2027")
OBSERVER = ("copil@demo.plateaux.test", "demo-copil-2027")
GROUP = "Groupe du test navigateur"
# The administrator the test service was started with (tests/api/web_browser.rs).
ADMIN = ("navigateur@plateaux.test", "navigateur-admin-2027")
# Where the service writes its e-mails (it has no mail server), from tests/api/web_browser.rs.
MAIL_DIR = Path(os.environ["PLATEAUX_TEST_MAIL_DIR"])
WIDTHS = {"bureau": 1280, "mobile": 360}

axe = Axe()
csp_violations = []
# The page audits' failures, gathered so that one run reports them all.
audit_failures = []


def check(condition, message):
    if not condition:
        raise AssertionError(message)


def api(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(BASE + "/api/v1" + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request) as reply:
            return reply.status, json.loads(reply.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def token_of(who):
    status, tokens = api("POST", "/auth/login", body={"email": who[0], "password": who[1]})
    check(status == 200, f"API login of {who[0]}: {status} {tokens}")
    return tokens["access_token"]


def link_sent_to(address, kind, path):
    """The link (`path` followed by its token) of the latest message of `kind` to `address`:
    waits until the administrators' outbox says it is sent, then reads the .eml file the
    service wrote (the outbox never shows a message's content)."""
    admin = token_of(ADMIN)
    deadline = time.time() + 30
    while True:
        status, page = api("GET", f"/notifications?kind={kind}&recipient={address}", admin)
        check(status == 200, f"outbox: {status} {page}")
        if page["items"] and page["items"][0]["state"] == "sent":
            break
        check(time.time() < deadline, f"no {kind} message sent to {address}: {page}")
        time.sleep(0.2)
    found = []
    for file in MAIL_DIR.glob("*.eml"):
        message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
        if address not in str(message["To"]):
            continue
        text = message.get_body(preferencelist=("plain",)).get_content()
        for token in re.findall(re.escape(path) + r"([0-9a-f]{64})", text):
            found.append((file.stat().st_mtime, token))
    check(found, f"no {path} link in the e-mails to {address} under {MAIL_DIR}")
    return path + max(found)[1]


def audit(page, name):
    """axe-core at both widths: no serious or critical violation, no horizontal scroll at
    360 px; a screenshot of each, and the page's HTML beside them (`css_unchanged.py`
    renders it again under another style sheet)."""
    (SHOTS / f"{name}.html").write_text(page.content(), encoding="utf-8")
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(50)
        results = axe.run(page)
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if bad:
            audit_failures.append(f"axe on {name} at {width} px:\n" + "\n".join(bad))
        if width == 360:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                audit_failures.append(f"{name} scrolls horizontally at 360 px by {overflow} px")
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def log_in(page, who, then=None):
    page.goto(BASE + "/connexion" + (f"?suite={then}" if then else ""))
    page.get_by_label("Adresse e-mail").fill(who[0])
    page.get_by_label("Mot de passe").fill(who[1])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def send_twice(page, button):
    """The form of `button` sent twice at once, as a double click over a slow network sends
    it (chromium's own double click sends one: the second cancels the first before it
    leaves): two POSTs of the same fields, each following its redirect; then the page
    opens where the first led. Answers the two replies' (status, address)."""
    replies = button.evaluate("""async (button) => {
        const form = button.form;
        const body = new URLSearchParams(new FormData(form, button));
        const send = () => fetch(form.action, { method: "POST", body, credentials: "same-origin" });
        const replies = await Promise.all([send(), send()]);
        return replies.map((r) => [r.status, r.url]);
    }""")
    page.goto(replies[0][1])
    return [tuple(r) for r in replies]


def nav_links(page):
    return page.get_by_role("navigation", name="Navigation principale").get_by_role("link").all_inner_texts()


@contextlib.contextmanager
def browser_page():
    """Debian's chromium (never a downloaded one), French, 1280 px wide; Content-Security-
    Policy violations reported on the console are gathered for `finish`."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on(
            "console",
            lambda m: csp_violations.append(m.text)
            if "Content Security Policy" in m.text
            else None,
        )
        try:
            yield browser, context, page
        finally:
            browser.close()


def finish():
    """The audits' failures and the CSP violations of the whole run, then "ok"."""
    check(not audit_failures, "\n".join(audit_failures))
    check(not csp_violations, f"Content-Security-Policy violations: {csp_violations}")
    print("ok")

