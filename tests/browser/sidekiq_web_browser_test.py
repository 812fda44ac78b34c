#!/usr/bin/python3
"""Sidekiq's own Web UI (scripts/sidekiq-web) on our Redis, in a real headless browser.

argv: fibtastic-worker fibtastic-web fibtastic-mailsink scripts/sidekiq-web. Starts redis-server
(with a password, which must never show), the mail sink, our worker (1 s heartbeat), our web in
background mode and scripts/sidekiq-web, all on free loopback ports. Then, in chromium:
- Busy lists our worker process, and the job it is running while a slow email is sent;
- Retries shows the jobs our worker put there while the mail provider failed (error, count);
- Retry Now makes our worker deliver the job (the email arrives), Kill moves one to Dead, from
  where Dead's Retry Now delivers it too, and Delete removes one for good (never run again);
- a request naming another Host, or a POST without the session's CSRF token, gets 403;
- Quiet stops our worker fetching (a new job waits in Queues), Stop makes it exit cleanly;
- no console errors on any page. Screenshots: busy.png, retries.png, dead.png, queues.png.
Exit 77 (ctest: skipped) only when chromium, chromedriver or selenium is absent.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from fib_browser import (SKIP, available, browser, check, console_errors, free_port, port_open,
                         screenshot, stop, wait_until)

try:
    from selenium.webdriver.common.by import By
except ImportError:
    By = None

PASSWORD = "sidekiq-web-secret-7f3a"


class Stack:
    """The real processes, each on a free loopback port; stops them all on close()."""

    def __init__(self, worker_bin, web_bin, sink_bin, sidekiq_web, tmp):
        self.tmp = tmp
        self.processes = []
        self.redis_port, self.smtp_port, self.inbox_port = free_port(), free_port(), free_port()
        self.web_port, self.ui_port = free_port(), free_port()
        self.redis_url = "redis://:%s@127.0.0.1:%d/0" % (PASSWORD, self.redis_port)
        env = dict(os.environ, REDIS_URL=self.redis_url)
        self.redis = self.spawn("redis", ["redis-server", "--port", str(self.redis_port),
                                          "--bind", "127.0.0.1", "--requirepass", PASSWORD,
                                          "--save", "", "--appendonly", "no", "--dir", tmp])
        self.sink = self.spawn("sink", [sink_bin, "--smtp-port", str(self.smtp_port),
                                        "--http-port", str(self.inbox_port)])
        check(wait_until(lambda: port_open(self.redis_port) and port_open(self.inbox_port), 10),
              "redis-server and the mail sink are up")
        self.worker = self.spawn("worker", [
            worker_bin, "-c", "2", "--smtp-url",
            "smtp://127.0.0.1:%d" % self.smtp_port, "--heartbeat-interval-s", "1",
            "--poll-interval-s", "1", "--retry-delay-scale", "10"], env)
        self.web = self.spawn("web", [web_bin, "--mode", "background", "--port",
                                      str(self.web_port)], env)
        self.ui = self.spawn("sidekiq-web", [sidekiq_web, "--port", str(self.ui_port)], env)
        check(wait_until(lambda: port_open(self.web_port) and port_open(self.ui_port), 20),
              "our web and scripts/sidekiq-web accept connections")
        self.base = "http://127.0.0.1:%d/" % self.ui_port

    def spawn(self, name, argv, env=None):
        log = open(os.path.join(self.tmp, name + ".log"), "wb")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
        self.processes.append((name, process))
        return process

    def log(self, name):
        with open(os.path.join(self.tmp, name + ".log"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def enqueue(self, email, length=5):
        """POST /sequences to our web (background): returns the job's jid."""
        data = urllib.parse.urlencode({"email": email, "sequence_length": length}).encode()
        request = urllib.request.Request("http://127.0.0.1:%d/sequences" % self.web_port, data,
                                         {"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)["jid"]

    def chaos(self, document):
        """Sets the mail sink's provider behaviour (docs/mail-sink.md); None = normal."""
        url = "http://127.0.0.1:%d/api/chaos" % self.inbox_port
        if document is None:
            request = urllib.request.Request(url, method="DELETE")
        else:
            request = urllib.request.Request(url, json.dumps(document).encode(), method="PUT",
                                             headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()

    def mailed_jids(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/messages" % self.inbox_port,
                                    timeout=5) as response:
            return [m["headers"].get("X-Job-Id") for m in json.load(response)]

    def redis_cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.redis_port), "--no-auth-warning",
                               "-a", PASSWORD] + list(args), capture_output=True, text=True,
                              timeout=5, check=True).stdout

    def close(self):
        for _, process in reversed(self.processes):
            stop(process)


