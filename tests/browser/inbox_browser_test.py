#!/usr/bin/python3
"""The live inbox in a real headless browser (Debian's chromium + chromedriver + selenium).

Starts the real fibtastic-mailsink (argv[1]) on free loopback ports, opens its inbox page, sends
a mail over SMTP and checks that the page shows it within 1 s without a reload, with the time
from its request (X-Request-Start) to the mail, and that the page's script ran under the CSP
(no violations). Then checks that an HTML email cannot load a remote image, in the message page's
preview frame or at /messages/ID.html. Exit 77 (ctest: skipped) only when chromium, chromedriver
or selenium is absent; scripts/install-deps installs them.
"""
import http.server
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from email.message import EmailMessage

from fib_browser import (SKIP, available, browser, check, free_port, port_open, stop,
                         wait_until)

try:
    from selenium.webdriver.common.by import By
except ImportError:
    By = None


class PixelCounter(http.server.BaseHTTPRequestHandler):
    """A 'remote' image server: counts every request it gets."""
    hits = 0

    def do_GET(self):  # noqa: N802 (http.server's name)
        PixelCounter.hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "image/gif")
        self.end_headers()

    def log_message(self, *args):
        pass


def send(smtp_port, subject, html=None, headers=None):
    message = EmailMessage()
    message["From"] = "browser@example.com"
    message["To"] = "student@example.com"
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    if html:
        message.set_content(html, subtype="html")
    else:
        message.set_content("hello")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
        smtp.send_message(message)


def live_inbox(driver, base, smtp_port):
    driver.get(base + "/")
    check(wait_until(lambda: driver.find_element(By.ID, "live").text == "live", 5),
          "the inbox page's script connected to /events")
    start_ms = int(time.time() * 1000) - 250  # the request arrived 250 ms before the mail
    sent = time.monotonic()
    send(smtp_port, "live one", headers={"X-Request-Id": "browser-1",
                                         "X-Request-Start": str(start_ms)})
    row = wait_until(lambda: driver.find_elements(By.ID, "m1"), 1.0, 0.005)
    seconds = time.monotonic() - sent
    check(row, "the new mail is on the page within 1 s without a reload (%.0f ms)"
          % (seconds * 1000))
    cells = [c.text for c in row[0].find_elements(By.TAG_NAME, "td")]
    check(cells[3] == "live one", "its subject is shown: %r" % cells[3])
    request_to_mail = int(cells[4].split()[0])
    check(250 <= request_to_mail < 5000, "request to mail shown: %r" % cells[4])
    return seconds


def no_remote_image(driver, base, smtp_port):
    pixel_port = free_port()
    server = http.server.HTTPServer(("127.0.0.1", pixel_port), PixelCounter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/pixel.gif" % pixel_port
    send(smtp_port, "pixel", html='<p>hi</p><img src="%s">' % url)
    urllib.request.urlopen(url).read()  # the counter works: 1 hit from us
    for path in ("/messages/2/view", "/messages/2.html"):
        driver.get(base + path)
        time.sleep(0.3)
    check(PixelCounter.hits == 1, "the email's remote image was never fetched by the browser")
    server.shutdown()


def csp_violations(driver):
    try:
        logs = driver.get_log("browser")
    except Exception:  # noqa: BLE001 (the log is a best-effort extra)
        return []
    # The blocked pixel is expected; anything else (e.g. our own script refused) is a failure.
    return [entry["message"] for entry in logs
            if "Content Security Policy" in entry["message"] and "pixel.gif" not in entry["message"]]


def main():
    if not available():
        return SKIP
    sink_binary = sys.argv[1]
    smtp_port, http_port = free_port(), free_port()
    profile_dir = tempfile.mkdtemp(prefix="fibtastic-chromium-")
    sink = subprocess.Popen([sink_binary, "--smtp-port", str(smtp_port), "--http-port",
                             str(http_port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    driver = None
    try:
        check(wait_until(lambda: port_open(http_port) and port_open(smtp_port), 10),
              "the mail sink is up")
        driver = browser(profile_dir)
        base = "http://127.0.0.1:%d" % http_port
        seconds = live_inbox(driver, base, smtp_port)
        violations = csp_violations(driver)
        check(not violations, "no CSP violation on the inbox page: %s" % violations)
        no_remote_image(driver, base, smtp_port)
        print("live inbox: new mail shown %.0f ms after the SMTP send began" % (seconds * 1000))
        return 0
    except AssertionError as failure:
        print("FAILED:", failure)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        stop(sink)
        shutil.rmtree(profile_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
