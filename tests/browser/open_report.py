"""Open an edustat report in headless Chromium the way a planner's browser would, and say what
it saw, as one JSON object on stdout: every target section with its status and charts, every
request the page made, every console message (a refused fetch is one), and a screenshot's
size and colours. Run by tests/it/report.rs, which asserts on the JSON.

usage: python open_report.py <report.html> <screenshot.png>
       CHROMIUM (default /usr/bin/chromium) names the browser.
"""

import json
import os
import pathlib
import sys

from PIL import Image
from playwright.sync_api import sync_playwright

# Flags for a closed network and a root user (the same as the machine's own browser probe):
# nothing of Chromium's own may reach out, so any request seen is the page's.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

SECTIONS = """() => Array.from(document.querySelectorAll('section.target')).map(s => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return [Math.round(r.width), Math.round(r.height)]; };
  const series = s.querySelector('svg.chart.series');
  const ranked = s.querySelector('svg.chart.ranked');
  return {
    target: s.dataset.target,
    status: s.dataset.status,
    badge: s.querySelector('h3 .badge').textContent,
    series: box(series),
    points: series ? series.querySelectorAll('circle.point').length : 0,
    ranked: box(ranked),
    bars: ranked ? Array.from(ranked.querySelectorAll('rect.bar')).map(b => ({
      region: b.dataset.region, status: b.dataset.status,
      y: b.getAttribute('y'), height: b.getAttribute('height'),
      shown: b.getBoundingClientRect().height > 0 })) : [],
  };
})"""


def main(report, shot):
    url = pathlib.Path(report).resolve().as_uri()
    seen = {"requests": [], "console": [], "failed": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=FLAGS
        )
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.on("request", lambda r: seen["requests"].append(r.url))
        page.on("requestfailed", lambda r: seen["failed"].append(r.url + " " + str(r.failure)))
        page.on("console", lambda m: seen["console"].append(m.type + ": " + m.text))
        page.goto(url, wait_until="load")
        seen["title"] = page.title()
        seen["sections"] = page.evaluate(SECTIONS)
        seen["summary_rows"] = page.evaluate(
            "() => Array.from(document.querySelectorAll('#summary tbody tr'))"
            ".map(r => [r.dataset.target, r.dataset.status])"
        )
        seen["quarantined"] = page.evaluate(
            "() => document.querySelector('#quarantine [data-count]').dataset.count"
        )
        page.screenshot(path=shot, full_page=True)
        browser.close()
    image = Image.open(shot).convert("RGB")
    data = image.resize((image.width // 4, image.height // 4)).tobytes()
    pixels = [data[i : i + 3] for i in range(0, len(data), 3)]
    seen["screenshot"] = {
        "width": image.width,
        "height": image.height,
        "colours": len(set(pixels)),
        "not_white": sum(1 for px in pixels if px != b"\xff\xff\xff") / len(pixels),
    }
    print(json.dumps(seen, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
