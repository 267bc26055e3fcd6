#!/usr/bin/python3
"""META.json for PGXN: the fields of the 1.0.0 spec it must have, and one version
everywhere — META.json's version and provides equal the control file's default_version,
the Makefile's EXTVERSION and the Debian changelog's upstream version. Needs no server.
Prints TAP lines."""
import json
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


tests = []


def check(name, got, want):
    tests.append((name, got == want, got, want))


meta = json.loads(read("META.json"))
control = re.search(r"^default_version\s*=\s*'([^']*)'", read("pg_portrait.control"), re.M).group(1)
makefile = re.search(r"^EXTVERSION\s*=\s*(\S+)", read("Makefile"), re.M).group(1)
debian = re.match(r"\S+ \(([^)-]+)(-[^)]*)?\)", read("debian/changelog")).group(1)
semver = re.compile(r"^\d+\.\d+\.\d+$")

check("meta-spec is 1.0.0", meta.get("meta-spec", {}).get("version"), "1.0.0")
check("the required keys are there",
      sorted(k for k in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec")
             if k not in meta), [])
check("name is the extension's", meta.get("name"), "pg_portrait")
check("the control file and the Makefile agree", control, makefile)
check("version is the control file's default_version", meta.get("version"), control)
check("version is a semantic version, as PGXN requires", bool(semver.match(meta.get("version", ""))), True)
provides = meta.get("provides", {})
check("it provides the one extension", sorted(provides), ["pg_portrait"])
ext = provides.get("pg_portrait", {})
check("provides' version is the control file's default_version", ext.get("version"), control)
check("provides names files that exist",
      [f for f in (ext.get("file"), ext.get("docfile")) if not f or not os.path.exists(os.path.join(ROOT, f))], [])
check("the Debian package is of the same version", debian, control)
check("release_status is one of the spec's", meta.get("release_status", "stable") in ("stable", "testing", "unstable"), True)

print(f"1..{len(tests)}")
for i, (name, ok, got, want) in enumerate(tests, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        print(f"#   got: {got!r}\n#  want: {want!r}")
