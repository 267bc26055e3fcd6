#!/usr/bin/python3
"""The demo's page (test/demo/picture.py) in headless Chromium: it is made from a demo
database like `make demo` makes it, needs nothing from the network, names CJK fonts the
machine has, every chart is drawn (shapes in the DOM, and more than one colour in its part of
the screenshot), and the page logs no error. Needs a running cluster (PGHOST/PGPORT/PGUSER,
PGBIN) and Debian's chromium and fonts-noto-cjk. Prints TAP lines.

PICTURE_SCREENSHOT=FILE keeps the screenshot (README's doc/images/portrait.png is one, taken
with the demo's 50,000 customers: PICTURE_CUSTOMERS=50000)."""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
DB = "portrait_picture"
CHARTS = ["segments", "lifecycle", "funnel", "migration", "cohort", "tgi"]
WIDTH = 1240

tests = []


def check(name, got, want):
    tests.append((name, got == want, got, want))


def psql(*args, db="postgres"):
    subprocess.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, *args],
                   check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"))


def chromium(tmp, *args):
    """Headless Chromium on a profile of its own, every host name unresolvable (no network).
    A run that has not finished in two minutes is stopped and tried again, twice at most: a
    headless browser now and then never finishes starting on a loaded machine, which says
    nothing about the page."""
    for attempt in range(3):
        profile = tempfile.mkdtemp(prefix="profile.", dir=tmp)
        cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--hide-scrollbars", "--no-first-run", "--disable-extensions", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--host-resolver-rules=MAP * ~NOTFOUND",
               "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *args]
        # a session of its own, so that a stopped run takes its helper processes with it
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp,
                                start_new_session=True)
        try:
            out, err = proc.communicate(timeout=120)
            return subprocess.CompletedProcess(cmd, proc.returncode, out, err)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            print(f"# chromium did not finish in 120 s (attempt {attempt + 1}): {' '.join(args[-2:])}")
    return subprocess.CompletedProcess(cmd, 1, "", "chromium did not finish")