def page(driver, stack, path):
    driver.get(stack.base + path)
    return driver.page_source


def reload_until(driver, stack, path, predicate, timeout_s):
    return wait_until(lambda: predicate(page(driver, stack, path)), timeout_s, 0.25)


def busy_page(driver, stack, identity):
    check(reload_until(driver, stack, "busy", lambda html: identity in html, 5),
          "Busy lists our worker's process")
    rows = driver.find_elements(By.CSS_SELECTOR, "table.processes tr")
    text = " ".join(r.text for r in rows)
    check("fibtastic-worker" in text and "default" in text,
          "with its tag and queues: %r" % text)
    stack.chaos({"latency": {"ms": 4000}})  # a slow provider: the job runs for 4 s
    jid = stack.enqueue("slow@example.com", 12)
    check(reload_until(driver, stack, "busy", lambda html: jid in html, 4),
          "Busy shows the job our worker is running (jid %s)" % jid)
    job_row = driver.find_element(By.CSS_SELECTOR, "table.workers").text
    check("SequenceEmailWorker" in job_row and "slow@example.com" in job_row,
          "with its class and arguments: %r" % job_row)
    driver.execute_script("arguments[0].scrollIntoView()",
                          driver.find_element(By.CSS_SELECTOR, "table.processes"))
    screenshot(driver, "busy")
    check(wait_until(lambda: jid in stack.mailed_jids(), 10, 0.1), "the slow email arrived")
    check(reload_until(driver, stack, "busy", lambda html: jid not in html, 4),
          "and the job left Busy once it finished")
    stack.chaos(None)


def retry_key(driver, jid):
    boxes = driver.find_elements(By.CSS_SELECTOR, "input[name='key[]'][value$='-%s']" % jid)
    return boxes[0] if boxes else None


def click_on(driver, jid, button):
    """Ticks the row of job `jid` and presses the form's button named `button`."""
    retry_key(driver, jid).click()
    driver.find_element(By.CSS_SELECTOR, "input[type=submit][name=%s]" % button).click()


def retries_page(driver, stack):
    stack.chaos({"mail": {"code": 451}})  # the provider refuses every message
    jids = {name: stack.enqueue(name + "@example.com") for name in ("again", "kill", "delete")}
    check(reload_until(driver, stack, "retries",
                       lambda html: all(j in html for j in jids.values()), 10),
          "Retries shows the 3 jobs our worker put in the retry set")
    table = driver.find_element(By.CSS_SELECTOR, "table").text
    check("SmtpError" in table and "451" in table, "with their error class and message")
    counts = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table tr td:nth-child(3)")]
    check(counts == ["0", "0", "0"], "and retry count 0: %r" % counts)
    screenshot(driver, "retries")
    stack.chaos(None)
    click_on(driver, jids["again"], "retry")
    check(wait_until(lambda: jids["again"] in stack.mailed_jids(), 10, 0.1),
          "Retry Now: our worker ran the job and its email arrived")
    page(driver, stack, "retries")
    click_on(driver, jids["kill"], "kill")
    page(driver, stack, "retries")
    click_on(driver, jids["delete"], "delete")
    html = page(driver, stack, "retries")
    check(jids["kill"] not in html and jids["delete"] not in html,
          "Kill and Delete took their jobs out of Retries")
    html = page(driver, stack, "morgue")
    check(jids["kill"] in html and jids["delete"] not in html,
          "Dead shows the killed job, not the deleted one")
    screenshot(driver, "dead")
    time.sleep(2)  # two polls of our worker: a job still in a set would move now
    check(jids["kill"] not in stack.mailed_jids(), "the killed job was not run")
    click_on(driver, jids["kill"], "retry")
    check(wait_until(lambda: jids["kill"] in stack.mailed_jids(), 10, 0.1),
          "Dead's Retry Now: our worker ran the killed job and its email arrived")
    worker_log = stack.log("worker")
    check(jids["delete"] not in stack.mailed_jids() and worker_log.count(jids["delete"]) == 1,
          "the deleted job never ran again (one failed run in the worker's log)")


