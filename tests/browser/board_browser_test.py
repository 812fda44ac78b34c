#!/usr/bin/python3
"""The lesson board in a real headless browser (Debian's chromium + chromedriver + selenium).

Starts `DEMO_AUTO=1 DEMO_HOLD=1 scripts/demo` (argv[1]: the source dir, argv[2]: BIN_DIR), reads
the URLs it prints, and teaches the lesson from the board: the inline form answers after about
the job's cost; the background form answers at once and the email's arrival follows; 16 req/s for
5 s to background grows the queue; scaling to 2 workers shows two processes and drains it; the
provider down for 5 s grows the retry count, which returns to 0, and every email arrives. Then
checks that control requests from another origin — a real page in the browser, and a plain HTTP
client with a forged Origin or Host or without the token — are refused and change nothing. The
page is on the board's pushed stream (GET /api/events): a background email shows within ~1 s of
the sink storing it; a 9th concurrent stream gets 503 and a page that meets it polls until it
can stream again; SIGTERM with 8 streams open stops at once.
Screenshots of each step go to the test's output directory. Exit 77 only when chromium,
chromedriver or selenium is absent.
"""
import http.client
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from fib_browser import (SKIP, available, browser, check, console_errors, free_port,
                         screenshot, stop, wait_until)

try:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select
except ImportError:
    By = None


def start_demo(source_dir, bin_dir):
    env = dict(os.environ, DEMO_AUTO="1", DEMO_HOLD="1", DEMO_N="22", BIN_DIR=bin_dir)
    demo = subprocess.Popen([os.path.join(source_dir, "scripts/demo")], cwd=source_dir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    urls, lines = {}, []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.match(r"^(lesson board|inbox|sidekiq web): (\S+)", line)
        if match:
            urls[match.group(1)] = match.group(2)
        if "holding the stack" in line:
            demo.lines = lines  # the rest of its output, read by sigterm_stops_everything

            def drain():
                for rest in demo.stdout:
                    lines.append(rest)
            threading.Thread(target=drain, daemon=True).start()  # drain the pipe
            return demo, urls
    raise AssertionError("scripts/demo did not reach its hold:\n" + "".join(lines))


def stop_demo(demo):
    if demo and demo.poll() is None:
        os.killpg(demo.pid, 15)
        try:
            demo.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, 9)


def descendants(pid):
    """Every live process below `pid` (by parent links in /proc)."""
    parents = {}
    for entry in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % entry) as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            if fields[0] != "Z":
                parents[int(entry)] = int(fields[1])
        except (ValueError, OSError, IndexError):
            continue
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for child, its_parent in parents.items():
            if its_parent == parent and child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def open_stream(board_url, host=None):
    """GET /api/events on its own connection: (status, connection); a 200's stays open."""
    address = board_url.split("/")[2]
    connection = http.client.HTTPConnection(address, timeout=5)
    connection.request("GET", "/api/events", headers={"Host": host or address})
    reply = connection.getresponse()
    if reply.status != 200:
        reply.read()
    return reply.status, connection


def event_streams(driver, board_url):
    """The stream cap and the page's fallback: 8 streams open and the 9th gets 503; a foreign Host
    is refused as on every endpoint; a page that finds the streams full polls (its panel stays
    live) and is back on a stream within seconds of one closing. Returns the open streams
    (SIGTERM is sent with them and the page's)."""
    driver.get("about:blank")
    time.sleep(0.6)  # the page's stream ends at its next write (a sample, 250 ms)
    status, foreign = open_stream(board_url, host="evil.example")
    foreign.close()
    check(status == 403, "GET /api/events with a foreign Host is refused (%d)" % status)
    opened = []
    for _ in range(12):
        status, connection = open_stream(board_url)
        if status != 200:
            connection.close()
            break
        opened.append(connection)
    check(status == 503 and len(opened) == 8,
          "%d streams opened and the next got %d (cap 8, then 503)" % (len(opened), status))
    driver.get(board_url)
    check(wait_until(lambda: board_state(driver)["samples"] > 3, 10, 0.1) and
          not driver.execute_script("return window.board.streaming"),
          "with the streams full the page falls back to polling, and its panel stays live")
    opened.pop().close()
    check(wait_until(lambda: driver.execute_script(
              "return window.board.streaming && window.board.pushed > 0"), 10, 0.1),
          "once a stream closes the page resumes its own")
    return opened


