#!/usr/bin/python3
"""Every relative link of README.md, CHANGELOG.md and doc/*.md leads somewhere: the file or
directory exists in the repository and, for a link to a heading (#anchor), the Markdown file has
that heading. Anchors follow GitHub's rules: the heading's text in lower case, punctuation removed
except '-' and '_', each space a '-', letters of any script kept; a repeated heading gets -1, -2.
Also: every page in doc/ is linked from another page, README's quick start keeps its two commands,
and the CI script runs README's test command. Needs no server. Prints TAP lines.

    test/doc_links.py [ROOT]      ROOT defaults to the repository this script is in"""
import glob
import os
import re
import sys
import tempfile
import urllib.parse

FENCE = re.compile(r'^ {0,3}(`{3,}|~{3,})')
ATX = re.compile(r'^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$')
SETEXT = re.compile(r'^ {0,3}(=+|-+)[ \t]*$')
CODE_SPAN = re.compile(r'(`+)(.+?)\1')
INLINE_LINK = re.compile(r'!?\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*(<[^>]*>|[^()\s]*(?:\([^()\s]*\)[^()\s]*)*)(?:\s+(?:"[^"]*"|\'[^\']*\'))?\s*\)')
REF_DEF = re.compile(r'^ {0,3}\[([^\]]+)\]:\s*(<[^>]*>|\S+)')
HTML_ANCHOR = re.compile(r'<a\s+[^>]*(?:name|id)\s*=\s*"([^"]+)"', re.I)
SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:')


def strip_inline(text):
    """A heading's text as GitHub renders it: code spans' contents, links' texts, no markup."""
    parts = []
    for i, piece in enumerate(CODE_SPAN.split(text)):
        if i % 3 == 2:                      # a code span's contents: literal
            parts.append(piece.strip())
        elif i % 3 == 0:
            piece = re.sub(r'!?\[([^\]]*)\]\([^)]*\)', r'\1', piece)
            piece = re.sub(r'<[^>]+>', '', piece)
            parts.append(re.sub(r'(\*+|(?<!\w)_+|_+(?!\w))', '', piece))
    return ''.join(parts).strip()


def slug(text):
    """GitHub's anchor of a heading (before the -1, -2 of repeats)."""
    s = strip_inline(text).lower()
    s = re.sub(r'[^\w\- ]', '', s)
    return s.replace(' ', '-')