def png_pixels(path):
    """Width, height and rows of (r, g, b) tuples of an 8-bit RGB or RGBA, non-interlaced PNG."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, w = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and ctype in (2, 6) and interlace == 0, (depth, ctype, interlace)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


# the page's measurements, taken by a script added to a copy of it (the page itself has none)
MEASURE = """<script>
window.addEventListener('load', () => {
  const out = {height: Math.ceil(document.documentElement.scrollHeight), resources:
               performance.getEntriesByType('resource').map(e => e.name), charts: {}};
  for (const s of document.querySelectorAll('svg[data-chart]')) {
    const r = s.getBoundingClientRect();
    let shapes = 0, texts = 0;
    for (const e of s.querySelectorAll('rect, path, line, circle, polygon')) {
      const b = e.getBBox();
      if (b.width > 0 && b.height > 0 || e.tagName === 'line') shapes++;
    }
    for (const t of s.querySelectorAll('text')) if (t.textContent.trim() && t.getComputedTextLength() > 0) texts++;
    out.charts[s.dataset.chart] = {x: r.left, y: r.top, w: r.width, h: r.height, shapes, texts};
  }
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.style.display = 'none';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>"""


def main():
    tmp = tempfile.mkdtemp(prefix="pg_portrait_picture.")
    try:
        run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run([os.path.join(PGBIN, "psql"), "-X", "-q", "-d", "postgres", "-c", f"DROP DATABASE IF EXISTS {DB}"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"1..{len(tests)}")
    for i, (name, ok, got, want) in enumerate(tests, 1):
        print(f"{'ok' if ok else 'not ok'} {i} - {name}")
        if not ok:
            print(f"#   got: {got!r}\n#  want: {want!r}")


def run(tmp):
    # the demo's database, as test/portrait.sh's run_demo makes it (fewer customers)
    psql("-c", f"DROP DATABASE IF EXISTS {DB}", "-c", f"CREATE DATABASE {DB}")
    psql("-c", "CREATE EXTENSION pg_portrait", db=DB)
    psql("-v", f"customers={os.environ.get('PICTURE_CUSTOMERS', '5000')}", "-v", "seed=42",
         "-f", os.path.join(ROOT, "test/data/sample.sql"), db=DB)
    demo = os.path.join(ROOT, "test/demo")
    parts = ["portrait.sql"] + sorted(f for f in os.listdir(demo) if f.endswith(".sql") and f != "portrait.sql")
    psql("-P", "footer=off", *[a for p in parts for a in ("-f", os.path.join(demo, p))], db=DB)
    page = os.path.join(tmp, "portrait.html")
    subprocess.run([sys.executable, os.path.join(demo, "picture.py"), DB, page], check=True)
    with open(page, encoding="utf-8") as f:
        source = f.read()

    # self-contained: nothing to fetch (the SVG namespace is a name, not a request)
    outside = re.findall(r"""(?:src|href)\s*=|url\(|@import|<link|<script|<img|<iframe|https?://(?!www\.w3\.org/2000/svg")""",
                         source)
    check("the page refers to nothing outside itself (no src, href, url(), import, script)", outside, [])
    check("every chart is an inline SVG of the page", re.findall(r'<svg data-chart="(\w+)"', source), CHARTS)
    families = re.findall(r"font-family: ([^;]+);", source)[0]
    first = re.match(r"'([^']+)'", families).group(1)
    match = subprocess.run(["fc-match", "-f", "%{family}", first], capture_output=True, text=True).stdout
    check(f"the page's first font family ({first}) is installed and renders Chinese",
          (first in match.split(","),
           subprocess.run(["fc-list", f":family={first}:lang=zh-cn", "family"], capture_output=True,
                          text=True).stdout.strip() != ""), (True, True))

    measured = os.path.join(tmp, "measured.html")
    with open(measured, "w", encoding="utf-8") as f:
        f.write(source.replace("</body>", MEASURE + "\n</body>"))
    dom = chromium(tmp, f"--window-size={WIDTH},1200", "--dump-dom", "file://" + measured)
    m = re.search(r'<pre id="measure"[^>]*>(.*?)</pre>', dom.stdout, re.S)
    check("Chromium loads the page and runs the measurement", bool(m), True)
    if not m:
        print("# " + dom.stderr[-2000:].replace("\n", "\n# "))
        return
    info = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    check("the page loads no resource (no file, font or network request)", info["resources"], [])
    check("Chromium lays out every chart", sorted(info["charts"]), sorted(CHARTS))
    for name in CHARTS:
        c = info["charts"].get(name, {"shapes": 0, "texts": 0, "w": 0, "h": 0})
        check(f"chart {name} is drawn: visible shapes and labels in the DOM",
              (c["shapes"] >= 4, c["texts"] >= 4, c["w"] > 100 and c["h"] > 100), (True, True, True))

    # the screenshot: the whole page, each chart's area with more than one colour
    shot = os.path.join(tmp, "shot.png")
    height = info["height"]
    res = chromium(tmp, f"--window-size={WIDTH},{height}", f"--screenshot={shot}", "file://" + page)
    check("Chromium takes a screenshot of the page", os.path.exists(shot), True)
    if not os.path.exists(shot):
        return
    keep = os.environ.get("PICTURE_SCREENSHOT")
    if keep:
        shutil.copyfile(shot, keep)
    w, h, bpp, rows = png_pixels(shot)
    check("the screenshot is the whole page", (w, h), (WIDTH, height))
    whole = {rows[y][x * bpp:x * bpp + 3] for y in range(0, h, 7) for x in range(0, w, 7)}
    check("the screenshot is not of one colour", len(whole) > 50, True)
    for name in CHARTS:
        c = info["charts"].get(name)
        if not c:
            continue
        colours, inked, seen = set(), 0, 0
        for y in range(int(c["y"]), min(h, int(c["y"] + c["h"])), 2):
            row = rows[y]
            for x in range(int(c["x"]), min(w, int(c["x"] + c["w"])), 2):
                px = row[x * bpp:x * bpp + 3]
                colours.add(px)
                seen += 1
                inked += px != b"\xff\xff\xff"
        check(f"chart {name} is drawn in the screenshot: colours and ink in its area",
              (len(colours) >= 8, inked / max(seen, 1) > 0.02), (True, True))

    # errors the page logged: console messages and failed loads (the machine's D-Bus
    # and GPU chatter is not the page's)
    logged = [l for l in (dom.stderr + res.stderr).splitlines()
              if re.search(r"CONSOLE|Uncaught|net::ERR_|Failed to load|Page load failed", l)]
    check("the page logs no error in Chromium", logged, [])


if __name__ == "__main__":
    main()
