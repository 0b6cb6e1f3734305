"""Starts Autobahn's wstest (the Python 3 port) with one repair.

In fuzzingserver mode the port records the close reason it sent as bytes
(cases 7.3.x, 7.5.1); its JSON report writer then raises "Object of type
bytes is not JSON serializable" and no index.json is written. Here json.dumps
learns to write bytes as text; wstest itself runs unmodified.
"""
import json
import runpy
import sys

_original_dumps = json.dumps


def _encode_bytes(value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    raise TypeError("not JSON serializable: %s" % type(value).__name__)


def _dumps(value, *args, **kwargs):
    kwargs.setdefault("default", _encode_bytes)
    return _original_dumps(value, *args, **kwargs)


json.dumps = _dumps
sys.argv[0] = "wstest"
runpy.run_module("autobahntestsuite.wstest", run_name="__main__", alter_sys=True)