def sigterm_stops_everything(demo, board_url, token):
    """SIGTERM to the demo script alone (as `kill PID` sends it), with a load run going and the
    board's event streams full: the demo exits within seconds and leaves nothing running (board,
    workers, webs, loadgen, redis...)."""
    code, text = post(board_url + "api/load", '{"variant":"background","rate_rps":2,'
                      '"duration_s":30}', {"Content-Type": "application/json",
                                           "X-Board-Token": token})
    check(code == 202, "a 30 s load run started before the stop: " + text[:80])
    time.sleep(0.5)
    before = descendants(demo.pid)
    started = time.monotonic()
    demo.send_signal(15)
    try:
        demo.wait(15)
    except subprocess.TimeoutExpired:
        pass
    took = time.monotonic() - started
    check(demo.poll() is not None and took < 10,
          "scripts/demo stopped %.1f s after SIGTERM (limit 10 s)" % took)
    killed = [line for line in demo.lines if "did not stop" in line]
    check(not killed, "every process stopped on SIGTERM by itself, none had to be killed: %s"
          % "".join(killed))
    left = wait_until(lambda: not [p for p in before if alive(p)], 5, 0.1)
    check(left, "none of the demo's %d processes is left running: %s"
          % (len(before), [p for p in before if alive(p)]))


def board_state(driver):
    return driver.execute_script("""
        const b = window.board, s = b.samples[b.samples.length - 1] || {};
        return {queue: s.queue, retry: s.retry, busy: s.busy, samples: b.samples.length,
                processes: (s.processes || []).length,
                workers: document.querySelectorAll('#ps li.worker').length};""")


def rows(driver, variant):
    return driver.execute_script("""
        return [...document.querySelectorAll('#%s-rows tr.row')].map((tr) => {
          const r = window.board.rows.get(tr.dataset.requestId);
          return {id: r.id, browser: r.browserMs, server: r.serverMs, status: r.status,
                  timing: r.serverTiming, email: r.mail ? r.mail.received_at_us / 1000 - r.sentAt : null,
                  cell: tr.querySelector('.email-ms').textContent};
        });""" % variant)


# Notes in the page when each row's email first shows (works with a pushed or a polled page).
WATCH_MAILS = """
    if (!window.mailWatch) window.mailWatch = setInterval(() => {
      for (const r of window.board.rows.values()) if (r.mail && !r.mailSeenMs) r.mailSeenMs = Date.now();
    }, 5);"""


def mail_latency(driver, request_id):
    """Milliseconds from the sink storing the row's email (its received_at) to the page showing
    its time, or None before it shows."""
    return driver.execute_script("""
        const r = window.board.rows.get(arguments[0]);
        return r && r.mailSeenMs ? r.mailSeenMs - r.mail.received_at_us / 1000 : null;""",
                                 request_id)


def submit(driver, variant, count_before):
    driver.find_element(By.CSS_SELECTOR, "#%s-form button" % variant).click()
    return wait_until(lambda: len(rows(driver, variant)) > count_before and
                      rows(driver, variant)[0]["browser"] is not None, 30, 0.05)