def status_of(request):
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def cross_site(stack):
    """A page on another site can neither read the UI (DNS rebinding) nor press its buttons."""
    foreign = urllib.request.Request(stack.base + "busy", headers={"Host": "evil.example"})
    check(status_of(foreign) == 403, "a request naming another Host gets 403")
    identities = stack.redis_cli("SMEMBERS", "processes").split()
    forged = urllib.request.Request(stack.base + "busy", urllib.parse.urlencode(
        {"identity": identities[0], "stop": "1"}).encode())
    check(status_of(forged) == 403, "a Stop without the session's CSRF token gets 403")
    time.sleep(1.5)  # our worker beats every second: a signal sent would be obeyed by now
    check(stack.worker.poll() is None, "and our worker kept running")


def quiet_and_stop(driver, stack, identity):
    page(driver, stack, "busy")
    driver.find_element(By.CSS_SELECTOR, "table.processes button[name=quiet]").click()
    check(reload_until(driver, stack, "busy", lambda html: "label-danger\">quiet" in html, 5),
          "Quiet: Busy marks our worker quiet")
    jid = stack.enqueue("quiet@example.com")
    time.sleep(2)
    html = page(driver, stack, "queues")
    cells = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "table.queues tr td")]
    check(cells[:2] == ["default", "1"], "the quiet worker fetched nothing: Queues %r" % cells)
    screenshot(driver, "queues")
    check(jid not in stack.mailed_jids(), "and ran nothing")
    page(driver, stack, "busy")
    driver.find_element(By.CSS_SELECTOR, "table.processes button[name=stop]").click()
    try:
        code = stack.worker.wait(10)
    except subprocess.TimeoutExpired:
        code = None
    check(code == 0, "Stop: our worker exited cleanly (exit code %r)" % code)
    check(reload_until(driver, stack, "busy", lambda html: identity not in html, 3),
          "and left Busy")
    return html


def no_secret(driver, stack):
    pages = "".join(page(driver, stack, p) for p in ("", "busy", "queues", "retries", "morgue"))
    check(PASSWORD not in pages and PASSWORD not in stack.log("sidekiq-web"),
          "the Redis password is on no page and in no output of scripts/sidekiq-web")


def main():
    if not available():
        return SKIP
    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="fibtastic-sidekiq-web-")
    stack, driver = None, None
    try:
        stack = Stack(*sys.argv[1:5], tmp)
        driver = browser(os.path.join(tmp, "profile"))
        identity = "%s:%d" % (os.uname().nodename, stack.worker.pid)
        busy_page(driver, stack, identity)
        retries_page(driver, stack)
        cross_site(stack)
        quiet_and_stop(driver, stack, identity)
        no_secret(driver, stack)
        errors = console_errors(driver)
        check(not errors, "no console errors: %s" % errors)
        stack.ui.terminate()
        check(stack.ui.wait(10) == 0, "scripts/sidekiq-web exits 0 on SIGTERM")
        print("sidekiq web browser test: %.1f s" % (time.monotonic() - started))
        return 0
    except AssertionError as failure:
        print("FAILED:", failure)
        if stack:
            for name in ("worker", "sidekiq-web"):
                print("---- %s log (tail) ----\n%s" % (name, stack.log(name)[-3000:]))
        return 1
    finally:
        if driver is not None:
            driver.quit()
        if stack is not None:
            stack.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
