#!/usr/bin/env python3
"""Browser check of the control centre with headless Chromium (issue 10).

Drives a real Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe:
no WebSocket library needed): signs in with an operator token, loads the dashboard and
the review queue, checks they show the central's data, confirms the selected case by
pressing `c`, checks through the API that the case left the queue, and saves screenshots.

usage: dashboard_check.py BASE_URL OPERATOR_TOKEN SCREENSHOT_DIR
Exit 0 on success, 1 with a message on a failed check, 77 when Chromium is missing.
"""
import base64, fcntl, json, os, shutil, subprocess, sys, tempfile, time, urllib.request

def fail(message):
    print("FAIL: " + message)
    sys.exit(1)

def api(base, token, path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())

class Browser:
    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="bollard-chromium-")
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # Above 9, so that moving them onto 3 and 4 never closes one of them.
        for name in ("to_child_r", "from_child_w"):
            low = locals()[name]
            high = fcntl.fcntl(low, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(low)
            if name == "to_child_r":
                to_child_r = high
            else:
                from_child_w = high
        # Chromium reads commands on fd 3 and answers on fd 4; bash (dash refuses fds above 9) puts the pipes there.
        arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--remote-debugging-pipe", "--user-data-dir=" + self.profile, "--window-size=1400,900", "about:blank"]
        redirect = 'exec "$0" "$@" 3<&%d 4>&%d %d<&- %d>&-' % (to_child_r, from_child_w, to_child_r, from_child_w)
        self.process = subprocess.Popen(["bash", "-c", redirect, binary] + arguments, pass_fds=(to_child_r, from_child_w),
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_child_r)
        os.close(from_child_w)
        self.next_id = 0
        self.buffer = b""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def call(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self.to_child, json.dumps(message).encode() + b"\0")
        while True:
            while b"\0" not in self.buffer:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    fail("chromium closed its DevTools pipe")
                self.buffer += chunk
            raw, self.buffer = self.buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    fail("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def page(self, method, params=None):
        return self.call(method, params, self.session)

    def evaluate(self, expression):
        result = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return result.get("result", {}).get("value")

    def wait_for(self, expression, what, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                if self.evaluate(expression):
                    return
            except SystemExit:
                raise
            except Exception:
                pass
            time.sleep(0.1)
        fail("timed out waiting for " + what + "; page text: " + str(self.evaluate("document.body && document.body.innerText"))[:400])

    def open(self, url):
        self.page("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href.startsWith(%s)" % json.dumps(url.split("?")[0]), url)

    def screenshot(self, path):
        data = self.page("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as file:
            file.write(base64.b64decode(data))
        print("screenshot " + path)

    def key(self, character):
        for kind in ("keyDown", "keyUp"):
            params = {"type": kind, "key": character, "code": "Key" + character.upper(), "windowsVirtualKeyCode": ord(character.upper())}
            if kind == "keyDown":
                params["text"] = character
            self.page("Input.dispatchKeyEvent", params)

    def close(self):
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)

def main():
    base, token, shots = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if not binary:
        print("SKIP: chromium is not installed (Debian package chromium; make deps installs it)")
        sys.exit(77)
    os.makedirs(shots, exist_ok=True)
    # Demo data: wait until the gates have sent a case to review that may become a fine
    # (read by a camera or a video; generated reads can never be confirmed).
    deadline, waiting = time.time() + 90, []
    while time.time() < deadline:
        waiting = api(base, token, "/api/v1/reviews?state=open")["items"] + api(base, token, "/api/v1/violations?state=open")["items"]
        waiting = [item for item in waiting if item.get("source") in ("camera", "video")]
        if waiting:
            break
        time.sleep(0.5)
    if not waiting:
        fail("no open review or violation appeared within 90 s")
    gates = [gate["gate_id"] for gate in api(base, token, "/api/v1/gates")["gates"]]

    browser = Browser(binary)
    try:
        browser.open(base + "/login")
        browser.evaluate("document.querySelector('input[name=token]').value = %s; document.forms[0].submit(); true" % json.dumps(token))
        browser.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete'", "the dashboard after sign-in")
        text = browser.evaluate("document.body.innerText")
        missing = [gate for gate in gates if gate not in text]
        if missing or "<svg" not in browser.evaluate("document.body.innerHTML"):
            fail("the dashboard does not show gates %s or its chart" % missing)
        browser.screenshot(os.path.join(shots, "dashboard.png"))

        browser.open(base + "/queue?id=" + waiting[0]["id"])
        selected = browser.evaluate("(document.querySelector('#queue a.sel') || {}).dataset && document.querySelector('#queue a.sel').dataset.id")
        if not selected:
            fail("the review queue shows no selected case: " + str(browser.evaluate("document.body.innerText"))[:400])
        plate = browser.evaluate("document.getElementById('plate').innerText")
        detail = api(base, token, "/api/v1/violations/" + selected)
        expected = detail["event"]["plate"] or "(unreadable)"
        if plate != expected:
            fail("the review page shows plate %r, the API %r" % (plate, expected))
        browser.screenshot(os.path.join(shots, "queue.png"))

        if detail["event"]["plate"] is None:
            # An unreadable read is confirmed with the plate the operator typed.
            browser.evaluate("document.querySelector('#confirm input[name=plate]').value = '1234BCD'; true")
        browser.key("c")
        deadline = time.time() + 15
        while time.time() < deadline:
            state = api(base, token, "/api/v1/violations/" + selected)
            if state["event"]["state"] != "open":
                break
            time.sleep(0.2)
        if state["event"]["state"] == "open" or not state["actions"] or state["actions"][-1]["action"] != "confirm":
            fail("pressing c did not confirm %s: %s" % (selected, state["event"]["state"]))
        browser.wait_for("location.pathname === '/queue' && document.readyState === 'complete'", "the queue after confirming")
        browser.screenshot(os.path.join(shots, "after-confirm.png"))
        print("OK: dashboard shows %d gates; confirmed %s by keyboard (now %s)" % (len(gates), selected, state["event"]["state"]))
    finally:
        browser.close()

if __name__ == "__main__":
    main()
