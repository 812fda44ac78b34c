#!/usr/bin/python3
"""report.html and compare --html in a real headless browser with networking disabled.

Usage: report_html_browser_test.py FIBTASTIC_REPORT RESULTS_DIR

Copies RESULTS_DIR (the committed results/reference run: real run files) to a temporary
directory, gives one loadgen report a hostile label (markup, quotes, a script end tag), runs
`fibtastic-report html` on it and opens report.html from file:// offline. Checks: the page makes
no request at all (so none fails), the console has no error, the hostile label ran nothing, every
headline cell equals summary.json, hovering a saturation chart point shows its value (which equals
summary.json's), the page fits 1280 px, and print hides the tooltip. Then does the same for
`fibtastic-report compare --html`. Screenshots under the test's output directory. Exit 77
(ctest: skipped) only when chromium, chromedriver or selenium is absent.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from fib_browser import SKIP, available, browser, check, console_errors, screenshot, wait_until

try:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
except ImportError:
    By = None

HOSTILE = ('</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">'
           '" onmouseover="window.pwned=3 \u2028')


def make_run(source, work):
    run = os.path.join(work, "run")
    shutil.copytree(source, run, ignore=shutil.ignore_patterns("*.png", "*.svg", "report.html"))
    path = os.path.join(run, "lesson", "lesson-inline.json")
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    report["label"] = HOSTILE
    with open(path, "w", encoding="utf-8") as f:
        json.dump(report, f)
    return run


def network_requests(driver, page_url):
    """Every request the page made other than loading itself (file:// of the page, data:), and
    every failed one. The log is drained before the page loads (the browser's own start page
    logs requests too)."""
    ours, found = set(), []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            if params.get("documentURL") != page_url:
                continue
            ours.add(params["requestId"])
            url = params["request"]["url"]
            if url != page_url and not url.startswith("data:"):
                found.append(url)
        if message.get("method") == "Network.loadingFailed" and params.get("requestId") in ours:
            found.append("failed: " + params.get("errorText", "?"))
    return found


def open_offline(driver, path):
    url = "file://" + path
    driver.get_log("performance")  # drain: only this page's requests count
    driver.get(url)
    check(driver.execute_script("return document.readyState") == "complete", "%s loaded" % path)
    time.sleep(0.2)  # let anything the page might start show up in the logs
    requests = network_requests(driver, url)
    check(not requests, "no request beyond the file itself, none failed: %s" % requests)
    errors = console_errors(driver)
    check(not errors, "no console errors: %s" % errors)
    check(driver.execute_script("return typeof window.pwned") == "undefined",
          "the hostile label ran no script")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    check(width <= 1280, "fits 1280 px without horizontal scrolling (%d px)" % width)


def headline_cells(driver, summary):
    cells = driver.find_elements(By.CSS_SELECTOR, "#headline data[data-key]")
    check(len(cells) >= 9, "the headline has its %d number cells" % len(cells))
    for cell in cells:
        mode, key = cell.get_attribute("data-key").split(".", 1)
        expected = summary["lesson"][mode][key]
        check(float(cell.text) == expected and float(cell.get_attribute("value")) == expected,
              "headline %s.%s shows %s = summary.json's %r" % (mode, key, cell.text, expected))


def hover_value(driver, summary):
    """Hovers the saturation chart's inline p99 point at the highest rate (no other series' point
    lies on it); returns the tooltip text."""
    step = summary["scenarios"]["saturation"]["steps"][-1]
    expected = "offered rate (req/s): %g; p99 (ms): %r" % (step["offered_rps"],
                                                          step["inline_p99_ms"])
    points = [p for p in driver.find_elements(By.CSS_SELECTOR, "circle.pt")
              if p.get_attribute("textContent") == "inline response p99 — " + expected]
    check(points, "the saturation chart has the point %r" % expected)
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", points[0])
    ActionChains(driver).move_to_element(points[0]).perform()
    tip = driver.find_element(By.ID, "tip")
    shown = wait_until(lambda: tip.is_displayed() and tip.text, 3)
    check(shown and expected in shown, "hovering a point shows its value: %r" % shown)
    return shown


def print_hides_tooltip(driver):
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    hidden = driver.execute_script(
        "return getComputedStyle(document.getElementById('tip')).display") == "none"
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    check(hidden, "print media hides the tooltip")


def main():
    if not available():
        return SKIP
    tool, source = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="fibtastic-report-html-")
    driver = None
    try:
        run = make_run(source, work)
        started = time.monotonic()
        subprocess.run([tool, "html", run], check=True)
        print("report.html: %d bytes, written in %.0f ms" % (
            os.path.getsize(os.path.join(run, "report.html")), (time.monotonic() - started) * 1000))
        with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
            summary = json.load(f)
        driver = browser(os.path.join(work, "profile"), offline=True)
        open_offline(driver, os.path.join(run, "report.html"))
        screenshot(driver, "report-html-top")
        headline_cells(driver, summary)
        hover_value(driver, summary)
        screenshot(driver, "report-html-hover")
        print_hides_tooltip(driver)
        compare = os.path.join(work, "compare.html")
        subprocess.run([tool, "compare", "--html", compare,
                        os.path.join(run, "lesson", "lesson-inline.json"),
                        os.path.join(run, "lesson", "lesson-background.json")],
                       check=True, stdout=subprocess.DEVNULL)
        open_offline(driver, compare)
        check(driver.find_elements(By.CSS_SELECTOR, "table th[scope=row]"),
              "the comparison table is on the page")
        screenshot(driver, "compare-html")
        return 0
    except AssertionError as failure:
        print("FAILED:", failure)
        return 1
    finally:
        if driver is not None:
            driver.quit()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
