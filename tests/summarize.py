#!/usr/bin/env python3
"""Prints one summary of all GoogleTest cases run by `meson test`, and what was skipped and why.

Reads meson's log (build/meson-logs/testlog.json) and each suite's GoogleTest XML report. A suite
that crashed or timed out counts as failed even when its report is missing.
Usage: summarize.py BUILD_DIR
"""
import json
import os
import sys
import xml.etree.ElementTree as ET


def main(build):
    passed = failed = skipped = 0
    skipped_names, failed_names = [], []
    with open(os.path.join(build, "meson-logs", "testlog.json")) as log:
        suites = [json.loads(line) for line in log if line.strip()]
    for suite in suites:
        name, result = suite["name"], suite["result"]
        report = os.path.join(build, name + ".xml")
        suite_failed = 0
        if os.path.exists(report):
            for case in ET.parse(report).iter("testcase"):
                full = f"{name}: {case.get('classname')}.{case.get('name')}"
                if case.find("failure") is not None:
                    suite_failed += 1
                    failed_names.append(full)
                elif case.get("result") == "skipped" or case.find("skipped") is not None:
                    skipped += 1
                    node = case.find("skipped")
                    why = " ".join((node.get("message", "") if node is not None else "").split())
                    skipped_names.append(f"{full} ({why.strip() or 'skipped'})")
                else:
                    passed += 1
        if result != "OK" and suite_failed == 0:
            suite_failed = 1
            failed_names.append(f"{name}: the suite itself failed ({result})")
        failed += suite_failed
    for line in skipped_names:
        print("SKIPPED", line)
    for line in failed_names:
        print("FAILED ", line)
    print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
