import logging

from portal.kernel.logfilters import RedactSecretPaths, redact


def test_secret_links_are_hidden_in_log_lines():
    assert redact("Not Found: /sign/AbC-123_x/act/") == "Not Found: /sign/[hidden]/act/"
    assert redact('"GET /signed/eyJ.abc:xyz/ HTTP/1.1" 404') == '"GET /signed/[hidden]/ HTTP/1.1" 404'
    assert redact("/invitations/tok3n/") == "/invitations/[hidden]/"
    assert redact("/envelopes/12/") == "/envelopes/12/"


def test_the_filter_rewrites_formatted_records():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Gone: %s", ("/sign/secret/",), None)
    assert RedactSecretPaths().filter(record) is True
    assert record.getMessage() == "Gone: /sign/[hidden]/"