def lesson_forms(driver):
    submit(driver, "inline", 0)
    inline = rows(driver, "inline")[0]
    job = sum(m["ms"] for m in inline["timing"] if m["name"] == "job")
    print("inline: browser %.0f ms, server job %.0f ms" % (inline["browser"], job))
    check(inline["status"] == 200 and job > 50, "the inline form ran the job in the request")
    check(job <= inline["browser"] <= job + 1000,
          "the inline response time (%.0f ms) is about the job's cost (%.0f ms)"
          % (inline["browser"], job))
    driver.execute_script(WATCH_MAILS)
    submit(driver, "background", 0)
    arrived = wait_until(lambda: rows(driver, "background")[0]["email"], 30, 0.05)
    background = rows(driver, "background")[0]
    latency = wait_until(lambda: mail_latency(driver, background["id"]), 5, 0.05)
    print("background email shown %.0f ms after the sink stored it" % (latency or -1))
    check(driver.execute_script("return window.board.streaming && window.board.pushed > 0"),
          "the page is on the pushed stream (GET /api/events), not polling")
    check(latency is not None and latency < 1000,
          "the email's time showed within 1 s of the sink storing it (%s ms)" % latency)
    print("background: browser %.0f ms, email after %.0f ms"
          % (background["browser"], background["email"] or -1))
    check(background["browser"] < inline["browser"] / 2,
          "the background form answered fast (%.0f ms vs %.0f ms inline)"
          % (background["browser"], inline["browser"]))
    check(arrived and background["email"] > background["browser"] and
          re.search(r"[0-9]", background["cell"]),
          "the background email's arrival time shows after the response")
    driver.find_element(By.CSS_SELECTOR, "#background-rows tr.row").click()
    check("queue wait" in driver.find_element(By.ID, "waterfall-body").text,
          "a background row's waterfall shows the queue wait")
    driver.find_element(By.ID, "guess-bg-response").send_keys("500")
    driver.find_element(By.ID, "reveal-bg-response").click()
    check("measured" in driver.find_element(By.ID, "answer-bg-response").text,
          "predict, then reveal: guess vs measured")
    screenshot(driver, "1-forms")


def set_value(driver, element_id, value):
    element = driver.find_element(By.ID, element_id)
    element.clear()
    element.send_keys(str(value))


def load_and_scale(driver):
    set_value(driver, "load-rate", 16)
    set_value(driver, "load-duration", 5)
    Select(driver.find_element(By.ID, "load-variant")).select_by_visible_text("background")
    driver.find_element(By.ID, "load-go").click()
    grown = wait_until(lambda: (board_state(driver)["queue"] or 0) >= 15, 10, 0.1)
    check(grown, "16 req/s for 5 s to background grows the queue with 1 worker (queue %s)"
          % board_state(driver)["queue"])
    time.sleep(2)
    screenshot(driver, "2-queue-growing")
    peak = board_state(driver)["queue"]
    set_value(driver, "scale-n", 2)
    driver.find_element(By.ID, "scale-go").click()
    check(wait_until(lambda: board_state(driver)["workers"] == 2, 10, 0.1),
          "scaling to 2 lists two worker processes")
    check(wait_until(lambda: board_state(driver)["processes"] == 2, 10, 0.1),
          "both workers' heartbeats are in Sidekiq's process registry")
    time.sleep(1)
    screenshot(driver, "3-scaled-to-2")
    check(wait_until(lambda: board_state(driver)["queue"] == 0, 60, 0.2),
          "the queue (peak %s after 7 s) drains to 0 with two workers" % peak)
    check(wait_until(lambda: "p99" in driver.find_element(By.ID, "load-status").text, 20, 0.2),
          "the load run's p50/p99 show on the board")


def provider_down(driver):
    Select(driver.find_element(By.ID, "provider-mode")).select_by_visible_text("down")
    set_value(driver, "provider-for", 5)
    driver.find_element(By.ID, "provider-go").click()
    wait_until(lambda: "down" in driver.find_element(By.ID, "provider-status").text, 5, 0.05)
    before = len(rows(driver, "background"))
    for i in range(3):
        submit(driver, "background", before + i)
    check(wait_until(lambda: (board_state(driver)["retry"] or 0) > 0, 15, 0.1),
          "with the provider down the retry count grows (%s)" % board_state(driver)["retry"])
    screenshot(driver, "4-provider-down")
    check(wait_until(lambda: board_state(driver)["retry"] == 0 and
                     all(r["email"] for r in rows(driver, "background")[:3]), 60, 0.2),
          "the retries return to 0 and every email arrives")
    screenshot(driver, "5-all-delivered")


