"""Shared pieces of the real-browser tests (headless Debian chromium + chromedriver + selenium).

Run the tests with /usr/bin/python3: the `python3` on PATH may lack Debian's python3-selenium.
Each test exits 0 (pass), 1 (fail) or 77 (ctest: skipped, only when chromium, chromedriver or
selenium is absent; scripts/install-deps installs them). Screenshots go to the directory in
FIB_BROWSER_OUT (ctest sets it per test, under the build tree), else to a temporary directory.
"""
import os
import socket
import subprocess
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP = 77

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    webdriver = None


def available():
    """True when a browser test can run; prints why not otherwise."""
    if webdriver is None or not os.path.exists(CHROMIUM) or not os.path.exists(CHROMEDRIVER):
        print("SKIP: needs Debian's chromium, chromium-driver and python3-selenium "
              "(scripts/install-deps installs them)")
        return False
    return True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        socket.create_connection((host, port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_until(predicate, timeout_s, step_s=0.01):
    """Polls predicate until it returns something truthy or timeout_s passes; returns its value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step_s)
    return predicate()


def check(condition, what):
    if not condition:
        raise AssertionError(what)
    print("ok:", what)


def browser(profile_dir, offline=False, width=1280, height=800):
    """A headless chromium at width x height. offline=True: the page can reach no network at
    all (every request fails), for pages that must be self-contained."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=%d,%d" % (width, height),
                 "--user-data-dir=" + profile_dir):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if offline:
        driver.set_network_conditions(offline=True, latency=0, download_throughput=0,
                                      upload_throughput=0)
    return driver


def console_errors(driver, ignore=()):
    """The browser console's SEVERE entries (script errors, failed requests), minus those
    containing any string in ignore."""
    try:
        logs = driver.get_log("browser")
    except Exception:  # noqa: BLE001 (not every driver keeps the log)
        return []
    return [e["message"] for e in logs
            if e.get("level") == "SEVERE" and not any(s in e["message"] for s in ignore)]


def output_dir():
    path = os.environ.get("FIB_BROWSER_OUT") or tempfile.mkdtemp(prefix="fibtastic-browser-")
    os.makedirs(path, exist_ok=True)
    return path


def screenshot(driver, name):
    """Saves a PNG of the page as OUTPUT_DIR/name.png and returns its path."""
    path = os.path.join(output_dir(), name + ".png")
    driver.save_screenshot(path)
    print("screenshot:", path)
    return path


def stop(process, timeout_s=5):
    """SIGTERM, then SIGKILL after timeout_s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
