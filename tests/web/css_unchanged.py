"""Does a change of the style sheet change how the pages look? Renders every page the browser
scenarios saved (`<target>/web-screenshots/<backend>/*.html`, written by `audit`) under two
style sheets, at 1280 and 360 px, in Debian's chromium, and compares the computed style of
every element (and its ::before and ::after), the old sheet then the new one in the same\npage: equal styles, equal pages. Prints each
difference and exits 1 if there is one.

    <target>/web-venv/bin/python tests/web/css_unchanged.py old.css static/app.css \\
        <target>/web-screenshots/sqlite
"""

import json
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ORIGIN = "http://pages.test"
# In the page: every element's computed style under the sheet it loaded, then under `css`
# put in its place; answers the differences only.
COMPARE = """(css) => {
  const path = (e) => {
    const parts = [];
    for (; e && e.nodeType === 1; e = e.parentElement) {
      const index = e.parentElement ? [...e.parentElement.children].indexOf(e) : 0;
      parts.unshift(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}:${index}`);
    }
    return parts.join(' > ');
  };
  const targets = [];
  for (const e of document.querySelectorAll('body *')) {
    for (const pseudo of [null, '::before', '::after']) targets.push([e, pseudo]);
  }
  const snapshot = () => targets.map(([e, pseudo]) => {
    const style = getComputedStyle(e, pseudo);
    const values = {};
    for (const name of style) values[name] = style.getPropertyValue(name);
    if (!pseudo) {
      // Where it lies on the page: a declaration the layout ignores changes no box.
      const box = e.getBoundingClientRect();
      values['(box)'] = [box.x, box.y, box.width, box.height].join(' ');
    }
    return values;
  });
  const before = snapshot();
  const link = document.querySelector('link[rel=stylesheet]');
  const sheet = document.createElement('style');
  sheet.textContent = css;
  link.replaceWith(sheet);
  const after = snapshot();
  const differences = [];
  targets.forEach(([e, pseudo], i) => {
    const changed = {};
    for (const name in before[i]) {
      if (after[i][name] !== before[i][name]) changed[name] = [before[i][name], after[i][name]];
    }
    if (Object.keys(changed).length) differences.push([path(e) + (pseudo || ''), changed]);
  });
  return [targets.length, differences];
}"""


def compare(browser, html, old, new, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.route(f"{ORIGIN}/page", lambda r: r.fulfill(body=html, content_type="text/html; charset=utf-8"))
    page.route("**/*.css", lambda r: r.fulfill(body=old, content_type="text/css"))
    page.route("**/*.js", lambda r: r.fulfill(body="", content_type="text/javascript"))
    page.goto(f"{ORIGIN}/page")
    found = page.evaluate(COMPARE, new)
    page.close()
    return found


def main():
    old, new = Path(sys.argv[1]).read_text(), Path(sys.argv[2]).read_text()
    pages = sorted(Path(sys.argv[3]).glob("*.html"))
    if not pages:
        sys.exit(f"no saved page under {sys.argv[3]}")
    differences = moved = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for file in pages:
            html = file.read_text(encoding="utf-8")
            for width in (1280, 360):
                compared, changed = compare(browser, html, old, new, width)
                for element, values in changed:
                    differences += 1
                    moved += "(box)" in values
                    print(f"{file.name} at {width} px: {element}: {json.dumps(values, ensure_ascii=False)}")
            print(f"{file.name}: {compared} elements and pseudo-elements compared", flush=True)
        browser.close()
    print(f"{len(pages)} pages, {differences} elements styled differently, {moved} of them moved or resized")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