def blocks(lines):
    """Yield (line number, line, in_code) with fenced code blocks marked."""
    fence = None
    for i, line in enumerate(lines, 1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            yield i, line, True
        elif fence is not None:
            if m and m.group(1).startswith(fence) and line.strip() == m.group(1):
                fence = None
            yield i, line, True
        else:
            yield i, line, False


def anchors(path):
    """The anchors of a Markdown file: its headings' slugs with repeats numbered, HTML anchors."""
    lines = open(path, encoding='utf-8').read().split('\n')
    seen, result = {}, set()
    prev = None

    def add(text):
        base = slug(text)
        if base in seen:
            seen[base] += 1
            result.add('%s-%d' % (base, seen[base]))
        else:
            seen[base] = 0
            result.add(base)

    for _, line, code in blocks(lines):
        if code:
            prev = None
            continue
        m = ATX.match(line)
        if m:
            add(m.group(2) or '')
            prev = None
            continue
        s = SETEXT.match(line)
        if s and prev is not None and prev.strip() and not prev.lstrip().startswith(('|', '-', '*', '>')):
            add(prev.strip())
            prev = None
            continue
        for a in HTML_ANCHOR.findall(line):
            result.add(a)
        prev = line
    return result


def links(path):
    """(line number, target) of every link in a Markdown file outside code."""
    lines = open(path, encoding='utf-8').read().split('\n')
    for n, line, code in blocks(lines):
        if code:
            continue
        m = REF_DEF.match(line)
        if m:
            yield n, m.group(2).strip('<>')
            continue
        text = CODE_SPAN.sub('', line)
        for m in INLINE_LINK.finditer(text):
            yield n, m.group(2).strip('<>')


def check_link(root, page, target, cache):
    """None when the link leads somewhere, else what is wrong."""
    if SCHEME.match(target) or target.startswith('//'):
        return None                         # another site: not checked here
    path, _, anchor = target.partition('#')
    path = urllib.parse.unquote(path)
    anchor = urllib.parse.unquote(anchor)
    if path.startswith('/'):
        return 'an absolute path'
    dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
    if os.path.relpath(dest, root).startswith('..'):
        return 'outside the repository'
    if not os.path.exists(dest):
        return 'no such file or directory'
    if not anchor and target.endswith('#'):
        return 'an empty anchor'
    if anchor:
        if os.path.isdir(dest):
            return 'an anchor on a directory'
        if dest.endswith('.md'):
            if dest not in cache:
                cache[dest] = anchors(dest)
            if anchor not in cache[dest]:
                return 'no heading #%s in %s' % (anchor, os.path.relpath(dest, root))
        elif not re.fullmatch(r'L\d+(-L\d+)?', anchor):
            return 'an anchor in a file that is not Markdown'
    return None


def pages(root):
    found = [os.path.join(root, p) for p in ('README.md', 'CHANGELOG.md')]
    found += sorted(glob.glob(os.path.join(root, 'doc', '*.md')))
    return [p for p in found if os.path.exists(p)]


def results(root):
    """(ok, description) for every link, every doc page's inbound link, and the commands."""
    out, cache, linked = [], {}, set()
    for page in pages(root):
        rel = os.path.relpath(page, root)
        for n, target in links(page):
            problem = check_link(root, page, target, cache)
            out.append((problem is None, '%s:%d: %s%s' % (rel, n, target, '' if problem is None else ' (%s)' % problem)))
            if problem is None and not SCHEME.match(target):
                path = target.partition('#')[0]
                if path:
                    dest = os.path.normpath(os.path.join(os.path.dirname(page), urllib.parse.unquote(path)))
                    if dest != page:
                        linked.add(dest)
    for page in sorted(glob.glob(os.path.join(root, 'doc', '*.md'))):
        out.append((page in linked, '%s is linked from another page' % os.path.relpath(page, root)))
    return out


def quick_start(root):
    """README's first code block holds the two commands, and CI runs its test command."""
    readme = os.path.join(root, 'README.md')
    lines = open(readme, encoding='utf-8').read().split('\n')
    block, inside = [], False
    for _, line, code in blocks(lines):
        if code and FENCE.match(line):
            if inside:
                break
            inside = True
            continue
        if inside:
            block.append(line)
    commands = [l.split('#')[0].strip() for l in block if l.strip()]
    ci = os.path.join(root, '.ci', 'run')
    ci_commands = []
    if os.path.exists(ci):
        ci_commands = [l.strip() for l in open(ci, encoding='utf-8') if l.strip() and not l.startswith('#')]
    return [(commands == ['make demo', 'make test'],
             "README.md's first code block is the two commands make demo and make test"),
            ('make test' in ci_commands, ".ci/run runs README's test command, make test")]


def self_tests():
    """The rules on known cases, and a broken link and a broken anchor that must be noticed."""
    out = []
    cases = [('Quick start', 'quick-start'),
             ('Training: `kmeans_fit(features float8[], k int [, options jsonb])`',
              'training-kmeans_fitfeatures-float8-k-int--options-jsonb'),
             ('Churn and customer lifetime value: BG/NBD and Gamma-Gamma',
              'churn-and-customer-lifetime-value-bgnbd-and-gamma-gamma'),
             ('rfm_breaks and rfm_score', 'rfm_breaks-and-rfm_score'),
             ('The **Champions** of the demo data', 'the-champions-of-the-demo-data'),
             ('重要价值客户 segments', '重要价值客户-segments'),
             ('A/B test readouts', 'ab-test-readouts'),
             ('`_PG_init` and _emphasis_', '_pg_init-and-emphasis')]
    for text, want in cases:
        got = slug(text)
        out.append((got == want, 'slug of %r is %s (got %s)' % (text, want, got)))
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, 'doc'))
        with open(os.path.join(tmp, 'README.md'), 'w', encoding='utf-8') as f:
            f.write('# T\n\n## Performance\n\n## Performance\n\n```sh\n# not a heading\n[x](missing.md)\n```\n\n'
                    '[a](doc/a.md#performance) [b](#performance-1) [c](doc/) [d](doc/a.md#nope) '
                    '[e](doc/none.md) [f](#performance-2) [g](#not-a-heading) `[h](missing.md)`\n')
        with open(os.path.join(tmp, 'doc', 'a.md'), 'w', encoding='utf-8') as f:
            f.write('# A\n\n## Performance\n')
        got = [(ok, d.split(': ', 1)[1].split(' ')[0]) for ok, d in results(tmp)
               if d.startswith('README')]
        want = [(True, 'doc/a.md#performance'), (True, '#performance-1'), (True, 'doc/'),
                (False, 'doc/a.md#nope'), (False, 'doc/none.md'), (False, '#performance-2'),
                (False, '#not-a-heading')]
        out.append((got == want, 'the checker accepts good links and notices broken files and anchors '
                    '(duplicate headings, directories, code skipped)'))
        if got != want:
            out.append((False, 'checker self-test: got %r' % got))
    return out


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    tests = self_tests() + quick_start(root) + results(root)
    print('1..%d' % len(tests))
    for i, (ok, desc) in enumerate(tests, 1):
        print('%s %d - %s' % ('ok' if ok else 'not ok', i, desc))
    return 0 if all(ok for ok, _ in tests) else 1


if __name__ == '__main__':
    sys.exit(main())