class Attacker(http.server.BaseHTTPRequestHandler):
    """Another site: its page tries to scale the board's workers."""
    board = ""

    def do_GET(self):  # noqa: N802
        script = """
          const results = [];
          async function attempt(name, init) {
            try { const r = await fetch('%s/api/scale', init); results.push(name + ':' + r.status); }
            catch (e) { results.push(name + ':blocked'); }
          }
          (async () => {
            await attempt('json', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                   body: '{"workers":5}'});
            await attempt('simple', {method: 'POST', mode: 'no-cors',
                                     headers: {'Content-Type': 'text/plain'}, body: '{"workers":5}'});
            document.title = 'done ' + results.join(' ');
          })();""" % Attacker.board.rstrip("/")
        body = ("<!doctype html><title>attacker</title><script>%s</script>" % script).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def post(url, body, headers):
    request = urllib.request.Request(url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def cross_origin(driver, board_url, token):
    Attacker.board = board_url
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        driver.get("http://127.0.0.1:%d/" % server.server_address[1])
        wait_until(lambda: driver.title.startswith("done"), 10, 0.05)
        print("attacker page:", driver.title)
        check(driver.title.startswith("done") and "json:blocked" in driver.title,
              "a page on another origin cannot send JSON to a control endpoint")
    finally:
        server.shutdown()
    scale = board_url + "api/scale"
    good = {"Content-Type": "application/json", "X-Board-Token": token}
    host = board_url.split("/")[2]
    for what, headers, body, status in [
            ("no token", {"Content-Type": "application/json"}, '{"workers":5}', 403),
            ("a wrong token", dict(good, **{"X-Board-Token": "0" * 32}), '{"workers":5}', 403),
            ("a forged Origin", dict(good, Origin="http://evil.example"), '{"workers":5}', 403),
            ("a foreign Host", dict(good, Host="evil.example:" + host.split(":")[1]),
             '{"workers":5}', 403),
            ("a form body", dict(good, **{"Content-Type": "text/plain"}), '{"workers":5}', 415),
            ("bad JSON", good, '{"workers":', 400),
            ("too many workers", good, '{"workers":99}', 400),
            ("a string count", good, '{"workers":"5"}', 400)]:
        code, text = post(scale, body, headers)
        check(code == status and "error" in json.loads(text),
              "a plain client with %s gets %d with a JSON error (%s)" % (what, status, text[:90]))
    code, text = post(board_url + "api/load", '{"variant":"background","rate_rps":1000}', good)
    check(code == 400 and "rate" in text, "a load above the rate cap is refused: " + text[:80])
    hostile(board_url, good)
    state = json.load(urllib.request.urlopen(board_url + "api/state?since=999999", timeout=5))
    check(len(state["workers"]) == 2, "none of the refused requests changed the workers")


def hostile(board_url, headers):
    """Bad bodies to every control endpoint: each gets a 4xx with a JSON error, none a crash."""
    bodies = ["", "[]", "null", "1", '{"variant":1}', '{"variant":"x"}', '{"variant":"inline",'
              '"sequence_length":1e30}', '{"variant":"inline","sequence_length":99}',
              '{"variant":"background","rate_rps":-1}', '{"variant":"background","duration_s":1e9}',
              '{"variant":"background","profile":"../../etc/passwd"}', '{"mode":"sideways"}',
              '{"mode":"down","for_s":1e308}', '{"workers":18446744073709551615}',
              '{"email":"' + "x" * 300 + '","variant":"inline"}', "[" * 5000,
              '{"a":"' + "y" * 5000 + '"}']
    codes = {}
    for endpoint in ("submit", "load", "scale", "provider", "reset"):
        for body in bodies:
            code, text = post(board_url + "api/" + endpoint, body, headers)
            codes[code] = codes.get(code, 0) + 1
            if not (400 <= code < 500 and text.startswith("{")):
                raise AssertionError("POST /api/%s %r got %d %s" % (endpoint, body[:40], code,
                                                                   text[:100]))
    check(True, "%d hostile bodies to the control endpoints got 4xx JSON errors %s"
          % (sum(codes.values()), codes))
    for query in ("since=1e99", "since=12abc", "since_mail=-", "since=99999999999999999999"):
        try:
            code = urllib.request.urlopen(board_url + "api/state?" + query, timeout=5).status
        except urllib.error.HTTPError as error:
            code = error.code
        check(code == 400, "GET /api/state?%s is refused with 400, not read leniently (%d)"
              % (query, code))


def sidekiq_web(driver, url):
    """When the checkout has scripts/sidekiq-web, the board links it and its Busy page lists the
    board's worker.1; without it the demo says so and the board says it is not running."""
    link = driver.find_element(By.ID, "sidekiq-link")
    if not url.startswith("http"):
        check("not running" in link.text, "no Sidekiq Web UI: the board says so")
        return
    check(link.get_attribute("href") == url, "the board links Sidekiq's Web UI at " + url)
    busy = wait_until(lambda: "worker.1" in urllib.request.urlopen(url + "busy", timeout=5)
                      .read().decode(), 10, 0.5)
    check(busy, "Sidekiq's Busy page lists the board's worker.1")


def row_bounds(driver, board_url):
    """500 rows in one column: the page keeps 200 rows and no more bookkeeping than it shows."""
    driver.get(board_url)
    wait_until(lambda: board_state(driver)["samples"] > 0, 10, 0.1)
    kept = driver.execute_script("""
        for (let i = 0; i < 500; i++) {
          board.addRow({variant: 'background', id: 'bound-' + i, n: i, sentAt: Date.now(),
                        browserMs: 1, serverMs: 1, serverTiming: [], status: 200});
        }
        return {rows: document.querySelectorAll('#background-rows tr').length,
                map: board.rows.size, order: board.order.length};""")
    check(kept["rows"] == 200 and kept["map"] <= 400 and kept["order"] <= 400,
          "500 rows in a column leave 200 on the page and bounded bookkeeping: %s" % kept)


def reset(driver, board_url):
    driver.get(board_url)
    wait_until(lambda: board_state(driver)["workers"] == 2, 10, 0.1)
    submit(driver, "background", 0)
    driver.find_element(By.ID, "reset").click()
    check(wait_until(lambda: board_state(driver)["workers"] == 1 and
                     not rows(driver, "background") and
                     driver.find_element(By.ID, "provider-status").text == "normal", 20, 0.1),
          "reset: the rows are cleared, one worker is left, the provider is normal")
    check(wait_until(lambda: board_state(driver)["queue"] == 0 and
                     board_state(driver)["retry"] == 0, 10, 0.1), "reset: queue and retries are 0")


def main():
    if By is None or not available():
        return SKIP
    source_dir, bin_dir = sys.argv[1], sys.argv[2]
    profile = tempfile.mkdtemp(prefix="fibtastic-board-browser-")
    demo = driver = None
    started = time.monotonic()
    try:
        demo, urls = start_demo(source_dir, bin_dir)
        print("demo printed:", urls)
        check(set(urls) == {"lesson board", "inbox", "sidekiq web"},
              "the demo printed the board, inbox and sidekiq web lines")
        board_url = urls["lesson board"]
        driver = browser(profile)
        driver.get(board_url)
        check(wait_until(lambda: board_state(driver)["samples"] > 2 and
                         board_state(driver)["workers"] == 1, 15, 0.1),
              "the board loads and shows worker.1")
        token = driver.find_element(By.CSS_SELECTOR, "meta[name=board-token]").get_attribute("content")
        sidekiq_web(driver, urls["sidekiq web"])
        lesson_forms(driver)
        load_and_scale(driver)
        provider_down(driver)
        errors = console_errors(driver)
        check(not errors, "no console errors on the board: %s" % errors)
        driver.find_element(By.ID, "present").click()
        screenshot(driver, "6-presentation-mode")
        driver.get(board_url)
        check("present" in driver.find_element(By.TAG_NAME, "body").get_attribute("class"),
              "presentation mode is remembered")
        driver.find_element(By.ID, "present").click()
        cross_origin(driver, board_url, token)
        row_bounds(driver, board_url)
        reset(driver, board_url)
        streams = event_streams(driver, board_url)
        sigterm_stops_everything(demo, board_url, token)
        for connection in streams:
            connection.close()
        print("board browser test took %.0f s" % (time.monotonic() - started))
        return 0
    except AssertionError as error:
        print("FAIL:", error)
        if driver:
            screenshot(driver, "failure")
        return 1
    finally:
        if driver:
            driver.quit()
        stop_demo(demo)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
